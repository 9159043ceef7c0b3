"""Keyword, event and schedule triggers through the API: matching rules, refusals, firings and stats."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.jobs import JobContext
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account
from tests.flows.helpers import Widget, create_flow, eventually, executions, keyword, node, publish

SIMPLE = {"start": "hi", "nodes": [node("hi", "send_message", text="flow {{trigger.text}}")], "edges": []}


async def published(client: httpx.AsyncClient, owner: Account, text: str = "flow", **extra: Any) -> dict[str, Any]:
    graph = {"start": "hi", "nodes": [node("hi", "send_message", text=text)], "edges": []}
    flow = await create_flow(client, owner, graph, **extra)
    await publish(client, owner, flow["id"])
    return flow


async def test_keyword_kinds_case_and_priority(client: httpx.AsyncClient, owner: Account) -> None:
    low = await published(client, owner, "low")
    high = await published(client, owner, "high")
    await keyword(client, owner, low["id"], "pric", match="starts_with", priority=1)
    await keyword(client, owner, high["id"], "price", match="contains", priority=5)
    await keyword(client, owner, low["id"], "STOP", match="exact", case_sensitive=True, priority=9)
    await keyword(client, owner, low["id"], "thanks!", match="ends_with")
    await keyword(client, owner, high["id"], r"order\s*#?\d{4,}", match="regex", priority=2)

    async def test(text: str) -> str | None:
        r = await client.post("/api/v1/flow-triggers/test", headers=owner.headers, json={"text": text})
        assert r.status_code == 200, r.text
        m = r.json()["matched"]
        return m["config"]["pattern"] if m else None

    assert await test("Prices please") == "price"  # both match; the higher priority wins
    assert await test("pricing") == "pric"
    assert await test("STOP") == "STOP"
    assert await test("stop") is None  # case sensitive
    assert await test("  ok   THANKS! ") == "thanks!"
    assert await test("where is order #12345") == r"order\s*#?\d{4,}"
    assert await test("nothing here") is None

    widget, _ = await Widget.open(client, owner)
    await widget.say("what's the price?")
    await widget.wait_for("high")


async def test_bad_triggers_are_refused_with_clear_errors(client: httpx.AsyncClient, owner: Account) -> None:
    flow = await published(client, owner)

    async def create(kind: str, config: dict[str, Any]) -> httpx.Response:
        body = {"flow_id": flow["id"], "kind": kind, "config": config}
        return await client.post("/api/v1/flow-triggers", headers=owner.headers, json=body)

    r = await create("keyword", {"match": "regex", "pattern": "(a+)+$"})
    assert r.status_code == 422 and r.json()["code"] == "regex_rejected"
    r = await create("keyword", {"match": "regex", "pattern": "(unclosed"})
    assert r.status_code == 422 and r.json()["code"] == "regex_rejected"
    r = await create("keyword", {"match": "fuzzy", "pattern": "x"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_trigger"
    r = await create("schedule", {"every": "cron", "cron": "61 * * * *"})
    assert r.status_code == 422 and "cron" in r.json()["message"]
    r = await create("schedule", {"every": "daily", "time": "09:00", "timezone": "Europe/Atlantis"})
    assert r.status_code == 422 and "time zone" in r.json()["message"]
    r = await create("schedule", {"every": "weekly", "time": "25:00", "weekdays": ["mon"]})
    assert r.status_code == 422
    r = await create("event", {"event": "moon_landing"})
    assert r.status_code == 422
    r = await create("schedule", {"every": "daily", "segment": ["plan:bogus:1"]})
    assert r.status_code == 422
    other = await client.post(
        "/api/v1/flow-triggers",
        headers=owner.headers,
        json={"flow_id": str(uuid.uuid4()), "kind": "keyword", "config": {"pattern": "x"}},
    )
    assert other.status_code == 404


async def test_deactivated_triggers_and_unpublished_flows_start_nothing(
    client: httpx.AsyncClient, owner: Account
) -> None:
    flow = await published(client, owner, "started")
    trig = await keyword(client, owner, flow["id"], "go")
    r = await client.post(f"/api/v1/flow-triggers/{trig['id']}/deactivate", headers=owner.headers)
    assert r.json()["active"] is False
    widget, inbox = await Widget.open(client, owner)
    await widget.say("go")
    draft = await create_flow(client, owner, SIMPLE)
    unpublished = await keyword(client, owner, draft["id"], "draft")
    # Unanswered, the first visitor's conversation went to people; flows keep out of those.
    widget = await Widget.visit(client, inbox["public_token"])
    await widget.say("draft")
    assert await executions(client, owner) == []
    log = (await client.get(f"/api/v1/flow-triggers/{unpublished['id']}/firings", headers=owner.headers)).json()
    assert log["items"][0]["outcome"] == "skipped" and log["items"][0]["detail"] == "flow not published"
    await client.post(f"/api/v1/flow-triggers/{trig['id']}/activate", headers=owner.headers)
    widget = await Widget.visit(client, inbox["public_token"])
    await widget.say("go")
    await widget.wait_for("started")


async def test_event_triggers_with_conditions(client: httpx.AsyncClient, owner: Account) -> None:
    welcome = await create_flow(
        client,
        owner,
        {
            "start": "tag",
            "nodes": [node("tag", "set_attribute", key="came_from", source="template", value="{{trigger.channel}}")],
            "edges": [],
        },
    )
    await publish(client, owner, welcome["id"])
    body = {
        "flow_id": welcome["id"],
        "kind": "event",
        "config": {
            "event": "new_contact",
            "conditions": {"mode": "all", "rules": [{"left": "data.channel", "op": "==", "right": "api"}]},
        },
    }
    assert (await client.post("/api/v1/flow-triggers", headers=owner.headers, json=body)).status_code == 201
    survey = await published(client, owner, "How did we do?")
    body = {"flow_id": survey["id"], "kind": "event", "config": {"event": "conversation_resolved"}}
    assert (await client.post("/api/v1/flow-triggers", headers=owner.headers, json=body)).status_code == 201

    made = await client.post("/api/v1/contacts", headers=owner.headers, json={"name": "Api Person"})
    cid = made.json()["id"]

    async def tagged() -> bool:
        attrs = (await client.get(f"/api/v1/contacts/{cid}/attributes", headers=owner.headers)).json()
        return any(a["key"] == "came_from" and a["value"] == "api" for a in attrs)

    await eventually(tagged)

    widget, _ = await Widget.open(client, owner)  # a web contact: the condition keeps the welcome flow out
    await widget.say("hello")
    conv = (await widget.messages())[0]["conversation_id"]
    r = await client.patch(f"/api/v1/conversations/{conv}", headers=owner.headers, json={"status": "resolved"})
    assert r.status_code == 200, r.text
    await widget.wait_for("How did we do?")
    assert len(await executions(client, owner, flow_id=welcome["id"])) == 1


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 25, 7, 0, tzinfo=UTC))


async def test_schedules_run_for_a_segment_and_catch_up_once(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime, clock: FrozenClock
) -> None:
    from frontdesk.flows.tasks import book_schedules

    flow = await create_flow(
        client,
        owner,
        {"start": "s", "nodes": [node("s", "set_state", name="ran", value_type="boolean", value=True)], "edges": []},
        allow_concurrent=True,
    )
    await publish(client, owner, flow["id"])
    for name, plan in (("Gold One", "gold"), ("Gold Two", "gold"), ("Free", "free")):
        body = {"name": name, "attributes": {"plan": {"value": plan}}}
        assert (await client.post("/api/v1/contacts", headers=owner.headers, json=body)).status_code == 201
    body = {
        "flow_id": flow["id"],
        "kind": "schedule",
        "config": {"every": "daily", "time": "09:00", "timezone": "Europe/Paris", "segment": ["plan:eq:gold"]},
    }
    trig = (await client.post("/api/v1/flow-triggers", headers=owner.headers, json=body)).json()
    assert trig["next_run_at"].startswith("2026-11-25T08:00")

    def tick() -> JobContext:
        return JobContext(
            runtime=runtime, job_id=uuid.uuid4(), kind="flows.schedules", payload={}, organization_id=None, attempt=1
        )

    await book_schedules(tick())  # not due yet
    clock.advance(days=3)  # the server was down for three days: three 09:00s missed
    await book_schedules(tick())
    await book_schedules(tick())
    login = await client.post("/api/v1/auth/login", json={"email": owner.email, "password": owner.password})
    owner.access_token = login.json()["access_token"]  # three days on, the old token has expired

    async def started() -> list[dict[str, Any]] | None:
        rows = await executions(client, owner, flow_id=flow["id"])
        return rows if len(rows) >= 2 and all(r["status"] == "completed" for r in rows) else None

    rows = await eventually(started)
    assert len(rows) == 2
    after = (await client.get(f"/api/v1/flow-triggers/{trig['id']}", headers=owner.headers)).json()
    assert after["next_run_at"].startswith("2026-11-28T08:00") and after["started_count"] == 2
    assert datetime.fromisoformat(after["last_fired_at"]) - clock.now() < timedelta(seconds=1)
