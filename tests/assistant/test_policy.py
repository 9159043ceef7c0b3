"""The escalation policy, routing between assistants, and the kept summary of long conversations."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select

from frontdesk.assistant import replies
from frontdesk.assistant.models import ConversationState
from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from tests.assistant.core_helpers import build_desk, customer_says, ok, timeline, wait_for_reply
from tests.conftest import Account


async def _conv(client: httpx.AsyncClient, owner: Account, conversation_id: str) -> dict:
    return await ok(await client.get(f"/api/v1/conversations/{conversation_id}", headers=owner.headers))


async def test_keywords_and_frustration_hand_over_before_the_model(client: httpx.AsyncClient, owner: Account) -> None:
    desk = await build_desk(client, owner, escalation_keywords=["lawyer"], max_frustration=1)
    sent = await customer_says(client, desk, "I will talk to my Lawyer about this", customer="a")
    reply, items = await wait_for_reply(client, desk, sent["conversation_id"], sent["message"]["id"])
    assert reply is None
    assert (await _conv(client, owner, sent["conversation_id"]))["escalation_reason"] == "keyword:lawyer"
    asked = next(m for m in items if m["id"] == sent["message"]["id"])
    assert asked["ai"]["escalated"] is True
    sent = await customer_says(client, desk, "this is useless!!", customer="b")
    reply, _ = await wait_for_reply(client, desk, sent["conversation_id"], sent["message"]["id"])
    assert reply is None
    assert (await _conv(client, owner, sent["conversation_id"]))["escalation_reason"] == "customer_frustrated"


async def test_max_bot_turns(client: httpx.AsyncClient, owner: Account) -> None:
    desk = await build_desk(client, owner, max_bot_turns=2)
    first = await customer_says(client, desk, "hello")
    await wait_for_reply(client, desk, first["conversation_id"], first["message"]["id"])
    assert (await _conv(client, owner, first["conversation_id"]))["status"] == "bot"
    second = await customer_says(client, desk, "Is shipping free?")
    reply, _ = await wait_for_reply(client, desk, second["conversation_id"], second["message"]["id"])
    assert reply is not None and "free above 50 euros" in reply["content"]
    conv = await _conv(client, owner, first["conversation_id"])
    assert conv["escalation_reason"] == "max_bot_turns" and conv["mode"] == "human"


async def test_routing_keywords_pick_the_specialist(client: httpx.AsyncClient, owner: Account) -> None:
    desk = await build_desk(client, owner)
    billing = await ok(
        await client.post(
            "/api/v1/assistants",
            headers=owner.headers,
            json={"name": "Billing", "inbox_ids": [desk.inbox_id], "routing_keywords": ["invoice"]},
        ),
        201,
    )
    sent = await customer_says(client, desk, "Where is my invoice for March?")
    reply, items = await wait_for_reply(client, desk, sent["conversation_id"], sent["message"]["id"])
    assert reply is not None and reply["ai"]["assistant_id"] == billing["id"]
    assert reply["sender_name"] == "Billing"
    note = next(m for m in items if m["payload"].get("event") == "assistant_transfer")
    assert note["private"] is True and "Billing" in note["content"]


async def test_long_conversations_keep_a_summary(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replies, "HISTORY_TURNS", 2)
    desk = await build_desk(client, owner, max_bot_turns=0)
    conversation_id = ""
    for text in ("hello", "Is shipping free?", "thanks a lot"):
        sent = await customer_says(client, desk, text)
        conversation_id = sent["conversation_id"]
        await wait_for_reply(client, desk, conversation_id, sent["message"]["id"])
    async with transaction(runtime.sessionmaker) as session:
        state = await session.scalar(
            select(ConversationState).where(ConversationState.conversation_id == uuid.UUID(conversation_id))
        )
        assert state is not None
        assert state.summary.startswith("customer: hello")
        assert "Is shipping free?" in state.summary and state.summarized_count >= 3
    assert len(await timeline(client, desk, conversation_id)) == 6
