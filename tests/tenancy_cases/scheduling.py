"""Tenancy walk of the meetings domain: staff API and pages in CASES; the customer-facing routes
(public booking page, signed manage links, private feeds, the OAuth callback) in PUBLIC."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.test_tenancy import Case, World, _create, _ok, seeder

HOURS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _hours(w: World) -> dict[str, Any]:
    return {"timezone": "UTC", "weekly_hours": {"mon": [["09:00", "17:00"]]}, "exceptions": []}


CASES: list[Case] = [
    Case("GET", "/api/v1/meetings/availability"),
    Case("PUT", "/api/v1/meetings/availability", body=_hours),
    Case("GET", "/api/v1/meetings/availability/agents/{agent_id}"),
    Case("PUT", "/api/v1/meetings/availability/agents/{agent_id}", body=_hours),
    Case("GET", "/api/v1/meetings/types"),
    Case("POST", "/api/v1/meetings/types", body=lambda w: {"name": "Beta call"}),
    Case("GET", "/api/v1/meetings/types/{type_id}"),
    Case("PATCH", "/api/v1/meetings/types/{type_id}", body=lambda w: {"name": "Hijacked"}),
    Case("DELETE", "/api/v1/meetings/types/{type_id}"),
    Case("GET", "/api/v1/meetings/types/{type_id}/slots", query=lambda w: {"tz": "UTC"}),
    Case("GET", "/api/v1/meetings/bookings"),
    Case(
        "POST",
        "/api/v1/meetings/bookings",
        body=lambda w: {
            "meeting_type_id": w.ids["meeting_type"],
            "start": w.ids["free_slot"],
            "name": "Beta",
            "email": "beta@example.com",
        },
    ),
    Case("GET", "/api/v1/meetings/bookings/{booking_id}"),
    Case("POST", "/api/v1/meetings/bookings/{booking_id}/cancel"),
    Case("POST", "/api/v1/meetings/bookings/{booking_id}/reschedule", body=lambda w: {"start": w.ids["free_slot"]}),
    Case("GET", "/api/v1/meetings/calendars"),
    Case(
        "POST",
        "/api/v1/meetings/calendars",
        body=lambda w: {"kind": "caldav", "url": "http://127.0.0.1:9/beta/", "username": "b", "password": "b"},
    ),
    Case("DELETE", "/api/v1/meetings/calendars/{connection_id}"),
    Case("POST", "/api/v1/meetings/feed"),
    # ---- pages
    Case("GET", "/app/meetings", kind="page"),
    Case("GET", "/app/meetings/types", kind="page"),
    Case("GET", "/app/meetings/types/{type_id}", kind="page"),
    Case("GET", "/app/meetings/availability", kind="page", query=lambda w: {"agent": w.a_member.user_id}),
    Case("GET", "/app/meetings/calendars", kind="page"),
    Case("POST", "/app/meetings/bookings/{booking_id}/cancel", kind="form"),
    Case("POST", "/app/meetings/types", kind="form", body=lambda w: {"name": "Beta"}),
    Case("POST", "/app/meetings/types/{type_id}", kind="form", body=lambda w: {"name": "Hijacked"}),
    Case("POST", "/app/meetings/types/{type_id}/delete", kind="form"),
    Case("POST", "/app/meetings/availability", kind="form", body=lambda w: {"timezone": "UTC"}),
    Case("POST", "/app/meetings/calendars", kind="form", body=lambda w: {"url": "http://127.0.0.1:9/x/"}),
    Case("POST", "/app/meetings/calendars/google", kind="form"),
    Case("POST", "/app/meetings/calendars/{connection_id}/delete", kind="form"),
    Case("POST", "/app/meetings/feed", kind="form"),
]

_BOOKING_PAGE = "the public booking page of a meeting type: open to anyone by design; shows no booking"
_LINK = "the signed booking link is the credential (HMAC over the booking id; tampering answers 404)"
PUBLIC: dict[tuple[str, str], str] = {
    ("OPTIONS", "/api/v1/public/{rest:path}"): "CORS preflight of the public booking API: answers no data",
    ("GET", "/api/v1/public/meetings/{org_slug}/{type_slug}"): _BOOKING_PAGE,
    ("GET", "/api/v1/public/meetings/{org_slug}/{type_slug}/slots"): _BOOKING_PAGE + " (free times, no hosts)",
    ("POST", "/api/v1/public/meetings/{org_slug}/{type_slug}/bookings"): "customers book without an account",
    ("GET", "/api/v1/public/bookings/{token}"): _LINK,
    ("GET", "/api/v1/public/bookings/{token}/slots"): _LINK,
    ("POST", "/api/v1/public/bookings/{token}/cancel"): _LINK,
    ("POST", "/api/v1/public/bookings/{token}/reschedule"): _LINK,
    ("GET", "/calendar/feeds/{token}.ics"): "the unguessable feed token (stored hashed) is the credential",
    (
        "GET",
        "/api/v1/meetings/calendars/google/callback",
    ): "the single-use OAuth state (stored hashed) is the credential",
    ("GET", "/book/{org_slug}/{type_slug}"): _BOOKING_PAGE,
    ("POST", "/book/{org_slug}/{type_slug}"): "customers book without an account",
    ("GET", "/manage-booking/{token}"): _LINK,
    ("POST", "/manage-booking/{token}/cancel"): _LINK,
    ("POST", "/manage-booking/{token}/reschedule"): _LINK,
}

PARAMS: dict[str, Any] = {
    "agent_id": lambda w: w.a_member.user_id,
    "type_id": lambda w: w.ids["meeting_type"],
    "booking_id": lambda w: w.ids["booking"],
    "connection_id": lambda w: w.ids["calendar_connection"],
}


@seeder("POST", "/api/v1/meetings/types")
async def seed_meetings(client: httpx.AsyncClient, w: World) -> None:
    await _ok(
        await client.put(
            "/api/v1/meetings/availability",
            headers=w.a.headers,
            json={"timezone": "Asia/Kathmandu", "weekly_hours": HOURS, "exceptions": [{"date": "2030-01-01"}]},
        )
    )
    name = f"Alpha consult {w.tag}"
    mt = await _create(client, "/api/v1/meetings/types", w.a.headers, {"name": name, "agent_ids": [w.a_member.user_id]})
    slots = await _ok(
        await client.get(f"/api/v1/meetings/types/{mt['id']}/slots", headers=w.a.headers, params={"days": 3})
    )
    first, second = slots["slots"][0], slots["slots"][4]
    customer = {"name": f"Alpha Customer Booking {w.tag}", "email": f"alpha-booker-{w.tag}@example.com"}
    booking = await _create(
        client,
        "/api/v1/meetings/bookings",
        w.a.headers,
        {"meeting_type_id": mt["id"], "start": first["start"], **customer},
    )
    app: Any = client._transport.app  # type: ignore[attr-defined]
    runtime = app.state.runtime
    from frontdesk.kit.db import transaction
    from frontdesk.scheduling.models import CalendarConnection

    conn_name = f"Alpha calendar {w.tag}"
    async with transaction(runtime.sessionmaker) as session:
        row = CalendarConnection(
            organization_id=uuid.UUID(w.a.organization_id),
            kind="caldav",
            name=conn_name,
            config={"url": f"http://127.0.0.1:9/alpha-cal-{w.tag}/", "username": f"alpha-user-{w.tag}"},
            secret_encrypted=runtime.secrets.encrypt(json.dumps({"password": f"alpha-pass-{w.tag}"})),
            status="active",
            created_at=runtime.clock.now(),
        )
        session.add(row)
        await session.flush()
        conn_id = str(row.id)
    w.ids |= {
        "meeting_type": mt["id"],
        "booking": booking["id"],
        "calendar_connection": conn_id,
        "free_slot": second["start"],
    }
    w.keep(mt["id"], name, booking["id"], *customer.values(), conn_id, conn_name)
    w.keep(f"alpha-cal-{w.tag}", f"alpha-user-{w.tag}", f"alpha-pass-{w.tag}")
    w.intact += [
        (f"/api/v1/meetings/types/{mt['id']}", name),
        (f"/api/v1/meetings/bookings/{booking['id']}", '"status":"confirmed"'),
        ("/api/v1/meetings/calendars", conn_name),
        ("/api/v1/meetings/availability", "Asia/Kathmandu"),
    ]
