"""The daily report: at the organization's time in its time zone, on a durable schedule (job rows),
stored, listed, downloadable and emailed; changing the time moves the schedule."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import select

from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.jobs import PENDING, Job
from frontdesk.kit.runtime import Runtime
from frontdesk.leads.pipeline import next_report_slot
from frontdesk.mail.models import MailMessage
from tests.conftest import Account
from tests.conversations.helpers import eventually

# 2026-03-28 10:00 UTC is 11:00 in Berlin (CET); the clocks spring forward the next night.
START = datetime(2026, 3, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_minutes": 60 * 24 * 30}


async def _report_jobs(runtime: Runtime) -> list[Job]:
    async with runtime.sessionmaker() as session:
        return list(
            await session.scalars(
                select(Job).where(Job.kind == "leads.daily_report", Job.status == PENDING).order_by(Job.due_at)
            )
        )


async def test_report_runs_at_local_time_and_is_emailed(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, clock: FrozenClock
) -> None:
    await client.patch("/api/v1/organization", headers=owner.headers, json={"timezone": "Europe/Berlin"})
    r = await client.patch(
        "/api/v1/lead-settings",
        headers=owner.headers,
        json={"report_enabled": True, "report_time": "18:30", "report_recipients": ["Boss@Example.com"]},
    )
    assert r.status_code == 200, r.text
    settings = r.json()
    assert settings["report_recipients"] == ["Boss@example.com"]
    assert datetime.fromisoformat(settings["report_next_at"]) == datetime(2026, 3, 28, 17, 30, tzinfo=UTC)
    jobs = await _report_jobs(runtime)
    assert [j.due_at for j in jobs] == [datetime(2026, 3, 28, 17, 30, tzinfo=UTC)]
    # Saving again does not book a second chain.
    await client.patch("/api/v1/lead-settings", headers=owner.headers, json={"report_time": "18:30"})
    assert len(await _report_jobs(runtime)) == 1

    for name in ("Ann", "Ben"):
        await client.post("/api/v1/leads", headers=owner.headers, json={"name": name, "source": "assistant"})
    clock.set(datetime(2026, 3, 28, 17, 31, tzinfo=UTC))
    runtime.wake_sweeper()

    async def report_done() -> bool:
        listed = (await client.get("/api/v1/lead-reports", headers=owner.headers)).json()
        return bool(listed["items"]) and listed["items"][0]["status"] == "done"

    await eventually(report_done, timeout=20)
    report = (await client.get("/api/v1/lead-reports", headers=owner.headers)).json()["items"][0]
    assert report["report_date"] == "2026-03-28"
    assert report["total_rows"] == 2
    book = openpyxl.load_workbook(io.BytesIO((await client.get(report["download_url"], headers=owner.headers)).content))
    assert book.sheetnames == ["Summary", "New leads"]
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows() if row[0].value}
    assert summary["New leads"] == 2
    assert summary["assistant"] == 2
    assert summary["Time zone"] == "Europe/Berlin"
    assert [c.value for c in book["New leads"]["A"]][1:] == ["Ann", "Ben"]

    async def emailed() -> bool:
        async with runtime.sessionmaker() as session:
            return (await session.scalar(select(MailMessage).where(MailMessage.kind == "lead_report"))) is not None

    await eventually(emailed)
    # The next run is booked for tomorrow 18:30 Berlin, which is CEST by then (16:30 UTC).
    jobs = await _report_jobs(runtime)
    assert [j.due_at for j in jobs] == [datetime(2026, 3, 29, 16, 30, tzinfo=UTC)]


async def test_changing_the_time_leaves_the_old_booking_inert(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, clock: FrozenClock
) -> None:
    await client.patch(
        "/api/v1/lead-settings", headers=owner.headers, json={"report_enabled": True, "report_time": "12:00"}
    )
    await client.patch("/api/v1/lead-settings", headers=owner.headers, json={"report_time": "13:00"})
    due = [j.due_at for j in await _report_jobs(runtime)]
    assert due == [datetime(2026, 3, 28, 12, 0, tzinfo=UTC), datetime(2026, 3, 28, 13, 0, tzinfo=UTC)]
    clock.set(datetime(2026, 3, 28, 12, 1, tzinfo=UTC))
    runtime.wake_sweeper()

    async def old_done() -> bool:
        return len(await _report_jobs(runtime)) == 1

    await eventually(old_done)
    listed = (await client.get("/api/v1/lead-reports", headers=owner.headers)).json()
    assert listed["total"] == 0  # the stale 12:00 booking made nothing
    await client.patch("/api/v1/lead-settings", headers=owner.headers, json={"report_enabled": False})
    settings = (await client.get("/api/v1/lead-settings", headers=owner.headers)).json()
    assert settings["report_next_at"] is None
    bad = await client.patch("/api/v1/lead-settings", headers=owner.headers, json={"report_time": "25:00"})
    assert bad.status_code == 422
    bad = await client.patch("/api/v1/lead-settings", headers=owner.headers, json={"report_recipients": ["nope"]})
    assert bad.status_code == 422


async def test_report_on_demand(client: httpx.AsyncClient, owner: Account) -> None:
    await client.post("/api/v1/leads", headers=owner.headers, json={"name": "Cy"})
    r = await client.post("/api/v1/lead-reports", headers=owner.headers)
    assert r.status_code == 202

    async def done() -> bool:
        got = await client.get(f"/api/v1/lead-exports/{r.json()['id']}", headers=owner.headers)
        return bool(got.json()["status"] == "done")

    await eventually(done, timeout=20)


def test_next_slot_handles_dst_gaps() -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    # 02:30 does not exist on 2026-03-29 in Berlin: the slot is 03:30 CEST (01:30 UTC).
    slot = next_report_slot(datetime(2026, 3, 28, 23, 0, tzinfo=UTC), "02:30", berlin)
    assert slot == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 02:30 happens twice on 2026-10-25: the first one (CEST, 00:30 UTC) is taken.
    slot = next_report_slot(datetime(2026, 10, 24, 23, 0, tzinfo=UTC), "02:30", berlin)
    assert slot == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert next_report_slot(datetime(2026, 1, 1, 18, 0, tzinfo=UTC), "18:00", ZoneInfo("UTC")) == datetime(
        2026, 1, 2, 18, 0, tzinfo=UTC
    )
    _ = timedelta
