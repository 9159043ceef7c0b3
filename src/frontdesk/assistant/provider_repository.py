"""SQL about AI provider rows and the organization's AI settings."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant.provider_models import AiOrgSettings, AiProviderConfig


async def list_providers(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[AiProviderConfig]:
    return list(
        await session.scalars(
            select(AiProviderConfig)
            .where(AiProviderConfig.organization_id.in_(list(org_ids)))
            .order_by(AiProviderConfig.position, AiProviderConfig.created_at, AiProviderConfig.id)
        )
    )


async def enabled_for(session: AsyncSession, organization_id: uuid.UUID) -> list[AiProviderConfig]:
    """The fallback chain of an organization, first choice first."""
    return list(
        await session.scalars(
            select(AiProviderConfig)
            .where(AiProviderConfig.organization_id == organization_id, AiProviderConfig.enabled.is_(True))
            .order_by(AiProviderConfig.position, AiProviderConfig.created_at, AiProviderConfig.id)
        )
    )


async def get(session: AsyncSession, org_ids: Iterable[uuid.UUID], provider_id: uuid.UUID) -> AiProviderConfig | None:
    return await session.scalar(
        select(AiProviderConfig).where(
            AiProviderConfig.id == provider_id, AiProviderConfig.organization_id.in_(list(org_ids))
        )
    )


async def name_taken(
    session: AsyncSession, organization_id: uuid.UUID, name: str, *, except_id: uuid.UUID | None = None
) -> bool:
    stmt = select(AiProviderConfig.id).where(
        AiProviderConfig.organization_id == organization_id, func.lower(AiProviderConfig.name) == name.lower()
    )
    if except_id is not None:
        stmt = stmt.where(AiProviderConfig.id != except_id)
    return (await session.scalar(stmt.limit(1))) is not None


async def next_position(session: AsyncSession, organization_id: uuid.UUID) -> int:
    top = await session.scalar(
        select(func.max(AiProviderConfig.position)).where(AiProviderConfig.organization_id == organization_id)
    )
    return 0 if top is None else int(top) + 1


async def org_settings(session: AsyncSession, organization_id: uuid.UUID) -> AiOrgSettings | None:
    return await session.scalar(select(AiOrgSettings).where(AiOrgSettings.organization_id == organization_id))
