"""Slot search: a month of free slots for a meeting type hosted by 20 agents who have busy meetings.

Measured through the public HTTP route a booking page calls
(``GET /api/v1/public/meetings/{org}/{type}/slots?days=31``), in process over ASGI, on SQLite.
Each agent has their own weekly hours in one of four time zones and about 4 bookings per working
day for the whole month (~1,700 bookings in all). Two baselines run in the same process, on the
same data:

* **floor**: the same route for a type hosted by the team as one calendar with no bookings: what
  routing, authentication-free lookup, one schedule and JSON cost without the 20-agent work;
* **naive overlap**: the pure slot arithmetic for the 20 agents done with a linear scan of each
  agent's busy list per candidate, against ours (sorted, merged, bisect): why the index matters.

Run: ``.venv/bin/python bench/slots.py [--requests 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402

from frontdesk.app import create_app  # noqa: E402
from frontdesk.config import Settings  # noqa: E402
from frontdesk.kit.db import transaction  # noqa: E402
from frontdesk.kit.migrate import upgrade  # noqa: E402

AGENTS = 20
ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata")


def _settings(tmp: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        data_dir=tmp / "var",
        secret_key="bench-secret-key-that-is-long-enough-0123456789",
        argon2_memory_kib=1024,
        argon2_time_cost=1,
        log_level="ERROR",
        rate_limit_enabled=False,
    )


async def _seed(app: Any, client: httpx.AsyncClient) -> tuple[str, str, str]:
    from frontdesk.orgs.models import Membership
    from frontdesk.scheduling.models import Availability, Booking, MeetingType
    from frontdesk.users.models import User

    r = await client.post(
        "/api/v1/auth/register",
        json={
            "email": "owner@example.com",
            "password": "bench password 1",
            "name": "Owner",
            "organization_name": "Bench",
        },
    )
    r.raise_for_status()
    token = r.json()["access_token"]
    org = (await client.get("/api/v1/organization", headers={"Authorization": f"Bearer {token}"})).json()
    org_id = uuid.UUID(org["id"])
    runtime = app.state.runtime
    now = runtime.clock.now()
    agent_ids: list[uuid.UUID] = []
    async with transaction(runtime.sessionmaker) as session:
        for n in range(AGENTS):
            user = User(email=f"agent{n}@example.com", name=f"Agent {n}", created_at=now)
            session.add(user)
            await session.flush()
            session.add(Membership(organization_id=org_id, user_id=user.id, role="agent", created_at=now))
            zone = ZONES[n % len(ZONES)]
            hours = {d: [["09:00", "12:30"], ["13:30", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}
            session.add(
                Availability(
                    organization_id=org_id,
                    owner_key=str(user.id),
                    agent_id=user.id,
                    timezone=zone,
                    weekly_hours=hours,
                    exceptions=[],
                    created_at=now,
                )
            )
            agent_ids.append(user.id)
        busy_type = MeetingType(
            organization_id=org_id,
            slug="consult",
            name="Consultation",
            duration_minutes=30,
            buffer_after_minutes=10,
            min_notice_minutes=60,
            max_days_ahead=40,
            agent_ids=[str(a) for a in agent_ids],
            reminder_minutes=[],
            created_at=now,
        )
        floor_type = MeetingType(
            organization_id=org_id,
            slug="floor",
            name="Floor",
            duration_minutes=30,
            min_notice_minutes=60,
            max_days_ahead=40,
            agent_ids=[],
            reminder_minutes=[],
            created_at=now,
        )
        session.add_all([busy_type, floor_type])
        await session.flush()
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        count = 0
        for day in range(1, 33):
            base = start + timedelta(days=day)
            if base.weekday() >= 5:
                continue
            for i, agent in enumerate(agent_ids):
                for k in range(4):
                    at = base + timedelta(hours=8 + 2 * k + (i % 3), minutes=15 * (i % 4))
                    session.add(
                        Booking(
                            organization_id=org_id,
                            meeting_type_id=busy_type.id,
                            agent_id=agent,
                            host_key=str(agent),
                            start_at=at,
                            end_at=at + timedelta(minutes=45),
                            timezone="UTC",
                            name="Busy",
                            email="busy@example.com",
                            created_at=now,
                        )
                    )
                    count += 1
    print(f"seeded {AGENTS} agents, {count} bookings")
    return org["slug"], "consult", "floor"


async def _time_route(client: httpx.AsyncClient, url: str, n: int) -> tuple[list[float], int]:
    await client.get(url)  # warm caches and imports
    samples = []
    slots = 0
    for _ in range(n):
        t0 = time.perf_counter()
        r = await client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        slots = len(r.json()["slots"])
    return samples, slots


def _naive_vs_indexed(busy_per_agent: int = 90) -> tuple[float, float, int]:
    """The arithmetic alone, for 20 agents and a month: linear overlap scan vs the sorted bisect."""
    from frontdesk.scheduling.slots import Busy, Schedule, free_slots, parse_hhmm, windows, zone

    start = datetime(2027, 3, 1, tzinfo=UTC)
    end = start + timedelta(days=31)
    total_naive = total_fast = 0.0
    found = 0
    for n in range(AGENTS):
        sched = Schedule(
            tz=zone(ZONES[n % len(ZONES)]),
            weekly={d: [(parse_hhmm("09:00"), parse_hhmm("17:30"))] for d in ("mon", "tue", "wed", "thu", "fri")},
            days_off=frozenset(),
        )
        busy = [
            (start + timedelta(hours=8 * k + n % 5), start + timedelta(hours=8 * k + n % 5, minutes=45))
            for k in range(busy_per_agent)
        ]
        open_windows = windows(sched, start, end)
        step, dur = timedelta(minutes=15), timedelta(minutes=30)

        t0 = time.perf_counter()
        naive = []
        for lo, hi in open_windows:
            at = lo
            while at + dur <= hi:
                if not any(b0 < at + dur and b1 > at for b0, b1 in busy):
                    naive.append(at)
                at += step
        total_naive += time.perf_counter() - t0

        t0 = time.perf_counter()
        fast = free_slots(
            open_windows,
            Busy(busy),
            duration=dur,
            step=step,
            buffer_before=timedelta(0),
            buffer_after=timedelta(0),
            earliest=start,
            latest=end,
        )
        total_fast += time.perf_counter() - t0
        assert [s for s, _ in fast] == naive
        found += len(fast)
    return total_naive * 1000, total_fast * 1000, found


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        settings = _settings(tmp)
        upgrade(settings.database_url, verbose=False)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                org_slug, busy_slug, floor_slug = await _seed(app, client)
                q = "?tz=America/Los_Angeles&days=31"
                busy, busy_slots = await _time_route(
                    client, f"/api/v1/public/meetings/{org_slug}/{busy_slug}/slots{q}", args.requests
                )
                floor, floor_slots = await _time_route(
                    client, f"/api/v1/public/meetings/{org_slug}/{floor_slug}/slots{q}", args.requests
                )
    naive_ms, fast_ms, found = _naive_vs_indexed()
    med_busy, med_floor = statistics.median(busy), statistics.median(floor)
    p95 = sorted(busy)[int(len(busy) * 0.95) - 1]
    print(f"\nmonth of slots, 20 agents with bookings : median {med_busy:7.1f} ms  p95 {p95:7.1f} ms")
    print(f"  ({busy_slots} slots returned)")
    print(f"floor: team type, no bookings          : median {med_floor:7.1f} ms  ({floor_slots} slots)")
    print(f"ratio 20 agents / floor                 : {med_busy / med_floor:5.1f}x")
    print(f"\narithmetic only, 20 agents x 31 days ({found} slots):")
    print(f"naive linear overlap scan : {naive_ms:7.1f} ms")
    print(f"sorted + bisect (ours)    : {fast_ms:7.1f} ms   speed-up {naive_ms / fast_ms:5.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
