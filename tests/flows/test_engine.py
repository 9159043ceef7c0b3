"""Flows running for real contacts over the widget: keyword start, questions, retries, state, steps."""

from __future__ import annotations

import httpx

from tests.conftest import Account
from tests.flows.helpers import Widget, create_flow, edge, eventually, executions, keyword, node, publish, settled

BYE = "Thanks {{state.name | title}}, score {{state.score}}. {{contact.attribute.segment | default:'smb' | upper}}"
LEAD = {
    "start": "hello",
    "nodes": [
        node("hello", "send_message", text='Hi {{contact.first_name | default:"there"}}! Let\'s get you sorted.'),
        node("name", "ask", question="What's your name?", answer_type="text", store_in="state.name"),
        node(
            "email",
            "ask",
            question="Thanks {{state.name | title}}. Your email?",
            answer_type="email",
            store_in="attribute.email_address",
            retry_message="That is not an email. {{question}}",
            max_retries=1,
        ),
        node("size", "ask", question="How many people?", answer_type="number", store_in="state.size"),
        node("big", "condition", rules=[{"left": "state.size", "op": ">=", "right": 10}]),
        node("tag", "set_attribute", key="segment", value_type="string", source="literal", value="enterprise"),
        node("score", "set_state", name="score", value_type="number", source="expression", value="state.size * 2 + 1"),
        node(
            "bye",
            "end",
            message=BYE,
        ),
        node("gave_up", "handoff", reason="lead could not give an email"),
    ],
    "edges": [
        edge("hello", "name"),
        edge("name", "email"),
        edge("email", "size"),
        edge("email", "gave_up", "invalid"),
        edge("size", "big"),
        edge("big", "tag", "true"),
        edge("big", "score", "false"),
        edge("tag", "score"),
        edge("score", "bye"),
    ],
}


async def test_a_keyword_starts_the_flow_and_it_runs_to_the_end_over_the_widget(
    client: httpx.AsyncClient, owner: Account
) -> None:
    flow = await create_flow(client, owner, LEAD)
    assert flow["issues"] == []
    await publish(client, owner, flow["id"])
    trig = await keyword(client, owner, flow["id"], "quote", match="contains")
    widget, _ = await Widget.open(client, owner, name="Ada Lovelace")

    await widget.say("I'd like a QUOTE please")
    said = await widget.wait_for("What's your name?")
    assert "Hi Ada! Let's get you sorted." in said
    await widget.say("ada")
    await widget.wait_for("Thanks Ada. Your email?")
    await widget.say("not an email")
    await widget.wait_for("That is not an email. Thanks Ada. Your email?")
    await widget.say("Ada@Example.com")
    await widget.wait_for("How many people?")
    await widget.say("12")
    said = await widget.wait_for("Thanks Ada, score 25.")
    assert said[-1] == "Thanks Ada, score 25. ENTERPRISE"

    [ex] = await executions(client, owner, flow_id=flow["id"])
    ex = await settled(client, owner, ex["id"], "completed")
    assert ex["state"] == {"name": "ada", "size": 12, "score": 25}
    assert ex["version_number"] == 1
    steps = ex["step_log"]
    assert [s["node_id"] for s in steps] == [
        "hello",
        "name",
        "name",
        "email",
        "email",
        "email",
        "size",
        "size",
        "big",
        "tag",
        "score",
        "bye",
    ]
    assert all(s["duration_ms"] >= 0 for s in steps)
    assert steps[4]["output"]["valid"] is False and steps[4]["input"] == {"input": "not an email"}
    assert steps[8]["port"] == "true"

    contact = (await client.get(f"/api/v1/contacts/{ex['contact_id']}/attributes", headers=owner.headers)).json()
    values = {a["key"]: a["value"] for a in contact}
    assert values["email_address"] == "ada@example.com" and values["segment"] == "enterprise"

    stats = (await client.get(f"/api/v1/flow-triggers/{trig['id']}", headers=owner.headers)).json()
    assert stats["fired_count"] == 1 and stats["started_count"] == 1
    firings = (await client.get(f"/api/v1/flow-triggers/{trig['id']}/firings", headers=owner.headers)).json()
    assert firings["items"][0]["execution_id"] == ex["id"]

    analytics = (await client.get(f"/api/v1/flows/{flow['id']}/analytics", headers=owner.headers)).json()
    assert analytics["started"] == 1 and analytics["completed"] == 1 and analytics["completion_rate"] == 1.0
    assert analytics["versions"][0]["version_number"] == 1


async def test_retries_run_out_into_the_invalid_exit_and_a_handoff(client: httpx.AsyncClient, owner: Account) -> None:
    flow = await create_flow(client, owner, LEAD)
    await publish(client, owner, flow["id"])
    await keyword(client, owner, flow["id"], "quote", match="exact")
    widget, _ = await Widget.open(client, owner)
    await widget.say("Quote")
    await widget.wait_for("Hi there!")
    await widget.say("bob")
    await widget.wait_for("Your email?")
    await widget.say("nope")
    await widget.wait_for("That is not an email.")
    await widget.say("still nope")

    async def handed_off() -> bool:
        msgs = await widget.messages()
        return any(m["sender_type"] == "system" and "team" in m["content"] for m in msgs)

    await eventually(handed_off)
    [ex] = await executions(client, owner, flow_id=flow["id"])
    assert ex["status"] == "completed" and ex["current_node"] == "gave_up"
    # The conversation is now with people: further messages reach no flow and start nothing.
    await widget.say("quote")
    assert len(await executions(client, owner, flow_id=flow["id"])) == 1


async def test_one_execution_per_contact_and_flow_unless_allowed(client: httpx.AsyncClient, owner: Account) -> None:
    graph = {
        "start": "q",
        "nodes": [node("q", "ask", question="Colour?", store_in="state.colour")],
        "edges": [],
    }
    flow = await create_flow(client, owner, graph)
    await publish(client, owner, flow["id"])
    widget, _ = await Widget.open(client, owner)
    await widget.say("hi")
    contact_id = (await widget.messages())[0]["sender_id"] if False else None  # the widget hides ids
    assert contact_id is None
    contacts = (await client.get("/api/v1/contacts", headers=owner.headers)).json()["items"]
    cid = contacts[0]["id"]
    r = await client.post(f"/api/v1/flows/{flow['id']}/executions", headers=owner.headers, json={"contact_id": cid})
    assert r.status_code == 201, r.text
    again = await client.post(f"/api/v1/flows/{flow['id']}/executions", headers=owner.headers, json={"contact_id": cid})
    assert again.status_code == 409 and again.json()["code"] == "flow_already_running"
    await client.patch(f"/api/v1/flows/{flow['id']}", headers=owner.headers, json={"allow_concurrent": True})
    await publish(client, owner, flow["id"])
    third = await client.post(f"/api/v1/flows/{flow['id']}/executions", headers=owner.headers, json={"contact_id": cid})
    assert third.status_code == 201
    await widget.wait_for("Colour?")
