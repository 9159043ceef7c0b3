"""Flows' first look at a customer message (called by ``conversations.inbound.receive``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.messages.models import Message


async def consume(session: AsyncSession, inbox: Inbox, contact: Contact, conv: Conversation, message: Message) -> bool:
    """True when a flow took the message (an ``ask`` waiting for it, or a keyword trigger)."""
    return False
