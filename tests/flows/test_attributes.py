"""Contact attributes as flows use them: definitions per organization, typed values, search by attribute."""

from __future__ import annotations

import httpx

from tests.conftest import Account
from tests.flows.helpers import create_flow, node, publish, settled


async def test_definitions_type_every_writer_and_contacts_are_found_by_attribute(
    client: httpx.AsyncClient, owner: Account
) -> None:
    url = "/api/v1/contacts/attribute-definitions"
    made = await client.post(url, headers=owner.headers, json={"key": "visits", "type": "number", "label": "Visits"})
    assert made.status_code == 201, made.text
    dup = await client.post(url, headers=owner.headers, json={"key": "visits", "type": "string"})
    assert dup.status_code == 409 and dup.json()["code"] == "definition_exists"
    bad = await client.post(url, headers=owner.headers, json={"key": "Bad Key", "type": "string"})
    assert bad.status_code == 422
    assert [d["label"] for d in (await client.get(url, headers=owner.headers)).json()] == ["Visits"]
    relabel = await client.patch(f"{url}/visits", headers=owner.headers, json={"label": "Store visits"})
    assert relabel.json()["label"] == "Store visits"

    contact = (await client.post("/api/v1/contacts", headers=owner.headers, json={"name": "Typed"})).json()
    attrs = f"/api/v1/contacts/{contact['id']}/attributes"
    wrong = await client.put(f"{attrs}/visits", headers=owner.headers, json={"value": "lots"})
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_attribute_value"
    ok = await client.put(f"{attrs}/visits", headers=owner.headers, json={"value": "7"})
    assert ok.status_code == 200 and ok.json() == {**ok.json(), "type": "number", "value": 7}
    many = await client.patch(attrs, headers=owner.headers, json={"tier": {"value": "gold"}, "vip": {"value": True}})
    assert many.status_code == 200 and {a["key"] for a in many.json()} == {"visits", "tier", "vip"}

    # A flow writing the defined key gets the definition's type too.
    graph = {
        "start": "s",
        "nodes": [
            node("s", "set_attribute", key="visits", value_type="string", source="template", value="{{state.n}}1")
        ],
        "edges": [],
    }
    flow = await create_flow(
        client,
        owner,
        {
            **graph,
            "nodes": [node("n", "set_state", name="n", value="4"), *graph["nodes"]],
            "start": "n",
            "edges": [{"source": "n", "target": "s", "port": "next"}],
        },
    )
    await publish(client, owner, flow["id"])
    r = await client.post(
        f"/api/v1/flows/{flow['id']}/executions", headers=owner.headers, json={"contact_id": contact["id"]}
    )
    await settled(client, owner, r.json()["id"], "completed")
    one = (await client.get(f"{attrs}/visits", headers=owner.headers)).json()
    assert one["type"] == "number" and one["value"] == 41

    found = await client.get(
        "/api/v1/contacts", headers=owner.headers, params={"attr": ["visits:gt:40", "tier:eq:gold"]}
    )
    assert [c["id"] for c in found.json()["items"]] == [contact["id"]]
    none = await client.get("/api/v1/contacts", headers=owner.headers, params={"attr": ["visits:lt:40"]})
    assert none.json()["items"] == []
    assert (await client.delete(f"{url}/visits", headers=owner.headers)).status_code == 204
    assert (await client.delete(f"{url}/visits", headers=owner.headers)).status_code == 404
