"""Everything a process holds: settings, database, clock, event bus, broker, limiter, sweeper.

Built once per app or worker and reached through ``app.state.runtime`` or, inside services, through
``session.info["runtime"]`` (every session made by this runtime carries it). Nothing else is global.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
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


class Runtime:
    def __init__(self, settings: Settings, *, clock: Clock | None = None, role: str = "serve") -> None:
        self.settings = settings
        self.role = role
        self.clock: Clock = clock or SystemClock()
        self.engine: AsyncEngine = create_engine(settings.database_url)
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False, info={"runtime": self}
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
        self._nudge_redis: Any = None

    def _make_broker(self) -> AsyncBroker:
        broker: AsyncBroker
        if self.settings.redis_url:
            from taskiq_redis import ListQueueBroker

            broker = ListQueueBroker(self.settings.redis_url, queue_name="frontdesk:jobs")
        else:
            broker = InMemoryBroker(max_async_tasks=self.settings.job_concurrency)
        broker.state.runtime = self
        broker.register_task(_run_job_task, task_name="jobs.run")
        return broker

    async def _dispatch(self, job_id: uuid.UUID, token: uuid.UUID) -> None:
        task = self.broker.find_task("jobs.run")
        assert task is not None
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
        with contextlib.suppress(Exception):
            await self.bus.publish("system:jobs", {"type": "jobs.due"})

    async def _listen_for_nudges(self) -> None:
        async with self.bus.subscribe("system:jobs") as sub:
            while True:
                await sub.get()
                self.sweeper.wake()

    async def start(self, *, sweep: bool | None = None, receive: bool = False) -> None:
        import frontdesk.tasks  # noqa: F401  (registers every domain's job handlers)

        await self.broker.startup()
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
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.broker.shutdown()
        await self.bus.close()
        await self.limiter.close()
        await self.engine.dispose()

    async def run_job(self, job_id: uuid.UUID, token: uuid.UUID) -> str:
        async with self._semaphore:
            return await jobs.execute(self, job_id, token)


async def _run_job_task(job_id: str, token: str, context: Context = TaskiqDepends()) -> str:
    runtime: Runtime = context.state.runtime
    return await runtime.run_job(uuid.UUID(job_id), uuid.UUID(token))
