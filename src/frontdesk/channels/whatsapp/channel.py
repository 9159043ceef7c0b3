"""The WhatsApp channel adapter: what the outbox and the webhook route need from WhatsApp."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.base import Capabilities, ChannelKind, InboundEvent, OutboundMessage
from frontdesk.channels.whatsapp import client, parse, signature
from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.errors import Conflict
from frontdesk.messages.models import Message

if TYPE_CHECKING:
    from frontdesk.kit.runtime import Runtime

WINDOW = timedelta(hours=24)


async def window_closes_at(session: AsyncSession, conversation_id: Any) -> datetime | None:
    """When the customer-service window of a conversation closes: 24 hours after the customer last wrote."""
    last = await session.scalar(
        select(func.max(Message.created_at)).where(
            Message.conversation_id == conversation_id, Message.direction == "in"
        )
    )
    if last is None:
        return None
    from frontdesk.kit.clock import as_utc

    return as_utc(last) + WINDOW


class WhatsAppChannel:
    kind = ChannelKind.WHATSAPP
    capabilities = Capabilities(
        content_types=frozenset({"text", "image", "file", "choices", "template"}),
        max_text=client.MAX_TEXT,
        max_choices=client.MAX_ROWS,
        edit_messages=False,
        delete_messages=False,
        typing=True,
        read_receipts=True,
        push_delivery=False,
    )

    def __init__(self, runtime: Runtime, inbox: Inbox) -> None:
        self.runtime = runtime
        self.inbox = inbox
        self.config = client.WhatsAppConfig.of(runtime, inbox)

    async def verify_request(self, request: Request, body: bytes) -> bool:
        return bool(self.config.app_secret) and signature.valid(
            self.config.app_secret, body, request.headers.get(signature.HEADER)
        )

    def parse_inbound(self, body: dict[str, Any]) -> list[InboundEvent]:
        return parse.events_for(body, self.config.phone_number_id)[0]

    async def prepare_outbound(self, session: AsyncSession, conversation: Conversation, message: Message) -> str | None:
        """Check a new outbound message before it is queued.

        An agent's message that WhatsApp would refuse raises a 4xx at once; a message from the
        assistant, a flow or the system is stored but marked failed (returned reason), because the
        customer's own inbound processing must not fail over it.
        """
        by_person = message.sender_type == "agent"
        client.check_limits(message.content_type, message.content, message.payload or {})
        contact = await session.get(Contact, conversation.contact_id)
        if contact is not None and contact.opted_out_at is not None:
            reason = "The customer opted out of WhatsApp messages (they wrote STOP); they must opt in again first."
            if by_person:
                raise Conflict(reason, code="contact_opted_out")
            return reason
        if message.content_type != "template":
            closes = await window_closes_at(session, conversation.id)
            now = self.runtime.clock.now()
            if closes is None or closes <= now:
                reason = (
                    "More than 24 hours have passed since the customer last wrote: WhatsApp allows only an "
                    "approved template now."
                )
                if by_person:
                    raise Conflict(reason, code="whatsapp_window_closed", details={"closed_at": str(closes or "")})
                return reason
        return None

    async def send(self, message: OutboundMessage) -> str:
        typ, body = self._wire(message)
        try:
            async with client.graph(self.runtime, self.config) as wa:
                result = await wa.api.send_message(
                    sender=self.config.phone_number_id,
                    to=message.contact_external_id,
                    recipient=None,
                    recipient_type="individual",
                    typ=typ,
                    msg=body,
                    reply_to_message_id=message.payload.get("reply_to_external_id") or None,
                    biz_opaque_callback_data=message.idempotency_key or None,
                )
        except Exception as exc:
            raise client.classify(exc) from exc
        try:
            return str(result["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise client.SendFailed(
                f"The Graph API answered without a message id: {str(result)[:200]}", code="bad_answer", retryable=True
            ) from None

    def _wire(self, message: OutboundMessage) -> tuple[str, dict[str, Any]]:
        if message.content_type == "template":
            return "template", client.template(message.payload)
        if message.content_type == "choices" and message.payload.get("choices"):
            return "interactive", client.interactive(message.content, list(message.payload["choices"]))
        if message.attachments:
            org = self.inbox.organization_id
            kind, body = client.media(self.runtime, org, message.attachments[0])
            if message.content and kind != "audio":
                body["caption"] = message.content[:1024]
            return kind, body
        if not message.content.strip():
            raise client.SendFailed("There is nothing to send.", code="empty_message", retryable=False)
        return "text", {"body": message.content[: client.MAX_TEXT], "preview_url": False}
