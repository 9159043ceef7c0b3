"""Automatic assignment: round-robin among online, available agents, under each agent's limit;
what nobody can take waits in the unassigned queue."""

from __future__ import annotations

import uuid
from collections import Counter

import httpx
from sqlalchemy import update

from frontdesk.inboxes.models import Inbox
from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account, join
from tests.conversations.helpers import customer_writes, make_inbox


async def test_round_robin_with_a_limit_and_a_queue(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    agents = [await join(client, owner, "agent") for _ in range(3)]
    busy = await join(client, owner, "agent")
    await join(client, owner, "agent")  # never goes online
    for agent in agents:
        r = await client.put("/api/v1/agents/me/presence", headers=agent.headers, json={"status": "online"})
        assert r.status_code == 200 and r.json()["status"] == "online", r.text
    r = await client.put(
        "/api/v1/agents/me/presence", headers=busy.headers, json={"status": "online", "availability": "busy"}
    )
    assert r.json()["availability"] == "busy"
    inbox = await make_inbox(runtime, owner, assistant_enabled=False, auto_assign=True, max_open_per_agent=1)

    async def assignee(conv: str) -> str | None:
        return (await client.get(f"/api/v1/conversations/{conv}", headers=owner.headers)).json()["assignee_id"]

    convs = [(await customer_writes(runtime, inbox, f"v{n}", "hi")).conversation_id for n in range(4)]
    got = [await assignee(c) for c in convs]
    by_id = {a.user_id: a for a in agents}
    assert sorted(got[:3]) == sorted(by_id)  # one each: nobody over the limit of 1
    assert got[3] is None  # everyone is full: it waits

    queue = (await client.get("/api/v1/conversations", headers=owner.headers, params={"assignee": "unassigned"})).json()
    assert [i["id"] for i in queue["items"]] == [convs[3]] and queue["items"][0]["status"] == "pending"
    counts = (await client.get("/api/v1/conversations/counts", headers=agents[0].headers)).json()
    assert counts["unassigned"]["pending"] == 1 and counts["mine"]["open"] == 1 and counts["all"]["open"] == 3

    # Resolving frees a place; the next conversation goes there.
    freed = by_id[got[0]]
    r = await client.patch(f"/api/v1/conversations/{convs[0]}", headers=freed.headers, json={"status": "resolved"})
    assert r.status_code == 200
    fifth = (await customer_writes(runtime, inbox, "v5", "hello")).conversation_id
    assert await assignee(fifth) == freed.user_id

    # With room for everyone, it is strictly the agent who got one longest ago that goes next.
    async with transaction(runtime.sessionmaker) as session:
        await session.execute(update(Inbox).where(Inbox.id == uuid.UUID(inbox)).values(max_open_per_agent=10))
    more = [(await customer_writes(runtime, inbox, f"w{n}", "hi")).conversation_id for n in range(6)]
    order = [await assignee(c) for c in more]
    assert order[:3] == [got[1], got[2], freed.user_id]
    assert order[3:] == order[:3]
    assert Counter(order) == Counter({a.user_id: 2 for a in agents})

    presence = (await client.get("/api/v1/agents/presence", headers=owner.headers)).json()
    by_user = {p["user_id"]: p for p in presence}
    assert by_user[busy.user_id]["status"] == "online" and by_user[busy.user_id]["availability"] == "busy"
    assert by_user[busy.user_id]["open_conversations"] == 0
    assert {p["open_conversations"] for p in presence if p["user_id"] in by_id} == {3}
