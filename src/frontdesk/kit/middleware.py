"""One pure-ASGI middleware for every request: id, size limit, metrics and the access log.

Pure ASGI rather than ``BaseHTTPMiddleware`` because the latter costs a task and a stream copy per
request, which shows in the HTTP benchmark.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Mapping
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.kit.logging import REQUEST_ID, enabled_for
from frontdesk.kit.metrics import Metrics

log = structlog.get_logger("frontdesk.http")

# A caller's id is kept only when it is short and plain, so it cannot forge log structure or
# carry a payload into every log line of the request.
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Probes from load balancers and Prometheus would drown the access log.
_QUIET = frozenset({"/health", "/health/ready", "/metrics"})
SLOW_SECONDS = 1.0
# Any other method a client invents is counted as "other", so it cannot add metric series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_id_from(headers: dict[bytes, bytes]) -> str:
    sent = headers.get(b"x-request-id")
    if sent:
        text = sent.decode("latin-1")
        if _CLIENT_ID.fullmatch(text):
            return text
    return os.urandom(16).hex()  # as random as uuid4().hex, at an eighth of the cost


class RequestMiddleware:
    """``body_limits`` maps path patterns (regular expressions, matched in full) to their own body
    limit, for the few routes that take uploads larger than ``max_body_bytes``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body_bytes: int,
        body_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.body_limits = [(re.compile(pattern), limit) for pattern, limit in (body_limits or {}).items()]
        # Metric children by label values: ``labels()`` validates and locks on every call.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _limit_for(self, path: str) -> int:
        for pattern, limit in self.body_limits:
            if pattern.fullmatch(path):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = request_id_from(headers)
        scope.setdefault("state", {})["request_id"] = request_id
        context_token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        limit = self._limit_for(scope["path"]) if self.body_limits else self.max_body_bytes

        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit, request_id)
            self._observe(scope, 413, started)
            REQUEST_ID.reset(context_token)
            return

        received = 0
        refused = False
        response_started = False

        async def limited_receive() -> Message:
            # A body without Content-Length (chunked) is counted as it arrives. Past the limit we
            # answer 413 ourselves and tell the app the client left, rather than raising into it:
            # an exception would be turned into a 400 or 500 by whichever handler met it first.
            nonlocal received, refused, status
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not response_started:
                        await _too_large(send, limit, request_id)
                        status = 413
                    return {"type": "http.disconnect"}
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if refused:
                return  # we already answered; whatever the app makes of the cut-off body is dropped
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except Exception:
            if not refused:
                raise
        finally:
            self._observe(scope, status, started)
            REQUEST_ID.reset(context_token)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        if method not in _METHODS:
            method = "other"
        key = (method, path, status)
        series = self._series.get(key)
        if series is None:
            series = (
                self.metrics.requests.labels(method, path, str(status)),
                self.metrics.latency.labels(method, path),
            )
            self._series[key] = series
        series[0].inc()
        series[1].observe(elapsed)
        if path in _QUIET:
            return
        if status >= 500:
            level = logging.ERROR
        elif elapsed >= SLOW_SECONDS:
            level = logging.WARNING
        else:
            level = logging.DEBUG
        if enabled_for(level):
            log.log(
                level,
                "request",
                method=method,
                path=scope.get("path"),
                route=path,
                status=status,
                ms=round(elapsed * 1000, 2),
            )


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
