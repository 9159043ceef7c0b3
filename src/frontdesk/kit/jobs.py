"""Durable background work.

Anything that must happen later is a ``jobs`` row written in the same transaction as the change that
caused it. A sweeper claims due rows under a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
has one writer at a time, so its claim is already exclusive) and hands their ids to the taskiq
broker. The task re-checks the lease token, so a row reclaimed after a dead worker's lease expired
is never run by two holders at once: the stale holder finds its token gone and stops.

Handlers receive ids only and must be idempotent, because a lease can expire after the work was done
but before the row was marked done.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Index, String, Text, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.db import on_commit, transaction
from frontdesk.kit.models import Base, IdMixin, JSONType, TimestampMixin

if TYPE_CHECKING:
    from frontdesk.kit.runtime import Runtime

log = structlog.get_logger("frontdesk.jobs")

PENDING, RUNNING, DONE, DEAD = "pending", "running", "done", "dead"


class Job(Base, IdMixin, TimestampMixin):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_due", "status", "due_at"),)

    organization_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    lease_until: Mapped[datetime | None]
    lease_token: Mapped[uuid.UUID | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


@dataclass(frozen=True)
class JobContext:
    runtime: Runtime
    job_id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    organization_id: uuid.UUID | None
    attempt: int


Handler = Callable[[JobContext], Awaitable[None]]
_handlers: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the handler for a job kind, named ``<domain>.<verb>``. Registered at import time."""

    def register(fn: Handler) -> Handler:
        if kind in _handlers and _handlers[kind] is not fn:
            raise RuntimeError(f"job kind {kind!r} registered twice")
        _handlers[kind] = fn
        return fn

    return register


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)


def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    due_at: datetime | None = None,
    organization_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Add a job to the caller's transaction; the sweeper is woken only once that commits."""
    runtime: Runtime = session.info["runtime"]
    now = runtime.clock.now()
    row = Job(
        kind=kind,
        payload=payload,
        due_at=due_at or now,
        organization_id=organization_id,
        dedupe_key=dedupe_key,
        max_attempts=max_attempts or runtime.settings.job_max_attempts,
        created_at=now,
    )
    session.add(row)
    if row.due_at <= now + timedelta(seconds=runtime.settings.sweep_interval_seconds):
        on_commit(session, runtime.wake_sweeper)
    return row


def backoff(attempt: int) -> timedelta:
    """Exponential with a ceiling: 2s, 4s, 8s ... at most an hour."""
    return timedelta(seconds=min(2**attempt, 3600))


class Sweeper:
    def __init__(
        self,
        runtime: Runtime,
        dispatch: Callable[[uuid.UUID, uuid.UUID], Awaitable[None]],
    ) -> None:
        self.runtime = runtime
        self.dispatch = dispatch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def claim(self, limit: int | None = None) -> list[tuple[uuid.UUID, uuid.UUID]]:
        rt = self.runtime
        now = rt.clock.now()
        token = uuid.uuid4()
        due = or_(
            (Job.status == PENDING) & (Job.due_at <= now),
            (Job.status == RUNNING) & (Job.lease_until < now),
        )
        pick = select(Job.id).where(due).order_by(Job.due_at).limit(limit or rt.settings.sweep_batch)
        if not rt.settings.is_sqlite:
            pick = pick.with_for_update(skip_locked=True)
        stmt = (
            update(Job)
            .where(Job.id.in_(pick.scalar_subquery()))
            .values(
                status=RUNNING,
                attempts=Job.attempts + 1,
                lease_until=now + timedelta(seconds=rt.settings.job_lease_seconds),
                lease_token=token,
                started_at=now,
            )
            .returning(Job.id)
            .execution_options(synchronize_session=False)
        )
        async with transaction(rt.sessionmaker) as session:
            ids = list((await session.execute(stmt)).scalars())
        return [(job_id, token) for job_id in ids]

    async def sweep_once(self) -> int:
        claimed = await self.claim()
        for job_id, token in claimed:
            await self.dispatch(job_id, token)
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        interval = self.runtime.settings.sweep_interval_seconds
        while not stop.is_set():
            try:
                count = await self.sweep_once()
            except Exception:
                log.exception("sweep_failed")
                count = 0
            if count >= self.runtime.settings.sweep_batch:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=interval)
            except TimeoutError:
                pass


async def execute(runtime: Runtime, job_id: uuid.UUID, token: uuid.UUID) -> str:
    """Run one claimed job. Returns the state it was left in (or ``stale`` if no longer ours)."""
    sm: async_sessionmaker[AsyncSession] = runtime.sessionmaker
    async with transaction(sm) as session:
        job = await session.get(Job, job_id)
        if job is None or job.status != RUNNING or job.lease_token != token:
            return "stale"
        if job.attempts > job.max_attempts:
            job.status, job.finished_at = DEAD, runtime.clock.now()
            job.last_error = (job.last_error or "") + "\nlease expired too many times"
            runtime.metrics.job_finished(job.kind, DEAD)
            return DEAD
        ctx = JobContext(
            runtime=runtime,
            job_id=job.id,
            kind=job.kind,
            payload=dict(job.payload or {}),
            organization_id=job.organization_id,
            attempt=job.attempts,
        )
        lag = (runtime.clock.now() - job.due_at).total_seconds()
    runtime.metrics.job_started(ctx.kind, max(lag, 0.0))
    handler = handler_for(ctx.kind)
    error: str | None = None
    if handler is None:
        error = f"no handler for job kind {ctx.kind!r}"
    else:
        try:
            await handler(ctx)
        except PermanentJobError as exc:
            error = f"permanent: {exc}"
        except Exception as exc:
            log.warning("job_failed", kind=ctx.kind, job_id=str(job_id), attempt=ctx.attempt, error=repr(exc))
            error = repr(exc)
    now = runtime.clock.now()
    async with transaction(sm) as session:
        mine = (Job.id == job_id) & (Job.lease_token == token) & (Job.status == RUNNING)
        if error is None:
            values: dict[str, Any] = {"status": DONE, "finished_at": now, "lease_token": None}
        elif error.startswith(("permanent:", "no handler")) or ctx.attempt >= _max_attempts(
            await session.scalar(select(Job.max_attempts).where(Job.id == job_id))
        ):
            values = {"status": DEAD, "finished_at": now, "last_error": error[:4000], "lease_token": None}
        else:
            values = {
                "status": PENDING,
                "due_at": now + backoff(ctx.attempt),
                "last_error": error[:4000],
                "lease_token": None,
                "lease_until": None,
            }
        result = await session.execute(update(Job).where(mine).values(**values))
    state = values["status"] if getattr(result, "rowcount", 0) else "stale"
    runtime.metrics.job_finished(ctx.kind, state)
    return state


def _max_attempts(value: int | None) -> int:
    return value if value is not None else 1


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help (a 4xx from a remote, a deleted target)."""


async def job_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: count for status, count in rows.all()}
