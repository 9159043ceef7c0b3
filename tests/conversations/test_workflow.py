"""Moving conversations along, on a clock the tests move: assign, transfer, unassign, resolve,
reopen, snooze until a time and wake, and escalation inside and outside business hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import DONE, Job
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account, join
from tests.conversations.helpers import bot_conversation, customer_writes, eventually, make_inbox

# A Wednesday morning in Berlin.
START = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The tests move the clock by days; sessions must outlive that.
    return {"access_token_minutes": 60 * 24 * 30}


async def test_assign_transfer_resolve_reopen(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    first = await join(client, owner, "agent")
    second = await join(client, owner, "agent")
    viewer = await join(client, owner, "viewer")
    inbox = await make_inbox(runtime, owner)
    conv = (await customer_writes(runtime, inbox, "v1", "help")).conversation_id
    url = f"/api/v1/conversations/{conv}"

    async def patch(body: dict, who: Account = owner) -> httpx.Response:
        return await client.patch(url, headers=who.headers, json=body)

    r = await patch({"assignee_id": first.user_id})
    assert r.status_code == 200, r.text
    assert (r.json()["assignee_id"], r.json()["status"], r.json()["mode"]) == (first.user_id, "open", "human")
    transferred = await patch({"assignee_id": second.user_id}, who=first)
    assert transferred.json()["assignee_id"] == second.user_id and transferred.json()["assignee_name"] == "Agent"
    audit = (
        await client.get("/api/v1/audit-events", headers=owner.headers, params={"action": "conversation.assigned"})
    ).json()
    assert audit["items"][0]["details"] == {"assignee_id": second.user_id, "previous_assignee_id": first.user_id}
    for bad in (viewer.user_id, owner.organization_id):
        refused = await patch({"assignee_id": bad})
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_assignee"
    assert (await patch({"status": "resolved"}, who=viewer)).status_code == 403

    unassigned = (await patch({"assignee_id": None})).json()
    assert (unassigned["assignee_id"], unassigned["status"]) == (None, "pending")
    assert (await patch({"assignee_id": first.user_id, "instructions": "Prefers French"})).status_code == 200

    resolved = (await patch({"status": "resolved"})).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    reopened = (await patch({"status": "open"})).json()
    assert reopened["status"] == "open" and reopened["resolved_at"] is None
    assert reopened["instructions"] == "Prefers French" and reopened["assignee_id"] == first.user_id
    assert (await patch({"status": "pending"})).json()["status"] == "pending"

    bot = await patch({"status": "bot"})
    assert bot.status_code == 409 and bot.json()["code"] == "invalid_status"
    assert (await patch({"mode": "ai"})).status_code == 422  # hand-back is the way back to the assistant
    copilot = (await patch({"mode": "copilot"})).json()
    assert copilot["mode"] == "copilot"
    team = await patch({"team_id": owner.organization_id})
    assert team.status_code == 422 and team.json()["code"] == "invalid_team"
    assert (await patch({"snoozed_until": "2030-01-01T00:00:00Z"})).status_code == 422


async def test_snooze_wakes_when_due(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    clock: FrozenClock = runtime.clock  # type: ignore[assignment]
    agent = await join(client, owner, "agent")
    inbox = await make_inbox(runtime, owner)
    conv = (await customer_writes(runtime, inbox, "v1", "call me tomorrow")).conversation_id
    url = f"/api/v1/conversations/{conv}"
    await client.patch(url, headers=owner.headers, json={"assignee_id": agent.user_id})

    async def status() -> str:
        return str((await client.get(url, headers=agent.headers)).json()["status"])

    async def wakes_done() -> int:
        async with transaction(runtime.sessionmaker) as session:
            stmt = select(func.count()).where(Job.kind == "conversations.wake", Job.status == DONE)
            return int(await session.scalar(stmt) or 0)

    for bad in ("2020-01-01T00:00:00Z", "2030-01-01T00:00:00", None):
        r = await client.patch(url, headers=agent.headers, json={"status": "snoozed", "snoozed_until": bad})
        assert r.status_code == 422, (bad, r.text)

    until = (START + timedelta(hours=2)).isoformat()
    r = await client.patch(url, headers=agent.headers, json={"status": "snoozed", "snoozed_until": until})
    assert r.status_code == 200 and r.json()["status"] == "snoozed"
    # Snoozed again, for longer: the first wake-up must not end the new snooze.
    later = (START + timedelta(hours=5)).isoformat()
    r = await client.patch(url, headers=agent.headers, json={"status": "snoozed", "snoozed_until": later})
    assert r.json()["snoozed_until"].startswith("2025-01-15T15:00")
    listed = (await client.get("/api/v1/conversations", headers=agent.headers, params={"status": "snoozed"})).json()
    assert [i["id"] for i in listed["items"]] == [conv]

    clock.advance(hours=3)
    await eventually(lambda: _equals(wakes_done, 1))
    assert await status() == "snoozed"
    clock.advance(hours=2, minutes=1)
    await eventually(lambda: _equals(status, "open"))
    await eventually(lambda: _equals(wakes_done, 2))

    # A customer writing into a snoozed conversation wakes it at once.
    until = (clock.now() + timedelta(days=1)).isoformat()
    await client.patch(url, headers=agent.headers, json={"status": "snoozed", "snoozed_until": until})
    await customer_writes(runtime, inbox, "v1", "actually, now please")
    assert await status() == "open"


async def _equals(get: Any, expected: object) -> bool:
    return bool(await get() == expected)


async def test_escalation_says_what_happens_next(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    clock: FrozenClock = runtime.clock  # type: ignore[assignment]
    hours = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    inbox = await make_inbox(
        runtime, owner, business_hours=hours, timezone="Europe/Berlin", out_of_office_message="Back on Monday."
    )

    async def escalate(conv: str, reason: str) -> list[dict]:
        r = await client.post(f"/api/v1/conversations/{conv}/escalate", headers=owner.headers, json={"reason": reason})
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["mode"], r.json()["escalation_reason"]) == ("pending", "human", reason)
        page = (await client.get(f"/api/v1/conversations/{conv}/messages", headers=owner.headers)).json()
        return [m for m in page["items"] if m["payload"].get("reason") == reason]

    during = (await bot_conversation(runtime, inbox, "v1")).conversation_id
    said = await escalate(during, "wants a refund")
    assert [m["content"] for m in said] == ["I'm bringing in a member of our team. Someone will reply here shortly."]
    # Already with people: escalating again records the reason but says nothing more.
    assert await escalate(during, "really wants a refund") == []

    clock.set(datetime(2025, 1, 18, 12, 0, tzinfo=UTC))  # Saturday
    weekend = (await bot_conversation(runtime, inbox, "v2")).conversation_id
    said = await escalate(weekend, "weekend question")
    assert [m["content"] for m in said] == ["Back on Monday."]
    audit = (
        await client.get("/api/v1/audit-events", headers=owner.headers, params={"action": "conversation.escalated"})
    ).json()
    assert audit["total"] == 3
    assert (
        await client.post(f"/api/v1/conversations/{weekend}/escalate", headers=owner.headers, json={"reason": ""})
    ).status_code == 422
