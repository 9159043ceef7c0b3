"""The organization, its members and roles, and choosing an organization per request."""

from __future__ import annotations

import httpx

from tests.conftest import Account, join, sign_up


async def test_read_and_update_organization(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.patch(
        "/api/v1/organization", headers=owner.headers, json={"name": "Acme Ltd", "timezone": "Europe/Paris"}
    )
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["timezone"]) == ("Acme Ltd", "Europe/Paris")
    bad = await client.patch("/api/v1/organization", headers=owner.headers, json={"timezone": "Mars/Olympus"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_timezone"


async def test_roles_limit_what_members_do(client: httpx.AsyncClient, owner: Account) -> None:
    viewer = await join(client, owner, "viewer")
    assert (await client.get("/api/v1/organization", headers=viewer.headers)).status_code == 200
    r = await client.patch("/api/v1/organization", headers=viewer.headers, json={"name": "Hijacked"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


async def test_change_role_and_rank_rules(client: httpx.AsyncClient, owner: Account) -> None:
    admin = await join(client, owner, "admin")
    agent = await join(client, owner, "agent")
    members = {m["email"]: m for m in (await client.get("/api/v1/members", headers=owner.headers)).json()}
    agent_mid = members[agent.email]["id"]
    owner_mid = members[owner.email]["id"]
    r = await client.patch(f"/api/v1/members/{agent_mid}", headers=admin.headers, json={"role": "viewer"})
    assert r.status_code == 200 and r.json()["role"] == "viewer"
    r = await client.patch(f"/api/v1/members/{agent_mid}", headers=admin.headers, json={"role": "owner"})
    assert r.status_code == 403 and r.json()["code"] == "role_too_high"
    r = await client.delete(f"/api/v1/members/{owner_mid}", headers=admin.headers)
    assert r.status_code == 403
    r = await client.patch(f"/api/v1/members/{owner_mid}", headers=owner.headers, json={"role": "admin"})
    assert r.status_code == 409 and r.json()["code"] == "last_owner"
    r = await client.patch(f"/api/v1/members/{agent_mid}", headers=owner.headers, json={"role": "wizard"})
    assert r.status_code == 422


async def test_remove_member(client: httpx.AsyncClient, owner: Account) -> None:
    agent = await join(client, owner, "agent")
    members = {m["email"]: m for m in (await client.get("/api/v1/members", headers=owner.headers)).json()}
    r = await client.delete(f"/api/v1/members/{members[agent.email]['id']}", headers=owner.headers)
    assert r.status_code == 204
    r = await client.get("/api/v1/organization", headers=agent.headers)
    assert r.status_code == 404 and r.json()["code"] == "organization_not_found"


async def test_user_in_several_organizations_picks_one(client: httpx.AsyncClient, owner: Account) -> None:
    second = await sign_up(client, org="Second Co")
    both = await join(client, owner, "agent")
    # The same person joins the second organization too, through an invitation they accept signed in.
    r = await client.post("/api/v1/invitations", headers=second.headers, json={"email": both.email, "role": "viewer"})
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/invitations/accept", json={"token": r.json()["token"], "password": both.password})
    assert r.status_code == 200, r.text
    bare = {"Authorization": f"Bearer {both.access_token}"}
    r = await client.get("/api/v1/organization", headers=bare)
    assert r.status_code == 400 and r.json()["code"] == "organization_required"
    r = await client.get("/api/v1/organization", headers={**bare, "X-Organization-Id": second.organization_id})
    assert r.json()["name"] == "Second Co"
    me = (await client.get("/api/v1/me", headers={**bare, "X-Organization-Id": second.organization_id})).json()
    assert {m["role"] for m in me["memberships"]} == {"agent", "viewer"}
    assert "conversations.reply" not in me["permissions"]
    r = await client.get("/api/v1/organization", headers={**bare, "X-Organization-Id": "not-a-uuid"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_organization_id"


async def test_other_tenant_org_header_is_404(client: httpx.AsyncClient, owner: Account, other_owner: Account) -> None:
    r = await client.get(
        "/api/v1/organization", headers={**owner.headers, "X-Organization-Id": other_owner.organization_id}
    )
    assert r.status_code == 404
    assert "Globex" not in r.text
