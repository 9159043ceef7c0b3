"""What happens when a customer writes, whatever the channel.

The channel adapter has already found the inbox and the contact; this stores the message once, wakes
a snoozed conversation, and decides who answers: people, when the conversation is theirs or the
customer asks for one; otherwise the assistant, when the inbox has one and it is available.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import inbound as assistant_inbound
from frontdesk.contacts.models import Contact
from frontdesk.conversations import service as conversations
from frontdesk.conversations.models import Conversation
from frontdesk.flows import events as flows_events
from frontdesk.flows import inbound as flows_inbound
from frontdesk.inboxes.models import Inbox
from frontdesk.messages.models import Message
from frontdesk.messages.service import add_message

# Said by customers who want a person. Deliberately narrow: a false handoff costs an agent's time,
# a missed one costs only a second message.
_HUMAN = re.compile(
    r"\b(talk|speak|chat|connect)\b.{0,20}\b(human|person|agent|someone|somebody|representative|people|staff)\b"
    r"|\b(real|live|actual)\s+(person|human|agent)\b|\bhuman\s+(please|agent)\b|^\s*(agent|human|operator)\s*[.!?]*\s*$",
    re.IGNORECASE,
)


def asks_for_person(text: str) -> bool:
    return bool(_HUMAN.search(text or ""))


async def receive(
    session: AsyncSession,
    inbox: Inbox,
    contact: Contact,
    *,
    content: str,
    content_type: str = "text",
    payload: dict[str, Any] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    client_id: str | None = None,
    external_id: str | None = None,
) -> tuple[Conversation, Message, bool]:
    """Store an inbound message; returns the conversation, the message and whether it was new."""
    conv, _ = await conversations.open_conversation(session, inbox, contact)
    message, created = await add_message(
        session,
        conv,
        direction="in",
        sender_type="contact",
        sender_id=contact.id,
        sender_name=contact.name or "Visitor",
        content=content,
        content_type=content_type,
        payload=payload,
        attachments=attachments,
        client_id=client_id,
        external_id=external_id,
    )
    if not created:
        return conv, message, False
    contact.last_seen_at = message.created_at
    await conversations.reopen_on_inbound(session, conv)
    # Contact details in the message become the contact's lead, linked to it (docs/leads.md).
    from frontdesk.leads.hooks import message_received as capture_from_message

    await capture_from_message(session, conv, message)
    await flows_events.fire(
        session,
        contact.organization_id,
        "message_received",
        contact_id=contact.id,
        conversation_id=conv.id,
        data={"text": content[:1000], "inbox_id": str(inbox.id), "channel": inbox.channel},
    )
    # A flow waiting for this contact's answer, or one a keyword starts, takes the message first.
    if await flows_inbound.consume(session, inbox, contact, conv, message):
        return conv, message, True
    if conv.mode == "ai" and conv.status == "bot" and asks_for_person(content):
        await conversations.escalate(session, conv, reason="customer_asked_for_person", by="customer")
    else:
        await assistant_inbound.handle(session, inbox, conv, message)
    return conv, message, True
