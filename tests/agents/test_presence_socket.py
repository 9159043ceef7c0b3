"""The agent's realtime socket carries presence (heartbeats, going offline on close) and typing."""

from __future__ import annotations

import asyncio
import json

import httpx
import websockets

from frontdesk.messages.service import conversation_topic
from tests.conftest import Account, join
from tests.conversations.helpers import customer_writes, eventually, make_inbox
from tests.kit.socket_client import receive


async def _connect(live_server: str, who: Account) -> websockets.ClientConnection:
    url = live_server.replace("http", "ws") + f"/api/v1/realtime?organization_id={who.organization_id}"
    ws = await websockets.connect(url)
    await ws.send(json.dumps({"type": "auth", "token": who.access_token}))
    assert (await receive(ws))["type"] == "ready"
    return ws


async def test_closing_the_last_socket_ends_the_shift(
    client: httpx.AsyncClient, owner: Account, runtime, live_server: str
) -> None:
    agent = await join(client, owner, "agent")
    r = await client.put("/api/v1/agents/me/presence", headers=agent.headers, json={"status": "online"})
    assert r.status_code == 200
    first = await _connect(live_server, agent)
    second = await _connect(live_server, agent)
    await first.close()

    async def presence() -> str:
        people = (await client.get("/api/v1/agents/presence", headers=owner.headers)).json()
        return next(p["status"] for p in people if p["user_id"] == agent.user_id)

    await asyncio.sleep(0.2)
    assert await presence() == "online"  # another tab still holds a socket
    await second.close()

    async def offline() -> bool:
        return await presence() == "offline"

    await eventually(offline)
    shifts = (await client.get("/api/v1/agents/shifts", headers=owner.headers)).json()
    mine = [s for s in shifts if s["user_id"] == agent.user_id]
    assert mine[0]["end_reason"] == "disconnected"


async def test_agent_typing_reaches_the_conversation(
    client: httpx.AsyncClient, owner: Account, other_owner: Account, runtime, live_server: str
) -> None:
    inbox = await make_inbox(runtime, owner)
    customer = await customer_writes(runtime, inbox, "visitor-1", "hello")
    ws = await _connect(live_server, owner)
    async with runtime.bus.subscribe(conversation_topic(customer.conversation_id)) as sub:
        await ws.send(json.dumps({"type": "typing", "conversation_id": str(customer.conversation_id)}))
        event = await asyncio.wait_for(sub.get(), timeout=5)
    assert event["type"] == "agent.typing" and event["conversation_id"] == str(customer.conversation_id)
    await ws.close()
    # Another organization's agent cannot make someone else's customer see "typing".
    outsider = await _connect(live_server, other_owner)
    await outsider.send(json.dumps({"type": "typing", "conversation_id": str(customer.conversation_id)}))
    assert (await receive(outsider))["code"] == "not_found"
    await outsider.close()
