"""Booking through the staff API and the public booking page: slots, validation, conflicts, links."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import Account
from tests.scheduling.conftest import org_slug, setup_meetings


async def test_slots_are_listed_in_the_visitors_zone(client: httpx.AsyncClient, owner: Account) -> None:
    mt = await setup_meetings(client, owner, tz="Europe/London")
    r = await client.get(
        f"/api/v1/meetings/types/{mt['id']}/slots",
        headers=owner.headers,
        params={"tz": "America/New_York", "from": "2027-03-09", "days": 1},
    )
    assert r.status_code == 200, r.text
    slots = r.json()["slots"]
    # London 09:00-17:00 on the 9th is 04:00-12:00 in New York (EST, UTC-5); 30-minute meetings every 15 minutes.
    assert slots[0]["local_time"] == "04:00"
    assert slots[0]["start"].startswith("2027-03-09T09:00:00")
    assert slots[-1]["local_time"] == "11:30"
    assert len(slots) == 31
    assert all(s["local_date"] == "2027-03-09" for s in slots)


async def test_minimum_notice_and_horizon_limit_slots(client: httpx.AsyncClient, owner: Account) -> None:
    mt = await setup_meetings(client, owner, tz="UTC", min_notice_minutes=120, max_days_ahead=2)
    r = await client.get(
        f"/api/v1/meetings/types/{mt['id']}/slots", headers=owner.headers, params={"tz": "UTC", "days": 7}
    )
    slots = r.json()["slots"]
    # Now is Monday 12:00 UTC: the first slot is 14:00 (two hours' notice); nothing after Wednesday 12:00.
    assert slots[0]["start"].startswith("2027-03-08T14:00")
    assert max(s["start"][:16] for s in slots) == "2027-03-10T12:00"


async def test_book_then_the_same_slot_is_a_conflict_with_alternatives(
    client: httpx.AsyncClient, owner: Account
) -> None:
    mt = await setup_meetings(client, owner, tz="UTC")
    body = {"meeting_type_id": mt["id"], "start": "2027-03-09T10:00:00Z", "name": "Ada", "email": "ada@example.com"}
    r = await client.post("/api/v1/meetings/bookings", headers=owner.headers, json=body)
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["status"] == "confirmed"
    assert booking["end_at"].startswith("2027-03-09T10:30")

    # Same start, and an overlapping one, are both refused.
    for start in ("2027-03-09T10:00:00Z", "2027-03-09T10:15:00Z"):
        r = await client.post(
            "/api/v1/meetings/bookings", headers=owner.headers, json={**body, "start": start, "email": "b@example.com"}
        )
        assert r.status_code == 409, r.text
        err = r.json()
        assert err["code"] == "slot_unavailable"
        alternatives = err["details"]["alternatives"]
        assert alternatives and all(a["start"] != "2027-03-09T10:00:00+00:00" for a in alternatives)

    slots = await client.get(
        f"/api/v1/meetings/types/{mt['id']}/slots",
        headers=owner.headers,
        params={"tz": "UTC", "from": "2027-03-09", "days": 1},
    )
    starts = {s["local_time"] for s in slots.json()["slots"]}
    assert "10:00" not in starts and "09:45" not in starts and "10:15" not in starts
    assert "09:30" in starts and "10:30" in starts


async def test_bad_input_answers_clear_4xx(client: httpx.AsyncClient, owner: Account) -> None:
    mt = await setup_meetings(client, owner, tz="America/New_York", hours={"sun": [["00:00", "06:00"]]})
    base = {"meeting_type_id": mt["id"], "name": "Ada", "email": "ada@example.com"}

    async def book(**fields: Any) -> httpx.Response:
        return await client.post("/api/v1/meetings/bookings", headers=owner.headers, json={**base, **fields})

    cases = [
        ({"start": "2027-03-01T10:00:00Z"}, 422, "booking_in_past"),
        ({"start": "2027-03-08T12:30:00Z"}, 422, "booking_too_soon"),
        ({"start": "2027-06-01T10:00:00Z"}, 422, "booking_beyond_horizon"),
        ({"start": "2027-03-14T03:00:00Z", "email": "not-an-email"}, 422, None),
        ({"start": "2027-03-14T03:00:00Z", "timezone": "Mars/Olympus_Mons"}, 422, "invalid_timezone"),
        # 02:30 on the spring-forward night does not exist in New York.
        ({"start": "2027-03-14T02:30:00", "timezone": "America/New_York"}, 422, "nonexistent_local_time"),
        # A time outside the opening hours is not a slot.
        ({"start": "2027-03-15T15:00:00Z"}, 409, "slot_unavailable"),
    ]
    for fields, status, code in cases:
        r = await book(**fields)
        assert r.status_code == status, (fields, r.text)
        if code:
            assert r.json()["code"] == code, r.text

    r = await client.get(
        f"/api/v1/meetings/types/{mt['id']}/slots", headers=owner.headers, params={"tz": "Nowhere/City"}
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_timezone"

    # 03:00 local (EDT) on the spring-forward day exists: it is 07:00 UTC.
    r = await book(start="2027-03-14T03:00:00", timezone="America/New_York")
    assert r.status_code == 201, r.text
    assert r.json()["start_at"].startswith("2027-03-14T07:00")


async def test_public_booking_page_flow_with_signed_link(client: httpx.AsyncClient, owner: Account) -> None:
    mt = await setup_meetings(client, owner, tz="UTC")
    slug = await org_slug(client, owner)
    r = await client.get(f"/api/v1/public/meetings/{slug}/{mt['slug']}")
    assert r.status_code == 200 and r.json()["name"] == "Intro call"
    r = await client.get(f"/api/v1/public/meetings/{slug}/{mt['slug']}/slots", params={"tz": "Asia/Tokyo"})
    assert r.status_code == 200
    first = r.json()["slots"][0]
    assert first["agent_id"] is None
    r = await client.post(
        f"/api/v1/public/meetings/{slug}/{mt['slug']}/bookings",
        json={"start": first["start"], "timezone": "Asia/Tokyo", "name": "Kenji", "email": "kenji@example.com"},
    )
    assert r.status_code == 201, r.text
    token = r.json()["manage_token"]
    assert token

    r = await client.get(f"/api/v1/public/bookings/{token}")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    # A tampered token names nothing.
    assert (await client.get(f"/api/v1/public/bookings/{token[:-2]}00")).status_code == 404
    assert (await client.get("/api/v1/public/bookings/garbage")).status_code == 404

    r = await client.get(f"/api/v1/public/bookings/{token}/slots", params={"tz": "Asia/Tokyo", "days": 3})
    later = r.json()["slots"][5]
    r = await client.post(
        f"/api/v1/public/bookings/{token}/reschedule", json={"start": later["start"], "timezone": "Asia/Tokyo"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["start_at"][:16] == later["start"][:16]

    # The freed slot is bookable again by someone else.
    r = await client.post(
        f"/api/v1/public/meetings/{slug}/{mt['slug']}/bookings",
        json={"start": first["start"], "timezone": "UTC", "name": "Other", "email": "o@example.com"},
    )
    assert r.status_code == 201, r.text

    r = await client.post(f"/api/v1/public/bookings/{token}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = await client.post(f"/api/v1/public/bookings/{token}/cancel")
    assert r.status_code == 410
    assert (await client.get(f"/api/v1/public/meetings/{slug}/nope")).status_code == 404


async def test_racing_bookings_one_wins_the_other_gets_alternatives(
    client: httpx.AsyncClient, owner: Account, live_server: str
) -> None:
    mt = await setup_meetings(client, owner, tz="UTC")
    slug = await org_slug(client, owner)
    url = f"{live_server}/api/v1/public/meetings/{slug}/{mt['slug']}/bookings"

    async def attempt(n: int) -> httpx.Response:
        async with httpx.AsyncClient() as c:
            return await c.post(
                url,
                json={"start": "2027-03-10T11:00:00Z", "name": f"P{n}", "email": f"p{n}@example.com"},
            )

    results = await asyncio.gather(*(attempt(n) for n in range(6)))
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 409, 409, 409, 409, 409], [r.text for r in results]
    for r in results:
        if r.status_code == 409:
            assert r.json()["code"] in ("slot_taken", "slot_unavailable")
            assert r.json()["details"]["alternatives"]
    listed = await client.get("/api/v1/meetings/bookings", headers=owner.headers)
    assert len(listed.json()) == 1


async def test_widget_can_call_the_public_api_from_another_site(client: httpx.AsyncClient, owner: Account) -> None:
    mt = await setup_meetings(client, owner, tz="UTC")
    slug = await org_slug(client, owner)
    origin = {"Origin": "https://shop.example.com"}
    pre = await client.options(
        f"/api/v1/public/meetings/{slug}/{mt['slug']}/bookings",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert pre.status_code == 204 and "POST" in pre.headers["access-control-allow-methods"]
    r = await client.get(f"/api/v1/public/meetings/{slug}/{mt['slug']}/slots", headers=origin)
    assert r.headers["access-control-allow-origin"] == "https://shop.example.com"
    start = r.json()["slots"][0]["start"]
    body = {"start": start, "name": "W", "email": "w@example.com"}
    url = f"/api/v1/public/meetings/{slug}/{mt['slug']}/bookings?source=widget"
    assert (await client.post(url, json=body, headers=origin)).status_code == 201
    taken = await client.post(url, json=body, headers=origin)
    # The refusal is readable cross-origin too, so the card can offer the alternatives.
    assert taken.status_code == 409 and taken.headers["access-control-allow-origin"] == "https://shop.example.com"
    listed = await client.get("/api/v1/meetings/bookings", headers=owner.headers)
    assert listed.json()[0]["source"] == "widget"


async def test_service_contract_for_the_assistant(client: httpx.AsyncClient, owner: Account, runtime: Any) -> None:
    import uuid

    from frontdesk.kit.db import transaction
    from frontdesk.scheduling import service

    org_id = uuid.UUID(owner.organization_id)
    r = await client.post(
        "/api/v1/meetings/bookings",
        headers=owner.headers,
        json={"start": "2027-03-09T10:00:00Z", "name": "A", "email": "a@example.com"},
    )
    assert r.status_code == 409 and r.json()["code"] == "scheduling_not_configured"
    async with transaction(runtime.sessionmaker) as session:
        try:
            await service.find_slots(session, organization_id=org_id)
        except service.SchedulingNotConfigured as exc:
            assert exc.status_code == 409
        else:
            raise AssertionError("expected SchedulingNotConfigured")

    await setup_meetings(client, owner, tz="UTC")
    async with transaction(runtime.sessionmaker) as session:
        slots = await service.find_slots(session, organization_id=org_id, tz="Europe/Paris", limit=3)
        assert len(slots) == 3 and all(isinstance(s, service.Slot) for s in slots)
        # Offered slots are spread out, not three neighbours.
        assert slots[1].start - slots[0].start >= service.timedelta(hours=2)
        booking = await service.book_meeting(
            session,
            organization_id=org_id,
            start=slots[0].start,
            email="Kim@Example.com",
            name="Kim",
            tz="Europe/Paris",
        )
    assert booking.email == "Kim@example.com" and booking.source == "assistant"
    listed = await client.get("/api/v1/meetings/bookings", headers=owner.headers)
    assert [b["name"] for b in listed.json()] == ["Kim"]


async def test_agents_connect_only_their_own_calendar(client: httpx.AsyncClient, owner: Account) -> None:
    from tests.conftest import join

    agent = await join(client, owner, "agent")
    me = (await client.get("/api/v1/me", headers=agent.headers)).json()
    body = {"kind": "caldav", "url": "http://127.0.0.1:9/cal/", "username": "u", "password": "p"}
    r = await client.post("/api/v1/meetings/calendars", headers=agent.headers, json=body)
    assert r.status_code == 403, r.text
    r = await client.post("/api/v1/meetings/calendars", headers=agent.headers, json={**body, "agent_id": owner.user_id})
    assert r.status_code == 403
    # Their own passes the check and reaches the address check (loopback is refused by default).
    r = await client.post("/api/v1/meetings/calendars", headers=agent.headers, json={**body, "agent_id": me["id"]})
    assert r.status_code in (400, 422) and r.json()["code"] != "permission_denied"
