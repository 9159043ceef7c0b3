from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.apikeys.models import ApiKey
from frontdesk.orgs.models import Organization


async def by_prefix(session: AsyncSession, prefix: str) -> tuple[ApiKey, Organization] | None:
    row = (
        await session.execute(
            select(ApiKey, Organization)
            .join(Organization, Organization.id == ApiKey.organization_id)
            .where(ApiKey.prefix == prefix)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def list_keys(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[ApiKey]:
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.organization_id.in_(list(org_ids))).order_by(ApiKey.created_at.desc())
    )
    return list(rows)


async def get(session: AsyncSession, org_ids: Iterable[uuid.UUID], key_id: uuid.UUID) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.organization_id.in_(list(org_ids))))


async def touch(session: AsyncSession, key_id: uuid.UUID, when: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when))
