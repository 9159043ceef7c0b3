"""Leads: capture from every source, with history, and the pipeline (status, owner, score, follow-up).

:func:`capture_lead` is the one entry point every source uses (the assistant's tool, the widget's
pre-chat form, flows, the API, extraction over a conversation). A capture never blanks a field and
never overwrites one silently: every value a lead takes is kept in ``lead_changes`` with its source
and the message it came from.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Conversation
from frontdesk.kit.errors import NotFound, ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit
from frontdesk.kit.pagination import Page, PageParams, page_of, paginate
from frontdesk.leads import pipeline, repository, schemas
from frontdesk.leads.fields import clean_fields, completeness_score
from frontdesk.leads.models import LEAD_FIELDS, Lead, LeadChange
from frontdesk.messages.models import Message
from frontdesk.orgs.models import Membership


def _now(session: AsyncSession) -> datetime:
    now: datetime = session.info["runtime"].clock.now()
    return now


async def _check_links(
    session: AsyncSession,
    organization_id: uuid.UUID,
    conversation_id: uuid.UUID | None,
    message_id: uuid.UUID | None,
) -> uuid.UUID | None:
    """The conversation and message must be this organization's; returns the message's conversation."""
    if conversation_id is not None:
        conv = await session.get(Conversation, conversation_id)
        if conv is None or conv.organization_id != organization_id:
            raise NotFound("No such conversation.", code="conversation_not_found")
    if message_id is not None:
        msg = await session.get(Message, message_id)
        if msg is None or msg.organization_id != organization_id:
            raise NotFound("No such message.", code="message_not_found")
        if conversation_id is not None and msg.conversation_id != conversation_id:
            raise ValidationFailed("The message is not in that conversation.", code="message_not_in_conversation")
        return msg.conversation_id
    return conversation_id


async def capture_lead(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    contact_id: uuid.UUID,
    source: str,
    fields: dict[str, str | None],
    conversation_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
) -> Lead:
    """Record what was learnt about a contact as their lead; new values win, old ones stay in history.

    Invalid emails and phone numbers (not in international format) are not stored: they are in
    ``lead.rejected`` (field -> reason) for the caller to report. The ``lead_captured`` flow event
    fires when the contact had no lead before.
    """
    contact = await repository.contact(session, organization_id, contact_id)
    if contact is None:
        raise NotFound("No such contact.", code="contact_not_found")
    conversation_id = await _check_links(session, organization_id, conversation_id, message_id)
    accepted, rejected = clean_fields(fields)
    now = _now(session)
    lead = await repository.for_contact(session, organization_id, contact_id)
    created = False
    if lead is None:
        settings = await pipeline.settings_for(session, organization_id)
        lead = Lead(
            organization_id=organization_id,
            contact_id=contact_id,
            conversation_id=conversation_id,
            source_message_id=message_id,
            source=source[:20],
            status=pipeline.first_status(settings),
            score=0,
            score_auto=True,
            notes="",
            created_at=now,
            updated_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(lead)
        except IntegrityError:
            # Another capture for the same contact won the race: merge into theirs.
            existing = await repository.for_contact(session, organization_id, contact_id)
            if existing is None:
                raise
            lead = existing
        else:
            created = True
    changed = _apply(session, lead, accepted, source=source, message_id=message_id, actor_id=actor_id, now=now)
    if not created and changed:
        lead.updated_at = now
        if lead.conversation_id is None and conversation_id is not None:
            lead.conversation_id = conversation_id
        if message_id is not None:
            lead.source_message_id = message_id
    if lead.score_auto:
        lead.score = completeness_score({f: getattr(lead, f) for f in LEAD_FIELDS})
    _fill_contact(contact, lead)
    await session.flush()
    lead.rejected = rejected
    if created:
        from frontdesk.flows import events

        await events.fire(
            session,
            organization_id,
            "lead_captured",
            contact_id=contact_id,
            conversation_id=conversation_id,
            data={
                "lead_id": str(lead.id),
                "source": lead.source,
                **{f: getattr(lead, f) for f in LEAD_FIELDS if getattr(lead, f)},
            },
        )
    if created or changed:
        publish_on_commit(
            session,
            org_topic(organization_id),
            {"type": "lead.created" if created else "lead.updated", "lead_id": str(lead.id)},
        )
    return lead


def _apply(
    session: AsyncSession,
    lead: Lead,
    values: dict[str, str],
    *,
    source: str,
    message_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> list[str]:
    """Set each value that differs, writing its history row; returns the fields that changed."""
    changed: list[str] = []
    for key in LEAD_FIELDS:
        if key not in values:
            continue
        old = getattr(lead, key)
        new = values[key]
        if old == new:
            continue
        setattr(lead, key, new)
        session.add(
            LeadChange(
                organization_id=lead.organization_id,
                lead_id=lead.id,
                field=key,
                old_value=old,
                new_value=new,
                source=source[:20],
                message_id=message_id,
                actor_id=actor_id,
                created_at=now,
            )
        )
        changed.append(key)
    return changed


def _fill_contact(contact: Contact, lead: Lead) -> None:
    """The contact gets what it lacked; a contact's own details are never replaced from a lead."""
    if not contact.name and lead.name:
        contact.name = lead.name
    if not contact.email and lead.email:
        contact.email = lead.email
    if not contact.phone and lead.phone:
        contact.phone = lead.phone


