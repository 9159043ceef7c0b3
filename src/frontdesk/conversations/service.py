"""Conversations: opening them, the inbox's actions on them, and handing over to people.

Status says where a conversation stands (``bot`` while the assistant has it, ``pending`` while it
waits for a person, ``open`` while a person has it, ``snoozed``, ``resolved``); mode says who writes
the replies (``ai``, ``human``, or ``copilot`` where the AI drafts and a person sends).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents import repository as agents
from frontdesk.agents.service import HEARTBEAT_GRACE
from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.contacts.models import Contact
from frontdesk.conversations import repository, schemas
from frontdesk.conversations.models import Conversation, ConversationRead
from frontdesk.flows import events as flows_events
from frontdesk.inboxes import hours
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.errors import BadRequest, Conflict, NotFound, ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit, user_topic
from frontdesk.kit.pagination import CursorPage, Page, PageParams, page_of, paginate
from frontdesk.messages import repository as messages_repository
from frontdesk.messages.models import Message
from frontdesk.messages.schemas import AgentMessageCreate
from frontdesk.messages.schemas import Message as MessageSchema
from frontdesk.messages.service import add_message, conversation_topic, to_schema
from frontdesk.notifications.mentions import notify_mentions
from frontdesk.notifications.service import notify
from frontdesk.orgs import repository as orgs
from frontdesk.users import repository as users

STATUSES = ("bot", "pending", "open", "snoozed", "resolved")
ASSIGNABLE_ROLES = ("owner", "admin", "agent")
MAX_SNOOZE = timedelta(days=366)
MODES = ("ai", "human", "copilot")
PRIORITIES = ("none", "low", "medium", "high", "urgent")


def _now(session: AsyncSession) -> datetime:
    return session.info["runtime"].clock.now()


def _webhook(session: AsyncSession, conv: Conversation, event: str, data: dict[str, Any]) -> None:
    from frontdesk.webhooks.service import emit

    emit(session, conv.organization_id, event, {"conversation_id": str(conv.id), **data})


def summary(conv: Conversation) -> dict[str, Any]:
    return {
        "id": str(conv.id),
        "inbox_id": str(conv.inbox_id),
        "contact_id": str(conv.contact_id),
        "status": conv.status,
        "mode": conv.mode,
        "priority": conv.priority,
        "labels": list(conv.labels or []),
        "assignee_id": str(conv.assignee_id) if conv.assignee_id else None,
        "team_id": str(conv.team_id) if conv.team_id else None,
        "escalation_reason": conv.escalation_reason,
        "last_activity_at": conv.last_activity_at.isoformat() if conv.last_activity_at else None,
    }


def publish_changed(session: AsyncSession, conv: Conversation, what: str) -> None:
    event = {"type": "conversation.updated", "change": what, "conversation": summary(conv)}
    publish_on_commit(session, org_topic(conv.organization_id), event)
    publish_on_commit(
        session,
        conversation_topic(conv.id),
        {
            "type": "conversation.updated",
            "change": what,
            "conversation": {
                "id": str(conv.id),
                "status": conv.status,
                "mode": conv.mode,
                "human": conv.mode != "ai" and conv.status in ("pending", "open"),
            },
        },
    )


async def open_conversation(session: AsyncSession, inbox: Inbox, contact: Contact) -> tuple[Conversation, bool]:
    """The contact's current conversation in this inbox, or a new one."""
    current = await repository.current_for_contact(session, inbox.id, contact.id)
    if current is not None:
        return current, False
    now = _now(session)
    human_first = not inbox.assistant_enabled
    conv = Conversation(
        organization_id=inbox.organization_id,
        inbox_id=inbox.id,
        contact_id=contact.id,
        status="pending" if human_first else "bot",
        mode="copilot" if inbox.copilot else ("human" if human_first else "ai"),
        team_id=inbox.team_id,
        labels=[],
        created_at=now,
        last_activity_at=now,
    )
    session.add(conv)
    await session.flush()
    publish_on_commit(
        session, org_topic(inbox.organization_id), {"type": "conversation.created", "conversation": summary(conv)}
    )
    _webhook(session, conv, "conversation.created", {"inbox_id": str(inbox.id), "contact_id": str(contact.id)})
    if human_first and inbox.auto_assign:
        await auto_assign(session, conv, inbox)
    if human_first and conv.assignee_id is None:
        await _tell_inbox_people(session, conv, inbox, "new_conversation")
    return conv, True


