"""SQL about sessions and reset links. Tokens are looked up by their hash: the raw value never reaches the database."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth.models import PasswordResetToken, RefreshToken


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
