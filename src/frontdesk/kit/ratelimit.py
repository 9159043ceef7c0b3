"""Rate limits with ``limits``: a moving window, in memory or in Redis so all processes share counts.

A moving window rather than a fixed one because a fixed window lets a client spend twice the limit
across a window boundary, which is exactly what a password guesser would do.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from functools import lru_cache

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from frontdesk.config import Settings
from frontdesk.kit.errors import RateLimited, ServiceUnavailable

log = structlog.get_logger("frontdesk.ratelimit")

# Our keys in Redis start with this, so ``reset`` (tests, the CLI) never touches anyone else's data.
REDIS_KEY_PREFIX = "frontdesk-limits"


@lru_cache(maxsize=256)
def _parse(spec: str) -> RateLimitItem:
    return parse(spec)


def make_storage(settings: Settings) -> Storage:
    if settings.redis_url:
        # ``limits`` defaults to the coredis client; we ship redis-py (the event bus and taskiq use it).
        # Wrapped exceptions let a Redis outage answer 503 instead of an anonymous 500.
        return RedisStorage(
            "async+" + settings.redis_url,
            implementation="redispy",
            key_prefix=REDIS_KEY_PREFIX,
            wrap_exceptions=True,
        )
    return MemoryStorage()


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        self.storage = make_storage(settings)
        self.strategy = MovingWindowRateLimiter(self.storage)

    async def hit(self, spec: str, *identifiers: str, what: str = "requests") -> None:
        """Count one hit; raise :class:`RateLimited` with the seconds to wait when over the limit."""
        if not self.enabled:
            return
        item = _parse(spec)
        try:
            if await self.strategy.hit(item, *identifiers):
                return
            stats = await self.strategy.get_window_stats(item, *identifiers)
        except StorageError as exc:
            log.error("rate_limit_storage_failed", error=type(exc.storage_error).__name__)
            raise ServiceUnavailable(
                "The rate limit store is not answering; try again shortly.", code="rate_limit_unavailable"
            ) from exc
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"Too many {what}: the limit is {item.amount} per {_duration(item.get_expiry())}. "
            f"Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )

    async def reset(self) -> None:
        """Forget every count (only ours: in Redis, the keys under :data:`REDIS_KEY_PREFIX`)."""
        await self.storage.reset()

    async def close(self) -> None:
        # Neither storage has a public close: the memory one runs an expiry timer task and the Redis
        # one holds a connection pool, and both would outlive the runtime (and its event loop).
        timer = getattr(self.storage, "timer", None)
        if isinstance(timer, asyncio.Task) and not timer.done():
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await timer
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        aclose = getattr(client, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return unit if n == 1 else f"{n} {unit}s"
    return f"{seconds} seconds"
