"""SQL about inboxes and teams."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.inboxes.models import Inbox, Team, TeamMember
from frontdesk.orgs.models import Membership
from frontdesk.users.models import User


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


async def team_by_name(session: AsyncSession, org_id: uuid.UUID, name: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.organization_id == org_id, Team.name == name))


async def team_member(session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamMember | None:
    return await session.scalar(select(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id))


async def members_of_teams(session: AsyncSession, teams_: list[Team]) -> dict[uuid.UUID, list[tuple[TeamMember, User]]]:
    """Members per team, with their user rows; people who left the organization drop out here."""
    out: dict[uuid.UUID, list[tuple[TeamMember, User]]] = {t.id: [] for t in teams_}
    if not teams_:
        return out
    rows = await session.execute(
        select(TeamMember, User)
        .join(User, User.id == TeamMember.user_id)
        .join(
            Membership,
            (Membership.user_id == TeamMember.user_id) & (Membership.organization_id == TeamMember.organization_id),
        )
        .where(TeamMember.team_id.in_(list(out)))
        .order_by(User.name, User.email)
    )
    for member, user in rows.all():
        out[member.team_id].append((member, user))
    return out


async def inbox_name_taken(session: AsyncSession, org_id: uuid.UUID, name: str, *, exclude: uuid.UUID | None) -> bool:
    stmt = select(Inbox.id).where(Inbox.organization_id == org_id, Inbox.name == name, Inbox.deleted_at.is_(None))
    if exclude is not None:
        stmt = stmt.where(Inbox.id != exclude)
    return await session.scalar(stmt.limit(1)) is not None


async def delete_team(session: AsyncSession, team_: Team) -> None:
    await session.delete(team_)


async def delete_team_member(session: AsyncSession, member: TeamMember) -> None:
    await session.delete(member)
