"""SQL about conversations, their reads, canned responses and ratings."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, case, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import CannedResponse, Conversation, ConversationRead, CsatRating
from frontdesk.messages.models import Message
from frontdesk.users.models import User


async def get(session: AsyncSession, org_ids: Iterable[uuid.UUID], conversation_id: uuid.UUID) -> Conversation | None:
    return await session.scalar(
        select(Conversation).where(Conversation.id == conversation_id, Conversation.organization_id.in_(list(org_ids)))
    )


async def get_any(session: AsyncSession, conversation_id: uuid.UUID) -> Conversation | None:
    """Unscoped on purpose: only jobs, which carry ids they wrote themselves, look a conversation up this way."""
    return await session.get(Conversation, conversation_id)


async def current_for_contact(session: AsyncSession, inbox_id: uuid.UUID, contact_id: uuid.UUID) -> Conversation | None:
    return await session.scalar(
        select(Conversation)
        .where(
            Conversation.inbox_id == inbox_id, Conversation.contact_id == contact_id, Conversation.status != "resolved"
        )
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )


async def latest_for_contact(session: AsyncSession, inbox_id: uuid.UUID, contact_id: uuid.UUID) -> Conversation | None:
    return await session.scalar(
        select(Conversation)
        .where(Conversation.inbox_id == inbox_id, Conversation.contact_id == contact_id)
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )


async def for_contact(session: AsyncSession, org_ids: Iterable[uuid.UUID], contact_id: uuid.UUID) -> list[Conversation]:
    return list(
        await session.scalars(
            select(Conversation)
            .where(Conversation.contact_id == contact_id, Conversation.organization_id.in_(list(org_ids)))
            .order_by(Conversation.created_at.desc())
        )
    )


def listing(
    org_ids: Iterable[uuid.UUID],
    *,
    assignee: uuid.UUID | None,
    unassigned: bool,
    statuses: list[str],
    inbox_id: uuid.UUID | None,
    label: str | None,
    contact_ids: Select[Any] | None,
) -> Select[Any]:
    stmt = select(Conversation).where(Conversation.organization_id.in_(list(org_ids)))
    if assignee is not None:
        stmt = stmt.where(Conversation.assignee_id == assignee)
    if unassigned:
        stmt = stmt.where(Conversation.assignee_id.is_(None))
    if statuses:
        stmt = stmt.where(Conversation.status.in_(statuses))
    if inbox_id is not None:
        stmt = stmt.where(Conversation.inbox_id == inbox_id)
    if contact_ids is not None:
        stmt = stmt.where(Conversation.contact_id.in_(contact_ids))
    if label:
        # Labels are a short JSON list; matching the quoted label in its text works on both dialects.
        # SQLite's JSON text escapes non-ASCII ("\u00e9") while PostgreSQL's JSONB text does not, so
        # both spellings are tried.
        text = cast(Conversation.labels, String)
        raw, escaped = f'"{label}"', json.dumps(label)
        match = text.contains(raw, autoescape=True)
        if escaped != raw:
            match = or_(match, text.contains(escaped, autoescape=True))
        stmt = stmt.where(match)
    return stmt.order_by(Conversation.last_activity_at.desc().nulls_last(), Conversation.id.desc())


async def unread_counts(
    session: AsyncSession, user_id: uuid.UUID, conversation_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not conversation_ids:
        return {}
    read = (
        select(ConversationRead.conversation_id, ConversationRead.last_read_at)
        .where(ConversationRead.user_id == user_id)
        .subquery()
    )
    rows = await session.execute(
        select(Message.conversation_id, func.count())
        .outerjoin(read, read.c.conversation_id == Message.conversation_id)
        .where(
            Message.conversation_id.in_(conversation_ids),
            Message.direction == "in",
            (read.c.last_read_at.is_(None)) | (Message.created_at > read.c.last_read_at),
        )
        .group_by(Message.conversation_id)
    )
    return {cid: int(n) for cid, n in rows.all()}


async def read_marker(session: AsyncSession, conversation_id: uuid.UUID, user_id: uuid.UUID) -> ConversationRead | None:
    return await session.scalar(
        select(ConversationRead).where(
            ConversationRead.conversation_id == conversation_id, ConversationRead.user_id == user_id
        )
    )


async def open_count(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                Conversation.organization_id == org_id,
                Conversation.assignee_id == user_id,
                Conversation.status == "open",
            )
        )
        or 0
    )


async def has_human_reply(session: AsyncSession, conversation_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Message.id)
        .where(
            and_(Message.conversation_id == conversation_id, Message.sender_type == "agent", Message.private.is_(False))
        )
        .limit(1)
    )
    return found is not None


def contacts_matching(org_ids: Iterable[uuid.UUID], q: str) -> Select[Any]:
    """Ids of contacts whose name or email contains ``q``, for the inbox's search box."""
    needle = q.strip().lower()
    return select(Contact.id).where(
        Contact.organization_id.in_(list(org_ids)),
        or_(
            func.lower(Contact.name).contains(needle, autoescape=True),
            func.lower(func.coalesce(Contact.email, "")).contains(needle, autoescape=True),
        ),
    )


