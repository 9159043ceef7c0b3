"""The meetings pages: a business owner sets up hours and a meeting type, a customer books on the
public page with no login, then moves and cancels through the signed link."""

# ruff: noqa: F811  (pytest fixtures imported from tests/web/conftest.py)
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx

from tests.web.conftest import WebClient, join_as, owner_web, web  # noqa: F401  (fixtures)

Web = Callable[[], Awaitable[WebClient]]


async def _slug(browser: WebClient) -> str:
    r = await browser.get("/app/meetings/types")
    found = re.search(r"/book/([a-z0-9-]+)/", r.text)
    assert found, r.text
    return found.group(1)


async def test_owner_sets_up_and_customer_books_moves_and_cancels(web: Web, owner_web: WebClient) -> None:
    r = await owner_web.get("/app/meetings")
    assert r.status_code == 200 and "No meeting type yet" in r.text

    r = await owner_web.post(
        "/app/meetings/availability",
        {
            "timezone": "Europe/Berlin",
            "day_mon": "09:00-12:00, 13:00-17:00",
            "day_tue": "09:00-17:00",
            "day_wed": "nonsense",
            "days_off": "",
        },
    )
    assert r.status_code == 422 and "not a time like" in r.text
    r = await owner_web.post(
        "/app/meetings/availability",
        {
            "timezone": "Europe/Berlin",
            "day_mon": "09:00-12:00, 13:00-17:00",
            "day_tue": "09:00-17:00",
            "day_wed": "09:00-17:00",
            "day_thu": "09:00-17:00",
            "day_fri": "09:00-17:00",
            "days_off": "2027-12-24 Christmas Eve",
        },
    )
    assert r.status_code == 303, r.text
    r = await owner_web.get("/app/meetings/availability")
    assert "09:00-12:00, 13:00-17:00" in r.text and "2027-12-24 Christmas Eve" in r.text

    form = {
        "name": "Consultation",
        "slug": "",
        "description": "A first talk",
        "duration_minutes": "45",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "15",
        "min_notice_minutes": "60",
        "max_days_ahead": "30",
        "slot_step_minutes": "15",
        "location_kind": "phone",
        "location_value": "+44 20 7946 0000",
        "reminder_minutes": "60",
        "active": "on",
    }
    r = await owner_web.post("/app/meetings/types", {**form, "duration_minutes": "7"})
    assert r.status_code == 422 and "multiple of 5" in r.text
    r = await owner_web.post("/app/meetings/types", form)
    assert r.status_code == 303, r.text
    slug = await _slug(owner_web)

    customer = await web()
    r = await customer.get(f"/book/{slug}/consultation", params={"tz": "America/New_York"})
    assert r.status_code == 200, r.text
    assert "Consultation" in r.text and "45 minutes" in r.text
    starts = re.findall(r'name="start" value="([^"]+)"', r.text)
    assert starts
    r = await customer.post(
        f"/book/{slug}/consultation",
        {"start": starts[0], "tz": "America/New_York", "name": "Nora", "email": "not-an-email"},
    )
    assert r.status_code == 422
    r = await customer.post(
        f"/book/{slug}/consultation",
        {"start": starts[0], "tz": "America/New_York", "name": "Nora", "email": "nora@example.com"},
    )
    assert r.status_code == 303, r.text
    manage = r.headers["location"]
    assert manage.startswith("/manage-booking/")

    # The same slot again: the page explains and offers the rest.
    again = await web()
    r = await again.post(
        f"/book/{slug}/consultation",
        {"start": starts[0], "tz": "UTC", "name": "Olga", "email": "olga@example.com"},
    )
    assert r.status_code == 409 and "no longer free" in r.text

    r = await customer.get(manage)
    assert r.status_code == 200 and "You are booked" in r.text and "Consultation" in r.text
    token = manage.split("/")[-1].split("?")[0]
    other = re.findall(r'name="start" value="([^"]+)"', r.text)
    r = await customer.post(f"/manage-booking/{token}/reschedule", {"start": other[3], "tz": "America/New_York"})
    assert r.status_code == 303, r.text

    r = await owner_web.get("/app/meetings")
    assert "Nora" in r.text and "confirmed" in r.text

    r = await customer.post(f"/manage-booking/{token}/cancel", {})
    assert r.status_code == 303
    r = await customer.get(f"/manage-booking/{token}")
    assert "cancelled" in r.text and "Move my meeting" not in r.text
    assert (await customer.get("/manage-booking/bogus")).status_code == 404
    assert (await customer.get(f"/book/{slug}/nope")).status_code == 404


async def test_viewer_sees_but_cannot_change(web: Web, owner_web: WebClient) -> None:
    viewer, _ = await join_as(web, owner_web, "viewer")
    for path in ("/app/meetings", "/app/meetings/types", "/app/meetings/availability", "/app/meetings/calendars"):
        r = await viewer.get(path)
        assert r.status_code == 200, (path, r.text)
    assert "Add a meeting type" not in (await viewer.get("/app/meetings/types")).text
    r = await viewer.post("/app/meetings/types", {"name": "Sneaky", "duration_minutes": "30"})
    assert r.status_code == 403
    r = await viewer.post("/app/meetings/feed", {})
    assert r.status_code == 303
    page = await viewer.get("/app/meetings/calendars")
    assert "/calendar/feeds/" in page.text


async def test_calendars_page_validates_caldav(owner_web: WebClient) -> None:
    r = await owner_web.get("/app/meetings/calendars")
    assert r.status_code == 200 and "Not set up on this installation" in r.text
    r = await owner_web.post(
        "/app/meetings/calendars", {"url": "http://127.0.0.1:9/x/", "username": "u", "password": "p"}
    )
    assert r.status_code in (400, 422) and "private or loopback" in r.text
    assert isinstance(r, httpx.Response)
