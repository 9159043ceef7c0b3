"""The signed-in user's live event stream.

The socket authenticates by the session cookie (browsers) or by a first ``{"type": "auth",
"token": ...}`` message (other clients), so tokens never travel in URLs, which proxies log.
It streams the events of the user's current organization and of the user. Pub/sub may drop events,
so clients re-read the REST listings with ``after=<cursor>`` after a reconnect or an ``overflow``.
The protocol is described for client authors in ``docs/realtime.md``.

A socket lives no longer than the access token that opened it: when the token expires the server
closes with 4401, and the client refreshes and reconnects. That bounds how long a removed member,
a disabled account or a changed password keeps receiving events to one token lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from frontdesk.auth import tokens
from frontdesk.auth.dependencies import ACCESS_COOKIE, ORG_COOKIE, user_subject
from frontdesk.auth.service import ensure_token_current
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import FrontdeskError, NotFound, RateLimited, Unauthorized
from frontdesk.kit.events import org_topic, user_topic
from frontdesk.kit.runtime import Runtime
from frontdesk.users import repository as users

log = structlog.get_logger("frontdesk.realtime")

router = APIRouter(tags=["realtime"])

AUTH_TIMEOUT = 10.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
# What a closed or vanished peer raises on send, depending on the server and the moment.
_GONE = (WebSocketDisconnect, RuntimeError, OSError)


@dataclass(frozen=True)
class _Session:
    subject: AuthSubject
    expires_at: datetime


class _Refused(Exception):
    def __init__(self, error: FrontdeskError, close_code: int = CLOSE_UNAUTHORIZED) -> None:
        super().__init__(error.message)
        self.error = error
        self.close_code = close_code


def _not_signed_in() -> _Refused:
    return _Refused(Unauthorized("Sign in first: send the session cookie or an auth message.", code="unauthorized"))


async def _first_message_token(ws: WebSocket) -> str:
    try:
        message = await asyncio.wait_for(ws.receive(), timeout=AUTH_TIMEOUT)
    except TimeoutError:
        raise _not_signed_in() from None
    if message.get("type") == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    try:
        first = json.loads(message.get("text") or "")
    except ValueError:
        raise _not_signed_in() from None
    if not isinstance(first, dict) or first.get("type") != "auth" or not isinstance(first.get("token"), str):
        raise _not_signed_in()
    return str(first["token"])


def _selected_org(ws: WebSocket, from_cookie: bool) -> tuple[uuid.UUID | None, bool]:
    """The organization asked for, and whether asking for one the user lacks is an error."""
    raw = ws.query_params.get("organization_id")
    strict = True
    if not raw and from_cookie:
        raw, strict = ws.cookies.get(ORG_COOKIE), False
    if not raw:
        return None, False
    try:
        return uuid.UUID(raw), strict
    except ValueError:
        if not strict:
            return None, False
        raise _Refused(NotFound("No such organization.", code="organization_not_found"), CLOSE_NOT_FOUND) from None


async def _authenticate(ws: WebSocket, runtime: Runtime) -> _Session:
    token = ws.cookies.get(ACCESS_COOKIE)
    from_cookie = bool(token)
    if not token:
        token = await _first_message_token(ws)
    selected, strict = _selected_org(ws, from_cookie)
    now = runtime.clock.now()
    try:
        claims = tokens.decode_access_token(runtime.settings, token, now=now)
        user_id = uuid.UUID(str(claims["sub"]))
        async with transaction(runtime.sessionmaker) as session:
            subject = await user_subject(
                session,
                user_id,
                selected=selected,
                ip=ws.client.host if ws.client else None,
                via="websocket",
                strict_selection=strict,
            )
            user = await users.get(session, user_id)
            if user is not None:
                # The same revocation rules as HTTP: signed out, or the password changed since.
                await ensure_token_current(session, claims, user)
    except NotFound as exc:
        raise _Refused(exc, CLOSE_NOT_FOUND) from None
    except FrontdeskError as exc:
        raise _Refused(exc) from None
    except (ValueError, KeyError, TypeError):
        raise _not_signed_in() from None
    if subject.user_id is None:
        raise _not_signed_in()
    return _Session(subject=subject, expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo))


async def _refuse(ws: WebSocket, refused: _Refused) -> None:
    with contextlib.suppress(*_GONE):
        await ws.send_json({"type": "error", **refused.error.to_dict()})
        await ws.close(code=refused.close_code)


@router.websocket("/api/v1/realtime")
async def realtime_socket(ws: WebSocket) -> None:
    runtime: Runtime = ws.app.state.runtime
    await ws.accept()
    try:
        auth = await _authenticate(ws, runtime)
    except _Refused as refused:
        await _refuse(ws, refused)
        return
    except WebSocketDisconnect:
        return
    subject = auth.subject
    topics = [user_topic(subject.user_id)]
    if subject.organization_id is not None and subject.organization_id not in subject.suspended:
        topics.append(org_topic(subject.organization_id))
    runtime.metrics.websockets.inc()
    try:
        async with runtime.bus.subscribe(*topics) as sub:
            await ws.send_json(
                {"type": "ready", "organization_id": str(subject.organization_id or ""), "topics": topics}
            )
            await _socket_opened(runtime, subject)
            reader = asyncio.create_task(_read_loop(ws, runtime, subject))
            lifetime = max((auth.expires_at - runtime.clock.now()).total_seconds(), 0.0)
            expiry = asyncio.create_task(asyncio.sleep(lifetime))
            try:
                while not reader.done() and not expiry.done():
                    getter = asyncio.create_task(sub.get())
                    done, _ = await asyncio.wait({getter, reader, expiry}, return_when=asyncio.FIRST_COMPLETED)
                    if getter not in done:
                        getter.cancel()
                        continue
                    event: dict[str, Any] = getter.result()
                    await ws.send_json(event)
                    if sub.overflowed:
                        # What is still queued is partial; the client re-reads everything over REST anyway.
                        while not sub.queue.empty():
                            sub.queue.get_nowait()
                        sub.overflowed = False
                        await ws.send_json({"type": "overflow", "message": "Events were dropped: catch up over REST."})
                if expiry.done() and not reader.done():
                    expired = Unauthorized("The access token expired: refresh it and reconnect.", code="token_expired")
                    await _refuse(ws, _Refused(expired))
            finally:
                for task in (reader, expiry):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
    except _GONE:
        pass
    finally:
        runtime.metrics.websockets.dec()
        await _socket_closed(runtime, subject)


def _presence_key(subject: AuthSubject) -> tuple[uuid.UUID, uuid.UUID] | None:
    if subject.organization_id is None or subject.user_id is None:
        return None
    return subject.organization_id, subject.user_id


async def _socket_opened(runtime: Runtime, subject: AuthSubject) -> None:
    key = _presence_key(subject)
    if key is not None:
        runtime.agent_sockets[key] = runtime.agent_sockets.get(key, 0) + 1
        await _heartbeat(runtime, subject)


async def _heartbeat(runtime: Runtime, subject: AuthSubject) -> None:
    """An open agent socket is a heartbeat: presence stays online and the shift runs on."""
    from frontdesk.agents import service as agents

    key = _presence_key(subject)
    if key is None:
        return
    runtime.agent_beats[key] = runtime.clock.now()
    try:
        async with transaction(runtime.sessionmaker) as session:
            await agents.heartbeat(session, key[0], key[1])
    except Exception:
        log.warning("heartbeat_failed", exc_info=True)


async def _socket_closed(runtime: Runtime, subject: AuthSubject) -> None:
    """The agent's last socket in this process closed: offline as of their last heartbeat.

    Other processes may hold sockets of the same agent; their heartbeats bring presence back at once,
    and the missed-heartbeat sweep is the backstop for a process that died.
    """
    from frontdesk.agents import service as agents

    key = _presence_key(subject)
    if key is None or key not in runtime.agent_sockets:
        return
    runtime.agent_sockets[key] -= 1
    if runtime.agent_sockets[key] > 0:
        return
    del runtime.agent_sockets[key]
    runtime.agent_beats.pop(key, None)
    try:
        async with transaction(runtime.sessionmaker) as session:
            await agents.disconnected(session, key[0], key[1])
    except Exception:
        log.warning("disconnect_presence_failed", exc_info=True)


HEARTBEAT_EVERY = 30.0
TYPING_EVERY = 2.0


async def _typing(runtime: Runtime, subject: AuthSubject, conversation_id: str) -> dict[str, Any] | None:
    """Tell the customer an agent is typing, if the agent may reply in that conversation."""
    from frontdesk.authz.service import require
    from frontdesk.conversations import repository as conversations
    from frontdesk.messages.service import conversation_topic

    try:
        scope = require(subject, "conversations.reply")
        conv_id = uuid.UUID(str(conversation_id))
    except (FrontdeskError, ValueError):
        return {"type": "error", "code": "not_found", "message": "No such conversation."}
    async with transaction(runtime.sessionmaker) as session:
        conv = await conversations.get(session, scope.ids, conv_id)
        user = await users.get(session, subject.user_id) if subject.user_id else None
    if conv is None:
        return {"type": "error", "code": "not_found", "message": "No such conversation."}
    # Customers see this: the first name only, never the email address (as with "… joined").
    full = (user.name if user is not None else "").strip()
    name = full.split()[0] if full else "An agent"
    event = {"type": "agent.typing", "conversation_id": str(conv.id), "name": name}
    await runtime.bus.publish(conversation_topic(conv.id), event)
    # Colleagues see each other typing too, so two people do not answer the same customer at once.
    await runtime.bus.publish(org_topic(conv.organization_id), {**event, "user_id": str(subject.user_id)})
    return None


async def _read_loop(ws: WebSocket, runtime: Runtime, subject: AuthSubject) -> None:
    """Answer what the client sends; returns when it goes away. Every frame counts toward the limit."""
    last_typing = None
    while True:
        try:
            frame = await ws.receive()
        except _GONE:
            return
        if frame.get("type") == "websocket.disconnect":
            return
        try:
            await runtime.limiter.hit(
                runtime.settings.rate_limit_user, "ws", str(subject.user_id), what="socket messages"
            )
        except RateLimited as exc:
            await ws.send_json({"type": "error", **exc.to_dict()})
            continue
        try:
            message = json.loads(frame.get("text") or "")
        except ValueError:
            await ws.send_json(
                {"type": "error", "code": "malformed_json", "message": "Send JSON objects as text frames."}
            )
            continue
        kind = message.get("type") if isinstance(message, dict) else None
        key = _presence_key(subject)
        if kind == "ping":
            await ws.send_json({"type": "pong"})
            last = runtime.agent_beats.get(key) if key else None
            if key and (last is None or (runtime.clock.now() - last).total_seconds() >= HEARTBEAT_EVERY):
                await _heartbeat(runtime, subject)
        elif kind == "typing":
            now = runtime.clock.now()
            if last_typing is None or (now - last_typing).total_seconds() >= TYPING_EVERY:
                last_typing = now
                error = await _typing(runtime, subject, str(message.get("conversation_id", "")))
                if error is not None:
                    await ws.send_json(error)
        else:
            await ws.send_json(
                {"type": "error", "code": "unknown_message", "message": "The server understands ping and typing."}
            )
