"""Durable background work.

Anything that must happen later is a ``jobs`` row written in the same transaction as the change that
caused it. A sweeper claims due rows under a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
has one writer at a time, so its claim is already exclusive) and hands their ids to the taskiq
broker. The task re-checks the lease token, so a row reclaimed after a dead worker's lease expired
is never finished by two holders: the stale holder finds its token gone and its outcome is dropped.

While a handler runs, its process renews the lease every third of the lease time. A lease therefore
expires only when the process holding it stopped (crashed, killed, lost the database), never because
a handler is slow; a slow handler must bound its own I/O with timeouts.

Handlers receive ids only and must be idempotent, because a process can die after the work was done
but before the row was marked done, and the job then runs again.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Index, String, Text, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.clock import as_utc
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
    due = as_utc(due_at) if due_at is not None else now
    row = Job(
        kind=kind,
        payload=payload,
        due_at=due,
        organization_id=organization_id,
        dedupe_key=dedupe_key,
        max_attempts=max_attempts or runtime.settings.job_max_attempts,
        created_at=now,
    )
    session.add(row)
    # One wake per transaction is enough; in distributed mode each wake is a Redis message.
    if due <= now + timedelta(seconds=runtime.settings.sweep_interval_seconds) and runtime.wake_sweeper not in (
        session.info.get("after_commit") or ()
    ):
        on_commit(session, runtime.wake_sweeper)
    return row


def backoff(attempt: int) -> timedelta:
    """Exponential with a ceiling: 2s, 4s, 8s ... at most an hour."""
    return timedelta(seconds=min(2**attempt, 3600))


def _held(job_id: uuid.UUID, token: uuid.UUID) -> Any:
    """The row is still ours: claimed with this token and not finished or reclaimed since."""
    return (Job.id == job_id) & (Job.lease_token == token) & (Job.status == RUNNING)


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
        """Lease up to ``limit`` due rows to this sweeper; each claim counts as an attempt."""
        rt = self.runtime
        now = rt.clock.now()
        token = uuid.uuid4()
        expired = (Job.status == RUNNING) & (Job.lease_until < now)
        # A row whose holders keep dying (a handler that crashes its process, say) must stop somewhere.
        bury = (
            update(Job)
            .where(expired & (Job.attempts >= Job.max_attempts))
            .values(
                status=DEAD,
                finished_at=now,
                lease_token=None,
                last_error="The lease expired on the last attempt: the process running the job stopped first.",
            )
            .returning(Job.id, Job.kind)
            .execution_options(synchronize_session=False)
        )
        due = or_(
            (Job.status == PENDING) & (Job.due_at <= now),
            expired & (Job.attempts < Job.max_attempts),
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
            buried = (await session.execute(bury)).all()
            ids = list((await session.execute(stmt)).scalars())
        for job_id, kind in buried:
            log.error("job_dead", job_id=str(job_id), kind=kind, reason="lease_expired")
            rt.metrics.job_finished(kind, DEAD)
        return [(job_id, token) for job_id in ids]

    async def release(self, job_id: uuid.UUID, token: uuid.UUID) -> None:
        """Give a claimed row back untouched, as if never claimed: the hand-off failed, not the job."""
        async with transaction(self.runtime.sessionmaker) as session:
            await session.execute(
                update(Job)
                .where(_held(job_id, token))
                .values(status=PENDING, attempts=Job.attempts - 1, lease_until=None, lease_token=None)
                .execution_options(synchronize_session=False)
            )

    async def sweep_once(self) -> int:
        """Claim and hand off one batch; returns how many were handed off.

        Only as many as this process has room to run: claimed rows waiting in a queue would hold
        leases they cannot honour, and would be claimed again by others when those expire.
        """
        room = self.runtime.job_capacity()
        if room <= 0:
            return 0
        claimed = await self.claim(min(room, self.runtime.settings.sweep_batch))
        for n, (job_id, token) in enumerate(claimed):
            try:
                await self.dispatch(job_id, token)
            except Exception:
                # The broker is down: give the rest back now rather than let them wait out a lease.
                log.exception("job_dispatch_failed", job_id=str(job_id))
                for rest_id, rest_token in claimed[n:]:
                    with contextlib.suppress(Exception):
                        await self.release(rest_id, rest_token)
                return n
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        interval = self.runtime.settings.sweep_interval_seconds
        while not stop.is_set():
            # Cleared before sweeping, so a wake that arrives during the sweep is not lost.
            self._wake.clear()
            try:
                count = await self.sweep_once()
            except Exception:
                log.exception("sweep_failed")
                count = 0
            if count >= self.runtime.settings.sweep_batch:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval)


async def _keep_lease(runtime: Runtime, job_id: uuid.UUID, token: uuid.UUID, kind: str) -> None:
    """Renew the lease while the handler runs, so only a stopped process lets it expire."""
    lease = timedelta(seconds=runtime.settings.job_lease_seconds)
    period = max(runtime.settings.job_lease_seconds / 3, 0.05)
    while True:
        await asyncio.sleep(period)
        try:
            async with transaction(runtime.sessionmaker) as session:
                result = await session.execute(
                    update(Job)
                    .where(_held(job_id, token))
                    .values(lease_until=runtime.clock.now() + lease)
                    .execution_options(synchronize_session=False)
                )
        except Exception:
            # A database hiccup: the lease still has two thirds to run, so try again next tick.
            log.warning("job_lease_renewal_failed", job_id=str(job_id), kind=kind, exc_info=True)
            continue
        if not getattr(result, "rowcount", 0):
            log.warning("job_lease_lost", job_id=str(job_id), kind=kind)
            return


async def execute(runtime: Runtime, job_id: uuid.UUID, token: uuid.UUID) -> str:
    """Run one claimed job. Returns the state it was left in (or ``stale`` if no longer ours)."""
    sm: async_sessionmaker[AsyncSession] = runtime.sessionmaker
    now = runtime.clock.now()
    # One statement checks the row is still ours and restarts the lease (the id may have waited in the
    # broker's queue), so a reclaimed row is never started by a stale holder.
    async with transaction(sm) as session:
        job = (
            await session.execute(
                update(Job)
                .where(_held(job_id, token))
                .values(lease_until=now + timedelta(seconds=runtime.settings.job_lease_seconds))
                .returning(Job.kind, Job.payload, Job.organization_id, Job.attempts, Job.max_attempts, Job.due_at)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if job is None:
            return "stale"
        if job.attempts > job.max_attempts:
            # Only if someone lowered max_attempts by hand: claims stop at the limit.
            await session.execute(
                update(Job)
                .where(_held(job_id, token))
                .values(status=DEAD, finished_at=now, lease_token=None, last_error="attempts exceeded max_attempts")
                .execution_options(synchronize_session=False)
            )
            runtime.metrics.job_finished(job.kind, DEAD)
            return DEAD
    ctx = JobContext(
        runtime=runtime,
        job_id=job_id,
        kind=job.kind,
        payload=dict(job.payload or {}),
        organization_id=job.organization_id,
        attempt=job.attempts,
    )
    max_attempts = job.max_attempts
    lag = (now - as_utc(job.due_at)).total_seconds()
    runtime.metrics.job_started(ctx.kind, max(lag, 0.0))
    handler = handler_for(ctx.kind)
    error: str | None = None
    permanent = False
    if handler is None:
        error, permanent = f"no handler for job kind {ctx.kind!r}", True
    else:
        keeper = asyncio.create_task(_keep_lease(runtime, job_id, token, ctx.kind))
        try:
            await handler(ctx)
        except PermanentJobError as exc:
            error, permanent = f"permanent: {exc}", True
        except Exception as exc:
            log.warning("job_failed", kind=ctx.kind, job_id=str(job_id), attempt=ctx.attempt, error=repr(exc))
            error = repr(exc)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
    now = runtime.clock.now()
    values: dict[str, Any]
    if error is None:
        values = {"status": DONE, "finished_at": now, "lease_token": None}
    elif permanent or ctx.attempt >= max_attempts:
        values = {"status": DEAD, "finished_at": now, "last_error": error[:4000], "lease_token": None}
    else:
        values = {
            "status": PENDING,
            "due_at": now + backoff(ctx.attempt),
            "last_error": error[:4000],
            "lease_token": None,
            "lease_until": None,
        }
    async with transaction(sm) as session:
        result = await session.execute(
            update(Job).where(_held(job_id, token)).values(**values).execution_options(synchronize_session=False)
        )
    state = values["status"] if getattr(result, "rowcount", 0) else "stale"
    if state == DEAD:
        log.error("job_dead", job_id=str(job_id), kind=ctx.kind, attempt=ctx.attempt, error=error)
    elif state == "stale":
        # Our lease expired and another holder has the row: its outcome is the one that counts.
        log.warning("job_outcome_dropped", job_id=str(job_id), kind=ctx.kind, outcome=values["status"])
    runtime.metrics.job_finished(ctx.kind, state)
    return state


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help (a 4xx from a remote, a deleted target)."""


