"""SQL about messages."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.pagination import after_cursor, encode_cursor
from frontdesk.messages.models import Message


async def get(session: AsyncSession, org_ids: Iterable[uuid.UUID], message_id: uuid.UUID) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.id == message_id, Message.organization_id.in_(list(org_ids)))
    )


async def by_client_id(session: AsyncSession, conversation_id: uuid.UUID, client_id: str) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.conversation_id == conversation_id, Message.client_id == client_id)
    )


async def timeline(
    session: AsyncSession,
    conversation_id: uuid.UUID,
    *,
    after: str | None,
    limit: int,
    include_private: bool,
    latest: bool = False,
) -> tuple[list[Message], str | None]:
    stmt = select(Message).where(Message.conversation_id == conversation_id)
    if not include_private:
        stmt = stmt.where(Message.private.is_(False))
    if latest and not after:
        # Opening a long conversation shows its end; the cursor of the newest row then follows it live.
        rows = list(await session.scalars(stmt.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)))
        rows.reverse()
        return rows, (encode_cursor(rows[-1].created_at, rows[-1].id) if rows else None)
    return await after_cursor(session, stmt, Message.created_at, Message.id, after=after, limit=limit)


async def last_messages(session: AsyncSession, conversation_ids: list[uuid.UUID]) -> dict[uuid.UUID, Message]:
    """The newest public message of each conversation, for list previews."""
    if not conversation_ids:
        return {}
    from sqlalchemy import func

    newest = (
        select(Message.conversation_id, func.max(Message.created_at).label("at"))
        .where(Message.conversation_id.in_(conversation_ids), Message.private.is_(False))
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = await session.scalars(
        select(Message).join(
            newest, (newest.c.conversation_id == Message.conversation_id) & (newest.c.at == Message.created_at)
        )
    )
    return {m.conversation_id: m for m in rows}


async def mark_read_by_contact(session: AsyncSession, conversation_id: uuid.UUID, up_to: datetime) -> int:
    result = await session.execute(
        update(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == "out",
            Message.read_at.is_(None),
            Message.created_at <= up_to,
            Message.private.is_(False),
        )
        .values(read_at=up_to, delivery_status="read")
    )
    return int(getattr(result, "rowcount", 0) or 0)
