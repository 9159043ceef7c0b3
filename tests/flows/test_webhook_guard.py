"""Without the operator's permission, webhook_action cannot reach loopback (the kit's SSRF guard)."""

from __future__ import annotations

import httpx

from tests.conftest import Account
from tests.flows.helpers import create_flow, edge, node, settled


async def test_loopback_is_blocked_by_default(client: httpx.AsyncClient, owner: Account) -> None:
    graph = {
        "start": "call",
        "nodes": [
            node("call", "webhook_action", url="http://127.0.0.1:9/internal", method="GET"),
            node("blocked", "end", message="blocked: {{state.response.error}}"),
        ],
        "edges": [edge("call", "blocked", "failure")],
    }
    flow = await create_flow(client, owner, graph)
    r = await client.post(f"/api/v1/flows/{flow['id']}/test-runs", headers=owner.headers, json={})
    ex = await settled(client, owner, r.json()["id"], "completed")
    assert "private or loopback" in ex["transcript"][-1]["text"]
