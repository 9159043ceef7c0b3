"""Building flows and talking to them the way users do: over the HTTP API and the widget."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.conftest import Account


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; the jobs that move flows run after commit."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s; last value: {last!r}")


def node(node_id: str, type_: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, **config}


def edge(source: str, target: str, port: str = "next") -> dict[str, str]:
    return {"source": source, "target": target, "port": port}


async def create_flow(client: httpx.AsyncClient, owner: Account, graph: dict[str, Any], **extra: Any) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/flows", headers=owner.headers, json={"name": extra.pop("name", "Test flow"), "graph": graph, **extra}
    )
    assert r.status_code == 201, r.text
    return r.json()


async def publish(client: httpx.AsyncClient, owner: Account, flow_id: str) -> dict[str, Any]:
    r = await client.post(f"/api/v1/flows/{flow_id}/publish", headers=owner.headers, json={})
    assert r.status_code == 201, r.text
    return r.json()


async def keyword(
    client: httpx.AsyncClient, owner: Account, flow_id: str, pattern: str, match: str = "exact", **extra: Any
) -> dict[str, Any]:
    body = {
        "flow_id": flow_id,
        "kind": "keyword",
        "priority": extra.pop("priority", 0),
        "config": {"match": match, "pattern": pattern, **extra},
    }
    r = await client.post("/api/v1/flow-triggers", headers=owner.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


class Widget:
    """A website visitor talking through the widget's public API."""

    def __init__(self, client: httpx.AsyncClient, token: str, session: dict[str, Any]) -> None:
        self.client = client
        self.token = token
        self.session = session
        self.sent = 0

    @classmethod
    async def open(cls, client: httpx.AsyncClient, owner: Account, **body: Any) -> tuple[Widget, dict[str, Any]]:
        r = await client.post("/api/v1/inboxes", headers=owner.headers, json={"name": "Website", "channel": "web"})
        assert r.status_code == 201, r.text
        inbox = r.json()
        name = body.pop("name", None)
        widget = await cls.visit(client, inbox["public_token"], **body)
        if name:
            r = await client.post(f"/api/v1/widget/{widget.token}/prechat", headers=widget.headers, json={"name": name})
            assert r.status_code in (200, 201), r.text
        return widget, inbox

    @classmethod
    async def visit(cls, client: httpx.AsyncClient, token: str, **body: Any) -> Widget:
        r = await client.post(f"/api/v1/widget/{token}/session", json=body)
        assert r.status_code == 200, r.text
        return cls(client, token, r.json())

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session['visitor_token']}"}

    async def say(self, text: str) -> dict[str, Any]:
        self.sent += 1
        r = await self.client.post(
            f"/api/v1/widget/{self.token}/messages",
            headers=self.headers,
            json={"content": text, "client_id": f"m{self.sent}-{time.monotonic_ns()}"},
        )
        assert r.status_code in (200, 201), r.text
        return r.json()

    async def messages(self) -> list[dict[str, Any]]:
        r = await self.client.get(f"/api/v1/widget/{self.token}/messages", headers=self.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        return body["items"] if isinstance(body, dict) else body

    async def bot_said(self) -> list[str]:
        return [m["content"] for m in await self.messages() if m["direction"] == "out" and m["sender_type"] == "flow"]

    async def wait_for(self, fragment: str, timeout: float = 15.0) -> list[str]:
        async def seen() -> list[str] | None:
            said = await self.bot_said()
            return said if any(fragment in s for s in said) else None

        return await eventually(seen, timeout)


async def execution(client: httpx.AsyncClient, owner: Account, execution_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/flow-executions/{execution_id}", headers=owner.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def executions(client: httpx.AsyncClient, owner: Account, **query: Any) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/flow-executions", headers=owner.headers, params=query)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def settled(client: httpx.AsyncClient, owner: Account, execution_id: str, *statuses: str) -> dict[str, Any]:
    """The execution once it is in one of ``statuses`` (default: anything but running)."""

    async def check() -> dict[str, Any] | None:
        ex = await execution(client, owner, execution_id)
        wanted = statuses or ("waiting", "completed", "failed", "cancelled")
        return ex if ex["status"] in wanted else None

    return await eventually(check)
