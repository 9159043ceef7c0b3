"""The WebSocket at /api/v1/realtime, driven by a real client against a real uvicorn server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from frontdesk.kit.clock import FrozenClock
from tests.conftest import Account, join
from tests.kit.socket_client import change_role, receive, until_closed, until_type

WS_PATH = "/api/v1/realtime"
SOCKET_LIMIT = 20


@pytest.fixture
def clock() -> FrozenClock:
    """Frozen, so a test can bring a token to the edge of its lifetime."""
    return FrozenClock()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limit_user": f"{SOCKET_LIMIT}/minute"}


def ws_url(live_server: str, query: str = "") -> str:
    return live_server.replace("http://", "ws://") + WS_PATH + (f"?{query}" if query else "")


async def open_socket(live_server: str, account: Account, *, cookie: bool = False) -> ClientConnection:
    """Signed in either way a client can; returns after the server said ``ready``."""
    if cookie:
        ws = await connect(ws_url(live_server), additional_headers={"Cookie": f"fd_access={account.access_token}"})
    else:
        ws = await connect(ws_url(live_server))
        await ws.send(json.dumps({"type": "auth", "token": account.access_token}))
    ready = await receive(ws)
    assert ready["type"] == "ready", ready
    return ws


@pytest.fixture
async def sockets() -> AsyncIterator[list[ClientConnection]]:
    opened: list[ClientConnection] = []
    yield opened
    for ws in opened:
        await ws.close()


async def test_a_socket_signs_in_by_cookie_or_first_message_and_names_its_topics(
    live_server: str, owner: Account, sockets: list[ClientConnection]
) -> None:
    topics = [f"user:{owner.user_id}", f"org:{owner.organization_id}"]
    by_cookie = await connect(ws_url(live_server), additional_headers={"Cookie": f"fd_access={owner.access_token}"})
    sockets.append(by_cookie)
    assert await receive(by_cookie) == {"type": "ready", "organization_id": owner.organization_id, "topics": topics}
    by_message = await connect(ws_url(live_server))
    sockets.append(by_message)
    await by_message.send(json.dumps({"type": "auth", "token": owner.access_token}))
    assert await receive(by_message) == {"type": "ready", "organization_id": owner.organization_id, "topics": topics}
    for ws in (by_cookie, by_message):
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}


async def test_an_organization_event_reaches_its_members_and_no_one_else(
    client: httpx.AsyncClient,
    live_server: str,
    owner: Account,
    other_owner: Account,
    sockets: list[ClientConnection],
) -> None:
    acme = await open_socket(live_server, owner, cookie=True)
    globex = await open_socket(live_server, other_owner)
    sockets += [acme, globex]

    agent = await join(client, owner, "agent")
    membership_id = await change_role(client, owner, agent.email, "viewer")
    event, _ = await until_type(acme, "member.updated")
    assert event == {
        "type": "member.updated",
        "membership_id": membership_id,
        "role": "viewer",
        "topic": f"org:{owner.organization_id}",
    }

    # Globex's own change is the first member.updated it hears, and nothing it heard was Acme's.
    rival = await join(client, other_owner, "agent")
    rival_membership = await change_role(client, other_owner, rival.email, "viewer")
    event, seen = await until_type(globex, "member.updated")
    assert event["membership_id"] == rival_membership
    # Globex's owner hears Globex's organization and their own notifications (the invitation they sent
    # was accepted); nothing else.
    own = {f"org:{other_owner.organization_id}", f"user:{other_owner.user_id}"}
    assert all(frame.get("topic") in own for frame in seen), seen
    assert all(membership_id not in json.dumps(frame) for frame in seen)


BAD_FIRST_MESSAGES = [
    json.dumps({"type": "auth", "token": "not-a-token"}),
    json.dumps({"type": "auth", "token": 42}),
    json.dumps({"type": "ping"}),
    "{not json",
    json.dumps(["auth"]),
    b"\x00\x01binary",
]


async def test_a_socket_without_valid_credentials_is_closed_with_4401(live_server: str) -> None:
    for first in BAD_FIRST_MESSAGES:
        async with connect(ws_url(live_server)) as ws:
            await ws.send(first)
            frames, code = await until_closed(ws)
        assert code == 4401, first
        assert frames and frames[0]["type"] == "error", first
        assert frames[0]["code"] in ("unauthorized", "token_invalid"), frames
    async with connect(ws_url(live_server), additional_headers={"Cookie": "fd_access=forged"}) as ws:
        frames, code = await until_closed(ws)
    assert code == 4401 and frames[0]["code"] == "token_invalid"


async def test_a_token_issued_before_a_password_change_is_refused(
    client: httpx.AsyncClient, live_server: str, owner: Account, clock: FrozenClock
) -> None:
    clock.advance(seconds=5)
    r = await client.post(
        "/api/v1/me/password",
        headers=owner.headers,
        json={"current_password": owner.password, "new_password": "a brand new password"},
    )
    assert r.status_code == 204, r.text
    async with connect(ws_url(live_server)) as ws:
        await ws.send(json.dumps({"type": "auth", "token": owner.access_token}))
        frames, code = await until_closed(ws)
    assert code == 4401 and frames[0]["code"] == "token_revoked"


async def test_an_organization_the_user_is_not_in_is_refused(
    live_server: str, owner: Account, other_owner: Account
) -> None:
    async with connect(ws_url(live_server, f"organization_id={other_owner.organization_id}")) as ws:
        await ws.send(json.dumps({"type": "auth", "token": owner.access_token}))
        frames, code = await until_closed(ws)
    assert code == 4404 and frames[0]["code"] == "organization_not_found"


async def test_the_socket_closes_when_its_token_expires(
    live_server: str, owner: Account, clock: FrozenClock, runtime: Any
) -> None:
    clock.advance(seconds=runtime.settings.access_token_minutes * 60 - 1)
    ws = await open_socket(live_server, owner)
    frames, code = await until_closed(ws, timeout=10)
    assert code == 4401
    assert frames[-1]["code"] == "token_expired"


async def test_socket_messages_are_rate_limited_inside_the_receive_loop(
    live_server: str, owner: Account, sockets: list[ClientConnection]
) -> None:
    ws = await open_socket(live_server, owner)
    sockets.append(ws)
    for _ in range(SOCKET_LIMIT + 3):
        await ws.send(json.dumps({"type": "ping"}))
    answers = [await receive(ws) for _ in range(SOCKET_LIMIT + 3)]
    assert answers[:SOCKET_LIMIT] == [{"type": "pong"}] * SOCKET_LIMIT
    for refused in answers[SOCKET_LIMIT:]:
        assert refused["type"] == "error" and refused["code"] == "rate_limited"
        assert refused["details"]["retry_after"] >= 1
    # Refused, not disconnected: the socket still delivers events.
    assert ws.state.name == "OPEN"


async def test_unknown_and_malformed_messages_get_error_frames(
    live_server: str, owner: Account, sockets: list[ClientConnection]
) -> None:
    ws = await open_socket(live_server, owner)
    sockets.append(ws)
    await ws.send("{oops")
    assert (await receive(ws))["code"] == "malformed_json"
    await ws.send(b"\xff\xfe")
    assert (await receive(ws))["code"] == "malformed_json"
    await ws.send(json.dumps({"type": "subscribe", "topic": "org:someone-else"}))
    assert (await receive(ws))["code"] == "unknown_message"
    await ws.send(json.dumps({"type": "ping"}))
    assert await receive(ws) == {"type": "pong"}


async def test_a_lagging_socket_is_told_to_catch_up_and_skips_the_backlog(
    live_server: str, owner: Account, runtime: Any, sockets: list[ClientConnection]
) -> None:
    from frontdesk.kit.events import QUEUE_SIZE, org_topic

    ws = await open_socket(live_server, owner)
    sockets.append(ws)
    topic = org_topic(owner.organization_id)
    # The in-memory bus never yields while publishing, so the socket cannot keep up with this burst.
    for n in range(QUEUE_SIZE + 50):
        await runtime.bus.publish(topic, {"type": "burst", "n": n})
    assert (await receive(ws))["n"] == 0
    assert (await receive(ws))["type"] == "overflow"
    # The backlog was dropped (the client re-reads over REST); live events flow again.
    await runtime.bus.publish(topic, {"type": "after"})
    assert (await receive(ws))["type"] == "after"
