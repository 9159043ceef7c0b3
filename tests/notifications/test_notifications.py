"""Notifications through the public API: who hears what, by which channel, and what they can do with it."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import select

from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from frontdesk.mail.models import MailMessage
from frontdesk.notifications.mentions import mentioned_handles
from tests.conftest import Account, join
from tests.conversations.helpers import customer_writes, make_inbox


async def _mine(client: httpx.AsyncClient, who: Account, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/notifications", headers=who.headers, params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def _unread(client: httpx.AsyncClient, who: Account) -> int:
    r = await client.get("/api/v1/notifications/unread-count", headers=who.headers)
    assert r.status_code == 200, r.text
    return int(r.json()["unread"])


async def _mail_to(client: httpx.AsyncClient, owner: Account, address: str) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/mail/outbox", headers=owner.headers, params={"per_page": 200})
    assert r.status_code == 200, r.text
    return [m for m in r.json()["items"] if m["to_address"] == address]


async def test_an_assignment_notifies_the_assignee_not_the_one_who_assigned(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    agent = await join(client, owner, "agent")
    inbox = await make_inbox(runtime, owner, assistant_enabled=False)
    conv = (await customer_writes(runtime, inbox, "v1", "Where is my parcel?")).conversation_id
    r = await client.patch(f"/api/v1/conversations/{conv}", headers=owner.headers, json={"assignee_id": agent.user_id})
    assert r.status_code == 200, r.text

    items = await _mine(client, agent)
    assigned = [n for n in items if n["kind"] == "conversation_assigned"]
    assert len(assigned) == 1
    assert assigned[0]["link"] == f"/app/inbox/{conv}" and assigned[0]["read_at"] is None
    assert assigned[0]["data"]["conversation_id"] == conv
    assert await _unread(client, agent) == len([n for n in items if n["read_at"] is None])
    assert not [n for n in await _mine(client, owner) if n["kind"] == "conversation_assigned"]

    # Taking one over yourself tells nobody.
    other = (await customer_writes(runtime, inbox, "v2", "Hello")).conversation_id
    r = await client.post(f"/api/v1/conversations/{other}/take-over", headers=agent.headers)
    assert r.status_code == 200, r.text
    assert len([n for n in await _mine(client, agent) if n["kind"] == "conversation_assigned"]) == 1


async def test_a_mention_in_a_private_note_notifies_and_mails_the_teammate(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    agent = await join(client, owner, "agent", email="maria.lopez@example.com")
    viewer = await join(client, owner, "viewer", email="sam@example.com")
    inbox = await make_inbox(runtime, owner, assistant_enabled=False)
    conv = (await customer_writes(runtime, inbox, "v1", "I was charged twice")).conversation_id
    note = {"content": "@maria.lopez can you check the refund? cc @nobody-here", "private": True}
    r = await client.post(f"/api/v1/conversations/{conv}/messages", headers=owner.headers, json=note)
    assert r.status_code == 201, r.text

    mentions = [n for n in await _mine(client, agent) if n["kind"] == "mention"]
    assert len(mentions) == 1 and "refund" in mentions[0]["body"]
    assert mentions[0]["data"]["message_id"] == r.json()["id"]
    mails = await _mail_to(client, owner, agent.email)
    assert any("mentioned you" in m["subject"] for m in mails)
    assert not [n for n in await _mine(client, viewer) if n["kind"] == "mention"]
    assert not [n for n in await _mine(client, owner) if n["kind"] == "mention"]

    # A reply to the customer is not a note: a mention there tells nobody.
    await client.post(f"/api/v1/conversations/{conv}/take-over", headers=owner.headers)
    r = await client.post(
        f"/api/v1/conversations/{conv}/messages", headers=owner.headers, json={"content": "Thanks @maria.lopez"}
    )
    assert r.status_code == 201, r.text
    assert len([n for n in await _mine(client, agent) if n["kind"] == "mention"]) == 1


def test_mention_handles() -> None:
    assert mentioned_handles("hi @Maria, and @bob.smith. mail me@example.com") == {"maria", "bob.smith"}
    assert mentioned_handles("no mentions here") == set()


async def test_preferences_default_by_role_and_silence_what_is_switched_off(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    agent = await join(client, owner, "agent", email="quiet.agent@example.com")
    prefs = (await client.get("/api/v1/notifications/preferences", headers=agent.headers)).json()
    by_kind = {p["kind"]: p for p in prefs["kinds"]}
    assert by_kind["mention"]["email"] == "immediate" and by_kind["mention"]["customised"] is False
    assert by_kind["flow_failed"]["email"] == "off"
    owner_prefs = (await client.get("/api/v1/notifications/preferences", headers=owner.headers)).json()
    assert {p["kind"]: p for p in owner_prefs["kinds"]}["flow_failed"]["email"] == "digest"

    change = {"sound": True, "kinds": [{"kind": "mention", "in_app": False, "email": "off", "browser": False}]}
    r = await client.put("/api/v1/notifications/preferences", headers=agent.headers, json=change)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sound"] is True
    assert {p["kind"]: p for p in body["kinds"]}["mention"] | {"customised": True} == {
        "kind": "mention",
        "label": by_kind["mention"]["label"],
        "in_app": False,
        "email": "off",
        "browser": False,
        "customised": True,
    }
    inbox = await make_inbox(runtime, owner, assistant_enabled=False)
    conv = (await customer_writes(runtime, inbox, "v1", "Hi")).conversation_id
    note = {"content": "@quiet.agent have a look", "private": True}
    assert (
        await client.post(f"/api/v1/conversations/{conv}/messages", headers=owner.headers, json=note)
    ).status_code == 201
    assert not [n for n in await _mine(client, agent) if n["kind"] == "mention"]
    assert not await _mail_to(client, owner, agent.email + "x")  # sanity of the helper
    assert not [m for m in await _mail_to(client, owner, agent.email) if "mentioned" in m["subject"]]

    bad = {"kinds": [{"kind": "nope", "in_app": True, "email": "off", "browser": False}]}
    r = await client.put("/api/v1/notifications/preferences", headers=agent.headers, json=bad)
    assert r.status_code == 422 and r.json()["code"] == "unknown_notification_kind"
    r = await client.put(
        "/api/v1/notifications/preferences",
        headers=agent.headers,
        json={"kinds": [{"kind": "mention", "in_app": True, "email": "hourly", "browser": False}]},
    )
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


async def test_read_unread_delete_bulk_filters_and_summary(client: httpx.AsyncClient, owner: Account) -> None:
    agent = await join(client, owner, "agent")
    for n in range(3):
        r = await client.post(
            "/api/v1/notifications/announcements", headers=owner.headers, json={"title": f"Notice {n}", "body": "b"}
        )
        assert r.status_code == 201 and r.json()["recipients"] == 2, r.text
    items = await _mine(client, agent, kind="announcement")
    assert [n["title"] for n in items] == ["Notice 2", "Notice 1", "Notice 0"]
    first = items[0]["id"]
    r = await client.post(f"/api/v1/notifications/{first}/read", headers=agent.headers)
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert [n["id"] for n in await _mine(client, agent, kind="announcement", unread="false")] == [first]
    assert len(await _mine(client, agent, kind="announcement", unread="true")) == 2

    ids = [n["id"] for n in items]
    r = await client.post("/api/v1/notifications/bulk", headers=agent.headers, json={"action": "unread", "ids": ids})
    assert r.status_code == 200 and r.json()["changed"] == 3
    summary = {s["kind"]: s for s in (await client.get("/api/v1/notifications/summary", headers=agent.headers)).json()}
    assert summary["announcement"]["total"] == 3 and summary["announcement"]["unread"] == 3
    r = await client.post(
        "/api/v1/notifications/bulk", headers=agent.headers, json={"action": "delete", "ids": ids[:2]}
    )
    assert r.json()["changed"] == 2
    r = await client.delete(f"/api/v1/notifications/{ids[2]}", headers=agent.headers)
    assert r.status_code == 204
    assert await _mine(client, agent, kind="announcement") == []
    r = await client.delete(f"/api/v1/notifications/{ids[2]}", headers=agent.headers)
    assert r.status_code == 404 and r.json()["code"] == "notification_not_found"

    # The owner's copies are the owner's: the agent's actions touched none of them.
    assert len(await _mine(client, owner, kind="announcement")) == 3
    r = await client.post("/api/v1/notifications/read-all", headers=owner.headers)
    assert r.json()["changed"] >= 3 and await _unread(client, owner) == 0
    # Nobody can mark or delete another person's notification, even in the same organization.
    theirs = (await _mine(client, owner, kind="announcement"))[0]["id"]
    assert (await client.post(f"/api/v1/notifications/{theirs}/read", headers=agent.headers)).status_code == 404
    r = await client.post(
        "/api/v1/notifications/bulk", headers=agent.headers, json={"action": "delete", "ids": [theirs]}
    )
    assert r.json()["changed"] == 0

    r = await client.get("/api/v1/notifications", headers=agent.headers, params={"kind": "nope"})
    assert r.status_code == 422 and r.json()["code"] == "unknown_notification_kind"
    r = await client.post("/api/v1/notifications/bulk", headers=agent.headers, json={"action": "explode", "ids": ids})
    assert r.status_code == 422
    r = await client.post("/api/v1/notifications/announcements", headers=agent.headers, json={"title": "Hi all"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


async def test_a_customer_waiting_with_nobody_assigned_tells_the_inbox_people(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    agent = await join(client, owner, "agent")
    viewer = await join(client, owner, "viewer")
    inbox = await make_inbox(runtime, owner, assistant_enabled=False, auto_assign=True)
    conv = (await customer_writes(runtime, inbox, "v1", "I want to talk to a person")).conversation_id
    waiting = [n for n in await _mine(client, agent) if n["kind"] == "escalation_waiting"]
    assert len(waiting) == 1 and waiting[0]["data"]["conversation_id"] == conv
    assert [n for n in await _mine(client, owner) if n["kind"] == "escalation_waiting"]
    assert not [n for n in await _mine(client, viewer) if n["kind"] == "escalation_waiting"]


async def test_the_invitation_sender_hears_when_it_is_accepted(client: httpx.AsyncClient, owner: Account) -> None:
    await join(client, owner, "agent", email="new.person@example.com")
    accepted = [n for n in await _mine(client, owner) if n["kind"] == "invitation_accepted"]
    assert len(accepted) == 1 and "as agent" in accepted[0]["title"]


async def test_notifications_are_pushed_live_to_every_open_tab(
    client: httpx.AsyncClient, owner: Account, live_server: str
) -> None:
    agent = await join(client, owner, "agent")
    url = live_server.replace("http", "ws", 1) + "/api/v1/realtime"
    headers = {"X-Organization-Id": agent.organization_id}
    auth = json.dumps({"type": "auth", "token": agent.access_token})

    async def next_of(ws: Any, kind: str) -> dict[str, Any]:
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if event["type"] == kind:
                return dict(event)

    async with (
        websockets.connect(url, additional_headers=headers) as one,
        websockets.connect(url, additional_headers=headers) as two,
    ):
        for ws in (one, two):
            await ws.send(auth)
            await next_of(ws, "ready")
        r = await client.post(
            "/api/v1/notifications/announcements", headers=owner.headers, json={"title": "Fire drill at 3"}
        )
        assert r.status_code == 201
        got = [await next_of(ws, "notification") for ws in (one, two)]
        assert {g["notification"]["title"] for g in got} == {"Fire drill at 3"}
        assert all(g["browser"] is False for g in got)
        r = await client.post("/api/v1/notifications/read-all", headers=agent.headers)
        changed = await next_of(two, "notifications.changed")
        assert changed["what"] == "read" and changed["organization_id"] == agent.organization_id


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 7, 30, tzinfo=UTC))


async def test_the_daily_digest_mails_once_at_the_chosen_hour(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, clock: FrozenClock
) -> None:
    from frontdesk.kit.jobs import JobContext
    from frontdesk.notifications.tasks import send_digests

    # Owners get invitation acceptances by digest, by default.
    await join(client, owner, "agent", email="digest.one@example.com")
    await join(client, owner, "agent", email="digest.two@example.com")

    async def run() -> list[str]:
        ctx = JobContext(
            runtime=runtime,
            job_id=uuid.uuid4(),
            kind="notifications.digest",
            payload={},
            organization_id=None,
            attempt=1,
        )
        await send_digests(ctx)
        # Read as the store has it: the frozen clock moves past the access tokens' lifetime.
        async with transaction(runtime.sessionmaker) as session:
            subjects = await session.scalars(select(MailMessage.subject).where(MailMessage.to_address == owner.email))
            return [s for s in subjects if "since your last digest" in s]

    assert await run() == []  # 07:30 UTC, the organization is in UTC, the default hour is 8
    clock.advance(minutes=40)
    sent = await run()
    assert len(sent) == 1 and sent[0].endswith("2 notifications since your last digest")
    clock.advance(hours=1)
    assert len(await run()) == 1  # nothing pending any more: not sent again
