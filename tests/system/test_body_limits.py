"""Request bodies over the limit answer 413, declared or streamed, and upload routes get their own limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from frontdesk.kit.metrics import Metrics
from frontdesk.kit.middleware import RequestMiddleware

LIMIT = 1_048_576


async def _chunks(total: int, size: int = 65_536) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


async def test_streamed_body_over_the_limit_is_refused_with_413(client: httpx.AsyncClient) -> None:
    # No Content-Length: the size is only known while reading, after the app has started.
    r = await client.post(
        "/api/v1/auth/login",
        content=_chunks(LIMIT + 70_000),
        headers={"Content-Type": "application/json", "X-Request-ID": "chunked-1"},
    )
    assert r.status_code == 413
    assert r.json() == {
        "code": "payload_too_large",
        "message": f"The request body is larger than {LIMIT} bytes.",
        "details": {"limit": LIMIT},
    }
    assert r.headers["x-request-id"] == "chunked-1"


async def test_streamed_body_under_the_limit_reaches_the_route(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/login", content=_chunks(10_000), headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_json"


async def _echo_size(request: Request) -> JSONResponse:
    return JSONResponse({"size": len(await request.body())})


def _app(**options: Any) -> Any:
    inner = Starlette(
        routes=[Route("/small", _echo_size, methods=["POST"]), Route("/up/{t}/files", _echo_size, methods=["POST"])]
    )
    return RequestMiddleware(inner, metrics=Metrics(), max_body_bytes=1000, **options)


async def test_upload_routes_have_their_own_limit() -> None:
    app = _app(body_limits={r"/up/[^/]+/files": 5000})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.post("/up/abc/files", content=b"x" * 4000)).json() == {"size": 4000}
        assert (await c.post("/up/abc/files", content=_chunks(4000, 1000))).json() == {"size": 4000}
        assert (await c.post("/up/abc/files", content=b"x" * 5001)).status_code == 413
        assert (await c.post("/up/abc/files", content=_chunks(6000, 1000))).status_code == 413
        # Everything else keeps the general limit.
        assert (await c.post("/small", content=b"x" * 1000)).json() == {"size": 1000}
        assert (await c.post("/small", content=b"x" * 4000)).status_code == 413
        assert (await c.post("/up/abc/files/more", content=b"x" * 4000)).status_code == 413