async def get_conversation(session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID) -> Conversation:
    conv = await repository.get(session, scope.ids, conversation_id)
    if conv is None:
        raise NotFound("No such conversation.")
    return conv


async def _set_status(session: AsyncSession, conv: Conversation, status: str, *, until: datetime | None = None) -> None:
    old = conv.status
    if old == status and status != "snoozed":
        return
    now = _now(session)
    conv.status = status
    conv.snoozed_until = until if status == "snoozed" else None
    if status == "resolved":
        conv.resolved_at = now
    elif old == "resolved":
        conv.resolved_at = None
    publish_changed(session, conv, "status")
    _webhook(session, conv, "conversation.status_changed", {"from": old, "to": status})
    if status == "resolved":
        # The widget asks the customer for a rating when it sees this.
        publish_on_commit(
            session, conversation_topic(conv.id), {"type": "csat.requested", "conversation_id": str(conv.id)}
        )
        await flows_events.fire(
            session, conv.organization_id, "conversation_resolved", contact_id=conv.contact_id, conversation_id=conv.id
        )


async def auto_assign(session: AsyncSession, conv: Conversation, inbox: Inbox) -> uuid.UUID | None:
    """Round-robin among online, available agents of the inbox's team, under their open limit."""
    candidates = await agents.assignable_agents(
        session,
        conv.organization_id,
        inbox.team_id,
        inbox.max_open_per_agent,
        heard_since=_now(session) - HEARTBEAT_GRACE,
    )
    if not candidates:
        return None
    chosen = candidates[0]
    chosen.last_assigned_at = _now(session)
    await _assign(session, conv, chosen.user_id, by="auto")
    return chosen.user_id


async def _assign(
    session: AsyncSession, conv: Conversation, user_id: uuid.UUID | None, *, by: str, actor: uuid.UUID | None = None
) -> None:
    old = conv.assignee_id
    conv.assignee_id = user_id
    if user_id is not None and conv.status in ("pending", "bot"):
        await _set_status(session, conv, "open")
        if conv.mode == "ai":
            conv.mode = "human"
    publish_changed(session, conv, "assignee")
    _webhook(session, conv, "conversation.assigned", {"assignee_id": str(user_id) if user_id else None, "by": by})
    if user_id is not None and user_id != old:
        publish_on_commit(
            session,
            user_topic(user_id),
            {"type": "conversation.assigned_to_you", "conversation": summary(conv), "by": by},
        )
        if by in ("auto", "agent"):  # taking one over or replying: the person did it themselves
            await notify(
                session,
                organization_id=conv.organization_id,
                user_ids=[user_id],
                kind="conversation_assigned",
                title="A conversation was assigned to you",
                body=conv.escalation_reason.replace("_", " ") if conv.escalation_reason else "",
                link=f"/app/inbox/{conv.id}",
                data={"conversation_id": str(conv.id), "by": by},
                exclude=actor,
            )


async def escalate(session: AsyncSession, conv: Conversation, *, reason: str, by: str) -> Conversation:
    """Hand the conversation to people: record why, tell the customer what happens next, assign."""
    from frontdesk.inboxes.repository import get_any

    inbox = await get_any(session, conv.inbox_id)
    assert inbox is not None
    now = _now(session)
    already_human = conv.mode == "human" and conv.status in ("pending", "open")
    conv.escalation_reason = reason
    conv.escalated_at = now
    if conv.mode == "ai":
        conv.mode = "human"
    if conv.status in ("bot", "resolved", "snoozed"):
        await _set_status(session, conv, "pending")
    if not already_human:
        if hours.is_open(inbox.business_hours, inbox.timezone, now):
            text = "I'm bringing in a member of our team. Someone will reply here shortly."
        else:
            text = inbox.out_of_office_message or (
                "Our team is away right now. We have your message and will reply here when we are back."
            )
        await add_message(
            session,
            conv,
            direction="out",
            sender_type="system",
            content=text,
            payload={"event": "escalated", "reason": reason},
        )
    publish_changed(session, conv, "escalated")
    if conv.assignee_id is None and inbox.auto_assign:
        await auto_assign(session, conv, inbox)
    if conv.assignee_id is None and not already_human:
        await _tell_inbox_people(session, conv, inbox, reason)
    return conv


