"""ai_reply with the built-in offline model: the assistant answers inside a flow run."""

from __future__ import annotations

import httpx

from tests.conftest import Account
from tests.flows.helpers import create_flow, edge, node, settled


async def test_the_assistant_answers_inside_a_flow(client: httpx.AsyncClient, owner: Account) -> None:
    graph = {
        "start": "ai",
        "nodes": [
            node("ai", "ai_reply", save_as="answer", extra_instructions="Be brief."),
            node("bye", "end", message="(the bot said {{state.answer | truncate:400}})"),
            node("people", "handoff", reason="assistant failed"),
        ],
        "edges": [edge("ai", "bye"), edge("ai", "people", "escalate"), edge("ai", "people", "failure")],
    }
    flow = await create_flow(client, owner, graph)
    assert flow["issues"] == []
    # No assistant yet: the node fails and its failure exit leads to people.
    r = await client.post(f"/api/v1/flows/{flow['id']}/test-runs", headers=owner.headers, json={"message": "hello"})
    run = await settled(client, owner, r.json()["id"], "completed", "failed")
    step = run["step_log"][0]
    assert step["port"] == "failure" and "No assistant" in step["error"]
    assert run["current_node"] == "people"

    made = await client.post("/api/v1/assistants", headers=owner.headers, json={"name": "Helper"})
    assert made.status_code == 201, made.text
    r = await client.post(f"/api/v1/flows/{flow['id']}/test-runs", headers=owner.headers, json={"message": "hello"})
    run = await settled(client, owner, r.json()["id"], "completed", "failed")
    assert run["step_log"][0]["error"] is None, run["step_log"][0]
    said = [t["text"] for t in run["transcript"] if t["from"] == "flow"]
    assert said and said[0] and run["state"]["answer"] == said[0]