async def status_counts(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], user_id: uuid.UUID | None, inbox_id: uuid.UUID | None
) -> list[tuple[str, int, int, int]]:
    """(status, all, mine, unassigned) rows, in one grouped scan."""
    mine = func.sum(case((Conversation.assignee_id == user_id, 1), else_=0)) if user_id is not None else literal(0)
    stmt = (
        select(
            Conversation.status,
            func.count(),
            mine,
            func.sum(case((Conversation.assignee_id.is_(None), 1), else_=0)),
        )
        .where(Conversation.organization_id.in_(list(org_ids)))
        .group_by(Conversation.status)
    )
    if inbox_id is not None:
        stmt = stmt.where(Conversation.inbox_id == inbox_id)
    rows = await session.execute(stmt)
    return [(status, int(n or 0), int(m or 0), int(u or 0)) for status, n, m, u in rows.all()]


async def user_names(session: AsyncSession, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {uid: name or email for uid, name, email in rows.all()}


async def canned(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], *, prefix: str | None = None
) -> list[CannedResponse]:
    stmt = select(CannedResponse).where(CannedResponse.organization_id.in_(list(org_ids)))
    if prefix:
        stmt = stmt.where(CannedResponse.shortcut.startswith(prefix.lower(), autoescape=True))
    return list(await session.scalars(stmt.order_by(CannedResponse.shortcut)))


async def canned_by_shortcut(session: AsyncSession, org_id: uuid.UUID, shortcut: str) -> CannedResponse | None:
    return await session.scalar(
        select(CannedResponse).where(CannedResponse.organization_id == org_id, CannedResponse.shortcut == shortcut)
    )


async def canned_one(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], canned_id: uuid.UUID
) -> CannedResponse | None:
    return await session.scalar(
        select(CannedResponse).where(CannedResponse.id == canned_id, CannedResponse.organization_id.in_(list(org_ids)))
    )


async def delete_canned(session: AsyncSession, row: CannedResponse) -> None:
    await session.delete(row)


async def rating(session: AsyncSession, conversation_id: uuid.UUID) -> CsatRating | None:
    return await session.scalar(select(CsatRating).where(CsatRating.conversation_id == conversation_id))


def ratings(org_ids: Iterable[uuid.UUID], *, agent_id: uuid.UUID | None, since: datetime | None) -> Select[Any]:
    stmt = select(CsatRating).where(CsatRating.organization_id.in_(list(org_ids)))
    if agent_id is not None:
        stmt = stmt.where(CsatRating.agent_id == agent_id)
    if since is not None:
        stmt = stmt.where(CsatRating.created_at >= since)
    return stmt.order_by(CsatRating.created_at.desc(), CsatRating.id.desc())


async def rating_distribution(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], *, agent_id: uuid.UUID | None, since: datetime | None
) -> dict[int, int]:
    """How many ratings of each value match the same filter as :func:`ratings`."""
    inner = ratings(org_ids, agent_id=agent_id, since=since).order_by(None).subquery()
    rows = await session.execute(select(inner.c.rating, func.count()).group_by(inner.c.rating))
    return {int(r): int(n) for r, n in rows.all()}


async def contacts_by_id(session: AsyncSession, contact_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Contact]:
    ids = set(contact_ids)
    if not ids:
        return {}
    return {c.id: c for c in await session.scalars(select(Contact).where(Contact.id.in_(ids)))}


async def ratings_for(session: AsyncSession, conversation_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, CsatRating]:
    ids = set(conversation_ids)
    if not ids:
        return {}
    return {
        r.conversation_id: r
        for r in await session.scalars(select(CsatRating).where(CsatRating.conversation_id.in_(ids)))
    }


async def conversations_by_id(
    session: AsyncSession, conversation_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Conversation]:
    ids = set(conversation_ids)
    if not ids:
        return {}
    return {c.id: c for c in await session.scalars(select(Conversation).where(Conversation.id.in_(ids)))}
