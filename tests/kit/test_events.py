"""The event bus, in memory and over Redis, and publishing only after commit.

The Redis cases use two ``RedisEventBus`` instances: what two processes see. Topics carry a fresh
uuid, so runs sharing the Redis server never hear each other.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from frontdesk.kit import events
from frontdesk.kit.db import transaction
from frontdesk.kit.events import EventBus, InMemoryEventBus, RedisEventBus, Subscription, org_topic, publish_on_commit
from frontdesk.kit.runtime import Runtime
from tests.conftest import REDIS_URL, make_settings


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def buses(request: pytest.FixtureRequest) -> AsyncIterator[tuple[EventBus, EventBus]]:
    """A publishing side and a subscribing side: one bus in memory, two processes' buses over Redis."""
    if request.param == "memory":
        bus = InMemoryEventBus()
        yield bus, bus
        await bus.close()
        return
    publisher, subscriber = RedisEventBus(REDIS_URL), RedisEventBus(REDIS_URL)
    yield publisher, subscriber
    await publisher.close()
    await subscriber.close()


def topic() -> str:
    return f"test:{uuid.uuid4().hex}"


async def next_event(sub: Subscription, timeout: float = 5.0) -> dict[str, Any]:
    return await asyncio.wait_for(sub.get(), timeout=timeout)


async def channel_subscribers(name: str) -> int:
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    try:
        counts = await client.pubsub_numsub(RedisEventBus.PREFIX + name)
    finally:
        await client.aclose()
    return int(counts[0][1])


async def test_events_reach_the_subscribers_of_their_topic_only(buses: tuple[EventBus, EventBus]) -> None:
    publisher, subscriber = buses
    mine, theirs = topic(), topic()
    async with subscriber.subscribe(mine) as sub_mine, subscriber.subscribe(theirs) as sub_theirs:
        record = uuid.uuid4()
        await publisher.publish(mine, {"type": "thing.updated", "id": record})
        event = await next_event(sub_mine)
        # Over the wire or not, an event is plain JSON: ids arrive as strings, the topic is named.
        assert event == {"type": "thing.updated", "id": str(record), "topic": mine}
        # ``theirs`` got nothing: the first thing it hears is what was sent to it afterwards.
        await publisher.publish(theirs, {"type": "marker"})
        assert (await next_event(sub_theirs))["type"] == "marker"
        assert sub_mine.queue.empty()


async def test_one_subscription_hears_all_its_topics_and_every_subscriber_hears_each_event(
    buses: tuple[EventBus, EventBus],
) -> None:
    publisher, subscriber = buses
    first, second = topic(), topic()
    async with subscriber.subscribe(first, second) as both, subscriber.subscribe(first) as only_first:
        await publisher.publish(first, {"n": 1})
        await publisher.publish(second, {"n": 2})
        assert [(await next_event(both))["n"] for _ in range(2)] == [1, 2]
        assert (await next_event(only_first))["n"] == 1
        await publisher.publish(first, {"n": 3})
        assert (await next_event(only_first))["n"] == 3


async def test_leaving_a_subscription_stops_delivery_and_cleans_up(buses: tuple[EventBus, EventBus]) -> None:
    publisher, subscriber = buses
    name = topic()
    async with subscriber.subscribe(name) as stays:
        async with subscriber.subscribe(name) as leaves:
            await publisher.publish(name, {"n": 1})
            assert (await next_event(leaves))["n"] == 1
            assert (await next_event(stays))["n"] == 1
        # One subscriber left: the topic stays subscribed for the other.
        await publisher.publish(name, {"n": 2})
        assert (await next_event(stays))["n"] == 2
        assert leaves.queue.empty()
        if isinstance(subscriber, RedisEventBus):
            assert await channel_subscribers(name) == 1
    if isinstance(subscriber, RedisEventBus):
        # The process dropped its Redis subscription with its last local subscriber.
        for _ in range(100):
            if await channel_subscribers(name) == 0:
                break
            await asyncio.sleep(0.02)
        assert await channel_subscribers(name) == 0
    else:
        assert name not in subscriber._subs  # type: ignore[attr-defined]
    # Publishing to a topic nobody hears is fine.
    await publisher.publish(name, {"n": 3})


async def test_a_lagging_subscriber_is_flagged_as_overflowed(buses: tuple[EventBus, EventBus]) -> None:
    publisher, subscriber = buses
    name = topic()
    async with subscriber.subscribe(name) as sub:
        for n in range(events.QUEUE_SIZE + 5):
            await publisher.publish(name, {"n": n})
        for _ in range(250):
            if sub.overflowed:
                break
            await asyncio.sleep(0.02)
        assert sub.overflowed
        assert sub.queue.qsize() == events.QUEUE_SIZE
        # What was kept is the oldest, in order; the newest were dropped and must be caught up over REST.
        assert (await next_event(sub))["n"] == 0


# ------------------------------------------------------------------ publish on commit


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def event_runtime(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[Runtime]:
    import shutil

    db = tmp_path / "events.db"
    shutil.copyfile(sqlite_template, db)
    overrides: dict[str, Any] = {"redis_url": REDIS_URL} if request.param == "redis" else {}
    runtime = Runtime(make_settings(f"sqlite+aiosqlite:///{db}", tmp_path, **overrides))
    yield runtime
    await runtime.stop()


async def test_publish_on_commit_publishes_after_commit_and_never_on_rollback(event_runtime: Runtime) -> None:
    org = uuid.uuid4()
    name = org_topic(org)
    async with event_runtime.bus.subscribe(name) as sub:
        with pytest.raises(RuntimeError):
            async with transaction(event_runtime.sessionmaker) as session:
                publish_on_commit(session, name, {"type": "rolled.back"})
                raise RuntimeError("the change failed")

        async with transaction(event_runtime.sessionmaker) as session:
            publish_on_commit(session, name, {"type": "committed", "organization_id": org})
            await asyncio.sleep(0.2)
            assert sub.queue.empty(), "published before the commit"
        event = await next_event(sub)
        assert event == {"type": "committed", "organization_id": str(org), "topic": name}
        # Nothing from the rolled-back transaction arrived before or after.
        await event_runtime.bus.publish(name, {"type": "marker"})
        assert (await next_event(sub))["type"] == "marker"
