"""Duration histograms that can be added together, so percentiles over any range come from aggregates.

Buckets grow roughly geometrically, from seconds to a week: a percentile read from them is exact to
within its bucket, which for response times means within a few seconds at the short end and within
hours only for answers that took days anyway.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Any

EDGES: tuple[float, ...] = (
    0,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    14400,
    28800,
    86400,
    172800,
    604800,
)


def empty() -> dict[str, Any]:
    return {"counts": [0] * len(EDGES), "sum": 0.0, "n": 0, "max": 0.0}


def of(values: Iterable[float]) -> dict[str, Any]:
    h = empty()
    for v in values:
        v = max(0.0, float(v))
        h["counts"][bisect_right(EDGES, v) - 1] += 1
        h["sum"] += v
        h["n"] += 1
        h["max"] = max(h["max"], v)
    return h


def merge(parts: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    total = empty()
    for h in parts:
        if not h:
            continue
        total["counts"] = [a + b for a, b in zip(total["counts"], h["counts"], strict=True)]
        total["sum"] += h["sum"]
        total["n"] += h["n"]
        total["max"] = max(total["max"], h["max"])
    return total


def percentile(h: dict[str, Any], q: float) -> float | None:
    """The ``q`` quantile (0..1), interpolated inside its bucket; None when there is nothing."""
    n = h["n"]
    if not n:
        return None
    rank = q * n
    seen = 0
    for i, count in enumerate(h["counts"]):
        if count and seen + count >= rank:
            low = EDGES[i]
            high = EDGES[i + 1] if i + 1 < len(EDGES) else max(h["max"], low)
            high = min(high, h["max"]) if h["max"] >= low else high
            within = (rank - seen) / count
            return round(low + (high - low) * within, 1)
        seen += count
    return float(h["max"])
