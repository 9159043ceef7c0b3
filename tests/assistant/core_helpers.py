"""Building an organization with a knowledge base, an API inbox and an assistant, through the API."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import Account

ARTICLES = [
    {
        "title": "Opening hours",
        "body": "We are open Monday to Friday from 9:00 to 18:00, and Saturdays from 10:00 to 14:00.",
        "example_questions": [
            "When are you open?",
            "What are your opening hours?",
            "Are you open on Saturday?",
            "What time do you close?",
        ],
    },
    {
        "title": "Refund policy",
        "body": "You can return any item within 30 days for a full refund. Refunds reach your card in 5 days.",
        "example_questions": [
            "How do I get a refund?",
            "Can I return my order?",
            "What is your return policy?",
            "How long does a refund take?",
        ],
    },
    {
        "title": "Shipping costs",
        "body": "Shipping is free above 50 euros; below that it costs 4.90 euros within the EU.",
        "example_questions": [
            "How much is shipping?",
            "Do you charge for delivery?",
            "Is shipping free?",
            "What are the delivery costs?",
        ],
    },
]


@dataclass
class Desk:
    owner: Account
    key: str
    inbox_id: str
    assistant: dict[str, Any]
    articles: dict[str, str]  # title -> id

    @property
    def key_headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json() if r.content else None


async def build_desk(client: httpx.AsyncClient, owner: Account, **assistant: Any) -> Desk:
    inbox = await ok(
        await client.post("/api/v1/inboxes", headers=owner.headers, json={"name": "API", "channel": "api"}), 201
    )
    key = await ok(
        await client.post(
            "/api/v1/api-keys",
            headers=owner.headers,
            json={"name": "site", "scopes": ["conversations.read", "conversations.reply"]},
        ),
        201,
    )
    collection = await ok(
        await client.post("/api/v1/knowledge/collections", headers=owner.headers, json={"name": "FAQ"}), 201
    )
    articles = {}
    for article in ARTICLES:
        made = await ok(
            await client.post(
                "/api/v1/knowledge/articles",
                headers=owner.headers,
                json={**article, "collection_id": collection["id"]},
            ),
            201,
        )
        articles[made["title"]] = made["id"]
    body = {"name": "Front desk", "inbox_ids": [inbox["id"]], **assistant}
    made_assistant = await ok(await client.post("/api/v1/assistants", headers=owner.headers, json=body), 201)
    return Desk(owner, key["key"], inbox["id"], made_assistant, articles)


async def customer_says(
    client: httpx.AsyncClient, desk: Desk, text: str, *, customer: str = "cust-1"
) -> dict[str, Any]:
    body = {"contact": {"external_id": customer, "name": ""}, "content": text}
    return await ok(  # type: ignore[no-any-return]
        await client.post(f"/api/v1/inboxes/{desk.inbox_id}/messages", headers=desk.key_headers, json=body), 201
    )


async def timeline(client: httpx.AsyncClient, desk: Desk, conversation_id: str) -> list[dict[str, Any]]:
    page = await ok(await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=desk.owner.headers))
    return page["items"]  # type: ignore[no-any-return]


async def wait_for_reply(
    client: httpx.AsyncClient, desk: Desk, conversation_id: str, after_id: str, timeout: float = 240.0
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The assistant's answer to message ``after_id`` (or None when it escalated without one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = await timeline(client, desk, conversation_id)
        mine = next((m for m in items if m["id"] == after_id), None)
        if mine is not None and mine["ai"].get("answered"):
            reply = next(
                (m for m in items if m["sender_type"] == "assistant" and m["ai"].get("reply_to") == after_id), None
            )
            return reply, items
        await asyncio.sleep(0.05)
    raise AssertionError(f"no assistant turn for {after_id}: {await timeline(client, desk, conversation_id)}")
