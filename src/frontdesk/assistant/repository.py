"""SQL about assistants, instruction versions and per-conversation assistant state."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant.models import Assistant, ConversationState, InstructionVersion


async def list_assistants(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[Assistant]:
    return list(
        await session.scalars(
            select(Assistant).where(Assistant.organization_id.in_(list(org_ids))).order_by(Assistant.name, Assistant.id)
        )
    )


async def get(session: AsyncSession, org_ids: Iterable[uuid.UUID], assistant_id: uuid.UUID) -> Assistant | None:
    return await session.scalar(
        select(Assistant).where(Assistant.id == assistant_id, Assistant.organization_id.in_(list(org_ids)))
    )


async def by_name(session: AsyncSession, organization_id: uuid.UUID, name: str) -> Assistant | None:
    return await session.scalar(
        select(Assistant).where(
            Assistant.organization_id == organization_id, func.lower(Assistant.name) == name.lower()
        )
    )


async def enabled_for_org(session: AsyncSession, organization_id: uuid.UUID) -> list[Assistant]:
    return list(
        await session.scalars(
            select(Assistant)
            .where(Assistant.organization_id == organization_id, Assistant.enabled.is_(True))
            .order_by(Assistant.created_at, Assistant.id)
        )
    )


async def versions(
    session: AsyncSession, organization_id: uuid.UUID, scope: str, target: str
) -> list[InstructionVersion]:
    return list(
        await session.scalars(
            select(InstructionVersion)
            .where(
                InstructionVersion.organization_id == organization_id,
                InstructionVersion.scope == scope,
                InstructionVersion.target == target,
            )
            .order_by(InstructionVersion.version.desc())
        )
    )


async def latest_version(
    session: AsyncSession, organization_id: uuid.UUID, scope: str, target: str
) -> InstructionVersion | None:
    return await session.scalar(
        select(InstructionVersion)
        .where(
            InstructionVersion.organization_id == organization_id,
            InstructionVersion.scope == scope,
            InstructionVersion.target == target,
        )
        .order_by(InstructionVersion.version.desc())
        .limit(1)
    )


async def version(
    session: AsyncSession, organization_id: uuid.UUID, scope: str, target: str, number: int
) -> InstructionVersion | None:
    return await session.scalar(
        select(InstructionVersion).where(
            InstructionVersion.organization_id == organization_id,
            InstructionVersion.scope == scope,
            InstructionVersion.target == target,
            InstructionVersion.version == number,
        )
    )


async def current_text(session: AsyncSession, organization_id: uuid.UUID, scope: str, target: str) -> str:
    row = await latest_version(session, organization_id, scope, target)
    return row.text if row is not None else ""


async def state_for(session: AsyncSession, conversation_id: uuid.UUID) -> ConversationState | None:
    return await session.scalar(select(ConversationState).where(ConversationState.conversation_id == conversation_id))
