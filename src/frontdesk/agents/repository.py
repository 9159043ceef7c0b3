"""SQL about agent presence, shifts and who can take a conversation."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.models import AgentPresence, Shift
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import TeamMember
from frontdesk.orgs.models import Membership


async def presence(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> AgentPresence | None:
    return await session.scalar(
        select(AgentPresence).where(AgentPresence.organization_id == org_id, AgentPresence.user_id == user_id)
    )


async def presences(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[AgentPresence]:
    return list(await session.scalars(select(AgentPresence).where(AgentPresence.organization_id.in_(list(org_ids)))))


async def open_shift(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> Shift | None:
    return await session.scalar(
        select(Shift)
        .where(Shift.organization_id == org_id, Shift.user_id == user_id, Shift.ended_at.is_(None))
        .order_by(Shift.started_at.desc())
        .limit(1)
    )


async def stale_shifts(session: AsyncSession, before: datetime, limit: int = 500) -> list[Shift]:
    return list(
        await session.scalars(
            select(Shift).where(Shift.ended_at.is_(None), Shift.last_heartbeat_at < before).limit(limit)
        )
    )


async def assignable_agents(
    session: AsyncSession, org_id: uuid.UUID, team_id: uuid.UUID | None, max_open: int
) -> list[AgentPresence]:
    """Online, available agents under their open-conversation limit, least recently assigned first."""
    open_counts = (
        select(Conversation.assignee_id, func.count().label("n"))
        .where(Conversation.organization_id == org_id, Conversation.status == "open")
        .group_by(Conversation.assignee_id)
        .subquery()
    )
    stmt = (
        select(AgentPresence)
        .join(Membership, (Membership.user_id == AgentPresence.user_id) & (Membership.organization_id == org_id))
        .outerjoin(open_counts, open_counts.c.assignee_id == AgentPresence.user_id)
        .where(
            AgentPresence.organization_id == org_id,
            AgentPresence.status == "online",
            AgentPresence.availability == "available",
            Membership.role.in_(("owner", "admin", "agent")),
            func.coalesce(open_counts.c.n, 0) < max_open,
        )
    )
    if team_id is not None:
        stmt = stmt.where(AgentPresence.user_id.in_(select(TeamMember.user_id).where(TeamMember.team_id == team_id)))
    stmt = stmt.order_by(AgentPresence.last_assigned_at.asc().nulls_first(), AgentPresence.user_id)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # Serialise concurrent assignments so round-robin order and limits hold.
        stmt = stmt.with_for_update(of=AgentPresence)
    return list(await session.scalars(stmt))
