"""SQL about organizations and memberships, always narrowed to the ids authz produced."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.orgs.models import Membership, Organization
from frontdesk.users.models import User


async def get(session: AsyncSession, org_ids: Iterable[uuid.UUID], org_id: uuid.UUID) -> Organization | None:
    if org_id not in set(org_ids):
        return None
    return await session.get(Organization, org_id)


async def unique_slug(session: AsyncSession, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "org"
    slug, n = base, 1
    while await session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return await session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None


async def members(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[tuple[Membership, User]]:
    rows = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id.in_(list(org_ids)))
        .order_by(User.name, User.email)
    )
    return [(m, u) for m, u in rows.all()]


async def membership(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], membership_id: uuid.UUID
) -> Membership | None:
    return await session.scalar(
        select(Membership).where(Membership.id == membership_id, Membership.organization_id.in_(list(org_ids)))
    )


async def membership_of_user(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    return await session.scalar(
        select(Membership).where(Membership.organization_id == org_id, Membership.user_id == user_id)
    )


async def count_owners(session: AsyncSession, org_id: uuid.UUID) -> int:
    """Count the owners, locking their rows until the transaction ends (PostgreSQL).

    Two owners demoting each other at once would each count two owners and both succeed, leaving
    none. With the lock the second waits for the first to commit, then counts again. SQLite needs
    no lock: it runs one writing transaction at a time.
    """
    rows = await session.scalars(
        select(Membership.id)
        .where(Membership.organization_id == org_id, Membership.role == "owner")
        .order_by(Membership.id)
        .with_for_update()
    )
    return len(list(rows))


async def get_by_external_id(session: AsyncSession, external_id: str) -> Organization | None:
    return await session.scalar(select(Organization).where(Organization.external_id == external_id))


async def delete_membership(session: AsyncSession, member: Membership) -> None:
    await session.delete(member)
