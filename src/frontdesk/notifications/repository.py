"""All of the notifications' SQL. Every query names the person and the organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.notifications.models import Notification, NotificationPreference, NotificationSettings
from frontdesk.orgs.models import Membership
from frontdesk.users.models import User


def listing(org_id: uuid.UUID, user_id: uuid.UUID, *, unread: bool | None, kind: str | None) -> Select[Any]:
    stmt = select(Notification).where(Notification.organization_id == org_id, Notification.user_id == user_id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


async def unread_count(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).where(
            Notification.organization_id == org_id, Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )
    return int(count or 0)


async def summary(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> list[tuple[str, int, int]]:
    unread = func.sum(case((Notification.read_at.is_(None), 1), else_=0))
    rows = await session.execute(
        select(Notification.kind, func.count(), unread)
        .where(Notification.organization_id == org_id, Notification.user_id == user_id)
        .group_by(Notification.kind)
        .order_by(Notification.kind)
    )
    return [(kind, int(total), int(u or 0)) for kind, total, u in rows.all()]


async def mark(
    session: AsyncSession,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    ids: Sequence[uuid.UUID] | None,
    read_at: datetime | None,
) -> int:
    stmt = update(Notification).where(Notification.organization_id == org_id, Notification.user_id == user_id)
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    if read_at is not None:
        stmt = stmt.where(Notification.read_at.is_(None))
    result = await session.execute(stmt.values(read_at=read_at).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def remove(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> int:
    result = await session.execute(
        delete(Notification)
        .where(Notification.organization_id == org_id, Notification.user_id == user_id, Notification.id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def recipients(
    session: AsyncSession, org_id: uuid.UUID, user_ids: Sequence[uuid.UUID] | None
) -> list[tuple[uuid.UUID, str, str, str]]:
    """(user id, role, email, name) of the organization's active members among ``user_ids`` (all: None)."""
    stmt = (
        select(User.id, Membership.role, User.email, User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == org_id, User.is_active.is_(True))
    )
    if user_ids is not None:
        stmt = stmt.where(User.id.in_(user_ids))
    return [(uid, role, email, name) for uid, role, email, name in (await session.execute(stmt)).all()]


async def preferences(
    session: AsyncSession, org_id: uuid.UUID, user_ids: Sequence[uuid.UUID], kind: str | None = None
) -> list[NotificationPreference]:
    stmt = select(NotificationPreference).where(
        NotificationPreference.organization_id == org_id, NotificationPreference.user_id.in_(user_ids)
    )
    if kind is not None:
        stmt = stmt.where(NotificationPreference.kind == kind)
    return list(await session.scalars(stmt))


async def settings_of(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> NotificationSettings | None:
    return await session.scalar(
        select(NotificationSettings).where(
            NotificationSettings.organization_id == org_id, NotificationSettings.user_id == user_id
        )
    )


async def digest_pending(session: AsyncSession, limit: int = 500) -> list[Notification]:
    return list(
        await session.scalars(
            select(Notification)
            .where(Notification.digest_pending.is_(True))
            .order_by(Notification.organization_id, Notification.user_id, Notification.created_at)
            .limit(limit)
        )
    )


async def digest_hours(
    session: AsyncSession, pairs: set[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    if not pairs:
        return {}
    users = {u for _, u in pairs}
    rows = await session.scalars(select(NotificationSettings).where(NotificationSettings.user_id.in_(users)))
    return {(r.organization_id, r.user_id): r.digest_hour for r in rows}
