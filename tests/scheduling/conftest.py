"""Meetings tests run at a fixed instant: Monday 8 March 2027, 12:00 UTC (a week before US DST starts)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from frontdesk.kit.clock import FrozenClock
from tests.conftest import Account

NOW = datetime(2027, 3, 8, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


WEEKDAYS_9_TO_5 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


async def setup_meetings(
    client: httpx.AsyncClient,
    owner: Account,
    *,
    tz: str = "Europe/London",
    hours: dict[str, Any] | None = None,
    **type_fields: Any,
) -> dict[str, Any]:
    r = await client.put(
        "/api/v1/meetings/availability",
        headers=owner.headers,
        json={"timezone": tz, "weekly_hours": hours or WEEKDAYS_9_TO_5, "exceptions": []},
    )
    assert r.status_code == 200, r.text
    body = {"name": "Intro call", "duration_minutes": 30, "min_notice_minutes": 60, "max_days_ahead": 30}
    body.update(type_fields)
    r = await client.post("/api/v1/meetings/types", headers=owner.headers, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def org_slug(client: httpx.AsyncClient, owner: Account) -> str:
    r = await client.get("/api/v1/organization", headers=owner.headers)
    assert r.status_code == 200, r.text
    return str(r.json()["slug"])
