"""One pure-ASGI middleware for every request: id, size limit, metrics and the access log.

Pure ASGI rather than ``BaseHTTPMiddleware`` because the latter costs a task and a stream copy per
request, which shows in the HTTP benchmark.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.kit.metrics import Metrics

log = structlog.get_logger("frontdesk.http")


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        limit = self.max_body_bytes

        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit, request_id)
            self._observe(scope, 413, started)
            structlog.contextvars.unbind_contextvars("request_id")
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge:
            await _too_large(send, limit, request_id)
            status = 413
        finally:
            self._observe(scope, status, started)
            structlog.contextvars.unbind_contextvars("request_id")

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        self.metrics.requests.labels(method, path, str(status)).inc()
        self.metrics.latency.labels(method, path).observe(elapsed)
        if status >= 500:
            log.error("request", method=method, path=scope.get("path"), status=status, ms=round(elapsed * 1000, 2))
        elif path not in ("/health", "/metrics"):
            log.debug("request", method=method, path=scope.get("path"), status=status, ms=round(elapsed * 1000, 2))


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int, request_id: str) -> None:
    body: dict[str, Any] = {
        "code": "payload_too_large",
        "message": f"The request body is larger than {limit} bytes.",
        "details": {"limit": limit},
    }
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
                (b"x-request-id", request_id.encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})