# ---------------------------------------------------------------- the API and UI


async def _check_owner(session: AsyncSession, organization_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    from sqlalchemy import select

    found = await session.scalar(
        select(Membership.id).where(Membership.organization_id == organization_id, Membership.user_id == owner_id)
    )
    if found is None:
        raise ValidationFailed("The owner must be a member of the organization.", code="owner_not_member")


async def _check_status(session: AsyncSession, organization_id: uuid.UUID, status: str) -> None:
    settings = await pipeline.settings_for(session, organization_id)
    if status not in pipeline.status_keys(settings):
        raise ValidationFailed(
            f"Unknown status {status!r}.",
            code="status_unknown",
            details={"allowed": pipeline.status_keys(settings)},
        )


def _history(session: AsyncSession, lead: Lead, key: str, old: Any, new: Any, actor: uuid.UUID | None) -> None:
    def text(v: Any) -> str | None:
        if v is None:
            return None
        return v.isoformat() if isinstance(v, datetime) else str(v)

    session.add(
        LeadChange(
            organization_id=lead.organization_id,
            lead_id=lead.id,
            field=key,
            old_value=text(old),
            new_value=text(new),
            source="manual",
            message_id=None,
            actor_id=actor,
            created_at=_now(session),
        )
    )


async def create_lead(session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.LeadCreate) -> Lead:
    org = scope.organization_id
    fields: dict[str, str | None] = {f: getattr(data, f) for f in LEAD_FIELDS}
    contact_id = data.contact_id
    if contact_id is None:
        contact_id = await _contact_for_fields(session, org, fields)
    lead = await capture_lead(
        session,
        organization_id=org,
        contact_id=contact_id,
        source=data.source,
        fields=fields,
        conversation_id=data.conversation_id,
        message_id=data.message_id,
        actor_id=subject.user_id,
    )
    rejected = lead.rejected
    sent = data.model_fields_set
    update = schemas.LeadUpdate.model_validate(
        {k: getattr(data, k) for k in ("status", "owner_id", "notes", "next_follow_up_at") if k in sent}
    )
    await _update_pipeline(session, lead, update, update.model_fields_set, subject.user_id)
    lead.rejected = rejected
    return lead


async def _contact_for_fields(
    session: AsyncSession, organization_id: uuid.UUID, fields: dict[str, str | None]
) -> uuid.UUID:
    """A contact for an API-created lead: the one with that email, or a new one."""
    from sqlalchemy import func, select

    accepted, _ = clean_fields(fields)
    if not accepted.get("email") and not accepted.get("phone") and not accepted.get("name"):
        raise ValidationFailed(
            "A lead without a contact needs at least a name, an email or a phone number.", code="lead_empty"
        )
    if accepted.get("email"):
        found = await session.scalar(
            select(Contact.id)
            .where(Contact.organization_id == organization_id, func.lower(Contact.email) == accepted["email"].lower())
            .order_by(Contact.created_at)
            .limit(1)
        )
        if found is not None:
            return found
    contact = Contact(organization_id=organization_id, name=accepted.get("name", ""), created_at=_now(session))
    session.add(contact)
    await session.flush()
    return contact.id


async def update_lead(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    lead_id: uuid.UUID,
    data: schemas.LeadUpdate,
) -> Lead:
    lead = await get_lead(session, scope, lead_id)
    sent = data.model_fields_set
    fields: dict[str, str | None] = {f: getattr(data, f) for f in LEAD_FIELDS if f in sent}
    rejected: dict[str, str] = {}
    if fields:
        lead = await capture_lead(
            session,
            organization_id=lead.organization_id,
            contact_id=lead.contact_id,
            source="manual",
            fields=fields,
            actor_id=subject.user_id,
        )
        rejected = lead.rejected
    await _update_pipeline(session, lead, data, sent, subject.user_id)
    lead.rejected = rejected
    return lead


async def _update_pipeline(
    session: AsyncSession, lead: Lead, data: schemas.LeadUpdate, sent: set[str], actor: uuid.UUID | None
) -> None:
    now = _now(session)
    changed = False
    if "status" in sent and data.status is not None and data.status != lead.status:
        await _check_status(session, lead.organization_id, data.status)
        _history(session, lead, "status", lead.status, data.status, actor)
        lead.status = data.status
        changed = True
    if "owner_id" in sent and data.owner_id != lead.owner_id:
        if data.owner_id is not None:
            await _check_owner(session, lead.organization_id, data.owner_id)
        _history(session, lead, "owner_id", lead.owner_id, data.owner_id, actor)
        lead.owner_id = data.owner_id
        changed = True
    if "score" in sent and data.score is not None and data.score != lead.score:
        _history(session, lead, "score", lead.score, data.score, actor)
        lead.score = data.score
        lead.score_auto = False
        changed = True
    if "notes" in sent and data.notes is not None and data.notes != lead.notes:
        _history(session, lead, "notes", lead.notes, data.notes, actor)
        lead.notes = data.notes.replace("\x00", "")
        changed = True
    if "next_follow_up_at" in sent and data.next_follow_up_at != lead.next_follow_up_at:
        _history(session, lead, "next_follow_up_at", lead.next_follow_up_at, data.next_follow_up_at, actor)
        lead.next_follow_up_at = data.next_follow_up_at
        changed = True
    if changed:
        lead.updated_at = now
        await session.flush()
        publish_on_commit(session, org_topic(lead.organization_id), {"type": "lead.updated", "lead_id": str(lead.id)})


async def get_lead(session: AsyncSession, scope: OrgScope, lead_id: uuid.UUID) -> Lead:
    lead = await repository.get(session, scope.ids, lead_id)
    if lead is None:
        raise NotFound("No such lead.", code="lead_not_found")
    return lead


async def to_schemas(session: AsyncSession, leads: list[Lead]) -> list[schemas.Lead]:
    names = await repository.user_names(session, (lead.owner_id for lead in leads))
    out = []
    for lead in leads:
        item = schemas.Lead.model_validate(lead)
        item.owner_name = names.get(lead.owner_id) if lead.owner_id else None
        out.append(item)
    return out


async def lead_detail(session: AsyncSession, scope: OrgScope, lead_id: uuid.UUID) -> schemas.LeadDetail:
    lead = await get_lead(session, scope, lead_id)
    (item,) = await to_schemas(session, [lead])
    history = [schemas.LeadChange.model_validate(c) for c in await repository.changes(session, lead.id)]
    return schemas.LeadDetail(**item.model_dump(), history=history)


async def list_leads(
    session: AsyncSession, scope: OrgScope, filters: repository.LeadFilter, paging: PageParams, sort: str = "-created"
) -> Page[schemas.Lead]:
    from frontdesk.leads.models import Lead as L

    stmt = repository.listing(scope.ids, filters)
    orders = {
        "created": (L.created_at, L.id),
        "-created": (L.created_at.desc(), L.id.desc()),
        "score": (L.score, L.id),
        "-score": (L.score.desc(), L.id.desc()),
        "follow_up": (L.next_follow_up_at.asc().nulls_last(), L.id),
        "name": (L.name.asc().nulls_last(), L.id),
    }
    stmt = stmt.order_by(*orders.get(sort, orders["-created"]))
    rows, total = await paginate(session, stmt, paging)
    return page_of(await to_schemas(session, rows), total, paging)


async def list_follow_ups(
    session: AsyncSession, scope: OrgScope, *, owner_id: uuid.UUID | None, within_hours: int, limit: int = 200
) -> list[schemas.FollowUp]:
    """Due and overdue follow-ups (due up to ``within_hours`` from now), soonest first."""
    from datetime import timedelta

    now = _now(session)
    filters = repository.LeadFilter(owner_id=owner_id, follow_up_due_before=now + timedelta(hours=within_hours))
    stmt = repository.listing(scope.ids, filters).order_by(Lead.next_follow_up_at, Lead.id).limit(limit)
    rows = list(await session.scalars(stmt))
    items = await to_schemas(session, rows)
    return [
        schemas.FollowUp(**item.model_dump(), overdue=bool(item.next_follow_up_at and item.next_follow_up_at < now))
        for item in items
    ]


async def delete_lead(session: AsyncSession, scope: OrgScope, subject: AuthSubject, lead_id: uuid.UUID) -> None:
    from frontdesk.audit.service import record

    lead = await get_lead(session, scope, lead_id)
    record(
        session,
        "lead.deleted",
        organization_id=lead.organization_id,
        subject=subject,
        target_type="lead",
        target_id=lead.id,
    )
    await repository.delete_lead(session, lead)


# ---------------------------------------------------------------- extraction over a conversation


async def apply_extraction(
    session: AsyncSession, conversation: Conversation, found: Any, *, actor_id: uuid.UUID | None = None
) -> Lead | None:
    """Store what extraction found on the contact's lead, each value linked to the message it came from."""
    groups: dict[uuid.UUID | None, dict[str, str | None]] = {}
    for key, value in found.fields.items():
        groups.setdefault(found.sources.get(key), {})[key] = value
    lead: Lead | None = None
    for message_id, values in groups.items():
        lead = await capture_lead(
            session,
            organization_id=conversation.organization_id,
            contact_id=conversation.contact_id,
            source="extraction",
            fields=values,
            conversation_id=conversation.id,
            message_id=message_id,
            actor_id=actor_id,
        )
    return lead


async def extract_from_conversation(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, conversation_id: uuid.UUID, *, apply: bool
) -> schemas.Extracted:
    from frontdesk.conversations import repository as conversations
    from frontdesk.leads import extraction

    conv = await conversations.get(session, scope.ids, conversation_id)
    if conv is None:
        raise NotFound("No such conversation.", code="conversation_not_found")
    found = await extraction.extract(session, conv.organization_id, conv.id)
    lead = await apply_extraction(session, conv, found, actor_id=subject.user_id) if apply else None
    return schemas.Extracted(
        fields=found.fields,
        source_message_ids=found.sources,
        method="llm" if found.method == "llm" else "rules",
        lead=(await to_schemas(session, [lead]))[0] if lead is not None else None,
    )


async def owner_choices(session: AsyncSession, scope: OrgScope) -> list[tuple[uuid.UUID, str]]:
    """The organization's members, for the owner pickers."""
    from sqlalchemy import select

    from frontdesk.users.models import User

    rows = await session.execute(
        select(User.id, User.name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == scope.organization_id)
        .order_by(User.name, User.email)
    )
    return [(uid, name or email) for uid, name, email in rows.all()]


async def board(
    session: AsyncSession, scope: OrgScope, filters: repository.LeadFilter, per_column: int = 100
) -> dict[str, list[schemas.Lead]]:
    """Leads by status for the board: the most recently changed first, at most ``per_column`` each."""
    settings = await pipeline.settings_for(session, scope.organization_id)
    columns: dict[str, list[schemas.Lead]] = {}
    for key in pipeline.status_keys(settings):
        scoped = repository.LeadFilter(**{**filters.__dict__, "statuses": [key]})
        stmt = (
            repository.listing(scope.ids, scoped)
            .order_by(Lead.updated_at.desc().nulls_last(), Lead.id.desc())
            .limit(per_column)
        )
        columns[key] = await to_schemas(session, list(await session.scalars(stmt)))
    return columns
