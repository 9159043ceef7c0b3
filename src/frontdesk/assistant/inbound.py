"""The assistant's turn after a customer message (called by ``conversations.inbound.receive``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations import service as conversations
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.messages.models import Message


async def handle(session: AsyncSession, inbox: Inbox, conv: Conversation, message: Message) -> None:
    """Until an assistant answers this inbox, every conversation the bot holds is for people."""
    if conv.mode == "ai" and conv.status == "bot":
        await conversations.escalate(session, conv, reason="assistant_unavailable", by="system")
