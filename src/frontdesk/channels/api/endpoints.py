"""The API channel over HTTP and WebSocket, for server-to-server conversations."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect, status

from frontdesk.apikeys import service as apikeys
from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.authz.subject import AuthSubject
from frontdesk.channels.api import schemas, service
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import FrontdeskError
from frontdesk.kit.pagination import CursorPage
from frontdesk.kit.runtime import Runtime
from frontdesk.messages import schemas as message_schemas
from frontdesk.messages.service import inbox_topic, to_schema

router = APIRouter(prefix="/api/v1/inboxes", tags=["api-channel"])


@router.post(
    "/{inbox_id}/messages",
    response_model=schemas.ApiMessageCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Post a customer's message into an API inbox",
)
async def post_api_message(
    inbox_id: uuid.UUID, data: schemas.ApiMessageCreate, session: Session, subject: Subject
) -> schemas.ApiMessageCreated:
    return await service.post_message(session, require(subject, "conversations.reply"), inbox_id, data)


@router.get(
    "/{inbox_id}/conversations/{conversation_id}/messages",
    response_model=CursorPage[message_schemas.Message],
    summary="A conversation's public messages, oldest first, after a cursor",
)
async def list_api_messages(
    inbox_id: uuid.UUID,
    conversation_id: uuid.UUID,
    session: Session,
    subject: Subject,
    after: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CursorPage[message_schemas.Message]:
    rows, cursor = await service.conversation_messages(
        session, require(subject, "conversations.read"), inbox_id, conversation_id, after=after, limit=limit
    )
    return CursorPage(items=[to_schema(m, for_agent=False) for m in rows], next_cursor=cursor)


AUTH_TIMEOUT = 10.0


async def _authenticate(ws: WebSocket, runtime: Runtime) -> AuthSubject | None:
    try:
        first = json.loads(await asyncio.wait_for(ws.receive_text(), timeout=AUTH_TIMEOUT))
        key = str(first["api_key"]) if first.get("type") == "auth" else ""
    except (TimeoutError, ValueError, KeyError, TypeError, AttributeError, WebSocketDisconnect):
        return None
    if not apikeys.looks_like_key(key):
        return None
    try:
        async with transaction(runtime.sessionmaker) as session:
            api_key, org = await apikeys.authenticate(session, key)
    except FrontdeskError:
        return None
    return AuthSubject(
        kind="api_key",
        label=f"API key {api_key.name}",
        api_key_id=api_key.id,
        memberships={org.id: "api_key"},
        organization_id=org.id,
        scopes=frozenset(api_key.scopes),
    )


@router.websocket("/{inbox_id}/ws")
async def api_channel_socket(ws: WebSocket, inbox_id: uuid.UUID) -> None:
    """Every public event of the inbox's conversations. Authenticate with ``{"type":"auth","api_key":...}``."""
    runtime: Runtime = ws.app.state.runtime
    await ws.accept()
    subject = await _authenticate(ws, runtime)
    if subject is None:
        await ws.send_json({"type": "error", "code": "unauthorized", "message": "Send a valid API key first."})
        await ws.close(code=4401)
        return
    try:
        async with transaction(runtime.sessionmaker) as session:
            await service.api_inbox(session, require(subject, "conversations.read"), inbox_id)
    except FrontdeskError as exc:
        await ws.send_json({"type": "error", **exc.to_dict()})
        await ws.close(code=4404 if exc.status_code == 404 else 4403)
        return
    runtime.metrics.websockets.inc()
    try:
        async with runtime.bus.subscribe(inbox_topic(inbox_id)) as sub:
            await ws.send_json({"type": "ready", "inbox_id": str(inbox_id)})
            closed = asyncio.create_task(_until_closed(ws))
            try:
                while not closed.done():
                    getter = asyncio.create_task(sub.get())
                    done, _ = await asyncio.wait({getter, closed}, return_when=asyncio.FIRST_COMPLETED)
                    if getter in done:
                        await ws.send_json(getter.result())
                    else:
                        getter.cancel()
            finally:
                closed.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await closed
    except WebSocketDisconnect:
        pass
    finally:
        runtime.metrics.websockets.dec()


async def _until_closed(ws: WebSocket) -> None:
    """The integrator only listens; anything it sends is read and dropped so pings keep flowing."""
    while True:
        try:
            message = await ws.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message.strip() == '{"type":"ping"}':
            await ws.send_json({"type": "pong"})
