"""Conversations: opening them, the inbox's actions on them, and handing over to people.

Status says where a conversation stands (``bot`` while the assistant has it, ``pending`` while it
waits for a person, ``open`` while a person has it, ``snoozed``, ``resolved``); mode says who writes
the replies (``ai``, ``human``, or ``copilot`` where the AI drafts and a person sends).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents import repository as agents
from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.contacts.models import Contact
from frontdesk.conversations import repository
from frontdesk.conversations.models import Conversation, ConversationRead
from frontdesk.inboxes import hours
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit, user_topic
from frontdesk.messages.service import add_message, conversation_topic
from frontdesk.orgs import repository as orgs

STATUSES = ("bot", "pending", "open", "snoozed", "resolved")
MODES = ("ai", "human", "copilot")
PRIORITIES = ("none", "low", "medium", "high", "urgent")


def _now(session: AsyncSession) -> datetime:
    return session.info["runtime"].clock.now()  # type: ignore[no-any-return]


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


async def auto_assign(session: AsyncSession, conv: Conversation, inbox: Inbox) -> uuid.UUID | None:
    """Round-robin among online, available agents of the inbox's team, under their open limit."""
    candidates = await agents.assignable_agents(session, conv.organization_id, inbox.team_id, inbox.max_open_per_agent)
    if not candidates:
        return None
    chosen = candidates[0]
    chosen.last_assigned_at = _now(session)
    await _assign(session, conv, chosen.user_id, by="auto")
    return chosen.user_id


async def _assign(session: AsyncSession, conv: Conversation, user_id: uuid.UUID | None, *, by: str) -> None:
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
    return conv


async def take_over(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, conversation_id: uuid.UUID
) -> Conversation:
    conv = await get_conversation(session, scope, conversation_id)
    assert subject.user_id is not None
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
        content=f"{subject.label.split('@')[0]} joined the conversation.",
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


async def hand_back(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, conversation_id: uuid.UUID
) -> Conversation:
    conv = await get_conversation(session, scope, conversation_id)
    conv.mode = "ai"
    conv.assignee_id = None
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
    labels: list[str] | None = None,
    priority: str | None = None,
    mode: str | None = None,
    instructions: str | None = None,
) -> Conversation:
    conv = await get_conversation(session, scope, conversation_id)
    now = _now(session)
    if assignee_id is not None:
        if await orgs.membership_of_user(session, conv.organization_id, assignee_id) is None:
            raise ValidationFailed("That person is not a member of this organization.", code="invalid_assignee")
        await _assign(session, conv, assignee_id, by="agent")
        record(
            session,
            "conversation.assigned",
            organization_id=conv.organization_id,
            subject=subject,
            target_type="conversation",
            target_id=conv.id,
            details={"assignee_id": str(assignee_id)},
        )
    elif unassign:
        await _assign(session, conv, None, by="agent")
    if team_id is not None:
        from frontdesk.inboxes.repository import team

        if await team(session, scope.ids, team_id) is None:
            raise ValidationFailed("No such team.", code="invalid_team")
        conv.team_id = team_id
        publish_changed(session, conv, "team")
    if labels is not None:
        conv.labels = sorted({label.strip().lower() for label in labels if label.strip()})
        publish_changed(session, conv, "labels")
    if priority is not None:
        conv.priority = priority
        publish_changed(session, conv, "priority")
    if mode is not None and mode != conv.mode:
        conv.mode = mode
        publish_changed(session, conv, "mode")
    if instructions is not None:
        conv.instructions = instructions
    if status is not None:
        if status == "snoozed":
            if snoozed_until is None or snoozed_until <= now:
                raise ValidationFailed("Snoozing needs a time in the future.", code="invalid_snooze")
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
        await _set_status(session, conv, status, until=snoozed_until)
        record(
            session,
            f"conversation.{status}",
            organization_id=conv.organization_id,
            subject=subject,
            target_type="conversation",
            target_id=conv.id,
        )
    conv.last_activity_at = conv.last_activity_at or now
    return conv


async def wake(session: AsyncSession, conversation_id: uuid.UUID) -> None:
    """A snooze ran out: back to whoever had it."""
    conv = await session.get(Conversation, conversation_id)
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
    marker = await repository.read_marker(session, conv.id, subject.user_id)
    now = _now(session)
    if marker is None:
        session.add(
            ConversationRead(
                organization_id=conv.organization_id, conversation_id=conv.id, user_id=subject.user_id, last_read_at=now
            )
        )
    else:
        marker.last_read_at = now
