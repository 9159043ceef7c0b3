"""The permission matrix over HTTP: ``/roles`` and ``/permissions/check``."""

from __future__ import annotations

import httpx

from frontdesk.authz.permissions import MATRIX, Role
from tests.conftest import Account, join


async def test_roles_lists_the_matrix(client: httpx.AsyncClient, owner: Account) -> None:
    body = (await client.get("/api/v1/roles", headers=owner.headers)).json()
    assert [r["name"] for r in body["roles"]] == ["owner", "admin", "agent", "viewer"]
    by_name = {r["name"]: set(r["permissions"]) for r in body["roles"]}
    assert by_name["viewer"] < by_name["agent"] < by_name["admin"] < by_name["owner"]
    assert "org.delete" in by_name["owner"] and "org.delete" not in by_name["admin"]
    assert set(body["permissions"]) == by_name["owner"]


async def test_permission_check_per_role(client: httpx.AsyncClient, owner: Account) -> None:
    agent = await join(client, owner, "agent")
    for who, role in ((owner, Role.OWNER), (agent, Role.AGENT)):
        for permission in ("org.delete", "conversations.reply", "apikeys.manage"):
            r = await client.get("/api/v1/permissions/check", headers=who.headers, params={"permission": permission})
            assert r.status_code == 200
            assert r.json()["allowed"] is (permission in MATRIX[role])
            assert r.json()["role"] == role.value
    r = await client.get("/api/v1/permissions/check", headers=owner.headers, params={"permission": "fly"})
    assert r.status_code == 422 and r.json()["code"] == "unknown_permission"


async def test_matrix_needs_a_signed_in_caller(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/roles")
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


def test_roles_doc_matches_the_matrix() -> None:
    from pathlib import Path

    from frontdesk.authz.permissions import API_KEY_GRANTABLE, PERMISSIONS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "roles.md").read_text()
    order = [Role.OWNER, Role.ADMIN, Role.AGENT, Role.VIEWER]
    for permission in PERMISSIONS:
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{permission}` |"))
        marks = [c.strip() for c in row.split("|")[3:-1]]
        expected = ["✓" if permission in MATRIX[r] else "" for r in order]
        expected.append("✓" if permission in API_KEY_GRANTABLE else "")
        assert marks == expected, permission