async def _tell_inbox_people(session: AsyncSession, conv: Conversation, inbox: Inbox, reason: str) -> None:
    """Nobody was assigned: everyone who answers this inbox hears that a customer is waiting."""
    from frontdesk.inboxes.repository import team_members

    people = [m.user_id for m in await team_members(session, inbox.team_id)] if inbox.team_id else None
    await notify(
        session,
        organization_id=conv.organization_id,
        user_ids=people,
        kind="escalation_waiting",
        title=f"A customer is waiting in {inbox.name}"
        if reason != "new_conversation"
        else f"A new conversation is waiting in {inbox.name}",
        body=reason.replace("_", " "),
        link=f"/app/inbox/{conv.id}",
        data={"conversation_id": str(conv.id), "inbox_id": str(inbox.id), "reason": reason},
        roles=("owner", "admin", "agent") if people is None else None,
    )


async def take_over(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, conversation_id: uuid.UUID
) -> Conversation:
    conv = await get_conversation(session, scope, conversation_id)
    assert subject.user_id is not None
    if conv.mode == "human" and conv.assignee_id == subject.user_id and conv.status == "open":
        return conv  # already theirs: a double click must not announce them twice
    conv.mode = "human"
    if conv.escalated_at is None:
        conv.escalated_at = _now(session)
        conv.escalation_reason = conv.escalation_reason or "agent_took_over"
    await _assign(session, conv, subject.user_id, by="take_over")
    if conv.status != "open":
        await _set_status(session, conv, "open")
    await add_message(
        session,
        conv,
        direction="out",
        sender_type="system",
        # The first name only: customers see this, and an email address is not theirs to see.
        content=f"{await _first_name(session, subject.user_id)} joined the conversation.",
        payload={"event": "agent_joined"},
    )
    record(
        session,
        "conversation.taken_over",
        organization_id=conv.organization_id,
        subject=subject,
        target_type="conversation",
        target_id=conv.id,
    )
    return conv


async def _first_name(session: AsyncSession, user_id: uuid.UUID) -> str:
    user = await users.get(session, user_id)
    name = (user.name if user is not None else "").strip()
    return name.split()[0] if name else "An agent"


async def hand_back(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, conversation_id: uuid.UUID
) -> Conversation:
    conv = await get_conversation(session, scope, conversation_id)
    if conv.mode == "ai" and conv.status == "bot":
        return conv
    from frontdesk.inboxes.repository import get_any

    inbox = await get_any(session, conv.inbox_id)
    if inbox is None or not inbox.assistant_enabled:
        raise Conflict(
            "This inbox has no assistant to hand the conversation to; resolve or reassign it instead.",
            code="no_assistant",
        )
    conv.mode = "ai"
    if conv.assignee_id is not None:
        await _assign(session, conv, None, by="hand_back")
    await _set_status(session, conv, "bot")
    publish_changed(session, conv, "mode")
    record(
        session,
        "conversation.handed_back",
        organization_id=conv.organization_id,
        subject=subject,
        target_type="conversation",
        target_id=conv.id,
    )
    return conv


async def escalate_conversation(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, conversation_id: uuid.UUID, *, reason: str
) -> Conversation:
    """An agent (or an integration) asks for people on a conversation the assistant has."""
    conv = await get_conversation(session, scope, conversation_id)
    await escalate(session, conv, reason=reason.strip(), by="agent")
    record(
        session,
        "conversation.escalated",
        organization_id=conv.organization_id,
        subject=subject,
        target_type="conversation",
        target_id=conv.id,
        details={"reason": reason.strip()[:500]},
    )
    return conv


