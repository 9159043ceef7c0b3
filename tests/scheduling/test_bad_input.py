"""Hostile input on the meetings routes answers a deliberate 4xx, never a 500, on both databases."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account
from tests.scheduling.conftest import org_slug, setup_meetings

STARTS = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00", "2027-03-09T10:00:00+14:00", "2027-02-30T10:00:00Z", "x"]
ZONES = ["Pacific/Kiritimati", "Etc/GMT+12", "\u0000", "..", "UTC\u0000", "a" * 70]


def _no_crash(r: httpx.Response) -> None:
    assert r.status_code < 500, r.text
    if 400 <= r.status_code < 500:
        body = r.json()
        assert "code" in body and "message" in body, r.text


async def test_nothing_breaks_the_routes(client: httpx.AsyncClient, owner: Account) -> None:
    mt = await setup_meetings(client, owner, tz="UTC")
    slug = await org_slug(client, owner)
    public = f"/api/v1/public/meetings/{slug}/{mt['slug']}"
    for tz in ZONES:
        for frm in ("9999-12-31", "0001-01-01", "2027-03-09"):
            params = {"tz": tz, "from": frm, "days": "31"}
            _no_crash(
                await client.get(f"/api/v1/meetings/types/{mt['id']}/slots", headers=owner.headers, params=params)
            )
            _no_crash(await client.get(f"{public}/slots", params=params))
    for start in STARTS:
        for tz in ZONES[:3]:
            body: dict[str, Any] = {"start": start, "timezone": tz, "name": "N", "email": "n@example.com"}
            _no_crash(await client.post(f"{public}/bookings", json=body))
            _no_crash(
                await client.post(
                    "/api/v1/meetings/bookings", headers=owner.headers, json={**body, "meeting_type_id": mt["id"]}
                )
            )
    for name in ("A\u0000B", "x" * 5000, ""):
        _no_crash(
            await client.post(
                f"{public}/bookings", json={"start": "2027-03-09T10:00:00Z", "name": name, "email": "n@example.com"}
            )
        )
    for path in (f"/api/v1/public/meetings/{slug}%00/x", "/api/v1/public/bookings/%00", "/calendar/feeds/%00.ics"):
        _no_crash(await client.get(path))
    _no_crash(await client.post("/api/v1/public/bookings/%00/cancel"))
    _no_crash(
        await client.put(
            "/api/v1/meetings/availability",
            headers=owner.headers,
            json={"timezone": "UTC", "weekly_hours": {"mon": [["25:00", "26:00"]]}},
        )
    )
    _no_crash(
        await client.put(
            "/api/v1/meetings/availability", headers=owner.headers, json={"timezone": "Nope/Zone", "weekly_hours": {}}
        )
    )
    _no_crash(
        await client.post("/api/v1/meetings/types", headers=owner.headers, json={"name": "x", "slug": mt["slug"]})
    )
    r = await client.post("/api/v1/meetings/types", headers=owner.headers, json={"name": "x", "slug": mt["slug"]})
    assert r.status_code == 409 and r.json()["code"] == "slug_taken"
    listed = await client.get("/api/v1/meetings/bookings", headers=owner.headers)
    assert listed.json() == []
