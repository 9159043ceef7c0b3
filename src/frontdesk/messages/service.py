"""Messages: the one function that stores a message, and what follows from it.

Every message, whoever sends it, goes through :func:`add_message`, so deduplication, the
conversation's clocks, the events and the webhooks cannot differ between senders.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.conversations.models import Conversation
from frontdesk.kit.errors import Forbidden, NotFound
from frontdesk.kit.events import org_topic, publish_on_commit
from frontdesk.kit.pagination import encode_cursor
from frontdesk.messages import repository, schemas
from frontdesk.messages.models import Message


def conversation_topic(conversation_id: uuid.UUID) -> str:
    """Public events of one conversation: what the customer's widget or API client may see."""
    return f"conv:{conversation_id}"


def inbox_topic(inbox_id: uuid.UUID) -> str:
    """Public events of every conversation of an inbox: what an API-channel integrator's socket sees."""
    return f"inbox:{inbox_id}"


def to_schema(message: Message, *, for_agent: bool = True) -> schemas.Message:
    deleted = message.deleted_at is not None
    return schemas.Message(
        id=message.id,
        conversation_id=message.conversation_id,
        direction=message.direction,
        sender_type=message.sender_type,
        sender_id=message.sender_id if for_agent else None,
        sender_name=message.sender_name,
        content_type=message.content_type,
        content="" if deleted else message.content,
        payload={} if deleted else (message.payload or {}),
        attachments=[] if deleted else (message.attachments or []),
        private=message.private,
        delivery_status=message.delivery_status,
        delivery_error=message.delivery_error,
        created_at=message.created_at,
        edited_at=message.edited_at,
        deleted=deleted,
        read_at=message.read_at,
        ai=(message.ai or {}) if for_agent else {},
        cursor=encode_cursor(message.created_at, message.id),
    )


def _now(session: AsyncSession) -> datetime:
    return session.info["runtime"].clock.now()


async def add_message(
    session: AsyncSession,
    conversation: Conversation,
    *,
    direction: str,
    sender_type: str,
    content: str,
    sender_id: uuid.UUID | None = None,
    sender_name: str = "",
    content_type: str = "text",
    payload: dict[str, Any] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    private: bool = False,
    client_id: str | None = None,
    delivery_status: str = "sent",
    ai: dict[str, Any] | None = None,
    external_id: str | None = None,
) -> tuple[Message, bool]:
    """Store a message once; returns it and whether it is new (a retried ``client_id`` is not)."""
    if client_id:
        existing = await repository.by_client_id(session, conversation.id, client_id)
        if existing is not None:
            return existing, False
    now = _now(session)
    message = Message(
        organization_id=conversation.organization_id,
        conversation_id=conversation.id,
        direction=direction,
        sender_type=sender_type,
        sender_id=sender_id,
        sender_name=sender_name,
        content_type=content_type,
        content=content,
        payload=payload or {},
        attachments=attachments or [],
        private=private,
        client_id=client_id,
        delivery_status=delivery_status,
        ai=ai or {},
        external_id=external_id,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(message)
    except IntegrityError:
        if client_id:
            existing = await repository.by_client_id(session, conversation.id, client_id)
            if existing is not None:
                return existing, False
        raise
    if direction == "out" and not private:
        # Channels that deliver through a remote API (WhatsApp) queue the message in the outbox.
        from frontdesk.channels.outbox import on_outbound

        await on_outbound(session, conversation, message)
    conversation.last_activity_at = now
    if direction == "out" and sender_type == "agent" and not private and conversation.first_response_at is None:
        conversation.first_response_at = now
    out = to_schema(message)
    event = {"type": "message.created", "conversation_id": str(conversation.id), "message": out.model_dump(mode="json")}
    publish_on_commit(session, org_topic(conversation.organization_id), event)
    if not private:
        public = {
            "type": "message.created",
            "conversation_id": str(conversation.id),
            "message": to_schema(message, for_agent=False).model_dump(mode="json"),
        }
        publish_on_commit(session, conversation_topic(conversation.id), public)
        publish_on_commit(session, inbox_topic(conversation.inbox_id), public)
        from frontdesk.webhooks.service import emit

        emit(
            session,
            conversation.organization_id,
            "message.created",
            {"conversation_id": str(conversation.id), "message": public["message"]},
        )
    return message, True


async def get_message(session: AsyncSession, scope: OrgScope, message_id: uuid.UUID) -> Message:
    message = await repository.get(session, scope.ids, message_id)
    if message is None:
        raise NotFound("No such message.")
    return message


async def _own(session: AsyncSession, scope: OrgScope, subject: AuthSubject, message_id: uuid.UUID) -> Message:
    message = await get_message(session, scope, message_id)
    if message.sender_type != "agent" or message.sender_id != subject.user_id:
        raise Forbidden("You can only change your own messages and notes.", code="not_your_message")
    if message.deleted_at is not None:
        raise NotFound("This message was deleted.", code="message_deleted")
    return message


async def edit_message(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, message_id: uuid.UUID, content: str
) -> Message:
    message = await _own(session, scope, subject, message_id)
    before = message.content
    message.content = content
    message.edited_at = _now(session)
    record(
        session,
        "message.edited",
        organization_id=message.organization_id,
        subject=subject,
        target_type="message",
        target_id=message.id,
        details={"before": before[:500]},
    )
    _publish_update(session, message)
    return message


async def delete_message(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, message_id: uuid.UUID
) -> Message:
    message = await _own(session, scope, subject, message_id)
    message.deleted_at = _now(session)
    record(
        session,
        "message.deleted",
        organization_id=message.organization_id,
        subject=subject,
        target_type="message",
        target_id=message.id,
        details={"content": message.content[:500]},
    )
    _publish_update(session, message)
    return message


def publish_update(session: AsyncSession, message: Message) -> None:
    """Tell agents (and the customer's client, for public messages) that a message changed."""
    _publish_update(session, message)


def _publish_update(session: AsyncSession, message: Message) -> None:
    event = {
        "type": "message.updated",
        "conversation_id": str(message.conversation_id),
        "message": to_schema(message).model_dump(mode="json"),
    }
    publish_on_commit(session, org_topic(message.organization_id), event)
    if not message.private:
        publish_on_commit(
            session,
            conversation_topic(message.conversation_id),
            {**event, "message": to_schema(message, for_agent=False).model_dump(mode="json")},
        )
