"""The channel plugin family: what every channel (web widget, API, WhatsApp) provides.

A channel instance is made per use from its inbox row (``Inbox.config`` holds its settings, secrets
encrypted), so nothing channel-specific outlives a request or a job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import Request

from frontdesk.inboxes.models import Inbox
from frontdesk.kit.runtime import Runtime

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from frontdesk.conversations.models import Conversation
    from frontdesk.messages.models import Message


class ChannelKind(StrEnum):
    WEB = "web"
    API = "api"
    WHATSAPP = "whatsapp"


@dataclass(frozen=True)
class Capabilities:
    content_types: frozenset[str]
    max_text: int
    max_choices: int
    edit_messages: bool
    delete_messages: bool
    typing: bool
    read_receipts: bool
    # Outbound messages reach the customer by our own real-time push (web, api) or by a remote API.
    push_delivery: bool


@dataclass
class InboundEvent:
    """One thing a channel told us: a message, a status update, a reaction."""

    kind: str
    external_contact_id: str
    content: str = ""
    content_type: str = "text"
    external_id: str | None = None
    contact_name: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class OutboundMessage:
    conversation_id: str
    contact_external_id: str
    content: str
    content_type: str = "text"
    payload: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    idempotency_key: str = ""


class Channel(Protocol):
    kind: ChannelKind
    capabilities: Capabilities

    async def verify_request(self, request: Request, body: bytes) -> bool: ...

    def parse_inbound(self, body: dict[str, Any]) -> list[InboundEvent]: ...

    async def send(self, message: OutboundMessage) -> str: ...

    async def prepare_outbound(
        self, session: AsyncSession, conversation: Conversation, message: Message
    ) -> str | None: ...


class PushChannel:
    """Web and API channels: the customer's client holds a socket and catches up over REST.

    Sending is publishing; the stored message row is the durable copy, so nothing is lost when a
    socket is down.
    """

    kind: ChannelKind
    capabilities = Capabilities(
        content_types=frozenset({"text", "image", "file", "choices", "card"}),
        max_text=4000,
        max_choices=10,
        edit_messages=True,
        delete_messages=True,
        typing=True,
        read_receipts=True,
        push_delivery=True,
    )

    def __init__(self, runtime: Runtime, inbox: Inbox) -> None:
        self.runtime = runtime
        self.inbox = inbox

    async def verify_request(self, request: Request, body: bytes) -> bool:
        return True

    def parse_inbound(self, body: dict[str, Any]) -> list[InboundEvent]:
        return [
            InboundEvent(
                kind="message",
                external_contact_id=str(body["external_id"]),
                content=str(body.get("content", "")),
                contact_name=str(body.get("name", "")),
            )
        ]

    async def send(self, message: OutboundMessage) -> str:
        return message.idempotency_key

    async def prepare_outbound(self, session: AsyncSession, conversation: Conversation, message: Message) -> str | None:
        """Checks before an outbound message is queued; push channels need none (None: fine to send)."""
        return None
