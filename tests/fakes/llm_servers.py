"""Fake LLM vendors on loopback: OpenAI chat completions, Anthropic messages, Gemini, and an external agent.

Each :class:`FakeLLM` is a small ASGI app run by uvicorn in a background thread. It answers with
replies built from the recorded payloads (see ``llm_recordings``), chosen by the turn of the
conversation it is sent (how many assistant messages the request carries), so a tool round trip
replays the recorded turns in order however many times a test runs it. A test can make it fail a
number of times first (429, 500, 529...), answer slowly, and read back every request it received.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tests.fakes.llm_recordings import Reply, anthropic_message_as_sse, anthropic_text, openai_recorded_text

_ERRORS: dict[str, dict[int, dict[str, Any]]] = {
    "openai": {
        429: {
            "error": {
                "message": "Rate limit reached for requests",
                "type": "requests",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        },
        500: {
            "error": {
                "message": "The server had an error while processing your request.",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        },
        503: {
            "error": {
                "message": "The engine is currently overloaded.",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        },
        401: {
            "error": {
                "message": "Incorrect API key provided.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        },
    },
    "anthropic": {
        429: {
            "type": "error",
            "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded your rate limit."},
        },
        500: {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}},
        529: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        401: {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
    },
}


class FakeLLM:
    def __init__(self, vendor: str) -> None:
        assert vendor in {"openai", "anthropic", "gemini", "external"}
        self.vendor = vendor
        self.script: list[Reply] = []
        self.failures: deque[int] = deque()
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        self.url = ""
        self._server: uvicorn.Server | None = None

    # ------------------------------------------------------------ what the test controls

    def play(self, *replies: Reply) -> FakeLLM:
        """Answer turn N of a conversation with ``replies[N]`` (the last one from then on)."""
        self.script = list(replies)
        return self

    def fail(self, status: int, times: int = 1) -> FakeLLM:
        self.failures.extend([status] * times)
        return self

    @property
    def base_url(self) -> str:
        """What a provider row's base URL would be: with ``/v1`` for OpenAI-style clients."""
        return f"{self.url}/v1" if self.vendor in {"openai", "external"} else self.url

    # ------------------------------------------------------------ the wire

    def _turn(self, body: dict[str, Any]) -> int:
        if self.vendor == "gemini":
            return sum(1 for c in body.get("contents", []) if c.get("role") == "model")
        return sum(1 for m in body.get("messages", []) if isinstance(m, dict) and m.get("role") == "assistant")

    def _default(self) -> Reply:
        if self.vendor == "openai":
            return openai_recorded_text()
        if self.vendor == "anthropic":
            return anthropic_text("Hello there!")
        return Reply(json={"text": "Hello from the external agent."})

    async def asgi(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self._answer(request)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        self.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": str(request.url.query),
                "headers": dict(request.headers),
                "json": body,
            }
        )
        if self.failures:
            status = self.failures.popleft()
            payload = _ERRORS.get(self.vendor, {}).get(status) or {"error": {"message": f"HTTP {status}"}}
            # Tiny server-suggested waits keep the SDKs' backoff from slowing the suite.
            return JSONResponse(payload, status_code=status, headers={"retry-after-ms": "5", "retry-after": "0"})
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = self.script[min(self._turn(body), len(self.script) - 1)] if self.script else self._default()
        streaming = bool(body.get("stream")) or ":streamGenerateContent" in request.url.path
        sse = reply.sse
        if streaming and sse is None and self.vendor == "anthropic" and reply.json is not None and reply.status == 200:
            sse = anthropic_message_as_sse(reply.json)
        if streaming and sse is None and self.vendor == "gemini" and reply.json is not None and reply.status == 200:
            # Gemini streams whole GenerateContentResponse objects; the recorded one is a one-chunk stream.
            sse = f"data: {json.dumps(reply.json)}\n\n"
        if streaming and sse is not None:
            return StreamingResponse(
                self._drip(sse), status_code=reply.status, media_type="text/event-stream", headers=reply.headers
            )
        return JSONResponse(reply.json, status_code=reply.status, headers=reply.headers)

    async def _drip(self, sse: str) -> AsyncIterator[bytes]:
        """One event at a time, with a pause, so clients really see a stream of deltas."""
        for block in sse.split("\n\n"):
            if block.strip():
                yield (block + "\n\n").encode()
                await asyncio.sleep(0.002)

    # ------------------------------------------------------------ running it

    @contextmanager
    def running(self) -> Iterator[FakeLLM]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(
            uvicorn.Config(
                self.asgi, interface="asgi3", log_level="warning", lifespan="off", timeout_graceful_shutdown=1
            )
        )
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"the fake {self.vendor} server did not start")
            time.sleep(0.01)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


def closed_port_url() -> str:
    """An address on loopback where nothing listens: a provider that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
