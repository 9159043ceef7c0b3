"""The pipeline over HTTP: statuses (editable per organization), owner, score, notes, follow-ups,
filters and search; and due follow-ups notifying the owner by email exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.runtime import Runtime
from frontdesk.leads import followups
from frontdesk.mail.models import MailMessage
from tests.conftest import Account, join, sign_up

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_minutes": 60 * 24 * 30}


async def _lead(client: httpx.AsyncClient, account: Account, **fields: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/leads", headers=account.headers, json=fields)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_status_owner_score_notes_and_history(client: httpx.AsyncClient, owner: Account) -> None:
    agent = await join(client, owner, "agent")
    lead = await _lead(client, owner, name="Fay", email="fay@example.com")
    r = await client.patch(
        f"/api/v1/leads/{lead['id']}",
        headers=agent.headers,
        json={"status": "qualified", "owner_id": agent.user_id, "score": 80, "notes": "Call on Monday"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["owner_id"], body["score"], body["notes"]) == (
        "qualified",
        agent.user_id,
        80,
        "Call on Monday",
    )
    assert body["owner_name"] == "Agent"
    # A manual score sticks: later captures no longer recompute it.
    r = await client.patch(f"/api/v1/leads/{lead['id']}", headers=agent.headers, json={"company": "Fay & Co"})
    assert r.json()["score"] == 80
    r = await client.patch(f"/api/v1/leads/{lead['id']}", headers=owner.headers, json={"status": "nonsense"})
    assert r.status_code == 422 and r.json()["code"] == "status_unknown"
    outsider = await sign_up(client, org="Elsewhere")
    r = await client.patch(f"/api/v1/leads/{lead['id']}", headers=owner.headers, json={"owner_id": outsider.user_id})
    assert r.status_code == 422 and r.json()["code"] == "owner_not_member"
    history = (await client.get(f"/api/v1/leads/{lead['id']}", headers=owner.headers)).json()["history"]
    assert {"status", "owner_id", "score", "notes", "company"} <= {h["field"] for h in history}
    # Clearing the owner is explicit.
    r = await client.patch(f"/api/v1/leads/{lead['id']}", headers=owner.headers, json={"owner_id": None})
    assert r.json()["owner_id"] is None


async def test_filters_search_and_sort(client: httpx.AsyncClient, owner: Account) -> None:
    a = await _lead(client, owner, name="Gus Grape", company="Vineyard", need="wine labels")
    b = await _lead(client, owner, name="Hal Hops", email="hal@brew.example", status="won")
    await _lead(client, owner, name="Ivy", phone="+15551234567", source="flow")

    async def names(**params: Any) -> list[str]:
        r = await client.get("/api/v1/leads", headers=owner.headers, params=params)
        assert r.status_code == 200, r.text
        return [i["name"] for i in r.json()["items"]]

    assert await names(q="vineyard") == ["Gus Grape"]
    assert await names(q="WINE") == ["Gus Grape"]
    assert await names(q="brew.example") == ["Hal Hops"]
    assert await names(q="555123") == ["Ivy"]
    assert await names(status="won") == ["Hal Hops"]
    assert set(await names(status=["won", "new"])) == {"Gus Grape", "Hal Hops", "Ivy"}
    assert await names(source="flow") == ["Ivy"]
    assert await names(q="100%_") == []
    assert await names(sort="name") == ["Gus Grape", "Hal Hops", "Ivy"]
    await client.patch(f"/api/v1/leads/{a['id']}", headers=owner.headers, json={"owner_id": owner.user_id})
    assert await names(owner_id="me") == ["Gus Grape"]
    assert set(await names(owner_id="none")) == {"Hal Hops", "Ivy"}
    assert (await client.get("/api/v1/leads", headers=owner.headers, params={"owner_id": "x"})).status_code == 422
    assert b["status"] == "won"


async def test_statuses_are_editable_with_moves(client: httpx.AsyncClient, owner: Account) -> None:
    lead = await _lead(client, owner, name="Jo", status="contacted")
    settings = (await client.get("/api/v1/lead-settings", headers=owner.headers)).json()
    assert [s["key"] for s in settings["statuses"]] == ["new", "contacted", "qualified", "follow_up", "won", "lost"]
    new_statuses = [
        {"key": "inbox", "label": "Inbox"},
        {"key": "talking", "label": "Talking"},
        {"key": "done", "label": "Done"},
    ]
    r = await client.patch("/api/v1/lead-settings", headers=owner.headers, json={"statuses": new_statuses})
    assert r.status_code == 422 and r.json()["code"] == "statuses_in_use"
    assert r.json()["details"]["statuses"] == ["contacted"]
    r = await client.patch(
        "/api/v1/lead-settings",
        headers=owner.headers,
        json={"statuses": new_statuses, "renames": {"contacted": "talking"}},
    )
    assert r.status_code == 200, r.text
    assert (await client.get(f"/api/v1/leads/{lead['id']}", headers=owner.headers)).json()["status"] == "talking"
    fresh = await _lead(client, owner, name="Kim")
    assert fresh["status"] == "inbox"
    bad = await client.patch("/api/v1/lead-settings", headers=owner.headers, json={"statuses": [{"key": "Bad Key"}]})
    assert bad.status_code == 422
    agent = await join(client, owner, "agent")
    assert (
        await client.patch("/api/v1/lead-settings", headers=agent.headers, json={"statuses": new_statuses})
    ).status_code == 403


async def test_follow_ups_listing_and_owner_notified_once(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, clock: FrozenClock
) -> None:
    agent = await join(client, owner, "agent")
    due_soon = await _lead(client, owner, name="Lee", owner_id=agent.user_id,
                           next_follow_up_at=(START + timedelta(hours=2)).isoformat())  # fmt: skip
    overdue = await _lead(client, owner, name="Max", owner_id=agent.user_id,
                          next_follow_up_at=(START - timedelta(days=1)).isoformat())  # fmt: skip
    await _lead(client, owner, name="Ned", next_follow_up_at=(START + timedelta(days=5)).isoformat())
    r = await client.get("/api/v1/leads/followups", headers=agent.headers)
    assert r.status_code == 200, r.text
    items = r.json()
    assert [(i["name"], i["overdue"]) for i in items] == [("Max", True), ("Lee", False)]
    mine = (await client.get("/api/v1/leads/followups", headers=owner.headers, params={"mine": True})).json()
    assert mine == []

    # The recurring job may run the same sweep at any moment (the clock moves); whoever runs it, each
    # due time is notified exactly once.
    async def follow_up_mails() -> list[MailMessage]:
        async with runtime.sessionmaker() as session:
            return list(await session.scalars(select(MailMessage).where(MailMessage.kind == "lead_follow_up")))

    await followups.notify_due(runtime)
    await followups.notify_due(runtime)
    assert [m.subject for m in await follow_up_mails()] == ["Follow up with Max"]
    clock.advance(hours=3)
    await followups.notify_due(runtime)
    await followups.notify_due(runtime)
    mails = await follow_up_mails()
    assert sorted(m.subject for m in mails) == ["Follow up with Lee", "Follow up with Max"]
    assert {m.to_address for m in mails} == {agent.email}
    assert f"/app/leads/{overdue['id']}" in next(m.body_text for m in mails if "Max" in m.subject)
    # Moving the follow-up re-arms it.
    await client.patch(
        f"/api/v1/leads/{due_soon['id']}",
        headers=owner.headers,
        json={"next_follow_up_at": (clock.now() + timedelta(hours=1)).isoformat()},
    )
    clock.advance(hours=2)
    await followups.notify_due(runtime)
    assert len(await follow_up_mails()) == 3
