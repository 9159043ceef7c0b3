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
SUBSCRIBE_TIMEOUT = 5.0


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


def _encode(event: dict[str, Any]) -> str:
    return json.dumps(event, default=str)


class InMemoryEventBus:
    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        # Through JSON, as over Redis: embedded mode then fails (or not) exactly as distributed mode
        # does, and no subscriber shares a mutable dict with the publisher.
        self.fan_out(topic, json.loads(_encode(event)))

    def fan_out(self, topic: str, payload: dict[str, Any]) -> None:
        message = {**payload, "topic": topic}
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
        # Subscribe confirmations are read too: ``subscribe`` returns only once Redis has confirmed,
        # so an event published after it returns is delivered (a WebSocket's ``ready`` means ready).
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=False)
        self._local = InMemoryEventBus()
        self._counts: dict[str, int] = defaultdict(int)
        self._confirm: dict[str, list[asyncio.Future[None]]] = defaultdict(list)
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        await self._redis.publish(self.PREFIX + topic, _encode(event))

    @contextlib.asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[Subscription]:
        await self._acquire(topics)
        try:
            async with self._local.subscribe(*topics) as sub:
                yield sub
        finally:
            await self._release(topics)

    async def _acquire(self, topics: tuple[str, ...]) -> None:
        """Count the topics in; subscribe in Redis to those new to this process, and wait for Redis
        to confirm. Counted only on success: a failed or cancelled subscribe must not leave a topic
        counted that Redis never heard of, or this process would go deaf to it until restarted."""
        async with self._lock:
            fresh = [t for t in dict.fromkeys(topics) if not self._counts.get(t)]
            for t in topics:
                self._counts[t] += 1
            try:
                if not fresh:
                    return
                loop = asyncio.get_running_loop()
                waiting = []
                for t in fresh:
                    future: asyncio.Future[None] = loop.create_future()
                    self._confirm[self.PREFIX + t].append(future)
                    waiting.append(future)
                await self._pubsub.subscribe(*(self.PREFIX + t for t in fresh))
                if self._reader is None or self._reader.done():
                    self._reader = asyncio.create_task(self._read())
                try:
                    await asyncio.wait_for(asyncio.gather(*waiting), timeout=SUBSCRIBE_TIMEOUT)
                except TimeoutError:
                    # Still subscribed once Redis answers; until then events are missed, as after any gap.
                    log.warning("redis_subscribe_unconfirmed", topics=fresh)
            except BaseException:
                for t in fresh:
                    self._confirm.pop(self.PREFIX + t, None)
                await self._uncount(topics)
                raise

    async def _release(self, topics: tuple[str, ...]) -> None:
        async with self._lock:
            await self._uncount(topics)

    async def _uncount(self, topics: tuple[str, ...]) -> None:
        """Drop the topics' counts; unsubscribe in Redis from those no local subscriber wants now."""
        gone = []
        for t in topics:
            self._counts[t] -= 1
            if self._counts[t] <= 0:
                del self._counts[t]
                gone.append(t)
        if gone:
            try:
                await self._pubsub.unsubscribe(*(self.PREFIX + t for t in gone))
            except Exception:
                # Redis is unreachable. At worst a stray subscription survives the reconnect and brings
                # events that no local subscriber takes.
                log.warning("redis_unsubscribe_failed", topics=gone, exc_info=True)

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
            channel = str(message.get("channel"))
            if message.get("type") == "subscribe":
                for future in self._confirm.pop(channel, ()):
                    if not future.done():
                        future.set_result(None)
                continue
            if message.get("type") != "message":
                continue
            try:
                payload = json.loads(message["data"])
            except (TypeError, ValueError):
                continue
            if isinstance(payload, dict):
                self._local.fan_out(channel.removeprefix(self.PREFIX), payload)

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
