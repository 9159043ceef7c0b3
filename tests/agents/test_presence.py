"""Presence and working hours: going online opens a shift, heartbeats keep it, missed heartbeats
close it at the last one (by the once-a-minute job), and the report splits shifts at local midnight."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from frontdesk.agents import service, tasks
from frontdesk.agents.models import Shift
from frontdesk.kit import jobs
from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import DONE, PENDING, Job
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account, join
from tests.conversations.helpers import customer_writes, eventually, join_named, make_inbox, ts

START = datetime(2025, 1, 16, 10, 0, 15, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_minutes": 60 * 24}


async def shifts_of(client: httpx.AsyncClient, owner: Account, agent: Account) -> list[dict]:
    r = await client.get("/api/v1/agents/shifts", headers=owner.headers, params={"user_id": agent.user_id})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_presence_heartbeats_and_stale_shifts(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    clock: FrozenClock = runtime.clock  # type: ignore[assignment]
    agent = await join(client, owner, "agent")
    viewer = await join(client, owner, "viewer")
    me = "/api/v1/agents/me/presence"
    beat = "/api/v1/agents/me/heartbeat"

    assert (await client.put(me, headers=viewer.headers, json={"status": "online"})).status_code == 403
    assert (await client.put(me, headers=agent.headers, json={"status": "away"})).status_code == 422
    online = await client.put(me, headers=agent.headers, json={"status": "online"})
    assert online.status_code == 200, online.text
    assert (online.json()["status"], online.json()["heartbeat_seconds"]) == ("online", 30)

    async def presence() -> dict[str, dict]:
        r = await client.get("/api/v1/agents/presence", headers=viewer.headers)
        assert r.status_code == 200, r.text
        return {p["user_id"]: p for p in r.json()}

    people = await presence()
    assert people[agent.user_id]["status"] == "online"
    assert people[owner.user_id]["status"] == "offline" and viewer.user_id not in people
    only_online = await client.get("/api/v1/agents/presence", headers=owner.headers, params={"status": "online"})
    assert [p["user_id"] for p in only_online.json()] == [agent.user_id]

    clock.advance(seconds=60)
    assert (await client.post(beat, headers=agent.headers)).json()["status"] == "online"
    last_beat = clock.now()
    clock.advance(seconds=100)
    # Heartbeats stopped: nobody is told the agent is online, even before the sweep closes the shift,
    # and no conversation is given to them.
    assert (await presence())[agent.user_id]["status"] == "offline"
    inbox = await make_inbox(runtime, owner, assistant_enabled=False, auto_assign=True)
    waiting = await customer_writes(runtime, inbox, "v1", "anyone there?")
    detail = (await client.get(f"/api/v1/conversations/{waiting.conversation_id}", headers=owner.headers)).json()
    assert (detail["status"], detail["assignee_id"]) == ("pending", None)

    # Start-up booked the chain; booking the same minute again is refused, so no second chain forms.
    await jobs.book(runtime, tasks.END_STALE_SHIFTS, jobs.next_minute(clock.now()))
    assert not await jobs.book(runtime, tasks.END_STALE_SHIFTS, jobs.next_minute(clock.now()))
    await jobs.ensure_recurring(runtime)
    clock.advance(seconds=60)

    async def closed() -> bool:
        return bool((await shifts_of(client, owner, agent))[0]["ended_at"])

    await eventually(closed)
    shift = (await shifts_of(client, owner, agent))[0]
    assert shift["end_reason"] == "missed_heartbeat" and ts(shift["ended_at"]) == last_beat
    assert shift["seconds"] == 60

    async def chain() -> list[Job]:
        async with transaction(runtime.sessionmaker) as session:
            return list(await session.scalars(select(Job).where(Job.kind == tasks.END_STALE_SHIFTS)))

    async def booked_next() -> bool:
        rows = await chain()
        pending = [j for j in rows if j.status == PENDING]
        done = [j for j in rows if j.status == DONE]
        # One chain: every due run finished and exactly one booked for later.
        return len(pending) == 1 and pending[0].due_at > clock.now() and len(done) + 1 == len(rows)

    # The run booked the next one, due after now.
    await eventually(booked_next)
    assert max(j.due_at for j in await chain()) > clock.now()

    # The browser comes back: its heartbeat puts the agent online again, with a new shift.
    back = await client.post(beat, headers=agent.headers)
    assert back.json()["status"] == "online"
    fresh = await customer_writes(runtime, inbox, "v2", "hello?")
    detail = (await client.get(f"/api/v1/conversations/{fresh.conversation_id}", headers=owner.headers)).json()
    assert detail["assignee_id"] == agent.user_id
    assert [s["ended_at"] is None for s in await shifts_of(client, owner, agent)] == [False, True]

    busy = await client.put(me, headers=agent.headers, json={"availability": "busy"})
    assert (busy.json()["status"], busy.json()["availability"]) == ("online", "busy")
    clock.advance(minutes=5)
    off = await client.put(me, headers=agent.headers, json={"status": "offline"})
    assert off.json()["status"] == "offline"
    latest = (await shifts_of(client, owner, agent))[-1]
    assert latest["end_reason"] == "offline" and latest["seconds"] == 300
    # Chose to go offline: a heartbeat from a forgotten tab does not bring them back.
    assert (await client.post(beat, headers=agent.headers)).json()["status"] == "offline"
    assert len(await shifts_of(client, owner, agent)) == 2


async def test_working_hours_split_at_local_midnight(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other_owner: Account
) -> None:
    r = await client.patch("/api/v1/organization", headers=owner.headers, json={"timezone": "Europe/Berlin"})
    assert r.status_code == 200, r.text
    tricky = await join_named(client, owner, "agent", "=SUM(A1)")
    bob = await join_named(client, owner, "agent", "Bob")
    org = uuid.UUID(owner.organization_id)

    def local(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2025, 1, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)  # Berlin is UTC+1 in January

    rows = [
        (tricky, local(13, 23), local(14, 1)),  # half before the window
        (tricky, local(14, 22), local(15, 2, 30)),  # crosses midnight
        (tricky, local(15, 9), local(15, 12)),
        (bob, local(16, 8), None),  # still open: counted up to now (11:00:15 local)
        (bob, local(10, 8), local(10, 9)),  # outside the window
    ]
    async with transaction(runtime.sessionmaker) as session:
        for who, start, end in rows:
            session.add(
                Shift(
                    organization_id=org,
                    user_id=uuid.UUID(who.user_id),
                    started_at=start,
                    ended_at=end,
                    last_heartbeat_at=end or START,
                    end_reason="offline" if end else None,
                )
            )

    window = {"from": "2025-01-14", "to": "2025-01-16"}
    r = await client.get("/api/v1/agents/working-hours", headers=owner.headers, params=window)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["timezone"], report["from"], report["to"]) == ("Europe/Berlin", "2025-01-14", "2025-01-16")
    days = [(d["date"], d["name"], d["seconds"], d["hours"]) for d in report["days"]]
    assert days == [
        ("2025-01-14", "=SUM(A1)", 3 * 3600, 3.0),
        ("2025-01-15", "=SUM(A1)", 5 * 3600 + 1800, 5.5),
        ("2025-01-16", "Bob", 3 * 3600 + 15, 3.0),
    ]
    totals = {t["name"]: t["hours"] for t in report["totals"]}
    assert totals == {"=SUM(A1)": 8.5, "Bob": 3.0}

    r = await client.get(
        "/api/v1/agents/working-hours",
        headers=owner.headers,
        params={**window, "format": "csv", "user_id": tricky.user_id},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="working-hours-2025-01-14-2025-01-16.csv"' in r.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(r.text)))
    assert table[0] == ["date", "agent_id", "agent_name", "agent_email", "seconds", "hours", "timezone"]
    assert [(row[0], row[2], row[5]) for row in table[1:]] == [
        ("2025-01-14", "'=SUM(A1)", "3.00"),
        ("2025-01-15", "'=SUM(A1)", "5.50"),
    ]

    first_day = await client.get(
        "/api/v1/agents/shifts", headers=owner.headers, params={"from": "2025-01-14", "to": "2025-01-14"}
    )
    assert [(s["user_id"], s["seconds"]) for s in first_day.json()] == [
        (tricky.user_id, 7200),
        (tricky.user_id, 4.5 * 3600),
    ]

    for bad in ({"from": "2025-01-16", "to": "2025-01-14"}, {"from": "2023-01-01", "to": "2025-01-14"}):
        r = await client.get("/api/v1/agents/working-hours", headers=owner.headers, params=bad)
        assert r.status_code == 422, r.text
    assert (
        await client.get("/api/v1/agents/working-hours", headers=owner.headers, params={"from": "x"})
    ).status_code == 422
    theirs = await client.get(
        "/api/v1/agents/working-hours", headers=other_owner.headers, params={**window, "user_id": tricky.user_id}
    )
    assert theirs.json()["days"] == []
    assert (await client.get("/api/v1/agents/shifts", headers=other_owner.headers, params=window)).json() == []


async def test_a_closed_socket_ends_the_shift_at_the_last_heartbeat(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    """``disconnected`` is what the realtime socket calls when an agent's last socket closes."""
    clock: FrozenClock = runtime.clock  # type: ignore[assignment]
    agent = await join(client, owner, "agent")
    org, user = uuid.UUID(owner.organization_id), uuid.UUID(agent.user_id)
    beat = "/api/v1/agents/me/heartbeat"
    await client.put("/api/v1/agents/me/presence", headers=agent.headers, json={"status": "online"})
    clock.advance(seconds=30)
    await client.post(beat, headers=agent.headers)
    last_beat = clock.now()

    async def socket_closed() -> None:
        async with transaction(runtime.sessionmaker) as session:
            await service.disconnected(session, org, user)

    clock.advance(seconds=20)
    await socket_closed()
    shift = (await shifts_of(client, owner, agent))[0]
    assert (shift["end_reason"], ts(shift["ended_at"])) == ("disconnected", last_beat)
    people = (await client.get("/api/v1/agents/presence", headers=owner.headers)).json()
    assert [p["status"] for p in people if p["user_id"] == agent.user_id] == ["offline"]

    # A page reload: back within the grace period, the same shift simply goes on.
    clock.advance(seconds=10)
    assert (await client.post(beat, headers=agent.headers)).json()["status"] == "online"
    shifts = await shifts_of(client, owner, agent)
    assert len(shifts) == 1 and shifts[0]["ended_at"] is None and shifts[0]["seconds"] == 60

    # Gone for longer: the next heartbeat starts a new shift, and the gap is not counted.
    last_beat = clock.now()
    await socket_closed()
    clock.advance(minutes=10)
    assert (await client.post(beat, headers=agent.headers)).json()["status"] == "online"
    first, second = await shifts_of(client, owner, agent)
    assert ts(first["ended_at"]) == last_beat and first["seconds"] == 60
    assert ts(second["started_at"]) == clock.now() and second["ended_at"] is None
