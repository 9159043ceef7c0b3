"""A WebSocket client's view of /api/v1/realtime, shared by the realtime and scale-out tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.conftest import Account


async def receive(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))  # type: ignore[no-any-return]


async def until_closed(ws: ClientConnection, timeout: float = 5.0) -> tuple[list[dict[str, Any]], int | None]:
    """Every frame the server sent before closing, and its close code."""
    frames = []
    try:
        while True:
            frames.append(await receive(ws, timeout))
    except ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd else None


async def until_type(
    ws: ClientConnection, kind: str, timeout: float = 5.0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read until a frame of ``kind``; returns it and every frame seen on the way."""
    seen = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await receive(ws, max(deadline - loop.time(), 0.01))
        seen.append(frame)
        if frame.get("type") == kind:
            return frame, seen


async def change_role(client: httpx.AsyncClient, owner: Account, email: str, role: str) -> str:
    """Change a member's role through the API (an org event); returns the membership id."""
    members = await client.get("/api/v1/members", headers=owner.headers)
    assert members.status_code == 200, members.text
    (member,) = [m for m in members.json() if m["email"] == email]
    r = await client.patch(f"/api/v1/members/{member['id']}", headers=owner.headers, json={"role": role})
    assert r.status_code == 200, r.text
    return str(member["id"])
