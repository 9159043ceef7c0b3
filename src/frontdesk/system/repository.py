"""The few queries the operational endpoints make."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.clock import as_utc
from frontdesk.kit.jobs import PENDING, Job


async def schema_revision(session: AsyncSession) -> str | None:
    """The applied Alembic revision. Fails when the schema was never migrated, which ``SELECT 1``
    would not notice (SQLite creates an empty file on first connect)."""
    return await session.scalar(text("SELECT version_num FROM alembic_version"))


async def oldest_due_at(session: AsyncSession, now: datetime) -> datetime | None:
    """The due time of the longest-waiting pending job, if any is due: the backlog's age."""
    value = await session.scalar(select(func.min(Job.due_at)).where(Job.status == PENDING, Job.due_at <= now))
    return None if value is None else as_utc(value)
