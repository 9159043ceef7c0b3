"""The widget's public surface: the script, the demo page, the visitor API and the visitor socket.

Every visitor route is called from pages on other sites, so each answer carries CORS headers for the
calling origin (the inbox's ``allowed_origins`` decides who may use it, with a 403, not the browser),
errors included: a widget that cannot read a 429 cannot tell the visitor to slow down.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth.dependencies import Session, client_ip
from frontdesk.channels.web import schemas, service, storage
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import FrontdeskError, Unauthorized
from frontdesk.kit.runtime import Runtime

STATIC_DIR = Path(__file__).resolve().parents[2] / "web" / "static"
SCRIPT = STATIC_DIR / "widget.js"

AUTH_TIMEOUT = 10.0
PRESENCE_SECONDS = 30.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
_GONE = (WebSocketDisconnect, RuntimeError, OSError)
_EXPOSED = "Retry-After, X-Request-ID"


def _cors(request: Request, response: Response) -> None:
    origin = request.headers.get("origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = _EXPOSED
        response.headers.append("Vary", "Origin")


async def _render_error(request: Request, exc: Exception) -> Response:
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            return await handler(request, exc)
    raise exc


class WidgetRoute(APIRoute):
    """Adds the CORS headers to every answer of a visitor route, error answers too."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except Exception as exc:
                response = await _render_error(request, exc)
            _cors(request, response)
            return response

        return handler


router = APIRouter(tags=["widget"], route_class=WidgetRoute)
API = "/api/v1/widget/{token}"


# ---------------------------------------------------------------- dependencies


async def widget_inbox(token: str, request: Request, session: Session) -> Inbox:
    inbox = await service.widget_inbox(session, token)
    service.check_origin(session, inbox, request.headers.get("origin"))
    return inbox


WidgetInbox = Annotated[Inbox, Depends(widget_inbox)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


async def current_visitor(inbox: WidgetInbox, request: Request, session: Session) -> service.Visitor:
    return await service.visitor_from_token(session, inbox, _bearer(request))


Visitor = Annotated[service.Visitor, Depends(current_visitor)]


# ---------------------------------------------------------------- the script and the demo page


_script_cache: dict[str, Any] = {}


def _script() -> tuple[bytes, str]:
    """The file and its ETag, re-read only when it changes on disk (a deploy, or a developer editing it)."""
    stamp = SCRIPT.stat().st_mtime_ns
    if _script_cache.get("stamp") != stamp:
        body = SCRIPT.read_bytes()
        _script_cache.update(stamp=stamp, body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:20]}"')
    return _script_cache["body"], _script_cache["etag"]


@router.get("/widget.js", include_in_schema=False)
async def widget_script(request: Request) -> Response:
    body, etag = _script()
    headers = {
        "ETag": etag,
        # Short: sites embed this URL unversioned, so a fix must reach visitors within minutes.
        "Cache-Control": "public, max-age=300, stale-while-revalidate=3600",
        # Sites that isolate themselves (COEP) may still load our script.
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/widget/demo", include_in_schema=False)
async def widget_demo(
    request: Request, session: Session, inbox: Annotated[str | None, Query(max_length=100)] = None
) -> HTMLResponse:
    from frontdesk.inboxes.service import snippet
    from frontdesk.web.templating import render_template

    runtime: Runtime = request.app.state.runtime
    found = await service.demo_inbox(session, inbox)
    nonce = secrets.token_urlsafe(16)
    html = render_template(
        "widget/demo.html",
        inbox=found,
        snippet=snippet(runtime.settings.public_url, found).snippet if found else "",
        nonce=nonce,
    )
    host = request.headers.get("host", "")
    ws = f"ws://{host} wss://{host}" if host else ""
    csp = (
        f"default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data: blob:; "
        f"connect-src 'self' {ws}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
    return HTMLResponse(html, status_code=200 if found else 404, headers={"Content-Security-Policy": csp})


# ---------------------------------------------------------------- the visitor API


@router.options(API + "/{rest:path}", include_in_schema=False)
async def widget_preflight(token: str, rest: str, request: Request) -> Response:
    """CORS preflight. Whether the origin may use the inbox is decided by the real request (a 403)."""
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "authorization, content-type",
            "Access-Control-Max-Age": "600",
        },
    )


