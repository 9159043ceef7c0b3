"""The same kind of flow over the WhatsApp sandbox: a keyword starts it, questions go out as real
Graph API calls (choices as interactive buttons), and the customer's webhook replies answer them."""

from __future__ import annotations

import httpx

from tests.conftest import Account
from tests.flows.helpers import create_flow, edge, eventually, executions, keyword, node, publish
from tests.whatsapp.conftest import WhatsAppInbox, graph, settings_overrides, wa  # noqa: F401  (fixtures)

CUSTOMER = "15550001234"

GRAPH = {
    "start": "q",
    "nodes": [
        node(
            "q",
            "ask",
            question="Hi {{contact.first_name}}! Table for how many?",
            answer_type="number",
            store_in="state.size",
        ),
        node(
            "when",
            "ask",
            question="Lunch or dinner?",
            answer_type="choice",
            choices=[{"id": "lunch", "label": "Lunch"}, {"id": "dinner", "label": "Dinner"}],
            store_in="state.meal",
        ),
        node("bye", "end", message="Booked {{state.meal}} for {{state.size}}."),
    ],
    "edges": [edge("q", "when"), edge("when", "bye")],
}


async def test_a_flow_runs_over_whatsapp(client: httpx.AsyncClient, owner: Account, wa: WhatsAppInbox) -> None:  # noqa: F811
    flow = await create_flow(client, owner, GRAPH)
    await publish(client, owner, flow["id"])
    await keyword(client, owner, flow["id"], "book", match="starts_with")

    async def sent(n: int) -> list[dict[str, object]] | None:
        return wa.graph.sent if len(wa.graph.sent) >= n else None

    assert (await wa.post(wa.graph.customer_message(CUSTOMER, "Book a table", name="Ada"))).status_code == 200
    first = (await eventually(lambda: sent(1)))[0]
    assert first["to"] == CUSTOMER and first["text"]["body"] == "Hi Ada! Table for how many?"
    await wa.post(wa.graph.customer_message(CUSTOMER, "4"))
    second = (await eventually(lambda: sent(2)))[1]
    assert second["type"] == "interactive"
    titles = [b["reply"]["title"] for b in second["interactive"]["action"]["buttons"]]
    assert titles == ["Lunch", "Dinner"]
    await wa.post(wa.graph.customer_message(CUSTOMER, "dinner"))
    third = (await eventually(lambda: sent(3)))[2]
    assert third["text"]["body"] == "Booked dinner for 4."
    [ex] = await executions(client, owner, flow_id=flow["id"])
    assert ex["status"] == "completed" and ex["state"] == {"size": 4, "meal": "dinner"}
