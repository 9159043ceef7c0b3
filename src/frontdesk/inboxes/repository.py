"""SQL about inboxes and teams."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.inboxes.models import Inbox, Team, TeamMember


async def get(session: AsyncSession, org_ids: Iterable[uuid.UUID], inbox_id: uuid.UUID) -> Inbox | None:
    return await session.scalar(
        select(Inbox).where(Inbox.id == inbox_id, Inbox.organization_id.in_(list(org_ids)), Inbox.deleted_at.is_(None))
    )


async def get_any(session: AsyncSession, inbox_id: uuid.UUID) -> Inbox | None:
    """By id alone: for jobs and channel code that already hold a trusted id."""
    return await session.get(Inbox, inbox_id)


async def by_public_token(session: AsyncSession, token: str) -> Inbox | None:
    return await session.scalar(select(Inbox).where(Inbox.public_token == token, Inbox.deleted_at.is_(None)))


async def list_inboxes(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[Inbox]:
    return list(
        await session.scalars(
            select(Inbox)
            .where(Inbox.organization_id.in_(list(org_ids)), Inbox.deleted_at.is_(None))
            .order_by(Inbox.name)
        )
    )


async def team(session: AsyncSession, org_ids: Iterable[uuid.UUID], team_id: uuid.UUID) -> Team | None:
    return await session.scalar(select(Team).where(Team.id == team_id, Team.organization_id.in_(list(org_ids))))


async def teams(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[Team]:
    return list(await session.scalars(select(Team).where(Team.organization_id.in_(list(org_ids))).order_by(Team.name)))


async def team_members(session: AsyncSession, team_id: uuid.UUID) -> list[TeamMember]:
    return list(await session.scalars(select(TeamMember).where(TeamMember.team_id == team_id)))