async def job_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: count for status, count in rows.all()}


# ---------------------------------------------------------------- recurring jobs
#
# A recurring job is a chain, not a timer in some process: each run first books the next one (a row
# due at the next slot, deduplicated by kind and slot), so the schedule survives restarts and any
# number of processes, and a run that fails or is retried never forks a second chain. Every process
# calls :func:`ensure_recurring` at start; once a chain exists, the dedupe key makes that a no-op.

NextDue = Callable[[datetime], datetime]
_recurring: dict[str, NextDue] = {}


def next_minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def next_hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


async def book(runtime: Runtime, kind: str, due_at: datetime) -> bool:
    """Book ``kind`` at ``due_at`` once, however many processes try; True if this call booked it."""
    from sqlalchemy.exc import IntegrityError

    key = f"{kind}@{due_at.strftime('%Y-%m-%dT%H:%M')}"
    try:
        async with transaction(runtime.sessionmaker) as session:
            enqueue(session, kind, {}, due_at=due_at, dedupe_key=key, max_attempts=3)
    except IntegrityError:
        return False
    return True


def recurring(kind: str, next_due: NextDue) -> Callable[[Handler], Handler]:
    """Register ``fn`` to run at every slot ``next_due`` gives, for the whole installation."""

    def register(fn: Handler) -> Handler:
        async def run(ctx: JobContext) -> None:
            # Booked before the work, so a failing run still leaves the chain alive.
            await book(ctx.runtime, kind, next_due(ctx.runtime.clock.now()))
            await fn(ctx)

        _recurring[kind] = next_due
        job_handler(kind)(run)
        return fn

    return register


async def ensure_recurring(runtime: Runtime) -> None:
    now = runtime.clock.now()
    for kind, next_due in _recurring.items():
        try:
            await book(runtime, kind, next_due(now))
        except Exception:
            log.warning("recurring_booking_failed", kind=kind, exc_info=True)


@recurring("jobs.purge", next_hour)
async def purge_finished(ctx: JobContext) -> None:
    """Finished rows help debugging for a while; kept forever they only slow the sweeper's index."""
    from sqlalchemy import delete

    before = ctx.runtime.clock.now() - timedelta(days=ctx.runtime.settings.job_retention_days)
    async with transaction(ctx.runtime.sessionmaker) as session:
        await session.execute(
            delete(Job).where(Job.status == DONE, Job.finished_at < before).execution_options(synchronize_session=False)
        )
