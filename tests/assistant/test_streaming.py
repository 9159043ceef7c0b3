"""The assistant's words stream over the API channel's socket before the stored reply arrives."""

from __future__ import annotations

import asyncio
import json

import httpx
import websockets

from tests.assistant.core_helpers import build_desk
from tests.conftest import Account


async def test_reply_streams_then_arrives_whole(client: httpx.AsyncClient, owner: Account, live_server: str) -> None:
    desk = await build_desk(client, owner)
    ws_url = live_server.replace("http", "ws") + f"/api/v1/inboxes/{desk.inbox_id}/ws"
    async with websockets.connect(ws_url) as ws:
        await ws.send(json.dumps({"type": "auth", "api_key": desk.key}))
        assert json.loads(await ws.recv())["type"] == "ready"
        r = await client.post(
            f"/api/v1/inboxes/{desk.inbox_id}/messages",
            headers=desk.key_headers,
            json={"contact": {"external_id": "c1"}, "content": "Is shipping free?"},
        )
        assert r.status_code == 201
        deltas: list[str] = []
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), timeout=240))
            if event["type"] == "message.delta":
                deltas.append(event["delta"])
                stream_id = event["stream_id"]
            if event["type"] == "message.created" and event["message"]["sender_type"] == "assistant":
                final = event["message"]
                break
        assert len(deltas) > 1, deltas
        assert "".join(deltas) == final["content"]
        assert final["payload"]["stream_id"] == stream_id
        assert "free above 50 euros" in final["content"] and final["ai"] == {}
