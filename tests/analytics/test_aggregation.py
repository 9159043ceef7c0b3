"""A known day of activity, aggregated, re-aggregated and read back, every figure checked by hand.

Monday 2 March 2026 in an organization on UTC, one people-only inbox, the owner answering:

=====  =========================================================================================
08:00  customer A writes (conversation 1 opens)
08:05  owner replies to A                       first response 300 s
09:00  customer B writes (conversation 2 opens)
09:02  owner replies to B                       first response 120 s
09:30  owner escalates conversation 2 ("billing")
10:00  owner resolves conversation 1            resolution 7,200 s, by a person
10:10  customer A rates conversation 1: 4
11:00  customer C writes (conversation 3 opens)
11:30  owner resolves conversation 3            resolution 1,800 s, nobody wrote to C: "AI-resolved"
11:40  owner writes a private note on conversation 2 (not a message to anyone: never counted)
=====  =========================================================================================
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from frontdesk.analytics.models import StatRow
from frontdesk.conversations.csat import submit_rating
from frontdesk.conversations.models import Conversation
from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account
from tests.conversations.helpers import customer_writes, make_inbox

DAY = "2026-03-02"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


async def _at(client: httpx.AsyncClient, clock: FrozenClock, who: Account, hh: int, mm: int) -> None:
    """Move the clock to hh:mm on the day, and sign in again: access tokens outlive no hour."""
    target = datetime(2026, 3, 2, hh, mm, tzinfo=UTC) if hh < 24 else datetime(2026, 3, 3, hh - 24, mm, tzinfo=UTC)
    clock.advance(seconds=(target - clock.now()).total_seconds())
    r = await client.post("/api/v1/auth/login", json={"email": who.email, "password": who.password})
    assert r.status_code == 200, r.text
    who.access_token = r.json()["access_token"]


async def _day_of_activity(client: httpx.AsyncClient, runtime: Runtime, owner: Account, clock: FrozenClock) -> None:
    inbox = await make_inbox(runtime, owner, assistant_enabled=False, auto_assign=False)
    one = (await customer_writes(runtime, inbox, "customer-a", "Where is my order?")).conversation_id
    await _at(client, clock, owner, 8, 5)
    r = await client.post(
        f"/api/v1/conversations/{one}/messages", headers=owner.headers, json={"content": "On its way"}
    )
    assert r.status_code == 201, r.text
    await _at(client, clock, owner, 9, 0)
    two = (await customer_writes(runtime, inbox, "customer-b", "My invoice is wrong")).conversation_id
    await _at(client, clock, owner, 9, 2)
    r = await client.post(f"/api/v1/conversations/{two}/messages", headers=owner.headers, json={"content": "Checking"})
    assert r.status_code == 201, r.text
    await _at(client, clock, owner, 9, 30)
    r = await client.post(f"/api/v1/conversations/{two}/escalate", headers=owner.headers, json={"reason": "billing"})
    assert r.status_code == 200, r.text
    await _at(client, clock, owner, 10, 0)
    r = await client.patch(f"/api/v1/conversations/{one}", headers=owner.headers, json={"status": "resolved"})
    assert r.status_code == 200, r.text
    await _at(client, clock, owner, 10, 10)
    async with transaction(runtime.sessionmaker) as session:
        conv = await session.get(Conversation, uuid.UUID(one))
        assert conv is not None
        await submit_rating(session, conv, rating=4, comment="quick")
    await _at(client, clock, owner, 11, 0)
    three = (await customer_writes(runtime, inbox, "customer-c", "Are you open on Sunday?")).conversation_id
    await _at(client, clock, owner, 11, 30)
    r = await client.patch(f"/api/v1/conversations/{three}", headers=owner.headers, json={"status": "resolved"})
    assert r.status_code == 200, r.text
    await _at(client, clock, owner, 11, 40)
    note = {"content": "Refund approved by finance", "private": True}
    r = await client.post(f"/api/v1/conversations/{two}/messages", headers=owner.headers, json=note)
    assert r.status_code == 201, r.text


async def _run_job(runtime: Runtime) -> None:
    from frontdesk.analytics.tasks import aggregate

    await aggregate(
        JobContext(
            runtime=runtime,
            job_id=uuid.uuid4(),
            kind="analytics.aggregate",
            payload={},
            organization_id=None,
            attempt=1,
        )
    )


async def _system_messages(client: httpx.AsyncClient, owner: Account) -> int:
    """System notes the product itself sent to customers that day (counted as outbound, not as agent)."""
    total = 0
    statuses = [("status", s) for s in ("bot", "pending", "open", "snoozed", "resolved")]
    listing = await client.get("/api/v1/conversations", headers=owner.headers, params=statuses)
    assert listing.status_code == 200, listing.text
    for item in listing.json()["items"]:
        timeline = await client.get(f"/api/v1/conversations/{item['id']}/messages", headers=owner.headers)
        total += sum(1 for m in timeline.json()["items"] if m["sender_type"] == "system" and not m["private"])
    return total


def _figures(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v["value"] for k, v in body["figures"].items()}


async def test_a_known_day_adds_up(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, clock: FrozenClock
) -> None:
    await _day_of_activity(client, runtime, owner, clock)
    system = await _system_messages(client, owner)
    await _at(client, clock, owner, 24, 30)  # 00:30 the next day: the day job runs
    await _run_job(runtime)

    r = await client.get("/api/v1/analytics/overview", headers=owner.headers, params={"start": DAY, "end": DAY})
    assert r.status_code == 200, r.text
    got = _figures(r.json())
    expected = {
        "conversations_opened": 3,
        "conversations_resolved": 2,
        "conversations_escalated": 1,
        "ai_resolved": 1,
        "ai_resolved_share": 0.5,
        "messages_in": 3,
        "messages_out": 2 + system,
        "first_response_mean": 210.0,  # (300 + 120) / 2
        "resolution_mean": 4500.0,  # (7,200 + 1,800) / 2
        "csat_average": 4.0,
        "csat_count": 1,
        "contacts_new": 3,
        "contacts_active_daily": 3,
        "online_hours": 0,
    }
    assert {k: got[k] for k in expected} == expected
    # Percentiles come from histogram buckets: each lies inside the bucket of the true value.
    assert 120 <= got["first_response_median"] <= 300 and 300 <= got["first_response_p90"] <= 600
    assert 1800 <= got["resolution_median"] <= 7200 and 3600 <= got["resolution_p90"] <= 7200
    before = r.json()["figures"]["conversations_opened"]
    assert before["previous"] == 0 and before["change"] is None  # nothing the Sunday before

    csat = (await client.get("/api/v1/analytics/csat", headers=owner.headers, params={"start": DAY, "end": DAY})).json()
    assert csat["count"] == 1 and csat["average"] == 4.0 and csat["distribution"]["4"] == 1
    agents = (
        await client.get("/api/v1/analytics/agents", headers=owner.headers, params={"start": DAY, "end": DAY})
    ).json()
    mine = next(row for row in agents["rows"] if row["key"] == owner.user_id)
    # Conversation 1 was the owner's (replying assigned it); conversation 3 was nobody's.
    assert mine["values"]["conversations_resolved"] == 1 and mine["values"]["csat_average"] == 4.0
    assert mine["values"]["first_response_mean"] == 210.0 and mine["values"]["messages_out"] == 2
    dist = (
        await client.get("/api/v1/analytics/distribution", headers=owner.headers, params={"start": DAY, "end": DAY})
    ).json()
    assert dist["by_channel"] == {"web": 5 + system} and dist["by_type"]["text"] == 5 + system

    # Re-running the day gives the same figures and the same rows, not doubled ones.
    async with transaction(runtime.sessionmaker) as session:
        day_rows = await session.scalar(select(func.count()).select_from(StatRow).where(StatRow.granularity == "day"))
    r = await client.post("/api/v1/analytics/aggregate", headers=owner.headers, json={"start": DAY, "end": DAY})
    assert r.status_code == 200 and r.json()["days"] == 1, r.text
    again = await client.get("/api/v1/analytics/overview", headers=owner.headers, params={"start": DAY, "end": DAY})
    assert _figures(again.json()) == got
    async with transaction(runtime.sessionmaker) as session:
        assert (
            await session.scalar(select(func.count()).select_from(StatRow).where(StatRow.granularity == "day"))
            == day_rows
        )

    # The re-run also wrote the day's hours: the hourly trend and the heat map see them.
    trend = await client.get(
        "/api/v1/analytics/trends",
        headers=owner.headers,
        params={"start": DAY, "end": DAY, "granularity": "hour", "metrics": "conversations_opened"},
    )
    opened = {p["period_start"][11:13]: p["values"]["conversations_opened"] for p in trend.json()["points"]}
    assert {h: v for h, v in opened.items() if v} == {"08": 1, "09": 1, "11": 1}
    csv = await client.get(
        "/api/v1/analytics/overview", headers=owner.headers, params={"start": DAY, "end": DAY, "format": "csv"}
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert "conversations_opened,3.0,0.0," in csv.text


async def test_the_current_hour_is_live_and_bad_periods_are_refused(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, clock: FrozenClock
) -> None:
    inbox = await make_inbox(runtime, owner, assistant_enabled=False)
    await customer_writes(runtime, inbox, "early-bird", "Hello")
    r = await client.get("/api/v1/analytics/overview", headers=owner.headers)  # default: the last 7 days
    assert r.status_code == 200, r.text
    assert r.json()["end"] == DAY and r.json()["start"] == "2026-02-24"
    assert _figures(r.json())["conversations_opened"] == 1 and _figures(r.json())["messages_in"] == 1

    for params, code in (
        ({"start": DAY, "end": "2026-03-01"}, "invalid_period"),
        ({"start": "2024-01-01", "end": DAY}, "period_too_long"),
        ({"start": DAY, "end": DAY, "granularity": "hour", "metrics": ""}, "metrics_required"),
    ):
        path = "/api/v1/analytics/trends" if "granularity" in params else "/api/v1/analytics/overview"
        r = await client.get(path, headers=owner.headers, params=params)
        assert r.status_code == 422 and r.json()["code"] == code, (params, r.text)
    r = await client.get("/api/v1/analytics/overview", headers=owner.headers, params={"start": "yesterday"})
    assert r.status_code == 422
    r = await client.post(
        "/api/v1/analytics/aggregate", headers=owner.headers, json={"start": "2025-01-01", "end": DAY}
    )
    assert r.status_code == 422 and r.json()["code"] == "period_too_long"


async def test_dashboards_render_the_figures(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, clock: FrozenClock
) -> None:
    from tests.conftest import join

    viewer = await join(client, owner, "viewer")
    inbox = await make_inbox(runtime, owner, assistant_enabled=False)
    await customer_writes(runtime, inbox, "visitor-<b>1</b>", "Hi <script>alert(1)</script>")
    cookies = {"fd_access": owner.access_token, "fd_org": owner.organization_id}
    page = await client.get("/app/analytics", cookies=cookies)
    assert page.status_code == 200, page.text
    body = page.text
    assert 'role="img"' in body and '<title id="trend-title">Conversations per day</title>' in body
    assert "Busiest: Mon 08:00 with 1 conversations." in body
    assert "<script>alert" not in body
    for what in ("agents", "inboxes", "channels", "assistants", "flows"):
        r = await client.get(f"/app/analytics/{what}?days=30", cookies=cookies)
        assert r.status_code == 200, (what, r.text[:300])
    channels = await client.get("/app/analytics/channels", cookies=cookies)
    assert '<th scope="row">web</th>' in channels.text
    assert (await client.get("/app/analytics/nope", cookies=cookies)).status_code == 404
    # Viewers may read analytics; they hold analytics.read like every role.
    r = await client.get("/api/v1/analytics/overview", headers=viewer.headers)
    assert r.status_code == 200
    r = await client.post("/api/v1/analytics/aggregate", headers=viewer.headers, json={"start": DAY, "end": DAY})
    assert r.status_code == 403
