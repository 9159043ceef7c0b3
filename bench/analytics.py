"""Analytics at scale: 1,000,000 messages over 90 days in one organization.

Builds the data straight into a fresh SQLite database (and PostgreSQL with ``--postgres``), then
measures, in one process:

* aggregating one day (the daily job's unit of work) and all 90 days;
* ``GET /api/v1/analytics/overview`` for 90 days and ``/trends`` for 30 days, p50/p99 over repeated
  calls, next to ``GET /health`` through the same app as the baseline.

Run: ``.venv/bin/python bench/analytics.py [--messages 1000000] [--postgres]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_baseline import scratch_postgres

from frontdesk.analytics.aggregate import aggregate_day, aggregate_range
from frontdesk.app import create_app
from frontdesk.config import Settings
from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.db import transaction
from frontdesk.kit.ids import new_id
from frontdesk.kit.migrate import upgrade
from frontdesk.messages.models import Message
from frontdesk.orgs.models import Organization

DAYS = 90
END = datetime(2026, 3, 31, tzinfo=UTC)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def build(app: Any, messages: int) -> tuple[uuid.UUID, dict[str, str]]:
    runtime = app.state.runtime
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as client:
        r = await client.post(
            "/api/v1/auth/register",
            json={
                "email": "bench@example.com",
                "password": "correct horse battery",
                "name": "B",
                "organization_name": "Bench",
            },
        )
        token = r.json()["access_token"]
        me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    org = uuid.UUID(me["organization_id"])
    headers = {"Authorization": f"Bearer {token}", "X-Organization-Id": str(org)}
    rng = random.Random(7)
    per_conv = 10
    conversations = messages // per_conv
    start = END - timedelta(days=DAYS)
    started = time.perf_counter()
    async with transaction(runtime.sessionmaker) as session:
        inboxes = []
        for name, channel in (("Website", "web"), ("API", "api")):
            inbox = Inbox(organization_id=org, name=name, channel=channel, public_token=uuid.uuid4().hex)
            session.add(inbox)
            inboxes.append(inbox)
        await session.flush()
        inbox_ids = [(i.id, i.channel) for i in inboxes]
    batch = 2000
    done = 0
    while done < conversations:
        n = min(batch, conversations - done)
        contacts, convs, msgs = [], [], []
        for _ in range(n):
            opened = start + timedelta(seconds=rng.randrange(DAYS * 86400))
            contact_id, conv_id = new_id(), new_id()
            inbox_id, _channel = rng.choice(inbox_ids)
            contacts.append({"id": contact_id, "organization_id": org, "name": "c", "created_at": opened})
            first = opened + timedelta(seconds=rng.randrange(10, 900))
            resolved = first + timedelta(seconds=rng.randrange(60, 7200))
            convs.append(
                {
                    "id": conv_id,
                    "organization_id": org,
                    "inbox_id": inbox_id,
                    "contact_id": contact_id,
                    "status": "resolved",
                    "mode": "human",
                    "labels": [],
                    "created_at": opened,
                    "first_response_at": first,
                    "resolved_at": resolved,
                    "last_activity_at": resolved,
                }
            )
            for k in range(per_conv):
                inbound = k % 2 == 0
                msgs.append(
                    {
                        "id": new_id(),
                        "organization_id": org,
                        "conversation_id": conv_id,
                        "direction": "in" if inbound else "out",
                        "sender_type": "contact" if inbound else "agent",
                        "sender_id": contact_id if inbound else None,
                        "content": "x",
                        "created_at": opened + timedelta(seconds=30 * k),
                        "payload": {},
                        "attachments": [],
                        "ai": {},
                    }
                )
        async with transaction(runtime.sessionmaker) as session:
            await session.execute(insert(Contact), contacts)
            await session.execute(insert(Conversation), convs)
            await session.execute(insert(Message), msgs)
        done += n
        print(f"\r  built {done * per_conv:,} / {conversations * per_conv:,} messages", end="", flush=True)
    print(f"\n  built in {time.perf_counter() - started:.0f} s")
    return org, headers


async def measure(url: str, messages: int, label: str) -> None:
    settings = Settings(
        database_url=url,
        data_dir=tempfile.mkdtemp(),
        secret_key="bench-secret-key-0123456789-0123456789-0123456789",
        log_level="WARNING",
        rate_limit_user="100000000/minute",
        run_sweeper=False,
    )
    clock = FrozenClock(END + timedelta(hours=1))
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        org_id, headers = await build(app, messages)
        runtime = app.state.runtime
        async with transaction(runtime.sessionmaker) as session:
            t = time.perf_counter()
            await aggregate_day(session, org_id, date(2026, 3, 15), "UTC", clock.now())
            one_day = time.perf_counter() - t
        async with transaction(runtime.sessionmaker) as session:
            org = await session.get(Organization, org_id)
            assert org is not None
            t = time.perf_counter()
            await aggregate_range(
                session,
                org,
                (END - timedelta(days=DAYS)).date(),
                END.date(),
                clock.now(),
                hours_since=END - timedelta(days=7),
            )
            all_days = time.perf_counter() - t
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as client:

            async def timed(path: str, params: dict[str, str] | None = None, n: int = 60) -> list[float]:
                out = []
                for _ in range(n):
                    t = time.perf_counter()
                    r = await client.get(path, headers=headers, params=params)
                    out.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, r.text
                return out

            ninety = {"start": str((END - timedelta(days=DAYS - 1)).date()), "end": str(END.date())}
            thirty = {"start": str((END - timedelta(days=29)).date()), "end": str(END.date()), "granularity": "day"}
            health = await timed("/health", None, 200)
            overview = await timed("/api/v1/analytics/overview", ninety)
            trends = await timed("/api/v1/analytics/trends", thirty, 20)
    print(f"\n== {label}: {messages:,} messages over {DAYS} days")
    print(f"  aggregate one day: {one_day * 1000:,.0f} ms; all {DAYS + 1} days (days + hours): {all_days:,.1f} s")
    for name, values in (
        ("GET /health (baseline)", health),
        ("overview, 90 days", overview),
        ("trends, 30 days", trends),
    ):
        print(f"  {name:26} p50 {statistics.median(values):7.1f} ms   p99 {pct(values, 0.99):7.1f} ms")
    print(f"  overview p99 / health p99: {pct(overview, 0.99) / pct(health, 0.99):.1f}x  (goal: overview p99 < 100 ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'analytics.db'}"
        upgrade(url, verbose=False)
        asyncio.run(measure(url, args.messages, "SQLite"))
    if args.postgres:
        with scratch_postgres() as pg:
            upgrade(pg, verbose=False)
            asyncio.run(measure(pg, args.messages, "PostgreSQL"))


if __name__ == "__main__":
    main()
