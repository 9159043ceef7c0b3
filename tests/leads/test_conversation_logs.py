"""Conversation logs: transcripts as text, JSON and HTML (escaped, notes only when asked), and the
audited retention purge with its progress."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.runtime import Runtime
from frontdesk.messages.models import Message
from tests.conftest import Account, join
from tests.conversations.helpers import customer_writes, eventually, make_inbox

START = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
XSS = "<script>alert('x')</script> & <b>bold</b>"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_minutes": 60 * 24 * 400}


async def test_transcripts_in_three_formats(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    inbox = await make_inbox(runtime, owner, name="Site chat")
    customer = await customer_writes(runtime, inbox, "v-1", XSS, name="Olga Visitor", email="olga@example.com")
    r = await client.post(
        f"/api/v1/conversations/{customer.conversation_id}/messages",
        headers=owner.headers,
        json={"content": "Hello Olga, how can we help?"},
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v1/conversations/{customer.conversation_id}/messages",
        headers=owner.headers,
        json={"content": "internal: VIP customer", "private": True},
    )
    assert r.status_code == 201, r.text
    base = f"/api/v1/conversations/{customer.conversation_id}/transcript"

    text = await client.get(base, headers=owner.headers, params={"format": "txt"})
    assert text.status_code == 200
    assert text.headers["content-type"].startswith("text/plain")
    assert "attachment" in text.headers["content-disposition"]
    body = text.text
    assert "Contact: Olga Visitor <olga@example.com>" in body
    assert XSS in body and "Hello Olga" in body
    assert "VIP" not in body
    assert body.index(XSS) < body.index("Hello Olga")

    with_notes = await client.get(base, headers=owner.headers, params={"format": "txt", "notes": True})
    assert "(private note)" in with_notes.text and "VIP customer" in with_notes.text

    data = (await client.get(base, headers=owner.headers, params={"format": "json"})).json()
    assert data["conversation"]["id"] == customer.conversation_id
    assert data["conversation"]["contact"] == "Olga Visitor"
    people = [m for m in data["messages"] if m["sender_type"] in ("contact", "agent")]
    assert [m["content"] for m in people] == [XSS, "Hello Olga, how can we help?"]
    assert [m["direction"] for m in people] == ["in", "out"]
    assert all(not m["private"] for m in data["messages"])

    page = await client.get(base, headers=owner.headers, params={"format": "html", "download": False})
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-disposition"].startswith("inline")
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page.text
    assert "default-src 'none'" in page.text

    assert (await client.get(base, headers=owner.headers, params={"format": "pdf"})).status_code == 422
    missing = await client.get(f"/api/v1/conversations/{uuid.uuid4()}/transcript", headers=owner.headers)
    assert missing.status_code == 404


async def test_long_transcript_streams_every_message(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontdesk.conversations import transcripts

    monkeypatch.setattr(transcripts, "BATCH", 7)  # many batches from a short conversation
    inbox = await make_inbox(runtime, owner)
    first = await customer_writes(runtime, inbox, "v-long", "message 0")
    for n in range(1, 30):
        await customer_writes(runtime, inbox, "v-long", f"message {n}")
    r = await client.get(
        f"/api/v1/conversations/{first.conversation_id}/transcript", headers=owner.headers, params={"format": "json"}
    )
    contents = [m["content"] for m in json.loads(r.text)["messages"] if m["direction"] == "in"]
    assert contents == [f"message {n}" for n in range(30)]


async def test_retention_purge_is_audited_with_progress(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other_owner: Account, clock: FrozenClock
) -> None:
    inbox = await make_inbox(runtime, owner)
    old = [await customer_writes(runtime, inbox, f"old-{n}", "old question") for n in range(3)]
    other_inbox = await make_inbox(runtime, other_owner)
    elsewhere = await customer_writes(runtime, other_inbox, "theirs", "old but not ours")
    clock.advance(days=100)
    recent = await customer_writes(runtime, inbox, "new-1", "new question")

    r = await client.post("/api/v1/conversation-purges", headers=owner.headers)
    assert r.status_code == 422 and r.json()["code"] == "retention_not_set"
    agent = await join(client, owner, "agent")
    assert (
        await client.put("/api/v1/conversation-retention", headers=agent.headers, json={"retention_days": 30})
    ).status_code == 403
    r = await client.put("/api/v1/conversation-retention", headers=owner.headers, json={"retention_days": 30})
    assert r.status_code == 200 and r.json() == {"retention_days": 30}
    assert (await client.get("/api/v1/conversation-retention", headers=agent.headers)).json() == {"retention_days": 30}
    assert (
        await client.put("/api/v1/conversation-retention", headers=owner.headers, json={"retention_days": 0})
    ).status_code == 422

    r = await client.post("/api/v1/conversation-purges", headers=owner.headers)
    assert r.status_code == 202, r.text
    purge = r.json()
    assert purge["total"] == 3

    async def finished() -> bool:
        got = (await client.get(f"/api/v1/conversation-purges/{purge['id']}", headers=owner.headers)).json()
        purge.update(got)
        return got["status"] == "done"

    await eventually(finished, timeout=20)
    assert (purge["deleted"], purge["progress"]) == (3, 1.0)
    for gone in old:
        assert (
            await client.get(f"/api/v1/conversations/{gone.conversation_id}", headers=owner.headers)
        ).status_code == 404
    assert (
        await client.get(f"/api/v1/conversations/{recent.conversation_id}", headers=owner.headers)
    ).status_code == 200
    async with runtime.sessionmaker() as session:
        left = await session.scalar(
            select(func.count()).where(Message.conversation_id.in_([uuid.UUID(c.conversation_id) for c in old]))
        )
        assert left == 0
    theirs = await client.get(f"/api/v1/conversations/{elsewhere.conversation_id}", headers=other_owner.headers)
    assert theirs.status_code == 200
    audit = (await client.get("/api/v1/audit-events", headers=owner.headers, params={"per_page": 100})).json()
    actions = [e["action"] for e in audit["items"]]
    assert "conversations.purge_started" in actions and "conversations.purged" in actions
    assert "conversations.retention_changed" in actions
    done = next(e for e in audit["items"] if e["action"] == "conversations.purged")
    assert done["details"]["deleted"] == 3
    assert (
        await client.get(f"/api/v1/conversation-purges/{purge['id']}", headers=other_owner.headers)
    ).status_code == 404
    listed = (await client.get("/api/v1/conversation-purges", headers=owner.headers)).json()
    assert [p["id"] for p in listed["items"]] == [purge["id"]]
    _ = timedelta
