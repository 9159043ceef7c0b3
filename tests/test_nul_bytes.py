"""NUL characters cannot be stored by PostgreSQL: both databases refuse them with a 422, never a 500."""

from __future__ import annotations

import httpx

from tests.conftest import Account


async def test_nul_in_json_text_is_refused(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.patch("/api/v1/organization", headers=owner.headers, json={"name": "Acme\u0000Ltd"})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_text"
    # Nothing half-written: the name is as it was.
    assert (await client.get("/api/v1/organization", headers=owner.headers)).json()["name"] == "Acme"


async def test_nul_in_query_is_never_a_500(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.get("/api/v1/audit-events", headers=owner.headers, params={"actor": "a\u0000b"})
    assert r.status_code in (200, 422)
    if r.status_code == 422:
        assert r.json()["code"] == "invalid_text"
