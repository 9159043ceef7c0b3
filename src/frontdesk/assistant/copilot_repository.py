"""All SQL of copilot drafts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant.copilot_models import CopilotDraft


async def get(session: AsyncSession, organization_id: uuid.UUID, draft_id: uuid.UUID) -> CopilotDraft | None:
    return await session.scalar(
        select(CopilotDraft).where(CopilotDraft.id == draft_id, CopilotDraft.organization_id == organization_id)
    )


async def for_message(
    session: AsyncSession, conversation_id: uuid.UUID, message_id: uuid.UUID | None
) -> CopilotDraft | None:
    query = select(CopilotDraft).where(CopilotDraft.conversation_id == conversation_id)
    query = query.where(
        CopilotDraft.message_id.is_(None) if message_id is None else CopilotDraft.message_id == message_id
    )
    return await session.scalar(query.with_for_update())


async def of_conversation(
    session: AsyncSession, organization_id: uuid.UUID, conversation_id: uuid.UUID, statuses: list[str]
) -> list[CopilotDraft]:
    query = select(CopilotDraft).where(
        CopilotDraft.organization_id == organization_id, CopilotDraft.conversation_id == conversation_id
    )
    if statuses:
        query = query.where(CopilotDraft.status.in_(statuses))
    rows = await session.scalars(query.order_by(CopilotDraft.created_at.desc(), CopilotDraft.id.desc()).limit(200))
    return list(rows)


async def supersede_pending(session: AsyncSession, conversation_id: uuid.UUID, *, keep: uuid.UUID | None) -> None:
    """A newer customer message makes older pending drafts stale."""
    stmt = update(CopilotDraft).where(CopilotDraft.conversation_id == conversation_id, CopilotDraft.status == "pending")
    if keep is not None:
        stmt = stmt.where(CopilotDraft.id != keep)
    await session.execute(stmt.values(status="superseded").execution_options(synchronize_session="fetch"))


def review_query(organization_id: uuid.UUID, statuses: list[str], edited: bool | None) -> Select[Any]:
    query = select(CopilotDraft).where(CopilotDraft.organization_id == organization_id)
    if statuses:
        query = query.where(CopilotDraft.status.in_(statuses))
    if edited is not None:
        query = query.where(CopilotDraft.edited.is_(edited))
    return query.order_by(CopilotDraft.created_at.desc(), CopilotDraft.id.desc())


async def stats(session: AsyncSession, organization_id: uuid.UUID) -> dict[tuple[str, bool], int]:
    rows = await session.execute(
        select(CopilotDraft.status, CopilotDraft.edited, func.count())
        .where(CopilotDraft.organization_id == organization_id)
        .group_by(CopilotDraft.status, CopilotDraft.edited)
    )
    return {(status, bool(edited)): int(n) for status, edited, n in rows}
