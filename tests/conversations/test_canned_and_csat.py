"""Canned responses (unique shortcuts, autocomplete by prefix) and the CSAT report (ratings given
through ``submit_rating``, the function the widget calls, then read over HTTP)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from frontdesk.conversations import csat
from frontdesk.conversations.models import Conversation
from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import Conflict, ValidationFailed
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account, join
from tests.conversations.helpers import customer_writes, join_named, make_inbox

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_minutes": 60 * 24}


async def test_canned_responses(client: httpx.AsyncClient, owner: Account, other_owner: Account) -> None:
    url = "/api/v1/canned-responses"
    agent = await join(client, owner, "agent")
    viewer = await join(client, owner, "viewer")
    made = []
    for shortcut, content in (("greet", "Hello! How can I help?"), ("/Greeting-Long", "Good day."), ("bye", "Bye!")):
        r = await client.post(url, headers=agent.headers, json={"shortcut": shortcut, "content": content})
        assert r.status_code == 201, r.text
        made.append(r.json())
    assert made[1]["shortcut"] == "greeting-long"  # stored without the slash, lower case
    dup = await client.post(url, headers=owner.headers, json={"shortcut": "/GREET", "content": "again"})
    assert dup.status_code == 409 and dup.json()["code"] == "shortcut_taken"
    bad = await client.post(url, headers=owner.headers, json={"shortcut": "has space", "content": "x"})
    assert bad.status_code == 422
    assert (await client.post(url, headers=viewer.headers, json={"shortcut": "v", "content": "x"})).status_code == 403

    everything = (await client.get(url, headers=viewer.headers)).json()
    assert [c["shortcut"] for c in everything] == ["bye", "greet", "greeting-long"]
    prefixed = (await client.get(url, headers=agent.headers, params={"prefix": "/gre"})).json()
    assert [c["shortcut"] for c in prefixed] == ["greet", "greeting-long"]
    assert (await client.get(url, headers=agent.headers, params={"prefix": "%"})).json() == []

    one = f"{url}/{made[2]['id']}"
    renamed = await client.patch(one, headers=agent.headers, json={"shortcut": "goodbye", "content": "Take care!"})
    assert renamed.status_code == 200 and renamed.json()["shortcut"] == "goodbye"
    clash = await client.patch(one, headers=agent.headers, json={"shortcut": "greet"})
    assert clash.status_code == 409
    same = await client.patch(one, headers=agent.headers, json={"shortcut": "goodbye"})
    assert same.status_code == 200

    # Another organization: its own namespace, and ours is invisible to it.
    theirs = await client.post(url, headers=other_owner.headers, json={"shortcut": "greet", "content": "Hi"})
    assert theirs.status_code == 201
    assert [c["content"] for c in (await client.get(url, headers=other_owner.headers)).json()] == ["Hi"]
    assert (await client.patch(one, headers=other_owner.headers, json={"content": "x"})).status_code == 404
    assert (await client.delete(one, headers=other_owner.headers)).status_code == 404

    assert (await client.delete(one, headers=agent.headers)).status_code == 204
    assert (await client.delete(one, headers=agent.headers)).status_code == 404
    audit = await client.get("/api/v1/audit-events", headers=owner.headers, params={"action": "canned_response."})
    assert {e["action"] for e in audit.json()["items"]} == {
        "canned_response.created",
        "canned_response.updated",
        "canned_response.deleted",
    }


async def test_csat_report(client: httpx.AsyncClient, runtime: Runtime, owner: Account, other_owner: Account) -> None:
    clock: FrozenClock = runtime.clock  # type: ignore[assignment]
    dana = await join_named(client, owner, "agent", "Dana")
    eli = await join_named(client, owner, "agent", "Eli")
    inbox = await make_inbox(runtime, owner)

    async def rated(visitor: str, agent: Account | None, rating: int, comment: str = "") -> str:
        conv = (await customer_writes(runtime, inbox, visitor, "hi", name=visitor.title())).conversation_id
        if agent is not None:
            r = await client.patch(
                f"/api/v1/conversations/{conv}", headers=owner.headers, json={"assignee_id": agent.user_id}
            )
            assert r.status_code == 200
        async with transaction(runtime.sessionmaker) as session:
            row = await session.get(Conversation, uuid.UUID(conv))
            assert row is not None
            await csat.submit_rating(session, row, rating=rating, comment=comment)
        clock.advance(hours=1)
        return conv

    first = await rated("ann", dana, 5, "Lovely")
    await rated("ben", dana, 4)
    await rated("cat", eli, 2, "=HYPERLINK(slow)")
    await rated("dan", None, 1)

    async with transaction(runtime.sessionmaker) as session:
        row = await session.get(Conversation, uuid.UUID(first))
        assert row is not None
        with pytest.raises(Conflict) as again:
            await csat.submit_rating(session, row, rating=3, comment="")
        assert again.value.code == "already_rated"
        for bad in (0, 6, True):
            with pytest.raises(ValidationFailed):
                await csat.submit_rating(session, row, rating=bad, comment="")

    report = (await client.get("/api/v1/csat", headers=owner.headers)).json()
    assert report["total"] == 4 and report["average"] == 3.0
    assert report["distribution"] == {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1}
    newest = report["items"][0]
    assert (newest["rating"], newest["agent_id"], newest["contact_name"]) == (1, None, "Dan")
    oldest = report["items"][-1]
    assert (oldest["agent_name"], oldest["comment"], oldest["conversation_id"]) == ("Dana", "Lovely", first)

    danas = (await client.get("/api/v1/csat", headers=owner.headers, params={"agent_id": dana.user_id})).json()
    assert (danas["total"], danas["average"], danas["distribution"]["5"]) == (2, 4.5, 1)
    since = (START + timedelta(hours=1)).isoformat()
    recent = (await client.get("/api/v1/csat", headers=owner.headers, params={"since": since, "per_page": 1})).json()
    assert (recent["total"], recent["pages"], len(recent["items"]), recent["average"]) == (3, 3, 1, 2.33)

    detail = (await client.get(f"/api/v1/conversations/{first}", headers=owner.headers)).json()
    assert detail["csat"]["rating"] == 5
    theirs = (await client.get("/api/v1/csat", headers=other_owner.headers)).json()
    assert (theirs["total"], theirs["average"]) == (0, None)
