"""The visitor's socket: agent replies pushed live, the next conversation followed, typing both ways."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import websockets

from frontdesk.conversations.models import Conversation
from frontdesk.kit.db import transaction
from frontdesk.kit.events import org_topic
from frontdesk.messages.service import add_message, conversation_topic
from tests.channels.test_widget import auth, make_inbox, say, start
from tests.conftest import Account


async def next_of(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        if event["type"] == kind:
            return event  # type: ignore[no-any-return]


async def test_socket_pushes_agent_replies_and_follows_new_conversations(
    client: httpx.AsyncClient, owner: Account, runtime: Any, live_server: str
) -> None:
    token = (await make_inbox(client, owner))["public_token"]
    session = await start(client, token)
    url = live_server.replace("http", "ws") + f"/api/v1/widget/{token}/ws"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "visitor_token": session["visitor_token"]}))
        ready = await next_of(ws, "ready")
        assert ready["conversation_id"] is None and ready["agents_online"] is False

        # The first message starts a conversation; the socket is told and follows it.
        sent = (await say(client, token, session, "hello", "w1")).json()
        conv_id = sent["conversation"]["id"]
        assert (await next_of(ws, "conversation.started"))["conversation_id"] == conv_id
        assert (await next_of(ws, "resubscribed"))["conversation_id"] == conv_id

        # An agent's reply, stored the way the agent API stores it, arrives without asking.
        async with transaction(runtime.sessionmaker) as db:
            conv = await db.get(Conversation, uuid.UUID(conv_id))
            assert conv is not None
            await add_message(
                db, conv, direction="out", sender_type="agent", sender_name="Dana", content="Hi, Dana here <b>!</b>"
            )
            await add_message(db, conv, direction="out", sender_type="agent", content="internal", private=True)
        pushed = await next_of(ws, "message.created")
        assert pushed["message"]["content"] == "Hi, Dana here <b>!</b>" and pushed["message"]["ai"] == {}
        assert pushed["conversation_id"] == conv_id

        # Agent typing, as the agents' socket publishes it, reaches the visitor.
        await runtime.bus.publish(
            conversation_topic(uuid.UUID(conv_id)), {"type": "agent.typing", "conversation_id": conv_id, "name": "Dana"}
        )
        assert (await next_of(ws, "agent.typing"))["name"] == "Dana"

        # The visitor's typing goes to the agents of the organization.
        async with runtime.bus.subscribe(org_topic(owner.organization_id)) as agents:
            await ws.send(json.dumps({"type": "typing"}))
            event = await asyncio.wait_for(agents.get(), timeout=5)
            assert event == {
                "type": "contact.typing",
                "conversation_id": conv_id,
                "topic": org_topic(owner.organization_id),
            }

        # Messages may go over the socket too, deduplicated by client_id like HTTP.
        await ws.send(json.dumps({"type": "message", "content": "via socket", "client_id": "w2"}))
        ack = await next_of(ws, "ack")
        assert ack["client_id"] == "w2" and ack["created"] is True
        await ws.send(json.dumps({"type": "message", "content": "", "client_id": "w3"}))
        error = await next_of(ws, "error")
        assert error["code"] == "validation_error" and error["client_id"] == "w3"

        # Resolution asks for a rating.
        r = await client.patch(f"/api/v1/conversations/{conv_id}", headers=owner.headers, json={"status": "resolved"})
        assert r.status_code == 200
        assert (await next_of(ws, "csat.requested"))["conversation_id"] == conv_id

        await ws.send(json.dumps({"type": "ping"}))
        await next_of(ws, "pong")
    history = (await client.get(f"/api/v1/widget/{token}/messages", headers=auth(session))).json()["items"]
    assert "internal" not in [m["content"] for m in history]


async def test_socket_refusals(
    client: httpx.AsyncClient, owner: Account, other_owner: Account, live_server: str
) -> None:
    inbox = await make_inbox(client, owner, allowed_origins=["https://shop.example.com"])
    token = inbox["public_token"]
    theirs = (await make_inbox(client, other_owner))["public_token"]
    session = await start(client, token)
    base = live_server.replace("http", "ws")

    async with websockets.connect(f"{base}/api/v1/widget/{theirs}/ws") as ws:
        await ws.send(json.dumps({"type": "auth", "visitor_token": session["visitor_token"]}))
        assert json.loads(await ws.recv())["code"] == "visitor_token_invalid"
        await ws.wait_closed()
        assert ws.close_code == 4401
    async with websockets.connect(f"{base}/api/v1/widget/nope/ws") as ws:
        assert json.loads(await ws.recv())["code"] == "inbox_not_found"
        await ws.wait_closed()
        assert ws.close_code == 4404
    async with websockets.connect(f"{base}/api/v1/widget/{token}/ws", origin="https://evil.example.net") as ws:
        assert json.loads(await ws.recv())["code"] == "origin_not_allowed"
        await ws.wait_closed()
        assert ws.close_code == 4403
    async with websockets.connect(f"{base}/api/v1/widget/{token}/ws", origin="https://shop.example.com") as ws:
        await ws.send(json.dumps({"type": "hello"}))
        assert json.loads(await ws.recv())["code"] == "unauthorized"
        await ws.wait_closed()
        assert ws.close_code == 4401
