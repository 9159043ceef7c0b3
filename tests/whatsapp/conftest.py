from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk.channels.whatsapp.sandbox import Sandbox
from frontdesk.channels.whatsapp.signature import HEADER, sign
from tests.conftest import CORPORA, Account
from tests.fakes.graph_api import running
from tests.web.conftest import web  # noqa: F401  (the page tests' browser fixture)

PYWA = CORPORA / "whatsapp" / "pywa"
WEBHOOK = "/api/v1/channels/whatsapp/webhook"
VERIFY_TOKEN = "verify-me-please"


@pytest.fixture
async def graph() -> AsyncIterator[Sandbox]:
    async with running() as sandbox:
        yield sandbox


@pytest.fixture
def settings_overrides(graph: Sandbox) -> dict[str, Any]:
    return {
        "whatsapp_graph_url": graph.base_url,
        "outbox_backoff_base_seconds": 0.05,
        "outbox_max_backoff_seconds": 0.4,
        "whatsapp_media_max_bytes": 100_000,
    }


async def wait_for(check: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    """Poll until ``check`` returns something truthy (jobs run in the background)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting; last value {value!r}")
        await asyncio.sleep(0.05)


@dataclass
class WhatsAppInbox:
    client: httpx.AsyncClient
    owner: Account
    graph: Sandbox
    inbox_id: str

    async def post(self, body: bytes | dict[str, Any], *, secret: str | None = None) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {HEADER: sign(secret or self.graph.app_secret, raw), "Content-Type": "application/json"}
        return await self.client.post(WEBHOOK, content=raw, headers=headers)

    async def conversations(self) -> list[dict[str, Any]]:
        r = await self.client.get(
            "/api/v1/conversations",
            headers=self.owner.headers,
            params=[("status", s) for s in ("bot", "pending", "open", "snoozed", "resolved")],
        )
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    async def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        r = await self.client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=self.owner.headers)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    async def only_conversation(self) -> str:
        convs = await wait_for(self.conversations)
        assert len(convs) == 1, convs
        return str(convs[0]["id"])

    async def customer_messages(self) -> list[dict[str, Any]]:
        convs = await self.conversations()
        out = []
        for c in convs:
            out += [m for m in await self.messages(c["id"]) if m["direction"] == "in"]
        return out


async def make_inbox(
    client: httpx.AsyncClient, owner: Account, graph: Sandbox, *, phone_number_id: str | None = None, **extra: Any
) -> WhatsAppInbox:
    r = await client.post(
        "/api/v1/inboxes",
        headers=owner.headers,
        json={"name": f"WhatsApp {phone_number_id or graph.phone_number_id}", "channel": "whatsapp", **extra},
    )
    assert r.status_code == 201, r.text
    inbox_id = r.json()["id"]
    r = await client.patch(
        f"/api/v1/inboxes/{inbox_id}/whatsapp",
        headers=owner.headers,
        json={
            "phone_number_id": phone_number_id or graph.phone_number_id,
            "waba_id": graph.waba_id,
            "access_token": graph.access_token,
            "app_secret": graph.app_secret,
            "verify_token": VERIFY_TOKEN,
        },
    )
    assert r.status_code == 200, r.text

    async def deliver(body: bytes, headers: dict[str, str]) -> int:
        return (await client.post(WEBHOOK, content=body, headers=headers)).status_code

    graph.deliver = deliver
    return WhatsAppInbox(client=client, owner=owner, graph=graph, inbox_id=inbox_id)


@pytest.fixture
async def wa(client: httpx.AsyncClient, owner: Account, graph: Sandbox) -> WhatsAppInbox:
    # Human-first, so agents can reply without taking over from the assistant.
    return await make_inbox(client, owner, graph, assistant_enabled=False)


def corpus(name: str) -> bytes:
    return (PYWA / name).read_bytes()


def corpus_files() -> list[Path]:
    return sorted(p for p in PYWA.glob("*.json"))
