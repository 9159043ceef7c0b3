"""SQL about sessions and reset links. Tokens are looked up by their hash: the raw value never reaches the database."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth.models import PasswordResetToken, RefreshToken
from frontdesk.orgs.models import Membership, Organization
from frontdesk.users.models import User


async def refresh_token_by_hash(session: AsyncSession, hashed: str) -> RefreshToken | None:
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == hashed))


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, when: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=when)
    )


async def spend_refresh_token(session: AsyncSession, token_id: uuid.UUID, when: datetime) -> bool:
    """True only for the caller that flipped ``used_at``: the guard is what stops two concurrent refreshes."""
    spent = await session.execute(
        update(RefreshToken).where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None)).values(used_at=when)
    )
    return bool(getattr(spent, "rowcount", 0))


async def revoke_user_family(
    session: AsyncSession, family_id: uuid.UUID, user_id: uuid.UUID | None, when: datetime
) -> None:
    await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.family_id == family_id,
            RefreshToken.user_id == user_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=when)
    )


async def live_session_exists(session: AsyncSession, family_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    live = await session.scalar(
        select(RefreshToken.id)
        .where(
            RefreshToken.family_id == family_id,
            RefreshToken.user_id == user_id,
            RefreshToken.revoked_at.is_(None),
        )
        .limit(1)
    )
    return live is not None


def _identity_statement() -> Select[User, bool, Membership, Organization]:
    live = (
        select(RefreshToken.id)
        .where(
            RefreshToken.family_id == bindparam("family_id"),
            RefreshToken.user_id == bindparam("user_id"),
            RefreshToken.revoked_at.is_(None),
        )
        .exists()
    )
    return (
        select(User, live.label("live"), Membership, Organization)
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(Organization, Organization.id == Membership.organization_id)
        .where(User.id == bindparam("user_id"))
        .order_by(Organization.name)
    )


# Built once: every authenticated request runs it, and building a statement costs more than running it.
_IDENTITY = _identity_statement()


async def identity(
    session: AsyncSession, user_id: uuid.UUID, family_id: uuid.UUID
) -> tuple[User | None, bool, list[tuple[Membership, Organization]]]:
    """The user, whether the token's session is live, and the memberships: one round trip.

    Every authenticated request needs all three; asked separately they were three trips to the
    database, which on SQLite each cost a hand-off to the driver's thread.
    """
    rows = (await session.execute(_IDENTITY, {"user_id": user_id, "family_id": family_id})).all()
    if not rows:
        return None, False, []
    memberships = [(m, o) for _, _, m, o in rows if m is not None and o is not None]
    return rows[0][0], bool(rows[0][1]), memberships


async def revoke_user_sessions(session: AsyncSession, user_id: uuid.UUID, when: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=when)
    )


async def spend_user_reset_tokens(session: AsyncSession, user_id: uuid.UUID, when: datetime) -> None:
    await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=when)
        .execution_options(synchronize_session=False)
    )


async def reset_token_by_hash(session: AsyncSession, hashed: str) -> PasswordResetToken | None:
    return await session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == hashed))


async def claim_reset_token(session: AsyncSession, token_id: uuid.UUID, when: datetime) -> bool:
    """True only for the caller that flipped ``used_at``, so a link works once even under a race."""
    claimed = await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == token_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=when)
    )
    return bool(getattr(claimed, "rowcount", 0))
