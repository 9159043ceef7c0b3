"""SQL about people and their memberships."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.orgs.models import Membership, Organization
from frontdesk.users.models import User


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == normalise_email(email)))


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Membership, Organization]]:
    rows = await session.execute(
        select(Membership, Organization)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name)
    )
    return [(m, o) for m, o in rows.all()]


async def get_by_external_subject(session: AsyncSession, subject: str) -> User | None:
    return await session.scalar(select(User).where(User.external_subject == subject))


async def get_by_oidc_subject(session: AsyncSession, subject: str) -> User | None:
    return await session.scalar(select(User).where(User.oidc_subject == subject))
