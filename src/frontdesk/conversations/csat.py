"""Customer satisfaction: the customer's one rating of a conversation, and the report over them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.conversations import repository, schemas
from frontdesk.conversations.models import Conversation, CsatRating
from frontdesk.kit.clock import as_utc
from frontdesk.kit.errors import Conflict, ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit
from frontdesk.kit.pagination import PageParams, page_of, paginate


def _now(session: AsyncSession) -> datetime:
    return session.info["runtime"].clock.now()


def _webhook(session: AsyncSession, conv: Conversation, event: str, data: dict[str, Any]) -> None:
    from frontdesk.webhooks.service import emit

    emit(session, conv.organization_id, event, {"conversation_id": str(conv.id), **data})


MAX_COMMENT = 2000


async def submit_rating(session: AsyncSession, conversation: Conversation, *, rating: int, comment: str) -> CsatRating:
    """The customer's one rating of a conversation, credited to whoever had it at the time."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed("A rating is a whole number from 1 to 5.", code="invalid_rating")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(f"Keep the comment under {MAX_COMMENT} characters.", code="comment_too_long")
    if await repository.rating(session, conversation.id) is not None:
        raise Conflict("This conversation has already been rated.", code="already_rated")
    row = CsatRating(
        organization_id=conversation.organization_id,
        conversation_id=conversation.id,
        agent_id=conversation.assignee_id,
        rating=rating,
        comment=comment,
        created_at=_now(session),
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict("This conversation has already been rated.", code="already_rated") from None
    data = {"rating": rating, "comment": comment, "agent_id": str(row.agent_id) if row.agent_id else None}
    _webhook(session, conversation, "csat.submitted", data)
    publish_on_commit(
        session,
        org_topic(conversation.organization_id),
        {"type": "csat.submitted", "conversation_id": str(conversation.id), **data},
    )
    return row


async def csat_report(
    session: AsyncSession,
    scope: OrgScope,
    *,
    agent_id: uuid.UUID | None,
    since: datetime | None,
    paging: PageParams,
) -> schemas.CsatReport:
    try:
        since = as_utc(since) if since is not None else None
    except OverflowError:
        raise ValidationFailed("`since` is out of range.", code="invalid_since") from None
    rows, total = await paginate(session, repository.ratings(scope.ids, agent_id=agent_id, since=since), paging)
    convs = await repository.conversations_by_id(session, [r.conversation_id for r in rows])
    contacts = await repository.contacts_by_id(session, {c.contact_id for c in convs.values()})
    names = await repository.user_names(session, {r.agent_id for r in rows})
    counts = await repository.rating_distribution(session, scope.ids, agent_id=agent_id, since=since)
    n = sum(counts.values())
    items = []
    for r in rows:
        conv = convs.get(r.conversation_id)
        contact = contacts.get(conv.contact_id) if conv else None
        items.append(
            schemas.CsatItem(
                id=r.id,
                conversation_id=r.conversation_id,
                contact_name=(contact.name if contact else "") or "Visitor",
                agent_id=r.agent_id,
                agent_name=names.get(r.agent_id) if r.agent_id else None,
                rating=r.rating,
                comment=r.comment,
                created_at=r.created_at,
            )
        )
    page = page_of(items, total, paging)
    return schemas.CsatReport(
        **page.model_dump(exclude={"items"}),
        items=items,
        average=round(sum(k * v for k, v in counts.items()) / n, 2) if n else None,
        distribution={str(k): counts.get(k, 0) for k in range(1, 6)},
    )
