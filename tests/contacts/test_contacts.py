"""Contacts through the HTTP API: details, typed attributes, search and filters, history, tenancy."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from frontdesk.contacts import service as contacts
from frontdesk.conversations.inbound import receive
from frontdesk.inboxes import repository as inboxes
from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account, join

BASE = "/api/v1/contacts"


async def make_contact(client: httpx.AsyncClient, account: Account, **fields: Any) -> dict[str, Any]:
    r = await client.post(BASE, headers=account.headers, json=fields)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_create_read_update(client: httpx.AsyncClient, owner: Account) -> None:
    c = await make_contact(
        client,
        owner,
        name="  Ada Lovelace ",
        email="ada@example.com",
        phone="+44 20 7946 0000",
        description="Prefers email.",
        attributes={
            "plan": {"value": "gold"},
            "visits": {"value": 3},
            "since": {"type": "date", "value": "2024-01-31"},
        },
    )
    assert c["name"] == "Ada Lovelace"
    assert c["attributes"] == {"plan": "gold", "visits": 3, "since": "2024-01-31"}
    assert c["opted_out"] is False and c["identities"] == {}

    r = await client.patch(f"{BASE}/{c['id']}", headers=owner.headers, json={"phone": None, "name": None})
    assert r.status_code == 200, r.text
    assert (r.json()["phone"], r.json()["name"], r.json()["email"]) == (None, "", "ada@example.com")
    r = await client.get(f"{BASE}/{c['id']}", headers=owner.headers)
    assert r.status_code == 200 and r.json()["description"] == "Prefers email."

    for body in (
        {"email": "not-an-email"},
        {"phone": "call me maybe"},
        {"attributes": {"Bad Key": {"value": 1}}},
        {"attributes": {"n": {"type": "number", "value": "many"}}},
        {"attributes": {"d": {"type": "date", "value": "31/01/2024"}}},
        {"attributes": {"x": {"value": None}}},
        {"nickname": "Ada"},
    ):
        r = await client.post(BASE, headers=owner.headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] in ("validation_error", "invalid_attribute_key", "invalid_attribute_value"), r.text
    assert (await client.get(BASE, headers=owner.headers)).json()["total"] == 1

    actions = [e["action"] for e in (await client.get("/api/v1/audit-events", headers=owner.headers)).json()["items"]]
    assert "contact.created" in actions and "contact.updated" in actions


async def test_attributes(client: httpx.AsyncClient, owner: Account) -> None:
    c = await make_contact(client, owner, name="Grace")
    url = f"{BASE}/{c['id']}/attributes"
    h = owner.headers
    cases = [
        ("plan", {"value": "gold"}, "string", "gold"),
        ("visits", {"value": 7}, "number", 7),
        ("vip", {"value": True}, "boolean", True),
        ("prefs", {"value": {"lang": "fr", "tags": ["a"]}}, "json", {"lang": "fr", "tags": ["a"]}),
        ("renewal", {"type": "date", "value": "2025-03-01"}, "date", "2025-03-01"),
        ("zip", {"type": "string", "value": 75001}, "string", "75001"),
        ("opted", {"type": "boolean", "value": "yes"}, "boolean", True),
    ]
    for key, body, kind, value in cases:
        r = await client.put(f"{url}/{key}", headers=h, json=body)
        assert r.status_code == 200, r.text
        assert (r.json()["key"], r.json()["type"], r.json()["value"]) == (key, kind, value)
    r = await client.get(f"{url}/visits", headers=h)
    assert r.json()["value"] == 7 and r.json()["updated_at"]
    listed = (await client.get(url, headers=h)).json()
    assert [a["key"] for a in listed] == sorted(k for k, *_ in cases)

    # Overwriting may change the type; PATCH sets several and null removes.
    r = await client.patch(url, headers=h, json={"visits": {"value": "many"}, "vip": None, "tier": {"value": 2}})
    assert r.status_code == 200, r.text
    after = {a["key"]: (a["type"], a["value"]) for a in r.json()}
    assert after["visits"] == ("string", "many") and after["tier"] == ("number", 2) and "vip" not in after
    # A PATCH is all or nothing.
    r = await client.patch(url, headers=h, json={"good": {"value": 1}, "bad": {"type": "number", "value": "x"}})
    assert r.status_code == 422 and r.json()["code"] == "invalid_attribute_value"
    assert "good" not in {a["key"] for a in (await client.get(url, headers=h)).json()}

    assert (await client.delete(f"{url}/plan", headers=h)).status_code == 204
    r = await client.get(f"{url}/plan", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "attribute_not_found"
    assert (await client.delete(f"{url}/plan", headers=h)).status_code == 404
    r = await client.put(f"{url}/Not-A-Key", headers=h, json={"value": 1})
    assert r.status_code == 422 and r.json()["code"] == "invalid_attribute_key"
    r = await client.put(f"{url}/x", headers=h, json={"type": "colour", "value": "red"})
    assert r.status_code == 422
    r = await client.put(f"{url}/big", headers=h, json={"value": "x" * 4001})
    assert r.status_code == 422 and r.json()["code"] == "attribute_too_long"
    contact = (await client.get(f"{BASE}/{c['id']}", headers=h)).json()
    assert contact["attributes"]["tier"] == 2 and "plan" not in contact["attributes"]


async def test_search_filters_and_pages(client: httpx.AsyncClient, owner: Account) -> None:
    people = [
        ("Ada", "ada@example.com", {"plan": "gold", "visits": 3, "since": ("date", "2023-05-01"), "code": "007"}),
        ("Grace", "grace@navy.example", {"plan": "silver", "visits": 12, "vip": True, "since": ("date", "2024-02-01")}),
        ("Linus_T", "linus@example.org", {"plan": "Gold Plus", "visits": 1}),
        ("Margaret", None, {"vip": False}),
    ]
    ids = {}
    for name, email, attributes in people:
        attrs = {
            k: ({"type": v[0], "value": v[1]} if isinstance(v, tuple) else {"value": v}) for k, v in attributes.items()
        }
        ids[name] = (await make_contact(client, owner, name=name, email=email, attributes=attrs))["id"]

    async def names(**params: Any) -> list[str]:
        r = await client.get(BASE, headers=owner.headers, params=params)
        assert r.status_code == 200, r.text
        return sorted(c["name"] for c in r.json()["items"])

    assert await names(q="EXAMPLE.com") == ["Ada"]
    assert await names(q="navy") == ["Grace"]
    assert await names(q="_") == ["Linus_T"]  # a literal underscore, not a wildcard
    assert await names(attr="plan:eq:gold") == ["Ada"]
    assert await names(attr="plan:ne:gold") == ["Grace", "Linus_T"]
    assert await names(attr="plan:contains:GOLD") == ["Ada", "Linus_T"]
    assert await names(attr="visits:gt:2") == ["Ada", "Grace"]
    assert await names(attr="visits:lte:3") == ["Ada", "Linus_T"]
    assert await names(attr="visits:eq:12") == ["Grace"]
    assert await names(attr="code:eq:007") == ["Ada"]  # text that looks like a number
    assert await names(attr="since:gte:2024-01-01") == ["Grace"]
    assert await names(attr="since:eq:2023-05-01") == ["Ada"]
    assert await names(attr="vip:exists") == ["Grace", "Margaret"]
    assert await names(attr="vip:eq:true") == ["Grace"]
    assert await names(attr=["plan:contains:gold", "visits:gt:2"]) == ["Ada"]
    assert await names(q="a", attr="vip:eq:false") == ["Margaret"]

    for bad in ("plan", "plan:like:gold", "plan:eq", "Plan:eq:gold", "plan:gt:"):
        r = await client.get(BASE, headers=owner.headers, params={"attr": bad})
        assert r.status_code == 422 and r.json()["code"] in ("invalid_filter", "invalid_attribute_key"), (bad, r.text)

    r = await client.get(BASE, headers=owner.headers, params={"per_page": 3, "page": 2})
    body = r.json()
    assert (body["total"], body["pages"], body["page"], len(body["items"])) == (4, 2, 2, 1)
    assert body["items"][0]["id"] == ids["Ada"]  # newest first, so the first created is last


async def test_previous_conversations(client: httpx.AsyncClient, owner: Account, runtime: Runtime) -> None:
    site = (await client.post("/api/v1/inboxes", headers=owner.headers, json={"name": "Site", "channel": "web"})).json()
    api = (await client.post("/api/v1/inboxes", headers=owner.headers, json={"name": "API", "channel": "api"})).json()
    async with transaction(runtime.sessionmaker) as session:
        org = uuid.UUID(owner.organization_id)
        contact, created = await contacts.find_or_create(
            session, org, channel="web", external_id="visitor-1", name="Vi"
        )
        assert created
        for inbox_id in (site["id"], api["id"]):
            inbox = await inboxes.get_any(session, uuid.UUID(inbox_id))
            assert inbox is not None
            await receive(session, inbox, contact, content="Hello there")
        contact_id = str(contact.id)

    r = await client.get(f"{BASE}/{contact_id}/conversations", headers=owner.headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert r.json()["total"] == 2
    assert {c["inbox_id"] for c in items} == {site["id"], api["id"]}
    assert all(c["status"] in ("bot", "pending", "open") for c in items)
    got = (await client.get(f"{BASE}/{contact_id}", headers=owner.headers)).json()
    assert got["identities"] == {"web": "visitor-1"}

    viewer = await join(client, owner, "viewer")
    assert (await client.get(f"{BASE}/{contact_id}/conversations", headers=viewer.headers)).status_code == 200
    assert (await client.patch(f"{BASE}/{contact_id}", headers=viewer.headers, json={"name": "x"})).status_code == 403
    key = (
        await client.post("/api/v1/api-keys", headers=owner.headers, json={"name": "crm", "scopes": ["contacts.read"]})
    ).json()["key"]
    r = await client.get(f"{BASE}/{contact_id}/conversations", headers={"X-API-Key": key})
    assert r.status_code == 403  # conversations are not contact data
    assert (await client.get(f"{BASE}/{contact_id}", headers={"X-API-Key": key})).status_code == 200


async def test_another_organization_gets_404(client: httpx.AsyncClient, owner: Account, other_owner: Account) -> None:
    c = await make_contact(
        client, owner, name="Secret Person", email="secret@example.com", attributes={"p": {"value": 1}}
    )
    url = f"{BASE}/{c['id']}"
    h = other_owner.headers
    for method, path, body in [
        ("GET", url, None),
        ("PATCH", url, {"name": "hijacked"}),
        ("GET", f"{url}/conversations", None),
        ("GET", f"{url}/attributes", None),
        ("PATCH", f"{url}/attributes", {"p": {"value": 2}}),
        ("GET", f"{url}/attributes/p", None),
        ("PUT", f"{url}/attributes/p", {"value": 2}),
        ("DELETE", f"{url}/attributes/p", None),
    ]:
        r = await client.request(method, path, headers=h, json=body)
        assert r.status_code == 404, (method, path, r.text)
        assert "secret" not in r.text.lower()
    listed = await client.get(BASE, headers=h, params={"q": "secret", "attr": "p:exists"})
    assert listed.json()["total"] == 0
    after = (await client.get(url, headers=owner.headers)).json()
    assert after["name"] == "Secret Person" and after["attributes"] == {"p": 1}