@router.post(API + "/session", response_model=schemas.WidgetSession, summary="Start or resume a visitor's session")
async def create_widget_session(
    data: schemas.SessionCreate, inbox: WidgetInbox, request: Request, session: Session
) -> schemas.WidgetSession:
    return await service.start_session(session, inbox, data, ip=client_ip(request))


@router.get(API + "/messages", response_model=schemas.MessagePage, summary="The visitor's messages after a cursor")
async def list_widget_messages(
    visitor: Visitor,
    session: Session,
    after: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> schemas.MessagePage:
    return await service.catch_up(session, visitor, after=after, limit=limit)


@router.post(API + "/messages", response_model=schemas.SentMessage, status_code=201, summary="Send a message")
async def send_widget_message(
    data: schemas.WidgetMessageCreate, visitor: Visitor, session: Session
) -> schemas.SentMessage:
    return await service.send_message(session, visitor, data)


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(64 * 1024):
        yield chunk


@router.post(API + "/attachments", response_model=schemas.SentMessage, status_code=201, summary="Send a file")
async def send_widget_attachment(
    visitor: Visitor,
    session: Session,
    file: Annotated[UploadFile, File(description="PNG, JPEG, GIF, WebP, PDF, TXT or CSV.")],
    content: Annotated[str, Form(max_length=4000)] = "",
    client_id: Annotated[str | None, Form(pattern=schemas.CLIENT_ID)] = None,
) -> schemas.SentMessage:
    return await service.send_attachment(
        session,
        visitor,
        filename=file.filename or "file",
        declared_type=file.content_type or "",
        chunks=_chunks(file),
        caption=content,
        client_id=client_id,
    )


@router.get("/api/v1/widget/files/{organization_id}/{file_id}", include_in_schema=False)
async def get_widget_file(
    organization_id: uuid.UUID,
    file_id: str,
    request: Request,
    exp: Annotated[int, Query()] = 0,
    sig: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    runtime: Runtime = request.app.state.runtime
    path, meta = storage.open_signed(
        runtime.settings, organization_id, file_id, exp=exp, sig=sig, now=runtime.clock.now().timestamp()
    )
    content_type = str(meta.get("content_type", "application/octet-stream"))
    # Only images open in place: browsers refuse to render a PDF under the sandboxing policy below.
    inline = content_type in storage.IMAGE_TYPES
    return FileResponse(
        path,
        media_type=content_type,
        filename=str(meta.get("name", "file")),
        content_disposition_type="inline" if inline else "attachment",
        headers={
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            # Even if a file were ever served as a document, it could run nothing on our origin.
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@router.post(API + "/prechat", response_model=schemas.Prechat, summary="Submit the pre-chat form")
async def submit_widget_prechat(data: schemas.PrechatSubmit, visitor: Visitor, session: Session) -> schemas.Prechat:
    return await service.submit_prechat(session, visitor, data)


@router.post(API + "/attributes", summary="Set attributes of the visitor's contact (Frontdesk.setAttributes)")
async def set_widget_attributes(data: schemas.AttributesSet, visitor: Visitor, session: Session) -> dict[str, Any]:
    return await service.set_attributes(session, visitor, data)


@router.post(API + "/csat", response_model=schemas.CsatResult, status_code=201, summary="Rate a resolved conversation")
async def submit_widget_csat(data: schemas.CsatSubmit, visitor: Visitor, session: Session) -> schemas.CsatResult:
    return await service.rate(session, visitor, data)


@router.post(API + "/read", response_model=schemas.ReadResult, summary="Mark what was sent to the visitor as read")
async def mark_widget_read(visitor: Visitor, session: Session) -> schemas.ReadResult:
    return await service.mark_read(session, visitor)


# ---------------------------------------------------------------- the visitor socket


class _Refused(Exception):
    def __init__(self, error: FrontdeskError, close_code: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.close_code = close_code


def _close_code(error: FrontdeskError) -> int:
    return {404: CLOSE_NOT_FOUND, 403: CLOSE_FORBIDDEN}.get(error.status_code, CLOSE_UNAUTHORIZED)


async def _load(session: AsyncSession, token: str, origin: str | None, visitor_token: str) -> service.Visitor:
    inbox = await service.widget_inbox(session, token)
    service.check_origin(session, inbox, origin)
    return await service.visitor_from_token(session, inbox, visitor_token)


async def _authenticate(ws: WebSocket, runtime: Runtime, token: str) -> str:
    """The visitor token of the first frame, once it proves to be a valid visitor of this inbox."""
    origin = ws.headers.get("origin")
    try:
        async with transaction(runtime.sessionmaker) as session:
            inbox = await service.widget_inbox(session, token)
            service.check_origin(session, inbox, origin)
    except FrontdeskError as exc:
        raise _Refused(exc, _close_code(exc)) from None
    unauthorized = Unauthorized('Send {"type": "auth", "visitor_token": ...} first.', code="unauthorized")
    try:
        frame = await asyncio.wait_for(ws.receive(), timeout=AUTH_TIMEOUT)
    except TimeoutError:
        raise _Refused(unauthorized, CLOSE_UNAUTHORIZED) from None
    if frame.get("type") == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000))
    try:
        first = json.loads(frame.get("text") or "")
    except ValueError:
        first = None
    if not isinstance(first, dict) or first.get("type") != "auth" or not isinstance(first.get("visitor_token"), str):
        raise _Refused(unauthorized, CLOSE_UNAUTHORIZED)
    try:
        async with transaction(runtime.sessionmaker) as session:
            await _load(session, token, origin, first["visitor_token"])
    except FrontdeskError as exc:
        raise _Refused(exc, _close_code(exc)) from None
    return str(first["visitor_token"])


def _outgoing(runtime: Runtime, event: dict[str, Any]) -> dict[str, Any]:
    message = event.get("message")
    if isinstance(message, dict) and message.get("attachments"):
        signed = storage.signed_attachments(runtime.settings, message["attachments"], runtime.clock.now().timestamp())
        event = {**event, "message": {**message, "attachments": signed}}
    event.pop("topic", None)
    return event


@router.websocket(API + "/ws")
async def widget_socket(ws: WebSocket, token: str) -> None:
    """The visitor's live events. Authenticate with ``{"type": "auth", "visitor_token": ...}``.

    Pushes the public events of the visitor's latest conversation (and follows the next one when it
    starts). Accepts ``typing``, ``message`` and ``ping`` frames. Events may be dropped; the widget
    catches up with ``GET .../messages?after=<cursor>`` after any gap.
    """
    runtime: Runtime = ws.app.state.runtime
    await ws.accept()
    try:
        visitor_token = await _authenticate(ws, runtime, token)
    except _Refused as refused:
        with contextlib.suppress(*_GONE):
            await ws.send_json({"type": "error", **refused.error.to_dict()})
            await ws.close(code=refused.close_code)
        return
    except WebSocketDisconnect:
        return
    origin = ws.headers.get("origin")
    runtime.metrics.websockets.inc()
    reader = asyncio.create_task(_read_loop(ws, runtime, token, origin, visitor_token))
    try:
        await _push_loop(ws, runtime, token, origin, visitor_token, reader)
    except _GONE:
        pass
    except FrontdeskError as exc:
        with contextlib.suppress(*_GONE):
            await ws.send_json({"type": "error", **exc.to_dict()})
            await ws.close(code=_close_code(exc))
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
        runtime.metrics.websockets.dec()


async def _push_loop(
    ws: WebSocket, runtime: Runtime, token: str, origin: str | None, visitor_token: str, reader: asyncio.Task[None]
) -> None:
    first = True
    online: bool | None = None
    while not reader.done():
        async with transaction(runtime.sessionmaker) as session:
            visitor = await _load(session, token, origin, visitor_token)
            topics, conversation_id = await service.socket_topics(session, visitor)
            online = await service.agents_online(session, visitor.inbox)
        async with runtime.bus.subscribe(*topics) as sub:
            if first:
                await ws.send_json(
                    {
                        "type": "ready",
                        "conversation_id": str(conversation_id) if conversation_id else None,
                        "agents_online": online,
                    }
                )
                first = False
            else:
                # Events of the new conversation sent while we switched are read over REST.
                await ws.send_json(
                    {"type": "resubscribed", "conversation_id": str(conversation_id) if conversation_id else None}
                )
            follow = False
            tick = asyncio.create_task(asyncio.sleep(PRESENCE_SECONDS))
            try:
                while not reader.done() and not follow:
                    getter = asyncio.create_task(sub.get())
                    done, _ = await asyncio.wait({getter, reader, tick}, return_when=asyncio.FIRST_COMPLETED)
                    if getter not in done:
                        getter.cancel()
                        if tick in done:
                            online = await _presence_changed(ws, runtime, visitor.inbox, online)
                            tick = asyncio.create_task(asyncio.sleep(PRESENCE_SECONDS))
                        continue
                    event = getter.result()
                    await ws.send_json(_outgoing(runtime, event))
                    if event.get("type") == "conversation.started" and event.get("conversation_id") != str(
                        conversation_id
                    ):
                        follow = True
                    if sub.overflowed:
                        while not sub.queue.empty():
                            sub.queue.get_nowait()
                        sub.overflowed = False
                        await ws.send_json({"type": "overflow", "message": "Events were dropped: catch up over REST."})
            finally:
                tick.cancel()


async def _presence_changed(ws: WebSocket, runtime: Runtime, inbox: Inbox, before: bool | None) -> bool:
    async with transaction(runtime.sessionmaker) as session:
        now = await service.agents_online(session, inbox)
    if now != before:
        await ws.send_json({"type": "presence", "agents_online": now})
    return now


async def _read_loop(ws: WebSocket, runtime: Runtime, token: str, origin: str | None, visitor_token: str) -> None:
    """Answer what the widget sends; returns when it goes away."""
    while True:
        try:
            frame = await ws.receive()
        except _GONE:
            return
        if frame.get("type") == "websocket.disconnect":
            return
        try:
            message = json.loads(frame.get("text") or "")
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await ws.send_json({"type": "error", "code": "malformed_json", "message": "Send JSON objects."})
            continue
        kind = message.get("type")
        try:
            if kind == "ping":
                await ws.send_json({"type": "pong"})
            elif kind == "typing":
                await _typing(runtime, token, origin, visitor_token)
            elif kind == "message":
                await ws.send_json(await _message(runtime, token, origin, visitor_token, message))
            else:
                await ws.send_json(
                    {"type": "error", "code": "unknown_message", "message": "Send ping, typing or message frames."}
                )
        except FrontdeskError as exc:
            await ws.send_json({"type": "error", "client_id": message.get("client_id"), **exc.to_dict()})


async def _typing(runtime: Runtime, token: str, origin: str | None, visitor_token: str) -> None:
    async with transaction(runtime.sessionmaker) as session:
        visitor = await _load(session, token, origin, visitor_token)
        # Typing has its own budget: a visitor typing a long message must still be able to send it.
        await runtime.limiter.hit(
            runtime.settings.rate_limit_widget, "widget-typing", visitor.rate_key, what="typing notices"
        )
        await service.typing(session, visitor)


async def _message(
    runtime: Runtime, token: str, origin: str | None, visitor_token: str, frame: dict[str, Any]
) -> dict[str, Any]:
    try:
        data = schemas.WidgetMessageCreate.model_validate({k: v for k, v in frame.items() if k != "type"})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return {
            "type": "error",
            "code": "validation_error",
            "message": f"{where}: {first.get('msg')}" if where else str(first.get("msg")),
            "client_id": frame.get("client_id"),
            "details": {},
        }
    async with transaction(runtime.sessionmaker) as session:
        visitor = await _load(session, token, origin, visitor_token)
        sent = await service.send_message(session, visitor, data)
    return {"type": "ack", "client_id": data.client_id, **sent.model_dump(mode="json")}
