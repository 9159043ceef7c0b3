"""A real HTTP receiver for webhook deliveries: a tiny Starlette app served by uvicorn on loopback."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import ROOT, free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each path with its scripted statuses in turn (the last one repeats; 200 by default)."""

    base_url: str = ""
    received: list[Received] = field(default_factory=list)
    scripts: dict[str, list[int]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def script(self, path: str, *statuses: int) -> str:
        self.scripts[path] = list(statuses)
        return self.url(path)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def handle(self, request: Request) -> JSONResponse:
        path = request.url.path
        self.received.append(Received(path, dict(request.headers), await request.body()))
        statuses = self.scripts.get(path) or [200]
        status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        return JSONResponse({"seen": len(self.received), "status": status}, status_code=status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = Starlette(routes=[Route("/{path:path}", rec.handle, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    rec.base_url = f"http://127.0.0.1:{port}"
    yield rec
    server.should_exit = True
    await task


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


def docs_verifier() -> Callable[..., bool]:
    """``verify_signature`` exactly as docs/webhooks.md prints it, so the documentation is tested too."""
    text = (ROOT / "docs" / "webhooks.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    source = next(b for b in blocks if "def verify_signature" in b)
    namespace: dict[str, Any] = {}
    exec(compile(source, "docs/webhooks.md", "exec"), namespace)  # our own documentation, tested as printed
    return namespace["verify_signature"]  # type: ignore[no-any-return]
