"""Keyword trigger matching: time per message with 10 and 10,000 triggers.

The index (``flows.triggers.keywords``) is what ``flows.inbound.consume`` asks for every customer
message: exact matches by dictionary, starts/ends-with by trie, contains by Aho-Corasick. Baseline,
measured in the same run: the obvious loop that tests every trigger against the message.

Run: ``.venv/bin/python bench/triggers.py``
"""

from __future__ import annotations

import functools
import random
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from http_baseline import machine

from frontdesk.flows.triggers.keywords import Entry, KeywordIndex, normalize

KINDS = ("exact", "contains", "starts_with", "ends_with")
WORDS = [
    "order",
    "refund",
    "price",
    "booking",
    "table",
    "delivery",
    "cancel",
    "invoice",
    "help",
    "hours",
    "open",
    "menu",
    "account",
    "login",
]


def entries(n: int, rng: random.Random) -> list[Entry]:
    out = []
    for i in range(n):
        kind = KINDS[i % 4]
        pattern = f"{rng.choice(WORDS)} {rng.choice(WORDS)}{i}"
        out.append(Entry(uuid.uuid4(), uuid.uuid4(), kind, pattern, i % 10 == 0, i % 5, i))
    return out


def messages(rng: random.Random, count: int) -> list[str]:
    return [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25))) + f" {rng.randint(0, 20000)}"
        for _ in range(count)
    ]


def naive(items: list[Entry], text: str) -> Entry | None:
    best = None
    for e in items:
        t = normalize(text, e.case_sensitive)
        p = normalize(e.pattern, e.case_sensitive)
        hit = (
            (e.match == "exact" and t == p)
            or (e.match == "contains" and p in t)
            or (e.match == "starts_with" and t.startswith(p))
            or (e.match == "ends_with" and t.endswith(p))
        )
        if hit and (best is None or e.key() < best.key()):
            best = e
    return best


def timed(fn: Callable[[str], object], texts: list[str]) -> float:
    started = time.perf_counter()
    for t in texts:
        fn(t)
    return (time.perf_counter() - started) / len(texts) * 1e6


def main() -> int:
    rng = random.Random(7)
    texts = messages(rng, 2000)
    print(f"Keyword triggers, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"  {len(texts)} messages of 3-25 words; exact/contains/starts_with/ends_with mixed, 10% case-sensitive")
    results = {}
    for n in (10, 10_000):
        items = entries(n, rng)
        started = time.perf_counter()
        index = KeywordIndex(items)
        build = (time.perf_counter() - started) * 1000
        for t in texts[:50]:  # the two must agree before either is timed
            a, b = index.best(t), naive(items, t)
            assert (a.trigger_id if a else None) == (b.trigger_id if b else None), t
        ours = timed(index.best, texts)
        base = timed(functools.partial(naive, items), texts[:200] if n > 100 else texts)
        results[n] = ours
        print(
            f"  {n:>6} triggers: index {ours:8.1f} µs/message (built in {build:7.1f} ms)   "
            f"linear scan {base:10.1f} µs/message   scan/index {base / ours:7.1f}x"
        )
    print(f"  10,000 vs 10 triggers, index: {results[10_000] / results[10]:.2f}x the time per message")
    return 0


if __name__ == "__main__":
    sys.exit(main())
