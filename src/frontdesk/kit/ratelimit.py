"""Rate limits with ``limits``: a moving window, in memory or in Redis so all processes share counts.

A moving window rather than a fixed one because a fixed window lets a client spend twice the limit
across a window boundary, which is exactly what a password guesser would do.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from functools import lru_cache
from typing import NoReturn

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


class LocalWindows:
    """Moving windows held in this process: one deque of hit times per key, trimmed on each hit.

    ``limits``' memory storage expires keys by sweeping all of them on every hit (with a thread hop
    per key); with many visitors that sweep was most of the cost of a chat message. Here a hit touches
    only its own key, and idle keys are dropped at most once a minute.
    """

    SWEEP_EVERY = 60.0

    def __init__(self) -> None:
        self._hits: dict[tuple[str, ...], tuple[float, deque[float]]] = {}
        self._last_sweep = time.monotonic()

    def hit(self, key: tuple[str, ...], amount: int, expiry: float) -> float | None:
        """Count a hit; ``None`` when allowed, else the seconds until the oldest hit leaves the window."""
        now = time.monotonic()
        entry = self._hits.get(key)
        if entry is None:
            entry = self._hits[key] = (expiry, deque())
        hits = entry[1]
        cutoff = now - expiry
        while hits and hits[0] <= cutoff:
            hits.popleft()
        if now - self._last_sweep >= self.SWEEP_EVERY:
            self._sweep(now)
        if len(hits) < amount:
            hits.append(now)
            return None
        return hits[0] + expiry - now

    def _sweep(self, now: float) -> None:
        self._last_sweep = now
        idle = [k for k, (expiry, hits) in self._hits.items() if not hits or hits[-1] <= now - expiry]
        for key in idle:
            del self._hits[key]

    def reset(self) -> None:
        self._hits.clear()


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
        # In Redis when there is one (every process shares the counts), else in this process.
        self.local: LocalWindows | None = None if settings.redis_url else LocalWindows()
        self.storage = make_storage(settings)
        self.strategy = MovingWindowRateLimiter(self.storage)

    async def hit(self, spec: str, *identifiers: str, what: str = "requests") -> None:
        """Count one hit; raise :class:`RateLimited` with the seconds to wait when over the limit."""
        if not self.enabled:
            return
        item = _parse(spec)
        if self.local is not None:
            wait = self.local.hit((spec, *identifiers), item.amount, float(item.get_expiry()))
            if wait is None:
                return
            self._refuse(item, wait, what)
        try:
            if await self.strategy.hit(item, *identifiers):
                return
            stats = await self.strategy.get_window_stats(item, *identifiers)
        except StorageError as exc:
            log.error("rate_limit_storage_failed", error=type(exc.storage_error).__name__)
            raise ServiceUnavailable(
                "The rate limit store is not answering; try again shortly.", code="rate_limit_unavailable"
            ) from exc
        self._refuse(item, stats.reset_time - time.time(), what)

    @staticmethod
    def _refuse(item: RateLimitItem, wait: float, what: str) -> NoReturn:
        retry_after = max(1, math.ceil(wait))
        raise RateLimited(
            f"Too many {what}: the limit is {item.amount} per {_duration(item.get_expiry())}. "
            f"Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )

    async def reset(self) -> None:
        """Forget every count (only ours: in Redis, the keys under :data:`REDIS_KEY_PREFIX`)."""
        if self.local is not None:
            self.local.reset()
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
