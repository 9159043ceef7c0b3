"""Everything a process holds: settings, database, clock, event bus, broker, limiter, sweeper.

Built once per app or worker and reached through ``app.state.runtime`` or, inside services, through
``session.info["runtime"]`` (every session made by this runtime carries it). Nothing else is global.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from taskiq import AsyncBroker, Context, InMemoryBroker, TaskiqDepends

from frontdesk.config import Settings
from frontdesk.kit import jobs
from frontdesk.kit.clock import Clock, SystemClock
from frontdesk.kit.crypto import SecretBox, password_hasher
from frontdesk.kit.db import create_engine
from frontdesk.kit.events import EventBus, InMemoryEventBus, RedisEventBus
from frontdesk.kit.metrics import Metrics
from frontdesk.kit.ratelimit import RateLimiter

log = structlog.get_logger("frontdesk.runtime")

# How long ``stop`` lets jobs already running finish; what is still running then is run again by
# another process once its lease expires, so this only saves a delay, never work.
DRAIN_SECONDS = 10.0
# How long one BRPOP waits in Redis for a job id; must stay below redis-py's socket timeout.
QUEUE_POLL_SECONDS = 2


class Runtime:
    def __init__(self, settings: Settings, *, clock: Clock | None = None, role: str = "serve") -> None:
        self.settings = settings
        self.role = role
        self.clock: Clock = clock or SystemClock()
        self.engine: AsyncEngine = create_engine(settings.database_url)
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False, info={"runtime": self}
        )
        # Safe requests (GET, HEAD) read through their own engine so that, on SQLite, they do not
        # take the write lock; on PostgreSQL both are the same.
        self.read_engine: AsyncEngine = (
            create_engine(settings.database_url, reads=True) if settings.is_sqlite else self.engine
        )
        self.read_sessionmaker: async_sessionmaker[AsyncSession] = (
            async_sessionmaker(self.read_engine, expire_on_commit=False, info={"runtime": self})
            if self.read_engine is not self.engine
            else self.sessionmaker
        )
        self.metrics = Metrics()
        self.bus: EventBus = RedisEventBus(settings.redis_url) if settings.redis_url else InMemoryEventBus()
        self.limiter = RateLimiter(settings)
        self.hasher = password_hasher(settings.argon2_memory_kib, settings.argon2_time_cost)
        self.secrets = SecretBox(settings.signing_key)
        self.broker: AsyncBroker = self._make_broker()
        self.sweeper = jobs.Sweeper(self, self._dispatch)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._semaphore = asyncio.Semaphore(settings.job_concurrency)
        # Agent sockets held by this process, for presence: (organization, user) -> count, last beat.
        self.agent_sockets: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
        self.agent_beats: dict[tuple[uuid.UUID, uuid.UUID], datetime] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._queued = 0

    @property
    def nudge_topic(self) -> str:
        """The bus topic that wakes sweepers when a job is due now; one per job queue."""
        return f"jobs:{self.settings.job_queue}"

    def _make_broker(self) -> AsyncBroker:
        broker: AsyncBroker
        if self.settings.redis_url:
            broker = _job_queue_broker(self.settings.redis_url, self.settings.job_queue)
        else:
            broker = InMemoryBroker(max_async_tasks=self.settings.job_concurrency)
        broker.state.runtime = self
        broker.register_task(_run_job_task, task_name="jobs.run")
        return broker

    async def _dispatch(self, job_id: uuid.UUID, token: uuid.UUID) -> None:
        task = self.broker.find_task("jobs.run")
        assert task is not None
        if isinstance(self.broker, InMemoryBroker):
            # Handed to this very process: it counts against our room until it starts running.
            self._queued += 1
        await task.kiq(str(job_id), str(token))

    def wake_sweeper(self) -> None:
        """Called after a commit that made a job due now: sweep at once rather than at the next tick."""
        if self.settings.sweeper_enabled:
            self.sweeper.wake()
        elif self.settings.redis_url:
            task = asyncio.get_running_loop().create_task(self._publish_nudge())
            self._tasks.append(task)
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[Any]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)

    async def _publish_nudge(self) -> None:
        # Losing a nudge costs at most one sweep interval: the sweeper polls anyway.
        with contextlib.suppress(Exception):
            await self.bus.publish(self.nudge_topic, {"type": "jobs.due"})

    async def _listen_for_nudges(self) -> None:
        while True:
            try:
                async with self.bus.subscribe(self.nudge_topic) as sub:
                    while True:
                        await sub.get()
                        self.sweeper.wake()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("job_nudge_listener_failed", exc_info=True)
                await asyncio.sleep(1.0)

    async def start(self, *, sweep: bool | None = None, receive: bool = False) -> None:
        import frontdesk.tasks  # noqa: F401  (registers every domain's job handlers)

        await self.broker.startup()
        await jobs.ensure_recurring(self)
        if sweep if sweep is not None else self.settings.sweeper_enabled:
            self._tasks.append(asyncio.create_task(self.sweeper.run(self._stop)))
            if self.settings.redis_url:
                self._tasks.append(asyncio.create_task(self._listen_for_nudges()))
        if receive:
            from taskiq.api import run_receiver_task

            self._tasks.append(
                asyncio.create_task(run_receiver_task(self.broker, max_async_tasks=self.settings.job_concurrency))
            )

    async def stop(self) -> None:
        self._stop.set()
        self.sweeper.wake()
        # Stop taking work first, then let the jobs already running finish (bounded).
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=DRAIN_SECONDS)
            if late:
                log.warning("jobs_left_running_at_stop", count=len(late))
                for task in late:
                    task.cancel()
                await asyncio.wait(late, timeout=1.0)
        with contextlib.suppress(Exception):
            await self.broker.shutdown()
        await self.bus.close()
        await self.limiter.close()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()

    async def run_job(self, job_id: uuid.UUID, token: uuid.UUID) -> str:
        # The job runs in its own task, shielded from the broker's: stopping the broker's receiver
        # cancels its tasks, and ``stop`` should let the job finish rather than cut it off mid-way.
        if isinstance(self.broker, InMemoryBroker):
            self._queued = max(self._queued - 1, 0)
        task = asyncio.create_task(self._execute(job_id, token))
        self._running.add(task)
        task.add_done_callback(self._job_done)
        return await asyncio.shield(task)

    def _job_done(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        # Room freed: take the next due job now rather than at the next tick.
        self.sweeper.wake()

    def job_capacity(self) -> int:
        """How many more jobs this process should take on now."""
        return self.settings.job_concurrency - len(self._running) - self._queued

    async def _execute(self, job_id: uuid.UUID, token: uuid.UUID) -> str:
        async with self._semaphore:
            return await jobs.execute(self, job_id, token)


def _job_queue_broker(url: str, queue: str) -> AsyncBroker:
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from taskiq_redis import ListQueueBroker

    class JobQueueBroker(ListQueueBroker):
        """A Redis list, read with a server-side timeout shorter than the client's socket timeout.

        taskiq-redis blocks in BRPOP with no timeout, and redis-py gives up reading after its socket
        timeout (5 s by default): an idle worker then fails and restarts its receiver every few
        seconds, and an id Redis pops just as the client gives up is lost until its lease expires.
        Here Redis itself answers "nothing yet" first, so the connection is never abandoned mid-read.
        """

        async def listen(self) -> AsyncGenerator[bytes, None]:
            while True:
                try:
                    async with Redis(connection_pool=self.connection_pool) as conn:
                        popped = await conn.brpop([self.queue_name], timeout=QUEUE_POLL_SECONDS)
                except (RedisConnectionError, RedisTimeoutError) as exc:
                    log.warning("job_queue_read_failed", queue=self.queue_name, error=repr(exc))
                    await asyncio.sleep(1.0)
                    continue
                if popped:
                    data = popped[1]
                    yield data.encode() if isinstance(data, str) else data

    return JobQueueBroker(url, queue_name=queue)


async def _run_job_task(job_id: str, token: str, context: Context = TaskiqDepends()) -> str:
    runtime: Runtime = context.state.runtime
    return await runtime.run_job(uuid.UUID(job_id), uuid.UUID(token))