async def update_conversation(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    conversation_id: uuid.UUID,
    *,
    status: str | None = None,
    snoozed_until: datetime | None = None,
    assignee_id: uuid.UUID | None = None,
    unassign: bool = False,
    team_id: uuid.UUID | None = None,
    clear_team: bool = False,
    labels: list[str] | None = None,
    priority: str | None = None,
    mode: str | None = None,
    instructions: str | None = None,
) -> Conversation:
    conv = await get_conversation(session, scope, conversation_id)
    now = _now(session)
    if snoozed_until is not None and status != "snoozed":
        raise ValidationFailed("`snoozed_until` goes with status `snoozed`.", code="invalid_snooze")
    if assignee_id is not None and unassign:
        raise ValidationFailed("Assign or unassign, not both.", code="invalid_assignee")
    if mode == "ai" and mode != conv.mode:
        raise Conflict("Give the conversation back to the assistant with hand-back.", code="use_hand_back")
    if assignee_id is not None and assignee_id != conv.assignee_id:
        member = await orgs.membership_of_user(session, conv.organization_id, assignee_id)
        if member is None or member.role not in ASSIGNABLE_ROLES:
            raise ValidationFailed(
                "Conversations go to owners, admins and agents of this organization.", code="invalid_assignee"
            )
        previous = conv.assignee_id
        await _assign(session, conv, assignee_id, by="agent", actor=subject.user_id)
        record(
            session,
            "conversation.assigned",
            organization_id=conv.organization_id,
            subject=subject,
            target_type="conversation",
            target_id=conv.id,
            details={"assignee_id": str(assignee_id), "previous_assignee_id": str(previous) if previous else None},
        )
    elif unassign and conv.assignee_id is not None:
        previous = conv.assignee_id
        await _assign(session, conv, None, by="agent")
        if conv.status == "open":
            # Open means a person has it; nobody has it now, so it waits in the queue.
            await _set_status(session, conv, "pending")
        record(
            session,
            "conversation.unassigned",
            organization_id=conv.organization_id,
            subject=subject,
            target_type="conversation",
            target_id=conv.id,
            details={"previous_assignee_id": str(previous)},
        )
    if team_id is not None or clear_team:
        if team_id is not None:
            from frontdesk.inboxes.repository import team

            if await team(session, scope.ids, team_id) is None:
                raise ValidationFailed("No such team.", code="invalid_team")
        if team_id != conv.team_id:
            conv.team_id = team_id
            publish_changed(session, conv, "team")
    if labels is not None:
        conv.labels = sorted({label.strip().lower() for label in labels if label.strip()})
        publish_changed(session, conv, "labels")
    if priority is not None:
        conv.priority = priority
        publish_changed(session, conv, "priority")
    if mode is not None and mode != conv.mode:
        was_ai = conv.mode == "ai"
        conv.mode = mode
        publish_changed(session, conv, "mode")
        if was_ai and conv.status == "bot" and status is None:
            await _set_status(session, conv, "open" if conv.assignee_id else "pending")
    if instructions is not None:
        conv.instructions = instructions
    if status is not None:
        if status == "snoozed":
            if snoozed_until is None or snoozed_until <= now:
                raise ValidationFailed("Snoozing needs a time in the future.", code="invalid_snooze")
            if snoozed_until > now + MAX_SNOOZE:
                raise ValidationFailed("Snooze for at most a year; resolve it instead.", code="invalid_snooze")
            from frontdesk.kit.jobs import enqueue

            enqueue(
                session,
                "conversations.wake",
                {"conversation_id": str(conv.id)},
                due_at=snoozed_until,
                organization_id=conv.organization_id,
            )
        if status == "bot" and conv.mode != "ai":
            raise Conflict(
                "Hand the conversation back to the assistant to put it in bot status.", code="invalid_status"
            )
        if status in ("pending", "open") and conv.mode == "ai":
            # Reopened for people: the assistant no longer answers it.
            conv.mode = "human"
        await _set_status(session, conv, status, until=snoozed_until)
        record(
            session,
            f"conversation.{status}",
            organization_id=conv.organization_id,
            subject=subject,
            target_type="conversation",
            target_id=conv.id,
            details={"snoozed_until": snoozed_until.isoformat()} if snoozed_until else None,
        )
    conv.last_activity_at = conv.last_activity_at or now
    return conv


async def wake(session: AsyncSession, conversation_id: uuid.UUID) -> None:
    """A snooze ran out: back to whoever had it."""
    conv = await repository.get_any(session, conversation_id)
    if conv is None or conv.status != "snoozed" or conv.snoozed_until is None:
        return
    if conv.snoozed_until > _now(session):
        return  # snoozed again for longer; that job will wake it
    await _set_status(session, conv, "open" if conv.assignee_id else "pending")


async def reopen_on_inbound(session: AsyncSession, conv: Conversation) -> None:
    """A customer wrote into a snoozed conversation: it needs attention again."""
    if conv.status == "snoozed":
        await _set_status(session, conv, "open" if conv.assignee_id else "pending")


