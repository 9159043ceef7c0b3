"""A small event bus: in memory for one process, Redis pub/sub across processes.

Pub/sub is lossy by design (a slow subscriber is dropped from, a reconnecting client misses what was
sent meanwhile), so nothing relies on it for correctness. Every event names a cursor that the
matching REST listing accepts as ``after=``; clients catch up there after any gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.db import on_commit

log = structlog.get_logger("frontdesk.events")

QUEUE_SIZE = 1000


class EventBus(Protocol):
    async def publish(self, topic: str, event: dict[str, Any]) -> None: ...

    def subscribe(self, *topics: str) -> contextlib.AbstractAsyncContextManager[Subscription]: ...

    async def close(self) -> None: ...


class Subscription:
    """What a subscriber reads; ``overflowed`` tells it to catch up over REST."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False

    def offer(self, event: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self.queue.get()


class InMemoryEventBus:
    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        message = {"topic": topic, **event}
        for sub in list(self._subs.get(topic, ())):
            sub.offer(message)

    @contextlib.asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[Subscription]:
        sub = Subscription()
        for topic in topics:
            self._subs[topic].add(sub)
        try:
            yield sub
        finally:
            for topic in topics:
                self._subs[topic].discard(sub)
                if not self._subs[topic]:
                    del self._subs[topic]

    async def close(self) -> None:
        self._subs.clear()


class RedisEventBus:
    """One Redis connection per process fans out to local subscribers, not one per WebSocket."""

    PREFIX = "frontdesk:ev:"

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url, decode_responses=True)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._local = InMemoryEventBus()
        self._counts: dict[str, int] = defaultdict(int)
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        await self._redis.publish(self.PREFIX + topic, json.dumps(event, default=str))

    @contextlib.asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[Subscription]:
        async with self._lock:
            fresh = [t for t in topics if self._counts[t] == 0]
            for t in topics:
                self._counts[t] += 1
            if fresh:
                await self._pubsub.subscribe(*(self.PREFIX + t for t in fresh))
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read())
        try:
            async with self._local.subscribe(*topics) as sub:
                yield sub
        finally:
            async with self._lock:
                gone = []
                for t in topics:
                    self._counts[t] -= 1
                    if self._counts[t] <= 0:
                        del self._counts[t]
                        gone.append(t)
                if gone:
                    await self._pubsub.unsubscribe(*(self.PREFIX + t for t in gone))

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("redis_pubsub_read_failed", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if message is None:
                if not self._counts:
                    await asyncio.sleep(0.05)
                continue
            topic = str(message["channel"]).removeprefix(self.PREFIX)
            try:
                payload = json.loads(message["data"])
            except (TypeError, ValueError):
                continue
            await self._local.publish(topic, payload)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        await self._redis.aclose()


def publish_on_commit(session: AsyncSession, topic: str, event: dict[str, Any]) -> None:
    """Publish once the transaction commits: a subscriber must never see a change that rolled back."""
    bus: EventBus = session.info["runtime"].bus

    async def send() -> None:
        try:
            await bus.publish(topic, event)
        except Exception:
            # The change is committed; a lost event is caught up over REST by cursor.
            log.warning("event_publish_failed", topic=topic, exc_info=True)

    on_commit(session, send)


def org_topic(organization_id: object) -> str:
    return f"org:{organization_id}"


def user_topic(user_id: object) -> str:
    return f"user:{user_id}"
