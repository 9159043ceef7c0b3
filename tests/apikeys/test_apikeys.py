"""API keys: shown once, stored hashed, scoped, revocable, with a last-used time."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from frontdesk.apikeys.models import ApiKey
from frontdesk.kit.db import transaction
from tests.conftest import Account, join


async def _create(client: httpx.AsyncClient, who: Account, scopes: list[str], name: str = "CRM sync") -> httpx.Response:
    return await client.post("/api/v1/api-keys", headers=who.headers, json={"name": name, "scopes": scopes})


async def test_key_is_shown_once_and_stored_hashed(client: httpx.AsyncClient, owner: Account, runtime) -> None:
    r = await _create(client, owner, ["org.read", "members.read"])
    assert r.status_code == 201
    raw = r.json()["key"]
    assert raw.startswith("fdk_")
    listed = (await client.get("/api/v1/api-keys", headers=owner.headers)).json()
    assert [k["name"] for k in listed] == ["CRM sync"]
    assert "key" not in listed[0]
    async with transaction(runtime.sessionmaker) as session:
        stored = (await session.scalars(select(ApiKey))).one()
    assert raw not in (stored.key_hash, stored.prefix)
    assert raw.split("_")[1] == stored.prefix


async def test_key_authenticates_within_its_scopes(client: httpx.AsyncClient, owner: Account) -> None:
    raw = (await _create(client, owner, ["org.read"])).json()["key"]
    org = await client.get("/api/v1/organization", headers={"Authorization": f"Bearer {raw}"})
    assert org.status_code == 200
    assert org.json()["id"] == owner.organization_id
    # The same key through the X-API-Key header.
    assert (await client.get("/api/v1/organization", headers={"X-API-Key": raw})).status_code == 200
    members = await client.get("/api/v1/members", headers={"Authorization": f"Bearer {raw}"})
    assert members.status_code == 403
    assert members.json()["code"] == "permission_denied"
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 401
    assert me.json()["code"] == "user_required"


async def test_last_used_is_recorded(client: httpx.AsyncClient, owner: Account) -> None:
    created = (await _create(client, owner, ["org.read"])).json()
    assert created["last_used_at"] is None
    await client.get("/api/v1/organization", headers={"X-API-Key": created["key"]})
    listed = (await client.get("/api/v1/api-keys", headers=owner.headers)).json()
    assert listed[0]["last_used_at"] is not None


async def test_revoked_and_forged_keys_are_refused(client: httpx.AsyncClient, owner: Account) -> None:
    created = (await _create(client, owner, ["org.read"])).json()
    raw = created["key"]
    forged = raw[:-4] + ("aaaa" if not raw.endswith("aaaa") else "bbbb")
    r = await client.get("/api/v1/organization", headers={"X-API-Key": forged})
    assert r.status_code == 401 and r.json()["code"] == "api_key_invalid"
    r = await client.get("/api/v1/organization", headers={"X-API-Key": "fdk_nonsense"})
    assert r.status_code == 401 and r.json()["code"] == "api_key_invalid"
    assert (await client.delete(f"/api/v1/api-keys/{created['id']}", headers=owner.headers)).status_code == 200
    r = await client.get("/api/v1/organization", headers={"X-API-Key": raw})
    assert r.status_code == 401 and r.json()["code"] == "api_key_revoked"


async def test_scopes_are_validated(client: httpx.AsyncClient, owner: Account) -> None:
    r = await _create(client, owner, ["org.delete"])
    assert r.status_code == 422 and r.json()["code"] == "invalid_scopes"
    r = await _create(client, owner, ["made.up"])
    assert r.status_code == 422
    r = await client.post("/api/v1/api-keys", headers=owner.headers, json={"name": "x", "scopes": []})
    assert r.status_code == 422


async def test_agents_cannot_manage_keys(client: httpx.AsyncClient, owner: Account) -> None:
    agent = await join(client, owner, "agent")
    r = await _create(client, agent, ["org.read"])
    assert r.status_code == 403
    assert (await client.get("/api/v1/api-keys", headers=agent.headers)).status_code == 403


async def test_other_organization_cannot_revoke(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    created = (await _create(client, owner, ["org.read"])).json()
    r = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=other_owner.headers)
    assert r.status_code == 404
    assert (await client.get("/api/v1/organization", headers={"X-API-Key": created["key"]})).status_code == 200
    assert (await client.get("/api/v1/api-keys", headers=other_owner.headers)).json() == []


async def test_key_expiry(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.post(
        "/api/v1/api-keys",
        headers=owner.headers,
        json={"name": "old", "scopes": ["org.read"], "expires_at": "2001-01-01T00:00:00Z"},
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_expiry"