async def mark_read(session: AsyncSession, scope: OrgScope, subject: AuthSubject, conversation_id: uuid.UUID) -> None:
    conv = await get_conversation(session, scope, conversation_id)
    assert subject.user_id is not None
    await _mark_read(session, conv, subject.user_id)


# ---------------------------------------------------------------- the inbox's reads

PREVIEW_CHARS = 160


async def list_conversations(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    *,
    assignee: str,
    statuses: list[str],
    inbox_id: uuid.UUID | None,
    label: str | None,
    q: str | None,
    paging: PageParams,
) -> Page[schemas.ConversationItem]:
    """``assignee``: ``me``, ``unassigned``, ``all`` or a user id."""
    assignee_id: uuid.UUID | None = None
    if assignee == "me":
        if subject.user_id is None:
            raise BadRequest("`assignee=me` needs a signed-in person, not an API key.", code="user_required")
        assignee_id = subject.user_id
    elif assignee not in ("all", "unassigned"):
        try:
            assignee_id = uuid.UUID(assignee)
        except ValueError:
            raise ValidationFailed(
                "`assignee` is me, unassigned, all or a user id.", code="invalid_assignee_filter"
            ) from None
    stmt = repository.listing(
        scope.ids,
        assignee=assignee_id,
        unassigned=assignee == "unassigned",
        statuses=statuses,
        inbox_id=inbox_id,
        label=label.strip().lower() if label and label.strip() else None,
        contact_ids=repository.contacts_matching(scope.ids, q) if q and q.strip() else None,
    )
    rows, total = await paginate(session, stmt, paging)
    return page_of(await _items(session, subject, rows), total, paging)


async def _items(
    session: AsyncSession, subject: AuthSubject, convs: list[Conversation]
) -> list[schemas.ConversationItem]:
    ids = [c.id for c in convs]
    contacts = await repository.contacts_by_id(session, {c.contact_id for c in convs})
    names = await repository.user_names(session, {c.assignee_id for c in convs})
    last = await messages_repository.last_messages(session, ids)
    unread = await repository.unread_counts(session, subject.user_id, ids) if subject.user_id else None
    out = []
    for conv in convs:
        contact = contacts.get(conv.contact_id)
        message = last.get(conv.id)
        preview = None
        if message is not None:
            deleted = message.deleted_at is not None
            preview = schemas.MessagePreview(
                direction=message.direction,
                sender_type=message.sender_type,
                sender_name=message.sender_name,
                content_type=message.content_type,
                content="" if deleted else message.content[:PREVIEW_CHARS],
                created_at=message.created_at,
            )
        out.append(
            schemas.ConversationItem(
                id=conv.id,
                inbox_id=conv.inbox_id,
                contact_id=conv.contact_id,
                contact_name=(contact.name if contact else "") or "Visitor",
                contact_email=contact.email if contact else None,
                status=conv.status,
                mode=conv.mode,
                priority=conv.priority,
                labels=list(conv.labels or []),
                assignee_id=conv.assignee_id,
                assignee_name=names.get(conv.assignee_id) if conv.assignee_id else None,
                team_id=conv.team_id,
                subject=conv.subject,
                snoozed_until=conv.snoozed_until,
                escalation_reason=conv.escalation_reason,
                escalated_at=conv.escalated_at,
                first_response_at=conv.first_response_at,
                resolved_at=conv.resolved_at,
                last_activity_at=conv.last_activity_at,
                created_at=conv.created_at,
                last_message=preview,
                unread_count=unread.get(conv.id, 0) if unread is not None else None,
            )
        )
    return out


async def conversation_counts(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, *, inbox_id: uuid.UUID | None
) -> schemas.ConversationCounts:
    mine, unassigned, every = {}, {}, {}
    for status, n, m, u in await repository.status_counts(session, scope.ids, subject.user_id, inbox_id):
        if status in STATUSES:
            every[status], mine[status], unassigned[status] = n, m, u
    return schemas.ConversationCounts(
        mine=schemas.StatusCounts(**mine),
        unassigned=schemas.StatusCounts(**unassigned),
        all=schemas.StatusCounts(**every),
    )


