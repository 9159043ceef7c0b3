"""The audit log records security and admin actions and is readable, filtered, by admins only."""

from __future__ import annotations

import httpx

from tests.conftest import Account, join


async def test_actions_are_recorded_with_actor_and_ip(client: httpx.AsyncClient, owner: Account) -> None:
    await client.patch("/api/v1/organization", headers=owner.headers, json={"name": "Renamed"})
    await client.post("/api/v1/api-keys", headers=owner.headers, json={"name": "k", "scopes": ["org.read"]})
    page = (await client.get("/api/v1/audit-events", headers=owner.headers)).json()
    actions = [e["action"] for e in page["items"]]
    assert actions[:2] == ["apikey.created", "org.updated"]
    assert "user.registered" in actions
    renamed = next(e for e in page["items"] if e["action"] == "org.updated")
    assert renamed["actor_label"] == owner.email
    assert renamed["details"] == {"name": "Renamed"}
    assert renamed["ip"]


async def test_filters_and_paging(client: httpx.AsyncClient, owner: Account) -> None:
    for n in range(3):
        await client.post("/api/v1/api-keys", headers=owner.headers, json={"name": f"k{n}", "scopes": ["org.read"]})
    only = (await client.get("/api/v1/audit-events", headers=owner.headers, params={"action": "apikey.created"})).json()
    assert only["total"] == 3
    prefix = (await client.get("/api/v1/audit-events", headers=owner.headers, params={"action": "apikey."})).json()
    assert prefix["total"] == 3
    paged = (
        await client.get(
            "/api/v1/audit-events", headers=owner.headers, params={"action": "apikey.created", "per_page": 2, "page": 2}
        )
    ).json()
    assert (paged["page"], paged["pages"], len(paged["items"])) == (2, 2, 1)
    by_actor = (await client.get("/api/v1/audit-events", headers=owner.headers, params={"actor": "nobody"})).json()
    assert by_actor["total"] == 0
    bad = await client.get("/api/v1/audit-events", headers=owner.headers, params={"since": "yesterday"})
    assert bad.status_code == 422


async def test_only_admins_read_and_only_their_organization(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    agent = await join(client, owner, "agent")
    assert (await client.get("/api/v1/audit-events", headers=agent.headers)).status_code == 403
    theirs = (await client.get("/api/v1/audit-events", headers=other_owner.headers)).json()
    assert all(e["organization_id"] == other_owner.organization_id for e in theirs["items"])
    assert owner.email not in str(theirs)
