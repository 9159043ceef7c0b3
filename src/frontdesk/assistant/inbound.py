"""The assistant's turn after a customer message (called by ``conversations.inbound.receive``).

Nothing slow happens here: the reply is a durable ``assistant.reply`` job written in the same
transaction as the customer's message, so it runs after commit and survives a restart.
"""

from __future__ import annotations

import importlib

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import repository
from frontdesk.assistant.routing import serves
from frontdesk.conversations import service as conversations
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.jobs import enqueue
from frontdesk.messages.models import Message


async def handle(session: AsyncSession, inbox: Inbox, conv: Conversation, message: Message) -> None:
    if conv.mode == "copilot":
        await draft_hook(session, inbox, conv, message)
        return
    if not (conv.mode == "ai" and conv.status == "bot"):
        return
    assistants = await repository.enabled_for_org(session, conv.organization_id)
    if not inbox.assistant_enabled or not any(serves(a, str(inbox.id)) for a in assistants):
        # No assistant answers this inbox: every conversation the bot holds is for people.
        await conversations.escalate(session, conv, reason="assistant_unavailable", by="system")
        return
    enqueue(
        session,
        "assistant.reply",
        {"message_id": str(message.id)},
        organization_id=conv.organization_id,
        dedupe_key=f"assistant.reply:{message.id}",
    )


async def draft_hook(session: AsyncSession, inbox: Inbox, conv: Conversation, message: Message) -> None:
    """Copilot mode: the AI drafts for an agent instead of answering (``assistant/copilot.py``)."""
    try:
        copilot = importlib.import_module("frontdesk.assistant.copilot")
    except ImportError:
        return
    hook = getattr(copilot, "on_inbound", None)
    if hook is not None:
        await hook(session, inbox, conv, message)
        return
    if hasattr(copilot, "draft_for"):
        # Drafting runs a model: queued, like replies, so the customer's message is stored at once.
        enqueue(
            session,
            "assistant.draft",
            {"conversation_id": str(conv.id), "message_id": str(message.id)},
            organization_id=conv.organization_id,
            dedupe_key=f"assistant.draft:{message.id}",
        )
