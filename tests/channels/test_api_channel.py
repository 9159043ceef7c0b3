"""The API channel: a server posts customers' messages and hears replies over a socket."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import websockets

from frontdesk.inboxes.models import Inbox
from frontdesk.kit.crypto import new_token
from frontdesk.kit.db import transaction
from tests.conftest import Account


async def _api_inbox(runtime, org_id: str, channel: str = "api") -> str:
    async with transaction(runtime.sessionmaker) as session:
        inbox = Inbox(
            organization_id=uuid.UUID(org_id),
            name="Backend",
            channel=channel,
            public_token=new_token(),
            assistant_enabled=True,
            auto_assign=False,
        )
        session.add(inbox)
        await session.flush()
        return str(inbox.id)


async def _key(client: httpx.AsyncClient, owner: Account) -> str:
    r = await client.post(
        "/api/v1/api-keys",
        headers=owner.headers,
        json={"name": "backend", "scopes": ["conversations.read", "conversations.reply"]},
    )
    assert r.status_code == 201
    return str(r.json()["key"])


async def test_post_and_read_messages(client: httpx.AsyncClient, owner: Account, runtime) -> None:
    inbox_id = await _api_inbox(runtime, owner.organization_id)
    key = {"X-API-Key": await _key(client, owner)}
    body = {
        "contact": {"external_id": "cust-42", "name": "Ada", "email": "ada@example.com"},
        "content": "Hello <b>there</b>",
        "client_id": "m-1",
    }
    first = await client.post(f"/api/v1/inboxes/{inbox_id}/messages", headers=key, json=body)
    assert first.status_code == 201, first.text
    again = await client.post(f"/api/v1/inboxes/{inbox_id}/messages", headers=key, json=body)
    assert again.status_code == 201
    assert again.json()["created"] is False
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    conv_id = first.json()["conversation_id"]
    second = await client.post(
        f"/api/v1/inboxes/{inbox_id}/messages", headers=key, json={**body, "content": "Second", "client_id": "m-2"}
    )
    assert second.json()["conversation_id"] == conv_id
    page = (
        await client.get(
            f"/api/v1/inboxes/{inbox_id}/conversations/{conv_id}/messages", headers=key, params={"limit": 1}
        )
    ).json()
    assert [m["content"] for m in page["items"]] == ["Hello <b>there</b>"]
    rest = (
        await client.get(
            f"/api/v1/inboxes/{inbox_id}/conversations/{conv_id}/messages",
            headers=key,
            params={"after": page["next_cursor"]},
        )
    ).json()
    # No assistant answers yet, so the conversation went to people and the customer was told.
    assert [m["sender_type"] for m in rest["items"]] == ["system", "contact"]
    assert rest["items"][1]["content"] == "Second"


async def test_wrong_inbox_kind_and_tenant(
    client: httpx.AsyncClient, owner: Account, other_owner: Account, runtime
) -> None:
    web_inbox = await _api_inbox(runtime, owner.organization_id, channel="web")
    key = {"X-API-Key": await _key(client, owner)}
    body = {"contact": {"external_id": "x"}, "content": "hi"}
    r = await client.post(f"/api/v1/inboxes/{web_inbox}/messages", headers=key, json=body)
    assert r.status_code == 409 and r.json()["code"] == "wrong_channel"
    theirs = await _api_inbox(runtime, other_owner.organization_id)
    r = await client.post(f"/api/v1/inboxes/{theirs}/messages", headers=key, json=body)
    assert r.status_code == 404
    r = await client.post(
        f"/api/v1/inboxes/{theirs}/messages", headers=key, json={"contact": {"external_id": "x"}, "content": "x" * 5000}
    )
    assert r.status_code == 422


async def test_socket_hears_replies(client: httpx.AsyncClient, owner: Account, runtime, live_server: str) -> None:
    inbox_id = await _api_inbox(runtime, owner.organization_id)
    key = await _key(client, owner)
    ws_url = live_server.replace("http", "ws") + f"/api/v1/inboxes/{inbox_id}/ws"
    async with websockets.connect(ws_url) as ws:
        await ws.send(json.dumps({"type": "auth", "api_key": key}))
        assert json.loads(await ws.recv())["type"] == "ready"
        r = await client.post(
            f"/api/v1/inboxes/{inbox_id}/messages",
            headers={"X-API-Key": key},
            json={"contact": {"external_id": "c1"}, "content": "ping"},
        )
        assert r.status_code == 201
        seen = []
        while len(seen) < 2:
            event = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            if event["type"] == "message.created":
                seen.append(event["message"])
        assert [m["sender_type"] for m in seen] == ["contact", "system"]
        assert all(m["ai"] == {} for m in seen)


async def test_socket_refuses_bad_keys(owner: Account, runtime, live_server: str) -> None:
    inbox_id = await _api_inbox(runtime, owner.organization_id)
    ws_url = live_server.replace("http", "ws") + f"/api/v1/inboxes/{inbox_id}/ws"
    async with websockets.connect(ws_url) as ws:
        await ws.send(json.dumps({"type": "auth", "api_key": "fdk_bad_key"}))
        assert json.loads(await ws.recv())["code"] == "unauthorized"
        await ws.wait_closed()
        assert ws.close_code == 4401
