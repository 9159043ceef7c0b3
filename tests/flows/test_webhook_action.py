"""webhook_action against a real HTTP server on loopback: answers, timeouts, retries, huge and non-JSON bodies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn

from tests.conftest import Account, free_port
from tests.flows.helpers import create_flow, edge, node, settled


class Remote:
    """A small CRM: JSON answers, a slow route, a huge one, plain text, and one that fails once."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.flaky = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        path = scope["path"]
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.calls.append({"path": path, "query": scope["query_string"].decode(), "body": body, "headers": headers})
        status, ctype, out = 200, "application/json", b""
        if path.startswith("/lookup"):
            out = json.dumps(
                {"plan": "gold", "echo": json.loads(body or b"null"), "seen": headers.get("x-token")}
            ).encode()
        elif path == "/slow":
            await asyncio.sleep(5)
            out = b"{}"
        elif path == "/huge":
            out = b'{"x": "' + b"a" * 600_000 + b'"}'
        elif path == "/text":
            ctype, out = "text/html", b"<html>not json</html>"
        elif path == "/flaky":
            self.flaky += 1
            status, out = (503, b"{}") if self.flaky == 1 else (200, b'{"ok": true}')
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", ctype.encode())]})
        await send({"type": "http.response.body", "body": out})


@pytest.fixture
async def remote() -> AsyncIterator[tuple[Remote, str]]:
    app = Remote()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"flows_allow_private_targets": True}


def call_flow(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "start": "seed",
        "nodes": [
            node("seed", "set_state", name="who", value_type="string", source="literal", value='Ada "the" <b>'),
            node(
                "call",
                "webhook_action",
                url=url,
                headers={"X-Token": "t-{{state.who | lower}}"},
                body='{"name": "{{state.who}}", "n": 1}',
                save_as="crm",
                **extra,
            ),
            node(
                "ok", "set_state", name="plan", value_type="string", source="template", value="{{state.crm.json.plan}}"
            ),
            node("failed", "set_state", name="plan", value_type="string", source="literal", value="unknown"),
        ],
        "edges": [edge("seed", "call"), edge("call", "ok"), edge("call", "failed", "failure")],
    }


async def run(client: httpx.AsyncClient, owner: Account, graph: dict[str, Any]) -> dict[str, Any]:
    flow = await create_flow(client, owner, graph)
    assert flow["issues"] == [], flow["issues"]
    r = await client.post(f"/api/v1/flows/{flow['id']}/test-runs", headers=owner.headers, json={})
    assert r.status_code == 201, r.text
    return await settled(client, owner, r.json()["id"], "completed", "failed")


async def test_the_answer_lands_in_state_and_values_are_escaped(
    client: httpx.AsyncClient, owner: Account, remote: tuple[Remote, str]
) -> None:
    app, base = remote
    ex = await run(client, owner, call_flow(base + "/lookup?who={{state.who}}", method="POST"))
    assert ex["status"] == "completed"
    assert ex["state"]["plan"] == "gold"
    assert ex["state"]["crm"]["status"] == 200
    call = app.calls[-1]
    assert json.loads(call["body"]) == {"name": 'Ada "the" <b>', "n": 1}  # the quote could not break the JSON
    assert call["query"] == "who=Ada%20%22the%22%20%3Cb%3E"
    assert call["headers"]["x-token"] == 't-ada "the" <b>'
    step = next(s for s in ex["step_log"] if s["node_id"] == "call")
    assert step["port"] == "next" and step["output"]["json"]["plan"] == "gold"


async def test_a_timeout_follows_the_failure_branch(
    client: httpx.AsyncClient, owner: Account, remote: tuple[Remote, str]
) -> None:
    _, base = remote
    ex = await run(client, owner, call_flow(base + "/slow", timeout_seconds=0.5))
    assert ex["status"] == "completed" and ex["state"]["plan"] == "unknown"
    assert "Timeout" in ex["state"]["crm"]["error"] or "within" in ex["state"]["crm"]["error"]
    step = next(s for s in ex["step_log"] if s["node_id"] == "call")
    assert step["port"] == "failure"


async def test_huge_and_non_json_answers_are_refused_or_kept_as_text(
    client: httpx.AsyncClient, owner: Account, remote: tuple[Remote, str]
) -> None:
    _, base = remote
    huge = await run(client, owner, call_flow(base + "/huge"))
    assert huge["state"]["plan"] == "unknown" and "larger than" in huge["state"]["crm"]["error"]
    text = await run(client, owner, call_flow(base + "/text"))
    assert text["state"]["crm"]["json"] is None and "not json" in text["state"]["crm"]["text"]
    assert text["state"]["plan"] == ""  # the template read a missing value: empty, not an error


async def test_retries_get_past_a_5xx(client: httpx.AsyncClient, owner: Account, remote: tuple[Remote, str]) -> None:
    app, base = remote
    ex = await run(client, owner, call_flow(base + "/flaky", retries=2))
    assert ex["state"]["crm"]["ok"] is True and app.flaky == 2


async def test_without_a_failure_branch_the_execution_fails_with_the_error(
    client: httpx.AsyncClient, owner: Account, remote: tuple[Remote, str]
) -> None:
    _, base = remote
    graph = call_flow(base + "/slow", timeout_seconds=0.3)
    graph["edges"] = [e for e in graph["edges"] if e["port"] != "failure"]
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != "failed"]
    ex = await run(client, owner, graph)
    assert ex["status"] == "failed" and "call (webhook_action)" in ex["error"]