async def conversation_detail(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, conversation_id: uuid.UUID
) -> schemas.ConversationDetail:
    from frontdesk.inboxes.repository import get_any

    conv = await get_conversation(session, scope, conversation_id)
    item = (await _items(session, subject, [conv]))[0]
    contact = (await repository.contacts_by_id(session, [conv.contact_id]))[conv.contact_id]
    inbox = await get_any(session, conv.inbox_id)
    assert inbox is not None
    rating = await repository.rating(session, conv.id)
    return schemas.ConversationDetail(
        **item.model_dump(),
        contact=schemas.ContactSummary(
            id=contact.id,
            name=contact.name,
            email=contact.email,
            phone=contact.phone,
            last_seen_at=contact.last_seen_at,
        ),
        inbox=schemas.InboxSummary(id=inbox.id, name=inbox.name, channel=inbox.channel),
        instructions=conv.instructions,
        contact_last_seen_at=conv.contact_last_seen_at,
        csat=schemas.CsatSummary(rating=rating.rating, comment=rating.comment, created_at=rating.created_at)
        if rating
        else None,
    )


async def timeline(
    session: AsyncSession,
    scope: OrgScope,
    conversation_id: uuid.UUID,
    *,
    after: str | None,
    limit: int,
    latest: bool = False,
) -> CursorPage[MessageSchema]:
    """Agents' view: oldest first, private notes included, strictly after ``after``."""
    conv = await get_conversation(session, scope, conversation_id)
    rows, cursor = await messages_repository.timeline(
        session, conv.id, after=after, limit=limit, include_private=True, latest=latest
    )
    return CursorPage[MessageSchema](items=[to_schema(m) for m in rows], next_cursor=cursor)


# ---------------------------------------------------------------- replies and notes


async def reply(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    conversation_id: uuid.UUID,
    data: AgentMessageCreate,
) -> tuple[Message, bool]:
    """A reply to the customer or a private note. Returns the message and whether it is new."""
    conv = await get_conversation(session, scope, conversation_id)
    if data.content_type == "choices" and not data.choices:
        raise ValidationFailed("A choices message needs at least one choice.", code="choices_required")
    if data.choices and data.content_type != "choices":
        raise ValidationFailed("Choices go with content_type `choices`.", code="unexpected_choices")
    if data.choices and data.private:
        raise ValidationFailed("A private note cannot offer choices.", code="unexpected_choices")
    if data.client_id:
        existing = await messages_repository.by_client_id(session, conv.id, data.client_id)
        if existing is not None:
            if existing.sender_type != "agent" or existing.sender_id != subject.user_id:
                raise Conflict("That client_id belongs to another message.", code="client_id_taken")
            return existing, False  # a retry: the first send already did everything
    if not data.private and conv.mode == "ai" and (subject.user_id is None or conv.assignee_id != subject.user_id):
        raise Conflict("The assistant is answering this conversation: take it over first.", code="take_over_first")
    if subject.user_id is not None:
        user = await users.get(session, subject.user_id)
        sender_name = (user.name or user.email) if user is not None else subject.label
    else:
        sender_name = subject.label.removeprefix("API key ")
    if not data.private:
        if conv.status == "resolved":
            await _set_status(session, conv, "open" if conv.assignee_id or subject.user_id else "pending")
        if conv.assignee_id is None and subject.user_id is not None:
            # Whoever answers an unassigned conversation owns it, so two agents do not both reply.
            await _assign(session, conv, subject.user_id, by="reply")
    message, created = await add_message(
        session,
        conv,
        direction="out",
        sender_type="agent",
        sender_id=subject.user_id,
        sender_name=sender_name,
        content=data.content,
        content_type=data.content_type,
        payload={"choices": [c.model_dump() for c in data.choices]} if data.choices else None,
        private=data.private,
        client_id=data.client_id,
    )
    if created and data.private:
        await notify_mentions(session, conv, message, subject.user_id)
    if subject.user_id is not None:
        await _mark_read(session, conv, subject.user_id)
    return message, created


async def _mark_read(session: AsyncSession, conv: Conversation, user_id: uuid.UUID) -> None:
    marker = await repository.read_marker(session, conv.id, user_id)
    now = _now(session)
    if marker is None:
        session.add(
            ConversationRead(
                organization_id=conv.organization_id, conversation_id=conv.id, user_id=user_id, last_read_at=now
            )
        )
    else:
        marker.last_read_at = now
    # The customer's widget shows "Seen" on their messages from this.
    publish_on_commit(
        session,
        conversation_topic(conv.id),
        {"type": "conversation.read", "conversation_id": str(conv.id), "read_at": now.isoformat()},
    )
