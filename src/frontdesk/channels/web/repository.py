"""SQL the widget needs beyond what the conversation core offers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.models import AgentPresence
from frontdesk.contacts.models import ContactIdentity
from frontdesk.conversations.models import Conversation, ConversationRead
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.pagination import after_cursor, encode_cursor
from frontdesk.messages.models import Message
from frontdesk.orgs.models import Membership
from frontdesk.users.models import User


def _visitor_messages(inbox_id: uuid.UUID, contact_id: uuid.UUID) -> Select[Message]:
    conversations = select(Conversation.id).where(
        Conversation.inbox_id == inbox_id, Conversation.contact_id == contact_id
    )
    return select(Message).where(Message.conversation_id.in_(conversations), Message.private.is_(False))


async def visitor_timeline(
    session: AsyncSession, inbox_id: uuid.UUID, contact_id: uuid.UUID, *, after: str | None, limit: int
) -> tuple[list[Message], str | None]:
    """Public messages of all the visitor's conversations in the inbox, so one cursor spans them all.

    Without ``after``: the newest ``limit``, oldest first (what a reloaded widget shows).
    """
    stmt = _visitor_messages(inbox_id, contact_id)
    if after:
        return await after_cursor(session, stmt, Message.created_at, Message.id, after=after, limit=limit)
    rows = list(await session.scalars(stmt.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)))
    rows.reverse()
    return rows, (encode_cursor(rows[-1].created_at, rows[-1].id) if rows else None)


async def agent_read_at(session: AsyncSession, conversation_id: uuid.UUID) -> datetime | None:
    return await session.scalar(
        select(func.max(ConversationRead.last_read_at)).where(ConversationRead.conversation_id == conversation_id)
    )


async def agents_online(session: AsyncSession, organization_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(AgentPresence.id)
        .join(
            Membership,
            (Membership.user_id == AgentPresence.user_id) & (Membership.organization_id == organization_id),
        )
        .where(
            AgentPresence.organization_id == organization_id,
            AgentPresence.status == "online",
            Membership.role.in_(("owner", "admin", "agent")),
        )
        .limit(1)
    )
    return found is not None


async def demo_web_inbox(session: AsyncSession, owner_email: str) -> Inbox | None:
    """The first web inbox of the organizations the demo owner belongs to."""
    orgs = (
        select(Membership.organization_id)
        .join(User, User.id == Membership.user_id)
        .where(func.lower(User.email) == owner_email.lower())
    )
    return await session.scalar(
        select(Inbox)
        .where(Inbox.organization_id.in_(orgs), Inbox.channel == "web", Inbox.deleted_at.is_(None))
        .order_by(Inbox.created_at, Inbox.id)
        .limit(1)
    )


async def identity(session: AsyncSession, org_id: uuid.UUID, channel: str, external_id: str) -> ContactIdentity | None:
    return await session.scalar(
        select(ContactIdentity).where(
            ContactIdentity.organization_id == org_id,
            ContactIdentity.channel == channel,
            ContactIdentity.external_id == external_id,
        )
    )
