"""The durable outbox for channels that deliver through a remote API (WhatsApp today).

Why a table of our own next to ``jobs``: the jobs table carries the wake-ups (``outbox.deliver``, one
per message, deduplicated by message id), but a job row is purged a week after it finishes and knows
nothing about order. An :class:`OutboxItem` is written in the same transaction as its message and
keeps what the delivery needs: the idempotency key, the attempts, the next attempt time, the lease of
the worker sending it and the final state.

Order: only the oldest unfinished item of a conversation is ever sent. A worker leases it with one
conditional UPDATE, sends it outside any transaction, records the outcome, and carries on with the
next one; any other job of that conversation that finds the head leased or waiting for its backoff
re-books itself for later. Transient failures (timeouts, 429, 5xx, Meta's throttling codes) back off
exponentially; permanent ones mark the message failed and the next message goes out.

Never twice: the item is marked sent in the transaction right after the API answered. The one gap
(a crash between the answer and that commit) re-sends with the same idempotency key, which WhatsApp
receives as ``biz_opaque_callback_data``; see docs/outbox.md.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.base import OutboundMessage
from frontdesk.channels.outbox_models import FAILED, PENDING, SENT, OutboxItem
from frontdesk.contacts.models import ContactIdentity
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, enqueue, job_handler
from frontdesk.messages.models import Message

if TYPE_CHECKING:
    from frontdesk.kit.runtime import Runtime

log = structlog.get_logger("frontdesk.outbox")

JOB = "outbox.deliver"
# How soon a job that found its conversation busy looks again.
BUSY_POLL = timedelta(seconds=0.5)


def idempotency_key(message_id: uuid.UUID) -> str:
    return f"frontdesk-msg-{message_id}"


def backoff(runtime: Runtime, attempts: int) -> timedelta:
    s = runtime.settings
    return timedelta(
        seconds=min(s.outbox_backoff_base_seconds * 2 ** max(attempts - 1, 0), s.outbox_max_backoff_seconds)
    )


async def on_outbound(session: AsyncSession, conversation: Conversation, message: Message) -> None:
    """Called for every new public outbound message: queue it if its channel delivers remotely.

    Raises the channel's 4xx (an agent's message WhatsApp would refuse), which rolls the whole
    request back, so nothing half-written remains.
    """
    from frontdesk.channels.registry import channel_for
    from frontdesk.inboxes.repository import get_any

    runtime: Runtime = session.info["runtime"]
    inbox = await get_any(session, conversation.inbox_id)
    if inbox is None:
        return
    try:
        channel = channel_for(runtime, inbox)
    except Exception:
        return
    if channel.capabilities.push_delivery:
        return
    refusal = await channel.prepare_outbound(session, conversation, message)
    if refusal is not None:
        message.delivery_status = "failed"
        message.delivery_error = refusal
        return
    now = runtime.clock.now()
    message.delivery_status = "pending"
    session.add(
        OutboxItem(
            organization_id=conversation.organization_id,
            conversation_id=conversation.id,
            message_id=message.id,
            inbox_id=inbox.id,
            channel=inbox.channel,
            status=PENDING,
            idempotency_key=idempotency_key(message.id),
            attempts=0,
            next_attempt_at=now,
            created_at=message.created_at or now,
        )
    )
    enqueue(
        session,
        JOB,
        {"message_id": str(message.id)},
        organization_id=conversation.organization_id,
        dedupe_key=f"outbox:{message.id}",
        max_attempts=runtime.settings.job_max_attempts,
    )


def _rebook(session: AsyncSession, item: OutboxItem, due: datetime) -> None:
    # No dedupe key: several wake-ups of one message are harmless (each re-checks the state).
    enqueue(session, JOB, {"message_id": str(item.message_id)}, due_at=due, organization_id=item.organization_id)


async def _head(session: AsyncSession, conversation_id: uuid.UUID) -> OutboxItem | None:
    return await session.scalar(
        select(OutboxItem)
        .where(OutboxItem.conversation_id == conversation_id, OutboxItem.status == PENDING)
        .order_by(OutboxItem.created_at, OutboxItem.id)
        .limit(1)
    )


async def deliver(runtime: Runtime, message_id: uuid.UUID) -> str:
    """Deliver the conversation's queue up to and including this message; returns its state."""
    for _ in range(1000):
        token = uuid.uuid4()
        async with transaction(runtime.sessionmaker) as session:
            mine = await session.scalar(select(OutboxItem).where(OutboxItem.message_id == message_id))
            if mine is None or mine.status != PENDING:
                return mine.status if mine else "missing"
            head = await _head(session, mine.conversation_id)
            assert head is not None
            now = runtime.clock.now()
            if head.lease_until is not None and head.lease_until > now:
                _rebook(session, mine, now + BUSY_POLL)
                return "busy"
            if head.next_attempt_at > now:
                _rebook(session, mine, head.next_attempt_at)
                return "waiting"
            claimed = await session.execute(
                update(OutboxItem)
                .where(
                    OutboxItem.id == head.id,
                    OutboxItem.status == PENDING,
                    or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until <= now),
                )
                .values(
                    lease_until=now + timedelta(seconds=runtime.settings.job_lease_seconds),
                    lease_token=token,
                    attempts=OutboxItem.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if not getattr(claimed, "rowcount", 0):
                _rebook(session, mine, now + BUSY_POLL)
                return "busy"
            outbound, inbox = await _outbound(session, head)
            attempts = head.attempts + 1
            head_id = head.id
        outcome = await _send(runtime, inbox, outbound)
        await _record(runtime, head_id, token, attempts, outcome)
    return "pending"


async def _outbound(session: AsyncSession, item: OutboxItem) -> tuple[OutboundMessage | None, Inbox | None]:
    message = await session.get(Message, item.message_id)
    conv = await session.get(Conversation, item.conversation_id)
    inbox = await session.get(Inbox, item.inbox_id)
    if message is None or conv is None or inbox is None:
        return None, None
    external = await session.scalar(
        select(ContactIdentity.external_id).where(
            ContactIdentity.contact_id == conv.contact_id, ContactIdentity.channel == item.channel
        )
    )
    if external is None or message.deleted_at is not None:
        return None, inbox
    return (
        OutboundMessage(
            conversation_id=str(conv.id),
            contact_external_id=external,
            content=message.content,
            content_type=message.content_type,
            payload=dict(message.payload or {}),
            attachments=list(message.attachments or []),
            idempotency_key=item.idempotency_key,
        ),
        inbox,
    )


async def _send(runtime: Runtime, inbox: Inbox | None, outbound: OutboundMessage | None) -> tuple[str, str, str]:
    """(state, external id or error text, error code)."""
    from frontdesk.channels.registry import channel_for
    from frontdesk.channels.whatsapp.client import SendFailed, classify

    if inbox is None or outbound is None:
        return FAILED, "The message, its conversation or the customer's address no longer exists.", "gone"
    try:
        external_id = await channel_for(runtime, inbox).send(outbound)
    except SendFailed as exc:
        return ("retry" if exc.retryable else FAILED), exc.message, exc.code
    except Exception as exc:
        failed = classify(exc)
        log.warning("outbox_send_error", error=repr(exc))
        return ("retry" if failed.retryable else FAILED), failed.message, failed.code
    return SENT, external_id, ""


async def _record(
    runtime: Runtime, item_id: uuid.UUID, token: uuid.UUID, attempts: int, outcome: tuple[str, str, str]
) -> None:
    from frontdesk.messages.service import add_message, publish_update

    state, detail, code = outcome
    now = runtime.clock.now()
    if state == "retry" and attempts >= runtime.settings.outbox_max_attempts:
        state, detail = FAILED, f"Gave up after {attempts} attempts: {detail}"
    async with transaction(runtime.sessionmaker) as session:
        item = await session.scalar(
            select(OutboxItem).where(OutboxItem.id == item_id, OutboxItem.lease_token == token).with_for_update()
        )
        if item is None:
            log.warning("outbox_lease_lost", item_id=str(item_id))
            return
        item.lease_until = None
        item.lease_token = None
        message = await session.get(Message, item.message_id)
        if state == SENT:
            item.status, item.external_id, item.sent_at, item.last_error = SENT, detail, now, None
            if message is not None:
                message.external_id = detail
                if message.delivery_status in ("pending", "failed"):
                    message.delivery_status = "sent"
                message.delivery_error = None
                publish_update(session, message)
            return
        item.last_error, item.error_code = detail[:4000], code
        if state == "retry":
            item.next_attempt_at = now + backoff(runtime, attempts)
            _rebook(session, item, item.next_attempt_at)
            log.info("outbox_retry", item_id=str(item.id), attempts=attempts, error=detail[:300])
            return
        item.status = FAILED
        log.warning("outbox_failed", item_id=str(item.id), code=code, error=detail[:300])
        if message is not None:
            message.delivery_status = "failed"
            message.delivery_error = detail[:4000]
            publish_update(session, message)
            conv = await session.get(Conversation, item.conversation_id)
            if conv is not None:
                # Private, so it is never itself queued for the customer.
                await add_message(
                    session,
                    conv,
                    direction="out",
                    sender_type="system",
                    content=f"A message could not be delivered: {detail[:500]}",
                    payload={"event": "delivery_failed", "message_id": str(message.id), "code": code},
                    private=True,
                )


@job_handler(JOB)
async def deliver_job(ctx: JobContext) -> None:
    await deliver(ctx.runtime, uuid.UUID(str(ctx.payload["message_id"])))
