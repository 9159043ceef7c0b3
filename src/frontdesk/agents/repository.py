"""SQL about agent presence, shifts and who can take a conversation."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.models import AgentPresence, Shift
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import TeamMember
from frontdesk.orgs.models import Membership
from frontdesk.users.models import User


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
    session: AsyncSession,
    org_id: uuid.UUID,
    team_id: uuid.UUID | None,
    max_open: int,
    *,
    heard_since: datetime | None = None,
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
    if heard_since is not None:
        # A browser that died a minute ago still says "online" until the sweep notices.
        stmt = stmt.where(AgentPresence.last_heartbeat_at >= heard_since)
    stmt = stmt.order_by(AgentPresence.last_assigned_at.asc().nulls_first(), AgentPresence.user_id)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # Serialise concurrent assignments so round-robin order and limits hold.
        stmt = stmt.with_for_update(of=AgentPresence)
    return list(await session.scalars(stmt))


async def last_shift(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> Shift | None:
    return await session.scalar(
        select(Shift)
        .where(Shift.organization_id == org_id, Shift.user_id == user_id)
        .order_by(Shift.started_at.desc(), Shift.id.desc())
        .limit(1)
    )


def shifts_between(
    org_ids: Iterable[uuid.UUID], start: datetime, end: datetime, *, user_id: uuid.UUID | None
) -> Select[Any]:
    """Shifts that overlap [start, end), still-open ones included."""
    stmt = select(Shift).where(
        Shift.organization_id.in_(list(org_ids)),
        Shift.started_at < end,
        or_(Shift.ended_at.is_(None), Shift.ended_at > start),
    )
    if user_id is not None:
        stmt = stmt.where(Shift.user_id == user_id)
    return stmt.order_by(Shift.started_at, Shift.id)


async def members_with_presence(
    session: AsyncSession, org_ids: Iterable[uuid.UUID]
) -> list[tuple[Membership, User, AgentPresence | None, int]]:
    """Every member who can take conversations, their presence (if ever set) and open conversations."""
    ids = list(org_ids)
    open_counts = (
        select(Conversation.assignee_id, func.count().label("n"))
        .where(Conversation.organization_id.in_(ids), Conversation.status == "open")
        .group_by(Conversation.assignee_id)
        .subquery()
    )
    rows = await session.execute(
        select(Membership, User, AgentPresence, func.coalesce(open_counts.c.n, 0))
        .join(User, User.id == Membership.user_id)
        .outerjoin(
            AgentPresence,
            (AgentPresence.user_id == Membership.user_id)
            & (AgentPresence.organization_id == Membership.organization_id),
        )
        .outerjoin(open_counts, open_counts.c.assignee_id == Membership.user_id)
        .where(Membership.organization_id.in_(ids), Membership.role.in_(("owner", "admin", "agent")))
        .order_by(User.name, User.email)
    )
    return [(m, u, p, int(n)) for m, u, p, n in rows.all()]


async def users_by_id(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, User]:
    ids = set(user_ids)
    if not ids:
        return {}
    return {u.id: u for u in await session.scalars(select(User).where(User.id.in_(ids)))}
