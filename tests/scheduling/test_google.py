"""Google Calendar through google-api-python-client, against the local fake of Calendar v3
(tests/fakes/google_calendar.py): OAuth with a state check, events with a Meet link requested through
conferenceData.createRequest, busy times from freeBusy, and deletion on cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn

from tests.conftest import Account, free_port
from tests.fakes.google_calendar import FakeGoogle
from tests.scheduling.conftest import setup_meetings
from tests.scheduling.test_invitations_reminders import until


@pytest.fixture
async def google() -> AsyncIterator[tuple[FakeGoogle, str]]:
    fake = FakeGoogle()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    yield fake, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
def settings_overrides(google: tuple[FakeGoogle, str]) -> dict[str, Any]:
    fake, base = google
    return {
        "google_client_id": fake.client_id,
        "google_client_secret": fake.client_secret,
        "google_oauth_authorize_url": f"{base}/o/oauth2/auth",
        "google_oauth_token_url": f"{base}/token",
        "google_calendar_api_url": f"{base}/",
        "calendar_timeout_seconds": 5.0,
    }


async def _connect(client: httpx.AsyncClient, owner: Account, fake: FakeGoogle) -> str:
    r = await client.post("/api/v1/meetings/calendars", headers=owner.headers, json={"kind": "google"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "pending"
    query = parse_qs(urlsplit(created["authorize_url"]).query)
    assert query["client_id"] == [fake.client_id]
    assert query["redirect_uri"] == ["http://testserver/api/v1/meetings/calendars/google/callback"]
    assert "calendar" in query["scope"][0] and query["access_type"] == ["offline"]
    state = query["state"][0]

    callback = "/api/v1/meetings/calendars/google/callback"
    r = await client.get(callback, params={"state": "forged", "code": fake.good_code})
    assert r.status_code == 400 and r.json()["code"] == "invalid_oauth_state"
    r = await client.get(callback, params={"state": state, "code": fake.good_code})
    assert r.status_code == 303, r.text
    # A state is used once.
    r = await client.get(callback, params={"state": state, "code": fake.good_code})
    assert r.status_code == 400
    listed = await client.get("/api/v1/meetings/calendars", headers=owner.headers)
    [conn] = listed.json()
    assert conn["status"] == "active" and "token" not in str(conn["config"])
    return str(conn["id"])


async def test_google_oauth_meet_link_busy_and_cancel(
    client: httpx.AsyncClient, owner: Account, google: tuple[FakeGoogle, str]
) -> None:
    fake, _ = google
    mt = await setup_meetings(client, owner, tz="UTC", location_kind="video")
    await _connect(client, owner, fake)

    fake.busy.append({"start": "2027-03-09T13:00:00Z", "end": "2027-03-09T14:00:00Z"})
    r = await client.get(
        f"/api/v1/meetings/types/{mt['id']}/slots",
        headers=owner.headers,
        params={"tz": "UTC", "from": "2027-03-09", "days": 1},
    )
    times = {s["local_time"] for s in r.json()["slots"]}
    assert not {"12:45", "13:00", "13:30"} & times and {"12:30", "14:00"} <= times

    r = await client.post(
        "/api/v1/meetings/bookings",
        headers=owner.headers,
        json={"meeting_type_id": mt["id"], "start": "2027-03-09T10:00:00Z", "name": "Gus", "email": "g@example.com"},
    )
    assert r.status_code == 201, r.text
    booking_id = r.json()["id"]

    async def has_link() -> bool:
        got = await client.get(f"/api/v1/meetings/bookings/{booking_id}", headers=owner.headers)
        return bool(got.json()["location"].startswith("https://meet.google.com/"))

    await until(has_link)
    [insert] = [req for req in fake.requests if req[0] == "insert"]
    _, calendar_id, params, body = insert
    assert calendar_id == "primary" and params["conferenceDataVersion"] == "1"
    create = body["conferenceData"]["createRequest"]
    assert create["conferenceSolutionKey"] == {"type": "hangoutsMeet"} and create["requestId"]
    assert body["start"]["dateTime"].startswith("2027-03-09T10:00:00")
    assert {"email": "g@example.com", "displayName": "Gus"} in body["attendees"]

    # Our own event, read back through freeBusy, does not block anything beyond our booking.
    r = await client.get(
        f"/api/v1/meetings/types/{mt['id']}/slots",
        headers=owner.headers,
        params={"tz": "UTC", "from": "2027-03-09", "days": 1},
    )
    times = {s["local_time"] for s in r.json()["slots"]}
    assert "10:00" not in times and "09:00" in times

    r = await client.post(
        f"/api/v1/meetings/bookings/{booking_id}/reschedule",
        headers=owner.headers,
        json={"start": "2027-03-09T10:15:00Z"},
    )
    assert r.status_code == 200, r.text

    async def patched() -> bool:
        return any(
            req[0] == "patch" and req[3]["start"]["dateTime"].startswith("2027-03-09T10:15") for req in fake.requests
        )

    await until(patched)

    r = await client.post(f"/api/v1/meetings/bookings/{booking_id}/cancel", headers=owner.headers)
    assert r.status_code == 200

    async def deleted() -> bool:
        return any(req[0] == "delete" for req in fake.requests)

    await until(deleted)
    assert all(e["status"] == "cancelled" for e in fake.events.values())


async def test_google_denied_consent_and_missing_configuration(
    client: httpx.AsyncClient, owner: Account, google: tuple[FakeGoogle, str]
) -> None:
    r = await client.post("/api/v1/meetings/calendars", headers=owner.headers, json={"kind": "google"})
    state = parse_qs(urlsplit(r.json()["authorize_url"]).query)["state"][0]
    r = await client.get(
        "/api/v1/meetings/calendars/google/callback", params={"state": state, "error": "access_denied"}
    )
    assert r.status_code == 400 and r.json()["code"] == "oauth_denied"
    [conn] = (await client.get("/api/v1/meetings/calendars", headers=owner.headers)).json()
    assert conn["status"] == "error"
    r = await client.get("/api/v1/meetings/calendars/google/callback", params={"state": "", "code": "x"})
    assert r.status_code == 400


async def test_expired_access_token_is_refreshed_and_stored(
    client: httpx.AsyncClient, owner: Account, google: tuple[FakeGoogle, str], runtime: Any
) -> None:
    import json
    import uuid

    from frontdesk.kit.db import transaction
    from frontdesk.scheduling.models import CalendarConnection

    fake, _ = google
    mt = await setup_meetings(client, owner, tz="UTC", location_kind="phone")
    connection_id = uuid.UUID(await _connect(client, owner, fake))
    async with transaction(runtime.sessionmaker) as session:
        conn = await session.get(CalendarConnection, connection_id)
        assert conn is not None and conn.secret_encrypted
        secret = json.loads(runtime.secrets.decrypt(conn.secret_encrypted))
        fake.tokens.discard(secret["access_token"])  # Google no longer accepts it
        secret["expiry"] = "2020-01-01T00:00:00+00:00"
        conn.secret_encrypted = runtime.secrets.encrypt(json.dumps(secret))
        old_token = secret["access_token"]

    r = await client.post(
        "/api/v1/meetings/bookings",
        headers=owner.headers,
        json={"meeting_type_id": mt["id"], "start": "2027-03-09T10:00:00Z", "name": "Hal", "email": "h@example.com"},
    )
    assert r.status_code == 201, r.text

    async def inserted() -> bool:
        return any(req[0] == "insert" for req in fake.requests)

    await until(inserted)
    # A phone meeting asks for no conference.
    assert "conferenceData" not in next(req for req in fake.requests if req[0] == "insert")[3]

    async def stored() -> bool:
        async with transaction(runtime.sessionmaker) as session:
            conn = await session.get(CalendarConnection, connection_id)
            assert conn is not None and conn.secret_encrypted
            fresh = json.loads(runtime.secrets.decrypt(conn.secret_encrypted))
            return bool(fresh["access_token"] != old_token and fresh["access_token"] in fake.tokens)

    await until(stored)
