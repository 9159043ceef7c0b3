"""Flows' first look at a customer message (called by ``conversations.inbound.receive``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.messages.models import Message


async def consume(session: AsyncSession, inbox: Inbox, contact: Contact, conv: Conversation, message: Message) -> bool:
    """True when a flow took the message (an ``ask`` waiting for it, or a keyword trigger)."""
    from frontdesk.flows import repository, starter
    from frontdesk.flows.triggers.service import fire_into, keyword_index, record_firing

    if conv.status == "open" or (conv.status == "pending" and conv.escalated_at is not None):
        # A person has the conversation, or it was handed to people: a bot must not talk over them.
        # (A human-first inbox's new conversations are pending but not escalated: flows may run there.)
        return False
    text = message.content or ""
    if message.content_type == "choices" or (message.payload or {}).get("choice_id"):
        text = str((message.payload or {}).get("choice_id") or text)
    waiting = await repository.waiting_for_input(session, contact.organization_id, contact.id, conv.id)
    if waiting is not None:
        if waiting.conversation_id is None:
            waiting.conversation_id = conv.id
        await starter.give_input(session, waiting, text)
        return True
    index = await keyword_index(session, contact.organization_id)
    if index.size == 0:
        return False
    entry = index.best(text, str(inbox.id))
    if entry is None:
        return False
    trig = await repository.trigger(session, [contact.organization_id], entry.trigger_id)
    if trig is None:
        return False
    from frontdesk.flows.models import Flow

    flow = await session.get(Flow, entry.flow_id)
    if flow is None or flow.published_version_id is None:
        if trig is not None:
            await record_firing(
                session, trig, contact_id=contact.id, execution=None, outcome="skipped", detail="flow not published"
            )
        return False
    ex = await fire_into(
        session,
        trig,
        flow,
        contact_id=contact.id,
        conversation_id=conv.id,
        data={"text": text[:1000]},
        message_text=text,
    )
    return ex is not None
