"""SQL about invitations, narrowed to the organization ids authz produced (except the token lookup,
which is how a not-yet-member proves they hold the invitation)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.invitations.models import Invitation
from frontdesk.orgs.models import Organization


def _open(now: datetime) -> ColumnElement[bool]:
    return and_(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)


def _status_filter(status: str, now: datetime) -> ColumnElement[bool] | None:
    if status == "pending":
        return _open(now)
    if status == "accepted":
        return Invitation.accepted_at.is_not(None)
    if status == "revoked":
        return Invitation.revoked_at.is_not(None)
    if status == "expired":
        return and_(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at <= now)
    return None


async def list_invitations(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], *, status: str, now: datetime
) -> list[Invitation]:
    query = select(Invitation).where(Invitation.organization_id.in_(list(org_ids)))
    condition = _status_filter(status, now)
    if condition is not None:
        query = query.where(condition)
    rows = await session.scalars(query.order_by(Invitation.created_at.desc(), Invitation.id))
    return list(rows)


async def get(session: AsyncSession, org_ids: Iterable[uuid.UUID], invitation_id: uuid.UUID) -> Invitation | None:
    return await session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.organization_id.in_(list(org_ids)))
    )


async def by_token_hash(session: AsyncSession, digest: str) -> tuple[Invitation, Organization] | None:
    row = (
        await session.execute(
            select(Invitation, Organization)
            .join(Organization, Organization.id == Invitation.organization_id)
            .where(Invitation.token_hash == digest)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def open_for_email(session: AsyncSession, org_id: uuid.UUID, email: str, *, now: datetime) -> list[Invitation]:
    rows = await session.scalars(
        select(Invitation).where(Invitation.organization_id == org_id, Invitation.email == email, _open(now))
    )
    return list(rows)


async def claim(session: AsyncSession, invitation_id: uuid.UUID, *, now: datetime) -> bool:
    """Mark accepted only if still open. Under concurrency exactly one caller gets ``True``: on
    PostgreSQL the loser waits on the row lock and then no longer matches the WHERE clause; SQLite
    serialises writers outright."""
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, _open(now))
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def revoke(session: AsyncSession, invitation_id: uuid.UUID, *, now: datetime) -> bool:
    """Guarded like :func:`claim`, so a revocation racing an acceptance cannot mark an accepted row revoked."""
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
