"""The fake Graph API on a loopback port, for tests: Frontdesk's sandbox served by uvicorn.

Sends go through pywa_async over real HTTP to it; its webhooks come back signed through whatever
``deliver`` the test gives it (usually a POST to the app's real webhook route).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from frontdesk.channels.whatsapp.sandbox import Sandbox


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def running(**options: Any) -> AsyncIterator[Sandbox]:
    port = _free_port()
    sandbox = Sandbox(base_url=f"http://127.0.0.1:{port}", **options)
    server = uvicorn.Server(uvicorn.Config(sandbox.app(), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(250):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield sandbox
    finally:
        server.should_exit = True
        await task
        for pending in list(sandbox._tasks):
            pending.cancel()
