"""Processing stored deliveries, and what agents do with a WhatsApp inbox.

A delivery's job turns each customer message into a Frontdesk message through
``conversations.inbound.receive`` (so flows and the assistant see it like any other), and each status
update into the message's delivery status. It is idempotent: messages are keyed by their WhatsApp id
(``client_id``), and statuses only ever move forward.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.base import InboundEvent
from frontdesk.channels.whatsapp import media, parse, repository
from frontdesk.channels.whatsapp.client import SendFailed, WhatsAppConfig
from frontdesk.contacts.models import Contact
from frontdesk.contacts.service import find_or_create
from frontdesk.conversations import inbound
from frontdesk.conversations import service as conversations
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.db import transaction
from frontdesk.messages.service import add_message, publish_update

if TYPE_CHECKING:
    from frontdesk.kit.runtime import Runtime

log = structlog.get_logger("frontdesk.whatsapp")

# Later statuses never go back to earlier ones (Meta may deliver "read" before "delivered").
STATUS_RANK = {"pending": 0, "sent": 1, "delivered": 2, "read": 3, "played": 4}
# Shown to the customer's inbox without waking the assistant: not something to answer.
QUIET_TYPES = frozenset({"reaction", "system", "unsupported"})


def _keyword(text: str, words: list[str]) -> bool:
    return text.strip().strip(".!").upper() in {w.strip().upper() for w in words if w.strip()}


async def process_delivery(runtime: Runtime, delivery_id: uuid.UUID) -> None:
    async with runtime.read_sessionmaker() as session:
        delivery = await repository.delivery(session, delivery_id)
        if delivery is None or delivery.status == "processed":
            return
        inbox = await session.get(Inbox, delivery.inbox_id)
        body = delivery.body
    if inbox is None:
        return
    config = WhatsAppConfig.of(runtime, inbox)
    try:
        data = parse.load(body.encode())
        events, ignored = parse.events_for(data, config.phone_number_id)
    except parse.MalformedPayload as exc:
        await _finish(runtime, delivery_id, "failed", str(exc))
        log.warning("whatsapp_delivery_malformed", delivery_id=str(delivery_id), error=str(exc))
        return
    if ignored:
        log.info("whatsapp_fields_ignored", delivery_id=str(delivery_id), fields=ignored)
    # Media first, outside any transaction: a download must not hold the database.
    for event in events:
        if event.kind == "message" and event.attachments:
            event.attachments = [await _fetch(runtime, config, inbox.organization_id, ref) for ref in event.attachments]
    async with transaction(runtime.sessionmaker) as session:
        inbox_row = await session.get(Inbox, inbox.id)
        assert inbox_row is not None
        for event in events:
            if event.kind == "status":
                await apply_status(session, inbox_row, event)
            else:
                await apply_message(session, inbox_row, config, event)
        row = await repository.delivery(session, delivery_id)
        if row is not None:
            row.status, row.processed_at = "processed", runtime.clock.now()


async def _fetch(runtime: Runtime, config: WhatsAppConfig, org_id: uuid.UUID, ref: dict[str, Any]) -> dict[str, Any]:
    try:
        return await media.download(runtime, config, org_id, ref)
    except SendFailed as exc:
        return {"name": str(ref.get("kind") or "file"), "content_type": ref.get("mime_type"), "error": exc.code}


async def _finish(runtime: Runtime, delivery_id: uuid.UUID, status: str, error: str | None) -> None:
    async with transaction(runtime.sessionmaker) as session:
        row = await repository.delivery(session, delivery_id)
        if row is not None:
            row.status, row.error, row.processed_at = status, error, runtime.clock.now()


async def apply_message(session: AsyncSession, inbox: Inbox, config: WhatsAppConfig, event: InboundEvent) -> None:
    from frontdesk.flows import events as flow_events

    contact, _ = await find_or_create(
        session,
        inbox.organization_id,
        channel="whatsapp",
        external_id=event.external_contact_id,
        name=event.contact_name,
        phone="+" + event.external_contact_id.lstrip("+") if event.external_contact_id.isdigit() else None,
    )
    if event.contact_name and not contact.name:
        contact.name = event.contact_name
    payload = dict(event.payload)
    await _resolve_quote(session, inbox, payload)
    client_id = f"wa:{event.external_id}"[:64]
    if event.content_type in QUIET_TYPES:
        conv, _ = await conversations.open_conversation(session, inbox, contact)
        await add_message(
            session,
            conv,
            direction="in",
            sender_type="contact",
            sender_id=contact.id,
            sender_name=contact.name or "Customer",
            content=event.content,
            content_type=event.content_type,
            payload=payload,
            client_id=client_id,
            external_id=event.external_id,
        )
        return
    # Consent changes before the message is handled, so a flow or the assistant answering "STOP"
    # already finds the contact opted out; undone if the message turns out to be a duplicate.
    before = contact.opted_out_at
    change = _consent_change(contact, config, event.content) if event.content_type == "text" else None
    if change == "opt_out":
        contact.opted_out_at = session.info["runtime"].clock.now()
    elif change == "opt_in":
        contact.opted_out_at = None
    conv, _, created = await inbound.receive(
        session,
        inbox,
        contact,
        content=event.content,
        content_type=event.content_type,
        payload=payload,
        attachments=event.attachments,
        client_id=client_id,
        external_id=event.external_id,
    )
    if not created:
        contact.opted_out_at = before
        return
    if change is not None:
        log.info(f"whatsapp_{change}", contact_id=str(contact.id))
        await flow_events.fire(session, inbox.organization_id, change, contact_id=contact.id, conversation_id=conv.id)


def _consent_change(contact: Contact, config: WhatsAppConfig, text: str) -> str | None:
    if contact.opted_out_at is None and _keyword(text, config.opt_out_keywords):
        return "opt_out"
    if contact.opted_out_at is not None and _keyword(text, config.opt_in_keywords):
        return "opt_in"
    return None


async def _resolve_quote(session: AsyncSession, inbox: Inbox, payload: dict[str, Any]) -> None:
    """A reply or reaction names a WhatsApp message id; show the quoted text when we know it."""
    for key, id_key in (("quote", "external_id"), ("reaction", "message_external_id")):
        ref = payload.get(key)
        if not isinstance(ref, dict) or not ref.get(id_key):
            continue
        quoted = await repository.message_by_external_id(session, inbox.organization_id, str(ref[id_key]))
        if quoted is not None:
            ref["message_id"] = str(quoted.id)
            ref["content"] = quoted.content[:300]


async def apply_status(session: AsyncSession, inbox: Inbox, event: InboundEvent) -> None:
    message = await repository.message_by_external_id(session, inbox.organization_id, str(event.external_id))
    status = str(event.payload.get("status") or "")
    if message is None:
        log.info("whatsapp_status_for_unknown_message", status=status)
        return
    if status == "failed":
        errors = event.payload.get("errors") or []
        detail = (
            "; ".join(
                f"({e.get('code')}) {e.get('title')}" + (f": {e['details']}" if e.get("details") else "")
                for e in errors
            )
            or "WhatsApp reported the message as failed."
        )
        if message.delivery_status == "failed" and message.delivery_error == detail:
            return
        message.delivery_status = "failed"
        message.delivery_error = detail[:4000]
        publish_update(session, message)
        conv = await session.get(Conversation, message.conversation_id)
        if conv is not None:
            await add_message(
                session,
                conv,
                direction="out",
                sender_type="system",
                content=f"WhatsApp could not deliver a message: {detail[:500]}",
                payload={"event": "delivery_failed", "message_id": str(message.id)},
                private=True,
            )
        return
    if status not in STATUS_RANK:
        return
    if message.delivery_status == "failed" or STATUS_RANK.get(message.delivery_status, 0) >= STATUS_RANK[status]:
        return
    message.delivery_status = status
    if status in ("read", "played") and message.read_at is None:
        message.read_at = session.info["runtime"].clock.now()
    publish_update(session, message)
