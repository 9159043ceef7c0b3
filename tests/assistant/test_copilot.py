"""Copilot over HTTP: drafts written in copilot mode, edited, approved, rejected and revised; the
writing aids; the review list; permissions and tenancy."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from frontdesk.app import create_app
from frontdesk.assistant import copilot, copilot_repository
from frontdesk.config import Settings
from frontdesk.kit.clock import Clock
from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from tests.assistant.copilot_fixtures import add_article, add_routes, sign_in_browser
from tests.conftest import Account, join
from tests.conversations.helpers import customer_writes, eventually, make_inbox


@pytest.fixture
async def app(settings: Settings, clock: Clock | None) -> Any:
    application = create_app(settings, clock=clock)
    add_routes(application)
    async with application.router.lifespan_context(application):
        yield application


async def _copilot_conversation(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, text: str = "What are your opening hours?"
) -> tuple[str, str]:
    await add_article(
        client,
        owner,
        "Opening hours",
        "We are open from 9:00 to 17:00, Monday to Friday.",
        ["What are your opening hours?", "When are you open?"],
    )
    inbox_id = await make_inbox(runtime, owner, copilot=True)
    customer = await customer_writes(runtime, inbox_id, f"visitor-{uuid.uuid4().hex[:6]}", text)
    return customer.conversation_id, customer.message_id


async def _draft_via_hook(runtime: Runtime, conversation_id: str, message_id: str) -> str:
    """The draft the assistant's job wrote for a customer message in copilot mode.

    Calling the hook again, as a retried job would, finds the same draft.
    """

    async def drafted() -> bool:
        try:
            async with runtime.sessionmaker() as session:
                found = await copilot_repository.for_message(session, uuid.UUID(conversation_id), uuid.UUID(message_id))
                return found is not None
        except OperationalError:
            # SQLite: the drafting job holds the write lock while the model runs; a cold first run on
            # a busy machine can outlast the busy timeout. Ask again.
            return False

    await eventually(drafted, timeout=90)
    async with transaction(runtime.sessionmaker) as session:
        draft = await copilot.draft_for(session, runtime, uuid.UUID(conversation_id), uuid.UUID(message_id))
        assert draft is not None
        return str(draft.id)


async def _agent_messages(client: httpx.AsyncClient, owner: Account, conversation_id: str) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=owner.headers)
    assert r.status_code == 200, r.text
    return [m for m in r.json()["items"] if m["sender_type"] == "agent"]


async def test_draft_edit_approve_sends_one_message(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    conversation_id, message_id = await _copilot_conversation(client, runtime, owner)
    draft_id = await _draft_via_hook(runtime, conversation_id, message_id)
    # The hook is idempotent: a retried job finds the same draft.
    assert await _draft_via_hook(runtime, conversation_id, message_id) == draft_id

    r = await client.get(f"/api/v1/conversations/{conversation_id}/drafts?status=pending", headers=owner.headers)
    assert r.status_code == 200
    [draft] = r.json()
    assert draft["id"] == draft_id and draft["status"] == "pending"
    assert draft["original"] and draft["content"] == draft["original"]
    assert "confidence" in draft["ai"] and "intent" in draft["ai"]
    # Nothing was sent to the customer yet, and the conversation waits for a person, not the bot.
    assert await _agent_messages(client, owner, conversation_id) == []
    detail = (await client.get(f"/api/v1/conversations/{conversation_id}", headers=owner.headers)).json()
    assert detail["mode"] == "copilot" and detail["status"] == "pending"

    edited = draft["content"] + " Have a nice day!"
    r = await client.patch(
        f"/api/v1/conversations/{conversation_id}/drafts/{draft_id}", headers=owner.headers, json={"content": edited}
    )
    assert r.status_code == 200, r.text
    assert r.json()["edited"] is True

    r = await client.post(
        f"/api/v1/conversations/{conversation_id}/drafts/{draft_id}/approve", headers=owner.headers, json={}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["draft"]["status"] == "sent" and body["draft"]["edited"] is True
    assert body["message"]["content"] == edited
    assert body["draft"]["sent_message_id"] == body["message"]["id"]
    sent = await _agent_messages(client, owner, conversation_id)
    assert [m["content"] for m in sent] == [edited]

    # Approving twice sends nothing more.
    r = await client.post(
        f"/api/v1/conversations/{conversation_id}/drafts/{draft_id}/approve", headers=owner.headers, json={}
    )
    assert r.status_code == 409 and r.json()["code"] == "draft_not_pending"
    assert len(await _agent_messages(client, owner, conversation_id)) == 1


async def test_reject_keeps_the_fate_and_sends_nothing(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    conversation_id, message_id = await _copilot_conversation(client, runtime, owner)
    draft_id = await _draft_via_hook(runtime, conversation_id, message_id)
    r = await client.post(
        f"/api/v1/conversations/{conversation_id}/drafts/{draft_id}/reject",
        headers=owner.headers,
        json={"reason": "wrong tone"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected" and r.json()["reject_reason"] == "wrong tone"
    assert r.json()["decided_by"] == owner.user_id
    assert await _agent_messages(client, owner, conversation_id) == []
    r = await client.patch(
        f"/api/v1/conversations/{conversation_id}/drafts/{draft_id}", headers=owner.headers, json={"content": "x"}
    )
    assert r.status_code == 409

    # The review shows the fate; asking again makes a new pending draft for the same message.
    r = await client.get("/api/v1/copilot/drafts?status=rejected", headers=owner.headers)
    assert r.status_code == 200 and [d["id"] for d in r.json()["items"]] == [draft_id]
    r = await client.post(f"/api/v1/conversations/{conversation_id}/drafts", headers=owner.headers)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending" and r.json()["id"] != draft_id
    stats = (await client.get("/api/v1/copilot/stats", headers=owner.headers)).json()
    assert stats["rejected"] == 1 and stats["pending"] == 1 and stats["total"] == 2


async def test_revise_with_instructions(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    conversation_id, message_id = await _copilot_conversation(client, runtime, owner)
    draft_id = await _draft_via_hook(runtime, conversation_id, message_id)
    base = f"/api/v1/conversations/{conversation_id}/drafts/{draft_id}"
    await client.patch(
        base,
        headers=owner.headers,
        json={"content": "hi! we're open from 9 to 5. you can't visit on sundays. thanks for asking!"},
    )
    r = await client.post(base + "/revise", headers=owner.headers, json={"instruction": "more formal"})
    assert r.status_code == 200, r.text
    formal = r.json()["draft"]["content"]
    assert "we are open" in formal.lower() and "cannot" in formal and "Kind regards" in formal
    r = await client.post(base + "/revise", headers=owner.headers, json={"instruction": "offer a discount"})
    offered = r.json()["draft"]
    assert "discount" in offered["content"]
    assert [rev["instruction"] for rev in offered["revisions"]] == ["more formal", "offer a discount"]
    assert offered["edited"] is False
    r = await client.post(base + "/revise", headers=owner.headers, json={"instruction": "shorter"})
    assert len(r.json()["draft"]["content"]) < len(offered["content"])
    r = await client.post(base + "/revise", headers=owner.headers, json={"instruction": "in klingon"})
    assert r.status_code == 200 and r.json()["notes"], "an instruction it cannot follow is said so"
    # Sent as the assistant revised it: not counted as a person's edit.
    r = await client.post(base + "/approve", headers=owner.headers, json={})
    assert r.status_code == 200 and r.json()["draft"]["edited"] is False


async def test_newer_message_supersedes_pending_draft(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    conversation_id, message_id = await _copilot_conversation(client, runtime, owner)
    first = await _draft_via_hook(runtime, conversation_id, message_id)
    r = await client.get(f"/api/v1/conversations/{conversation_id}", headers=owner.headers)
    contact_visitor = r.json()["contact"]["id"]
    assert contact_visitor
    r = await client.post(f"/api/v1/conversations/{conversation_id}/drafts", headers=owner.headers)
    assert r.status_code == 201 and r.json()["id"] == first, "a pending draft for the same message is reused"
    async with transaction(runtime.sessionmaker) as session:
        from frontdesk.conversations.models import Conversation
        from frontdesk.messages.service import add_message

        conv = await session.get(Conversation, uuid.UUID(conversation_id))
        assert conv is not None
        newer, _ = await add_message(session, conv, direction="in", sender_type="contact", content="And on Saturday?")
        newer_id = str(newer.id)
    async with transaction(runtime.sessionmaker) as session:
        made = await copilot.draft_for(session, runtime, uuid.UUID(conversation_id), uuid.UUID(newer_id))
        assert made is not None
        second = str(made.id)
    r = await client.get(f"/api/v1/conversations/{conversation_id}/drafts", headers=owner.headers)
    states = {d["id"]: d["status"] for d in r.json()}
    assert states == {first: "superseded", second: "pending"}


async def test_assist_suggest_summary_improve(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    conversation_id, _ = await _copilot_conversation(client, runtime, owner)
    base = f"/api/v1/conversations/{conversation_id}/assist"
    r = await client.post(base + "/suggest", headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "suggest" and r.json()["text"] and "confidence" in r.json()["ai"]
    r = await client.post(base + "/summary", headers=owner.headers)
    assert r.status_code == 200, r.text
    assert "opening hours" in r.json()["text"].lower()
    r = await client.post(base + "/improve", headers=owner.headers, json={"text": "hi  there , i can help u today"})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "Hello there, I can help you today."
    r = await client.post(base + "/improve", headers=owner.headers, json={"text": ""})
    assert r.status_code == 422


async def test_roles_and_other_organizations(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other_owner: Account
) -> None:
    conversation_id, message_id = await _copilot_conversation(client, runtime, owner)
    draft_id = await _draft_via_hook(runtime, conversation_id, message_id)
    viewer = await join(client, owner, "viewer")
    base = f"/api/v1/conversations/{conversation_id}/drafts"
    assert (await client.get(base, headers=viewer.headers)).status_code == 200
    r = await client.post(f"{base}/{draft_id}/approve", headers=viewer.headers, json={})
    assert r.status_code == 403
    r = await client.post(f"/api/v1/conversations/{conversation_id}/assist/suggest", headers=viewer.headers)
    assert r.status_code == 403
    # Another organization sees nothing of it, whatever it tries.
    for method, path, body in [
        ("GET", base, None),
        ("GET", f"{base}/{draft_id}", None),
        ("POST", base, None),
        ("PATCH", f"{base}/{draft_id}", {"content": "hijack"}),
        ("POST", f"{base}/{draft_id}/approve", {}),
        ("POST", f"{base}/{draft_id}/reject", {"reason": "x"}),
        ("POST", f"{base}/{draft_id}/revise", {"instruction": "shorter"}),
        ("POST", f"/api/v1/conversations/{conversation_id}/assist/summary", None),
    ]:
        r = await client.request(method, path, headers=other_owner.headers, json=body)
        assert r.status_code == 404, (method, path, r.status_code)
    r = await client.get("/api/v1/copilot/drafts", headers=other_owner.headers)
    assert r.json()["total"] == 0
    r = await client.get(f"{base}/{draft_id}", headers=owner.headers)
    assert r.json()["status"] == "pending" and r.json()["content"] != "hijack"


async def test_review_page(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    conversation_id, message_id = await _copilot_conversation(client, runtime, owner)
    await _draft_via_hook(runtime, conversation_id, message_id)
    await sign_in_browser(client, owner)
    r = await client.get("/app/copilot/review")
    assert r.status_code == 200, r.text
    assert "Copilot review" in r.text and f"/app/inbox/{conversation_id}" in r.text
