"""Drafts, validation that names the node, immutable versions, pinning, restore, import/export, templates."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account
from tests.flows.helpers import Widget, create_flow, edge, eventually, executions, keyword, node, publish, settled


def codes(issues: list[dict[str, str]]) -> set[tuple[str | None, str]]:
    return {(i["node_id"], i["code"]) for i in issues}


async def test_validation_points_at_the_nodes_and_blocks_publishing(client: httpx.AsyncClient, owner: Account) -> None:
    graph = {
        "start": "a",
        "nodes": [
            node("a", "send_message", text="Hello {{state.never_set}}"),
            node("b", "ask", question="Again?", store_in="state.again"),
            node("c", "send_message", text=""),
            node("orphan", "end"),
            node("loop_q", "ask", question="Loop?", store_in="nowhere"),
            node("bad", "condition", rules=[{"left": "message.text", "op": "matches", "right": "(a+)+$"}]),
            node("typo", "send_mesage", text="x"),
            node("j", "jump"),
            node("w", "wait", mode="until", timezone="Mars/Olympus"),
        ],
        "edges": [
            edge("a", "b"),
            edge("b", "c"),
            edge("c", "loop_q"),
            edge("loop_q", "c"),
            edge("b", "ghost", "invalid"),
            edge("a", "bad", "nope"),
        ],
    }
    flow = await create_flow(client, owner, graph)
    found = codes(flow["issues"])
    assert ("a", "unknown_variable") in found
    assert ("c", "invalid_config") in found  # no text, no media
    assert ("orphan", "unreachable") in found
    assert ("loop_q", "invalid_config") in found  # store_in
    assert ("loop_q", "loop_without_exit") in found
    assert ("bad", "invalid_config") in found  # catastrophic regex
    assert ("typo", "unknown_type") in found
    assert ("j", "invalid_config") in found
    assert ("w", "invalid_config") in found
    assert ("b", "dangling_edge") in found
    assert ("a", "invalid_port") in found
    r = await client.post(f"/api/v1/flows/{flow['id']}/publish", headers=owner.headers, json={})
    assert r.status_code == 422 and r.json()["code"] == "flow_invalid"
    assert codes(r.json()["details"]["issues"]) == found
    v = (await client.post(f"/api/v1/flows/{flow['id']}/validate", headers=owner.headers)).json()
    assert v["valid"] is False and codes(v["issues"]) == found
    assert (await client.get(f"/api/v1/flows/{flow['id']}/versions", headers=owner.headers)).json() == []


async def test_cycles_without_waiting_hit_the_step_limit_and_fail_cleanly(
    client: httpx.AsyncClient, owner: Account
) -> None:
    graph = {
        "start": "count",
        "nodes": [
            node("count", "set_state", name="n", value_type="number", source="expression", value="(state.n or 0) + 1"),
            node("again", "condition", rules=[{"left": "state.n", "op": ">", "right": 100000}]),
            node("hop", "jump", target_node="count"),
        ],
        "edges": [edge("count", "again"), edge("again", "hop", "false")],
    }
    flow = await create_flow(client, owner, graph)
    assert flow["issues"] == []  # the loop has an exit: the condition's true branch ends the flow
    await publish(client, owner, flow["id"])
    r = await client.post(f"/api/v1/flows/{flow['id']}/test-runs", headers=owner.headers, json={})
    ex = await settled(client, owner, r.json()["id"], "failed")
    assert "step limit" in ex["error"]


async def test_versions_are_immutable_and_executions_stay_on_theirs(client: httpx.AsyncClient, owner: Account) -> None:
    v1 = {
        "start": "q",
        "nodes": [
            node("q", "ask", question="Version one asks", store_in="state.x"),
            node("e", "end", message="one done"),
        ],
        "edges": [edge("q", "e")],
    }
    flow = await create_flow(client, owner, v1)
    await publish(client, owner, flow["id"])
    await keyword(client, owner, flow["id"], "go")
    widget, _ = await Widget.open(client, owner)
    await widget.say("go")
    await widget.wait_for("Version one asks")

    v2 = {
        "start": "q2",
        "nodes": [
            node("q2", "ask", question="Version two asks", store_in="state.y"),
            node("e", "end", message="two done"),
        ],
        "edges": [edge("q2", "e")],
    }
    r = await client.patch(f"/api/v1/flows/{flow['id']}", headers=owner.headers, json={"graph": v2})
    assert r.status_code == 200
    second = await publish(client, owner, flow["id"])
    assert second["number"] == 2
    # The running execution was pinned to version 1: it finishes there, with version 1's nodes.
    await widget.say("blue")
    said = await widget.wait_for("one done")
    assert "two done" not in said
    [ex] = await executions(client, owner, flow_id=flow["id"])
    assert ex["version_number"] == 1 and ex["state"] == {"x": "blue"}

    versions = (await client.get(f"/api/v1/flows/{flow['id']}/versions", headers=owner.headers)).json()
    assert [v["number"] for v in versions] == [2, 1]
    restored = await client.post(f"/api/v1/flows/{flow['id']}/versions/1/restore", headers=owner.headers)
    assert restored.json()["draft"]["start"] == "q"
    one = (await client.get(f"/api/v1/flows/{flow['id']}/versions/1", headers=owner.headers)).json()
    assert one["graph"]["nodes"][0]["question"] == "Version one asks"
    third = await publish(client, owner, flow["id"])
    assert third["number"] == 3 and third["graph"] == one["graph"]
    missing = await client.get(f"/api/v1/flows/{flow['id']}/versions/9", headers=owner.headers)
    assert missing.status_code == 404


async def test_export_import_and_templates(client: httpx.AsyncClient, owner: Account) -> None:
    shipped = (await client.get("/api/v1/flow-templates", headers=owner.headers)).json()
    keys = {t["id"] for t in shipped if t["shipped"]}
    assert keys == {"lead_capture", "faq_handoff", "appointment_booking", "nps_survey"}
    for key in keys:
        made = await client.post(f"/api/v1/flow-templates/{key}/use", headers=owner.headers, json={})
        assert made.status_code == 201 and made.json()["issues"] == [], made.text
    flow = made.json()
    exported = (await client.get(f"/api/v1/flows/{flow['id']}/export", headers=owner.headers)).json()
    assert exported["format"] == "frontdesk.flow"
    exported["name"] = "Imported copy"
    imported = await client.post("/api/v1/flows/import", headers=owner.headers, json=exported)
    assert imported.status_code == 201 and imported.json()["draft"] == flow["draft"]
    bad = await client.post("/api/v1/flows/import", headers=owner.headers, json={"format": "typebot", "graph": {}})
    assert bad.status_code == 422

    saved = await client.post(
        "/api/v1/flow-templates", headers=owner.headers, json={"flow_id": flow["id"], "name": "Our own"}
    )
    assert saved.status_code == 201
    again = await client.post(
        f"/api/v1/flow-templates/{saved.json()['id']}/use", headers=owner.headers, json={"name": "X"}
    )
    assert again.status_code == 201 and again.json()["name"] == "X"
    assert (await client.delete("/api/v1/flow-templates/nps_survey", headers=owner.headers)).status_code == 422
    assert (
        await client.delete(f"/api/v1/flow-templates/{saved.json()['id']}", headers=owner.headers)
    ).status_code == 204


async def test_test_run_chats_with_the_draft_without_touching_contacts(
    client: httpx.AsyncClient, owner: Account
) -> None:
    made = (await client.post("/api/v1/flow-templates/nps_survey/use", headers=owner.headers, json={})).json()
    r = await client.post(f"/api/v1/flows/{made['id']}/test-runs", headers=owner.headers, json={"message": "hi"})
    assert r.status_code == 201, r.text
    run = await settled(client, owner, r.json()["id"], "waiting")
    assert run["test"] is True and run["transcript"][-1]["text"].startswith("How likely")
    bad = await client.post(f"/api/v1/flow-executions/{run['id']}/input", headers=owner.headers, json={"text": "ten"})
    assert bad.status_code == 200
    run = await settled(client, owner, run["id"], "waiting")
    assert run["transcript"][-1]["text"].startswith("Sorry")
    await client.post(f"/api/v1/flow-executions/{run['id']}/input", headers=owner.headers, json={"text": "4"})
    run = await settled(client, owner, run["id"], "waiting")
    assert run["current_node"] == "why" and run["state"]["score"] == 4
    assert run["state"]["__attributes"] == {"nps_score": 4}
    await client.post(f"/api/v1/flow-executions/{run['id']}/input", headers=owner.headers, json={"text": "faster"})
    run = await settled(client, owner, run["id"], "completed")
    assert run["transcript"][-1]["text"] == "Thanks for telling us. We read every answer."
    assert [s["node_id"] for s in run["step_log"]][:3] == ["score", "score", "score"]
    assert (await client.get("/api/v1/contacts", headers=owner.headers)).json()["total"] == 0
    done = await client.post(f"/api/v1/flow-executions/{run['id']}/input", headers=owner.headers, json={"text": "x"})
    assert done.status_code == 409
    assert (await client.post(f"/api/v1/flow-executions/{run['id']}/cancel", headers=owner.headers)).status_code == 409


async def test_flows_jumping_to_each_other_stop_after_a_bounded_chain(
    client: httpx.AsyncClient, owner: Account
) -> None:
    a = await create_flow(client, owner, {"start": "x", "nodes": [node("x", "end")], "edges": []}, name="A")
    b = await create_flow(
        client, owner, {"start": "to_a", "nodes": [node("to_a", "jump", target_flow_id=a["id"])], "edges": []}, name="B"
    )
    await publish(client, owner, b["id"])
    graph_a = {"start": "to_b", "nodes": [node("to_b", "jump", target_flow_id=b["id"])], "edges": []}
    await client.patch(f"/api/v1/flows/{a['id']}", headers=owner.headers, json={"graph": graph_a})
    await publish(client, owner, a["id"])
    contact = (await client.post("/api/v1/contacts", headers=owner.headers, json={"name": "Looper"})).json()
    r = await client.post(
        f"/api/v1/flows/{a['id']}/executions", headers=owner.headers, json={"contact_id": contact["id"]}
    )
    assert r.status_code == 201

    async def chain_failed() -> list[dict[str, Any]] | None:
        rows = await executions(client, owner, contact_id=contact["id"])
        return rows if any(x["status"] == "failed" for x in rows) else None

    rows = await eventually(chain_failed)
    failed = [x for x in rows if x["status"] == "failed"]
    assert len(failed) == 1 and "jumps between flows" in failed[0]["error"]
    assert len(rows) == 9 and all(x["status"] in ("completed", "failed") for x in rows)
