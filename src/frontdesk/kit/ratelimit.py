"""Rate limits with ``limits``: a moving window, in memory or in Redis so all processes share counts."""

from __future__ import annotations

import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from frontdesk.config import Settings
from frontdesk.kit.errors import RateLimited


@lru_cache(maxsize=256)
def _parse(spec: str) -> RateLimitItem:
    return parse(spec)


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        storage: Storage
        if settings.redis_url:
            storage = RedisStorage("async+" + settings.redis_url)
        else:
            storage = MemoryStorage()
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(storage)

    async def hit(self, spec: str, *identifiers: str, what: str = "requests") -> None:
        """Count one hit; raise :class:`RateLimited` with the seconds to wait when over the limit."""
        if not self.enabled:
            return
        item = _parse(spec)
        if await self.strategy.hit(item, *identifiers):
            return
        stats = await self.strategy.get_window_stats(item, *identifiers)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"Too many {what}: the limit is {item.amount} per {item.get_expiry()} seconds. "
            f"Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )

    async def reset(self) -> None:
        await self.storage.reset()

    async def close(self) -> None:
        close = getattr(self.storage, "aclose", None) or getattr(self.storage, "close", None)
        if close is not None:
            try:
                result = close()
                if hasattr(result, "__await__"):
                    await result
            except Exception:  # noqa: S110  (closing at shutdown; nothing to recover)
                pass
