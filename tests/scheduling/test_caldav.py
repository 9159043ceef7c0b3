"""CalDAV against a real Radicale server started on loopback with no authentication: bookings are
created, moved and deleted there, busy events placed there remove slots, and a server that is down
keeps the booking in Frontdesk until a retry syncs it."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import caldav
import httpx
import pytest

from frontdesk.kit.clock import FrozenClock
from tests.conftest import Account, free_port
from tests.scheduling.conftest import NOW, setup_meetings
from tests.scheduling.test_invitations_reminders import until


class Radicale:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "radicale",
                "--server-hosts",
                f"127.0.0.1:{self.port}",
                "--auth-type",
                "none",
                "--rights-type",
                "authenticated",
                "--storage-filesystem-folder",
                str(self.folder),
                "--logging-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("radicale did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    server = Radicale(tmp_path / "radicale")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"allow_private_network_targets": True, "calendar_timeout_seconds": 2.0}


def _calendar(server: Radicale) -> Any:
    client = caldav.DAVClient(url=f"{server.url}/alice/", username="alice", password="x")
    return client.calendar(url=f"{server.url}/alice/work/")


def make_calendar(server: Radicale) -> str:
    url = f"{server.url}/alice/work/"
    r = httpx.request("MKCALENDAR", url, auth=("alice", "x"))
    assert r.status_code == 201, r.text
    return url


def events(server: Radicale) -> list[Any]:
    client = caldav.DAVClient(url=f"{server.url}/alice/", username="alice", password="x")
    cal = client.calendar(url=f"{server.url}/alice/work/")
    out = []
    for obj in cal.events():
        out.extend(obj.icalendar_instance.walk("VEVENT"))
    return out


BUSY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:dentist-1
DTSTAMP:20270301T000000Z
DTSTART:20270309T110000Z
DTEND:20270309T120000Z
SUMMARY:Dentist
END:VEVENT
END:VCALENDAR
"""


async def _slots(client: httpx.AsyncClient, owner: Account, mt: dict[str, Any]) -> set[str]:
    r = await client.get(
        f"/api/v1/meetings/types/{mt['id']}/slots",
        headers=owner.headers,
        params={"tz": "UTC", "from": "2027-03-09", "days": 1},
    )
    assert r.status_code == 200, r.text
    return {s["local_time"] for s in r.json()["slots"]}


async def test_caldav_book_move_cancel_and_busy(client: httpx.AsyncClient, owner: Account, radicale: Radicale) -> None:
    url = await asyncio.to_thread(make_calendar, radicale)
    mt = await setup_meetings(client, owner, tz="UTC")
    r = await client.post(
        "/api/v1/meetings/calendars",
        headers=owner.headers,
        json={"kind": "caldav", "url": url, "username": "alice", "password": "x", "name": "Work"},
    )
    assert r.status_code == 201, r.text
    assert "password" not in r.text and r.json()["status"] == "active"

    before = await _slots(client, owner, mt)
    assert {"10:45", "11:00", "11:30"} <= before
    await asyncio.to_thread(lambda: _calendar(radicale).save_event(BUSY))
    after = await _slots(client, owner, mt)
    assert not {"10:45", "11:00", "11:15", "11:30"} & after
    assert {"10:30", "12:00"} <= after

    r = await client.post(
        "/api/v1/meetings/bookings",
        headers=owner.headers,
        json={"meeting_type_id": mt["id"], "start": "2027-03-09T09:00:00Z", "name": "Ada", "email": "a@example.com"},
    )
    assert r.status_code == 201, r.text
    booking = r.json()
    uid = f"{booking['id']}@frontdesk"

    async def ours(start: datetime | None) -> bool:
        found = [e for e in await asyncio.to_thread(events, radicale) if str(e["uid"]) == uid]
        if start is None:
            return not found
        return bool(found) and found[0].decoded("dtstart") == start

    await until(lambda: ours(datetime(2027, 3, 9, 9, 0, tzinfo=UTC)))
    # Our own event read back from the calendar does not block our own slot twice, nor other slots.
    assert "09:00" not in await _slots(client, owner, mt)

    r = await client.post(
        f"/api/v1/meetings/bookings/{booking['id']}/reschedule",
        headers=owner.headers,
        json={"start": "2027-03-09T09:15:00Z"},
    )
    assert r.status_code == 200, r.text
    await until(lambda: ours(datetime(2027, 3, 9, 9, 15, tzinfo=UTC)))

    r = await client.post(f"/api/v1/meetings/bookings/{booking['id']}/cancel", headers=owner.headers)
    assert r.status_code == 200
    await until(lambda: ours(None))
    # The busy event placed by someone else is untouched.
    assert [str(e["uid"]) for e in await asyncio.to_thread(events, radicale)] == ["dentist-1"]


async def test_calendar_down_keeps_booking_and_syncs_later(
    client: httpx.AsyncClient, owner: Account, radicale: Radicale, clock: FrozenClock
) -> None:
    url = await asyncio.to_thread(make_calendar, radicale)
    mt = await setup_meetings(client, owner, tz="UTC")
    r = await client.post(
        "/api/v1/meetings/calendars",
        headers=owner.headers,
        json={"kind": "caldav", "url": url, "username": "alice", "password": "x"},
    )
    assert r.status_code == 201, r.text
    connection_id = r.json()["id"]
    await asyncio.to_thread(radicale.stop)

    # Slots still answer (the dead calendar is skipped), and the booking is kept.
    assert "10:00" in await _slots(client, owner, mt)
    r = await client.post(
        "/api/v1/meetings/bookings",
        headers=owner.headers,
        json={"meeting_type_id": mt["id"], "start": "2027-03-09T10:00:00Z", "name": "Bo", "email": "b@example.com"},
    )
    assert r.status_code == 201, r.text
    uid = f"{r.json()['id']}@frontdesk"

    async def failed_once() -> bool:
        listed = await client.get("/api/v1/meetings/calendars", headers=owner.headers)
        conn = next(c for c in listed.json() if c["id"] == connection_id)
        return bool(conn["last_error"])

    await until(failed_once)

    await asyncio.to_thread(radicale.start)
    clock.set(datetime(2027, 3, 8, 12, 10, tzinfo=UTC))  # past the retry's backoff

    async def synced() -> bool:
        return any(str(e["uid"]) == uid for e in await asyncio.to_thread(events, radicale))

    await until(synced, timeout=30)
    clock.set(NOW)

    async def recorded() -> bool:
        listed = await client.get("/api/v1/meetings/calendars", headers=owner.headers)
        conn = next(c for c in listed.json() if c["id"] == connection_id)
        return conn["last_error"] is None and bool(conn["last_synced_at"])

    await until(recorded)


async def test_caldav_connection_that_does_not_answer_is_refused(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.post(
        "/api/v1/meetings/calendars",
        headers=owner.headers,
        json={"kind": "caldav", "url": f"http://127.0.0.1:{free_port()}/nobody/cal/", "username": "x", "password": "y"},
    )
    assert r.status_code == 422 and r.json()["code"] == "calendar_unreachable"
