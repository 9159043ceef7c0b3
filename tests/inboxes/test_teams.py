"""Teams: members of the organization grouped for routing; inboxes point at them."""

from __future__ import annotations

import httpx

from tests.conftest import Account, join

BASE = "/api/v1/teams"


async def test_team_lifecycle(client: httpx.AsyncClient, owner: Account, other_owner: Account) -> None:
    agent = await join(client, owner, "agent")
    r = await client.post(
        BASE, headers=owner.headers, json={"name": " Sales ", "description": "Pre-sales", "member_ids": [owner.user_id]}
    )
    assert r.status_code == 201, r.text
    team = r.json()
    assert team["name"] == "Sales"
    assert [m["email"] for m in team["members"]] == [owner.email]

    # Adding is idempotent; only members of the organization can join.
    for _ in range(2):
        r = await client.post(f"{BASE}/{team['id']}/members", headers=owner.headers, json={"user_id": agent.user_id})
        assert r.status_code == 200, r.text
    assert sorted(m["email"] for m in r.json()["members"]) == sorted([owner.email, agent.email])
    r = await client.post(f"{BASE}/{team['id']}/members", headers=owner.headers, json={"user_id": other_owner.user_id})
    assert r.status_code == 422 and r.json()["code"] == "invalid_member"

    # Agents read teams but do not change them.
    assert (await client.get(BASE, headers=agent.headers)).json()[0]["id"] == team["id"]
    r = await client.patch(f"{BASE}/{team['id']}", headers=agent.headers, json={"name": "Mine"})
    assert r.status_code == 403

    r = await client.post(BASE, headers=owner.headers, json={"name": "Support"})
    assert r.status_code == 201
    r = await client.patch(f"{BASE}/{team['id']}", headers=owner.headers, json={"name": "Support"})
    assert r.status_code == 409 and r.json()["code"] == "team_name_taken"
    r = await client.patch(f"{BASE}/{team['id']}", headers=owner.headers, json={"name": "Sales EU"})
    assert r.status_code == 200 and r.json()["name"] == "Sales EU"

    r = await client.delete(f"{BASE}/{team['id']}/members/{agent.user_id}", headers=owner.headers)
    assert r.status_code == 200 and [m["email"] for m in r.json()["members"]] == [owner.email]
    r = await client.delete(f"{BASE}/{team['id']}/members/{agent.user_id}", headers=owner.headers)
    assert r.status_code == 404 and r.json()["code"] == "team_member_not_found"

    # An inbox routed to the team falls back to everyone when the team goes.
    inbox = (
        await client.post(
            "/api/v1/inboxes", headers=owner.headers, json={"name": "Site", "channel": "web", "team_id": team["id"]}
        )
    ).json()
    assert inbox["team_id"] == team["id"]
    assert (await client.delete(f"{BASE}/{team['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"{BASE}/{team['id']}", headers=owner.headers)).status_code == 404
    assert (await client.get(f"/api/v1/inboxes/{inbox['id']}", headers=owner.headers)).json()["team_id"] is None

    actions = {e["action"] for e in (await client.get("/api/v1/audit-events", headers=owner.headers)).json()["items"]}
    assert {"team.created", "team.member_added", "team.member_removed", "team.updated", "team.deleted"} <= actions


async def test_another_organization_gets_404(client: httpx.AsyncClient, owner: Account, other_owner: Account) -> None:
    team = (
        await client.post(BASE, headers=owner.headers, json={"name": "Sales", "member_ids": [owner.user_id]})
    ).json()
    url = f"{BASE}/{team['id']}"
    h = other_owner.headers
    for method, path, body in [
        ("GET", url, None),
        ("PATCH", url, {"name": "hijacked"}),
        ("DELETE", url, None),
        ("POST", f"{url}/members", {"user_id": other_owner.user_id}),
        ("DELETE", f"{url}/members/{owner.user_id}", None),
    ]:
        r = await client.request(method, path, headers=h, json=body)
        assert r.status_code == 404, (method, path, r.text)
    assert (await client.get(BASE, headers=h)).json() == []
    # Nor can the other org put our people in its own team.
    mine = (await client.post(BASE, headers=h, json={"name": "Sales"})).json()
    r = await client.post(f"{BASE}/{mine['id']}/members", headers=h, json={"user_id": owner.user_id})
    assert r.status_code == 422
    after = (await client.get(url, headers=owner.headers)).json()
    assert after["name"] == "Sales" and [m["user_id"] for m in after["members"]] == [owner.user_id]
