"""Replies and private notes: idempotent sends, what the customer's topic carries, first response
time, taking over from the assistant and handing back, and editing or deleting one's own messages."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from frontdesk.kit.events import org_topic
from frontdesk.kit.runtime import Runtime
from frontdesk.messages.service import conversation_topic
from tests.conftest import Account, join
from tests.conversations.helpers import bot_conversation, customer_writes, join_named, make_inbox, ts


async def drain(sub: object) -> list[dict]:
    out = []
    queue = sub.queue  # type: ignore[attr-defined]
    await asyncio.sleep(0.05)
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


async def test_replies_notes_dedupe_and_first_response(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    agent = await join_named(client, owner, "agent", "Dana Agent")
    inbox = await make_inbox(runtime, owner)
    customer = await customer_writes(runtime, inbox, "v1", "Where is my parcel?")
    conv = customer.conversation_id
    url = f"/api/v1/conversations/{conv}/messages"

    async with (
        runtime.bus.subscribe(conversation_topic(uuid.UUID(conv))) as public,
        runtime.bus.subscribe(org_topic(owner.organization_id)) as org,
    ):
        note = await client.post(
            url, headers=agent.headers, json={"content": "Check the courier first", "private": True}
        )
        assert note.status_code == 201, note.text
        assert note.json()["private"] is True and note.json()["sender_name"] == "Dana Agent"
        detail = (await client.get(f"/api/v1/conversations/{conv}", headers=agent.headers)).json()
        # A note is not an answer: no first response, and nobody was assigned by it.
        assert detail["first_response_at"] is None and detail["assignee_id"] is None

        body = {"content": "It ships today.", "client_id": "c-1"}
        first = await client.post(url, headers=agent.headers, json=body)
        assert first.status_code == 201, first.text
        again = await client.post(url, headers=agent.headers, json=body)
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]

        public_events = await drain(public)
        org_events = await drain(org)
    public_created = [e["message"]["content"] for e in public_events if e["type"] == "message.created"]
    assert public_created == ["It ships today."]
    assert "Check the courier first" not in str(public_events)
    org_created = [e["message"]["content"] for e in org_events if e["type"] == "message.created"]
    assert org_created == ["Check the courier first", "It ships today."]

    detail = (await client.get(f"/api/v1/conversations/{conv}", headers=agent.headers)).json()
    assert ts(detail["first_response_at"]) == ts(first.json()["created_at"])
    # Answering an unassigned conversation makes it yours.
    assert detail["assignee_id"] == agent.user_id and detail["status"] == "open"
    assert detail["unread_count"] == 0

    timeline = (await client.get(url, headers=owner.headers)).json()["items"]
    assert [m["content"] for m in timeline if m["sender_type"] == "agent"] == [
        "Check the courier first",
        "It ships today.",
    ]

    # A later reply does not move the first response time.
    await client.post(url, headers=agent.headers, json={"content": "Tracking: 123"})
    detail2 = (await client.get(f"/api/v1/conversations/{conv}", headers=agent.headers)).json()
    assert detail2["first_response_at"] == detail["first_response_at"]

    choices = await client.post(
        url,
        headers=agent.headers,
        json={"content": "Pick one", "content_type": "choices", "choices": [{"id": "a", "label": "Refund"}]},
    )
    assert choices.status_code == 201 and choices.json()["payload"] == {"choices": [{"id": "a", "label": "Refund"}]}
    missing = await client.post(url, headers=agent.headers, json={"content": "Pick", "content_type": "choices"})
    assert missing.status_code == 422 and missing.json()["code"] == "choices_required"
    stray = await client.post(url, headers=agent.headers, json={"content": "x", "choices": [{"id": "a", "label": "A"}]})
    assert stray.status_code == 422
    # Someone else's client_id is not a retry of yours.
    taken = await client.post(url, headers=owner.headers, json=body)
    assert taken.status_code == 409 and taken.json()["code"] == "client_id_taken"
    viewer = await join(client, owner, "viewer")
    assert (await client.post(url, headers=viewer.headers, json={"content": "hi"})).status_code == 403
    assert (await client.post(url, headers=agent.headers, json={"content": ""})).status_code == 422


async def test_take_over_first_take_over_and_hand_back(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    agent = await join_named(client, owner, "agent", "Dana Q. Agent")
    inbox = await make_inbox(runtime, owner)
    conv = (await bot_conversation(runtime, inbox, "v1")).conversation_id
    url = f"/api/v1/conversations/{conv}"

    refused = await client.post(f"{url}/messages", headers=agent.headers, json={"content": "Hi, I'm here"})
    assert refused.status_code == 409 and refused.json()["code"] == "take_over_first"
    note = await client.post(f"{url}/messages", headers=agent.headers, json={"content": "watching", "private": True})
    assert note.status_code == 201

    taken = await client.post(f"{url}/take-over", headers=agent.headers)
    assert taken.status_code == 200, taken.text
    state = taken.json()
    assert (state["mode"], state["status"], state["assignee_id"]) == ("human", "open", agent.user_id)
    assert state["escalation_reason"] == "agent_took_over"
    assert (await client.post(f"{url}/take-over", headers=agent.headers)).status_code == 200
    system = [
        m["content"]
        for m in (await client.get(f"{url}/messages", headers=agent.headers)).json()["items"]
        if m["payload"].get("event") == "agent_joined"
    ]
    # Announced once, by first name: the customer never sees the agent's email.
    assert system == ["Dana joined the conversation."]
    assert (await client.post(f"{url}/messages", headers=agent.headers, json={"content": "Hi!"})).status_code == 201

    back = await client.post(f"{url}/hand-back", headers=agent.headers)
    assert back.status_code == 200, back.text
    assert (back.json()["mode"], back.json()["status"], back.json()["assignee_id"]) == ("ai", "bot", None)
    refused = await client.post(f"{url}/messages", headers=owner.headers, json={"content": "me too"})
    assert refused.status_code == 409

    events = (
        await client.get("/api/v1/audit-events", headers=owner.headers, params={"action": "conversation."})
    ).json()
    actions = {e["action"] for e in events["items"]}
    assert {"conversation.taken_over", "conversation.handed_back"} <= actions

    human_only = await make_inbox(runtime, owner, assistant_enabled=False)
    other = (await customer_writes(runtime, human_only, "v2")).conversation_id
    nobody = await client.post(f"/api/v1/conversations/{other}/hand-back", headers=owner.headers)
    assert nobody.status_code == 409 and nobody.json()["code"] == "no_assistant"


async def test_edit_and_delete_only_your_own_messages(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    agent = await join(client, owner, "agent")
    colleague = await join(client, owner, "agent")
    inbox = await make_inbox(runtime, owner)
    customer = await customer_writes(runtime, inbox, "v1", "hello")
    url = f"/api/v1/conversations/{customer.conversation_id}/messages"
    mine = (await client.post(url, headers=agent.headers, json={"content": "Helo!"})).json()
    note = (await client.post(url, headers=agent.headers, json={"content": "odd one", "private": True})).json()

    for who in (colleague, owner):
        r = await client.patch(f"/api/v1/messages/{mine['id']}", headers=who.headers, json={"content": "hacked"})
        assert r.status_code == 403 and r.json()["code"] == "not_your_message"
        assert (await client.delete(f"/api/v1/messages/{note['id']}", headers=who.headers)).status_code == 403
    theirs = await client.patch(f"/api/v1/messages/{customer.message_id}", headers=agent.headers, json={"content": "x"})
    assert theirs.status_code == 403

    edited = await client.patch(f"/api/v1/messages/{mine['id']}", headers=agent.headers, json={"content": "Hello!"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["content"] == "Hello!" and edited.json()["edited_at"] is not None
    deleted = await client.delete(f"/api/v1/messages/{note['id']}", headers=agent.headers)
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True and deleted.json()["content"] == ""
    assert (await client.delete(f"/api/v1/messages/{note['id']}", headers=agent.headers)).status_code == 404

    timeline = {m["id"]: m for m in (await client.get(url, headers=owner.headers)).json()["items"]}
    assert timeline[mine["id"]]["content"] == "Hello!"
    assert timeline[note["id"]]["deleted"] is True and timeline[note["id"]]["content"] == ""

    audit = (await client.get("/api/v1/audit-events", headers=owner.headers, params={"action": "message."})).json()
    by_action = {e["action"]: e for e in audit["items"]}
    assert by_action["message.edited"]["details"] == {"before": "Helo!"}
    assert by_action["message.edited"]["actor_label"] == agent.email
    assert by_action["message.deleted"]["details"] == {"content": "odd one"}
    assert by_action["message.deleted"]["target_id"] == note["id"]
