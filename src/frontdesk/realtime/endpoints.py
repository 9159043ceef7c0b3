"""The signed-in user's live event stream.

The socket authenticates by the session cookie (browsers) or by a first ``{"type": "auth",
"token": ...}`` message (other clients), so tokens never travel in URLs, which proxies log.
It streams the events of the user's current organization and of the user. Pub/sub may drop events,
so clients re-read the REST listings with ``after=<cursor>`` after a reconnect or an ``overflow``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from frontdesk.auth import tokens
from frontdesk.auth.dependencies import ACCESS_COOKIE, user_subject
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import FrontdeskError, RateLimited
from frontdesk.kit.events import org_topic, user_topic
from frontdesk.kit.runtime import Runtime

router = APIRouter(tags=["realtime"])

AUTH_TIMEOUT = 10.0


async def _authenticate(ws: WebSocket, runtime: Runtime) -> AuthSubject | None:
    token = ws.cookies.get(ACCESS_COOKIE)
    if not token:
        try:
            first = json.loads(await asyncio.wait_for(ws.receive_text(), timeout=AUTH_TIMEOUT))
        except (TimeoutError, ValueError, WebSocketDisconnect):
            return None
        if not isinstance(first, dict) or first.get("type") != "auth":
            return None
        token = str(first.get("token") or "")
    selected: uuid.UUID | None = None
    if raw := ws.query_params.get("organization_id"):
        try:
            selected = uuid.UUID(raw)
        except ValueError:
            return None
    try:
        claims = tokens.decode_access_token(runtime.settings, token, now=runtime.clock.now())
        async with transaction(runtime.sessionmaker) as session:
            return await user_subject(
                session,
                uuid.UUID(claims["sub"]),
                selected=selected,
                ip=ws.client.host if ws.client else None,
                via="websocket",
            )
    except (FrontdeskError, ValueError, KeyError):
        return None


@router.websocket("/api/v1/realtime")
async def realtime_socket(ws: WebSocket) -> None:
    runtime: Runtime = ws.app.state.runtime
    await ws.accept()
    subject = await _authenticate(ws, runtime)
    if subject is None or subject.user_id is None:
        await ws.send_json({"type": "error", "code": "unauthorized", "message": "Sign in first."})
        await ws.close(code=4401)
        return
    topics = [user_topic(subject.user_id)]
    if subject.organization_id is not None and subject.organization_id not in subject.suspended:
        topics.append(org_topic(subject.organization_id))
    runtime.metrics.websockets.inc()
    try:
        async with runtime.bus.subscribe(*topics) as sub:
            await ws.send_json(
                {"type": "ready", "organization_id": str(subject.organization_id or ""), "topics": topics}
            )
            reader = asyncio.create_task(_read_loop(ws, runtime, subject))
            try:
                while not reader.done():
                    getter = asyncio.create_task(sub.get())
                    done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                    if getter in done:
                        event: dict[str, Any] = getter.result()
                        await ws.send_json(event)
                        if sub.overflowed:
                            sub.overflowed = False
                            await ws.send_json({"type": "overflow", "message": "Catch up over REST."})
                    else:
                        getter.cancel()
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader
    except WebSocketDisconnect:
        pass
    finally:
        runtime.metrics.websockets.dec()


async def _read_loop(ws: WebSocket, runtime: Runtime, subject: AuthSubject) -> None:
    while True:
        try:
            raw = await ws.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            return
        try:
            await runtime.limiter.hit(
                runtime.settings.rate_limit_user, "ws", str(subject.user_id), what="socket messages"
            )
        except RateLimited as exc:
            await ws.send_json({"type": "error", **exc.to_dict()})
            continue
        try:
            message = json.loads(raw)
        except ValueError:
            await ws.send_json({"type": "error", "code": "malformed_json", "message": "Send JSON objects."})
            continue
        if isinstance(message, dict) and message.get("type") == "ping":
            await ws.send_json({"type": "pong"})
