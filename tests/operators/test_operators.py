"""Installation operators over HTTP: every organization, suspension, deletion, usage, health, logs."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy import func, select

from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from frontdesk.models import Base
from tests.conftest import Account, sign_up
from tests.operators.conftest import bearer, wait_for

OPS = "/api/v1/operator"


async def _api_key(client: httpx.AsyncClient, owner: Account, scopes: list[str]) -> str:
    r = await client.post("/api/v1/api-keys", headers=owner.headers, json={"name": "server", "scopes": scopes})
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


async def test_operator_sees_every_organization_with_counts_but_no_content(
    client: httpx.AsyncClient, owner: Account, other_owner: Account, operator: Account
) -> None:
    r = await client.get(f"{OPS}/organizations", headers=bearer(operator))
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 3
    assert sorted(o["name"] for o in page["items"]) == ["Acme", "Globex", "Operations"]
    acme = next(o for o in page["items"] if o["name"] == "Acme")
    assert acme["id"] == owner.organization_id
    assert acme["status"] == "active"
    assert (acme["usage"]["members"], acme["usage"]["api_keys"], acme["usage"]["mail_sent"]) == (1, 0, 0)
    # Names, states and counts only: nothing a customer wrote can travel through this listing.
    assert set(acme) == {
        "id",
        "name",
        "slug",
        "status",
        "timezone",
        "created_at",
        "suspended_at",
        "operator_access_until",
        "operator_access_active",
        "usage",
    }

    found = (await client.get(f"{OPS}/organizations", params={"q": "GLOB"}, headers=bearer(operator))).json()
    assert [o["name"] for o in found["items"]] == ["Globex"]
    by_slug = (await client.get(f"{OPS}/organizations", params={"q": "acm"}, headers=bearer(operator))).json()
    assert [o["slug"] for o in by_slug["items"]] == [acme["slug"]]
    paged = (
        await client.get(f"{OPS}/organizations", params={"per_page": 2, "page": 2}, headers=bearer(operator))
    ).json()
    assert (paged["total"], paged["pages"], [o["name"] for o in paged["items"]]) == (3, 2, ["Operations"])
    none = (await client.get(f"{OPS}/organizations", params={"status": "suspended"}, headers=bearer(operator))).json()
    assert none["total"] == 0
    bad = await client.get(f"{OPS}/organizations", params={"status": "gone"}, headers=bearer(operator))
    assert bad.status_code == 422

    one = await client.get(f"{OPS}/organizations/{other_owner.organization_id}", headers=bearer(operator))
    assert one.status_code == 200 and one.json()["name"] == "Globex"
    missing = await client.get(f"{OPS}/organizations/{uuid.uuid4()}", headers=bearer(operator))
    assert missing.status_code == 404 and missing.json()["code"] == "organization_not_found"


async def test_every_operator_route_refuses_everyone_else(
    client: httpx.AsyncClient, app: object, owner: Account
) -> None:
    key = await _api_key(client, owner, ["org.read", "audit.read"])
    paths = app.openapi()["paths"]  # type: ignore[attr-defined]
    routes = [(m, p) for p, ops in paths.items() if p.startswith(OPS) for m in ops]
    assert len(routes) >= 10
    for method, path in routes:
        url = path.replace("{org_id}", owner.organization_id)
        body = {} if method in ("post", "patch", "put") else None
        for headers in (owner.headers, {"X-API-Key": key}):
            r = await client.request(method.upper(), url, headers=headers, json=body)
            assert r.status_code == 403, (method, path, r.text)
            assert r.json()["code"] == "operator_required", (method, path)
        anonymous = await client.request(method.upper(), url, json=body)
        assert anonymous.status_code == 401, (method, path)
    # The owner's organization is untouched by all those attempts.
    assert (await client.get("/api/v1/organization", headers=owner.headers)).status_code == 200


async def test_suspension_blocks_members_and_api_keys_until_lifted(
    client: httpx.AsyncClient, owner: Account, other_owner: Account, operator: Account
) -> None:
    key = await _api_key(client, owner, ["org.read"])
    assert (await client.get("/api/v1/organization", headers={"X-API-Key": key})).status_code == 200

    url = f"{OPS}/organizations/{owner.organization_id}"
    r = await client.post(f"{url}/suspend", headers=bearer(operator), json={"reason": "unpaid invoice"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "suspended" and r.json()["suspended_at"] is not None
    # Suspending twice is harmless and is not recorded twice.
    assert (await client.post(f"{url}/suspend", headers=bearer(operator))).json()["status"] == "suspended"

    for headers in (owner.headers, {"X-API-Key": key}):
        refused = await client.get("/api/v1/organization", headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "organization_suspended"
    assert (await client.get("/api/v1/organization", headers=other_owner.headers)).status_code == 200
    me = (await client.get("/api/v1/me", headers=owner.headers)).json()
    assert [m["status"] for m in me["memberships"]] == ["suspended"] and me["permissions"] == []
    listed = await client.get(f"{OPS}/organizations", params={"status": "suspended"}, headers=bearer(operator))
    assert [o["id"] for o in listed.json()["items"]] == [owner.organization_id]

    r = await client.post(f"{url}/unsuspend", headers=bearer(operator))
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["suspended_at"] is None
    for headers in (owner.headers, {"X-API-Key": key}):
        assert (await client.get("/api/v1/organization", headers=headers)).status_code == 200

    # The operator's trail is installation-level; the organization sees what was done to it, and by whom.
    trail = await client.get(f"{OPS}/audit-events", params={"action": "operator."}, headers=bearer(operator))
    actions = [(e["action"], e["organization_id"], e["target_id"]) for e in trail.json()["items"]]
    assert actions == [
        ("operator.org_unsuspended", None, owner.organization_id),
        ("operator.org_suspended", None, owner.organization_id),
    ]
    assert trail.json()["items"][1]["details"]["reason"] == "unpaid invoice"
    own = await client.get("/api/v1/audit-events", params={"action": "org."}, headers=owner.headers)
    assert [(e["action"], e["actor_label"]) for e in own.json()["items"]] == [
        ("org.unsuspended", operator.email),
        ("org.suspended", operator.email),
    ]


async def test_delete_with_wrong_or_missing_confirmation_deletes_nothing(
    client: httpx.AsyncClient, owner: Account, operator: Account
) -> None:
    url = f"{OPS}/organizations/{owner.organization_id}"
    wrong = await client.delete(url, params={"confirm": "globex"}, headers=bearer(operator))
    assert wrong.status_code == 422 and wrong.json()["code"] == "confirmation_mismatch"
    missing = await client.delete(url, headers=bearer(operator))
    assert missing.status_code == 422 and missing.json()["code"] == "confirmation_required"
    assert (await client.get(url, headers=bearer(operator))).status_code == 200
    assert (await client.get("/api/v1/organization", headers=owner.headers)).status_code == 200
    gone = await client.delete(f"{OPS}/organizations/{uuid.uuid4()}", params={"confirm": "x"}, headers=bearer(operator))
    assert gone.status_code == 404


async def test_delete_removes_every_row_of_the_organization(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other_owner: Account, operator: Account
) -> None:
    key = await _api_key(client, owner, ["org.read"])
    slug = (await client.get("/api/v1/organization", headers=owner.headers)).json()["slug"]
    await client.post(f"{OPS}/organizations/{owner.organization_id}/suspend", headers=bearer(operator))

    r = await client.delete(
        f"{OPS}/organizations/{owner.organization_id}", params={"confirm": slug}, headers=bearer(operator)
    )
    assert r.status_code == 204, r.text

    assert (
        await client.get(f"{OPS}/organizations/{owner.organization_id}", headers=bearer(operator))
    ).status_code == 404
    dead_key = await client.get("/api/v1/organization", headers={"X-API-Key": key})
    assert dead_key.status_code == 401 and dead_key.json()["code"] == "api_key_invalid"
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {owner.access_token}"})
    assert me.status_code == 200 and me.json()["memberships"] == []
    assert (await client.get("/api/v1/organization", headers=other_owner.headers)).status_code == 200

    # Every table that carries an organization id, including ones added later, holds nothing of it.
    org_id = uuid.UUID(owner.organization_id)
    async with transaction(runtime.sessionmaker) as session:
        for table in Base.metadata.sorted_tables:
            column = table.c.get("organization_id")
            if column is None:
                continue
            left = await session.scalar(select(func.count()).select_from(table).where(column == org_id))
            assert left == 0, table.name
            if table.name in ("memberships", "audit_events"):
                others = await session.scalar(select(func.count()).select_from(table).where(column.is_not(None)))
                assert others, f"{table.name}: the other organizations' rows must stay"

    trail = await client.get(f"{OPS}/audit-events", params={"action": "operator.org_deleted"}, headers=bearer(operator))
    (event,) = trail.json()["items"]
    assert event["organization_id"] is None
    assert event["target_id"] == owner.organization_id
    assert event["details"]["name"] == "Acme" and event["details"]["slug"] == slug
    assert event["actor_label"] == operator.email


async def test_operator_creates_an_organization_for_an_existing_account(
    client: httpx.AsyncClient, owner: Account, operator: Account
) -> None:
    r = await client.post(
        f"{OPS}/organizations",
        headers=bearer(operator),
        json={"name": "Second Shop", "owner_email": owner.email.upper(), "timezone": "Europe/Lisbon"},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["name"], created["slug"], created["timezone"]) == ("Second Shop", "second-shop", "Europe/Lisbon")
    assert created["usage"]["members"] == 1

    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {owner.access_token}"})).json()
    assert ("Second Shop", "owner") in [(m["organization_name"], m["role"]) for m in me["memberships"]]
    in_new = {"Authorization": f"Bearer {owner.access_token}", "X-Organization-Id": created["id"]}
    own_log = (await client.get("/api/v1/audit-events", headers=in_new)).json()["items"]
    assert [(e["action"], e["actor_label"]) for e in own_log] == [("org.created", operator.email)]
    outbox = (await client.get("/api/v1/mail/outbox", headers=in_new)).json()["items"]
    assert [(m["to_address"], m["kind"]) for m in outbox] == [(owner.email, "organization_created")]

    stranger = await client.post(
        f"{OPS}/organizations", headers=bearer(operator), json={"name": "X", "owner_email": "nobody@example.com"}
    )
    assert stranger.status_code == 404 and stranger.json()["code"] == "user_not_found"
    bad_zone = await client.post(
        f"{OPS}/organizations",
        headers=bearer(operator),
        json={"name": "Y", "owner_email": owner.email, "timezone": "Mars/Olympus"},
    )
    assert bad_zone.status_code == 422 and bad_zone.json()["code"] == "invalid_timezone"
    extra = await client.post(
        f"{OPS}/organizations", headers=bearer(operator), json={"name": "Z", "owner_email": owner.email, "plan": "x"}
    )
    assert extra.status_code == 422
    total = (await client.get(f"{OPS}/organizations", headers=bearer(operator))).json()["total"]
    assert total == 3  # Acme, Operations, Second Shop: the refused ones left nothing behind


async def test_usage_counts(client: httpx.AsyncClient, owner: Account, other_owner: Account, operator: Account) -> None:
    await _api_key(client, owner, ["org.read"])
    doomed = await client.post("/api/v1/api-keys", headers=owner.headers, json={"name": "old", "scopes": ["org.read"]})
    await client.delete(f"/api/v1/api-keys/{doomed.json()['id']}", headers=owner.headers)
    shop = await client.post(
        f"{OPS}/organizations", headers=bearer(operator), json={"name": "Shop", "owner_email": other_owner.email}
    )
    shop_id = shop.json()["id"]

    async def report() -> dict:
        r = await client.get(f"{OPS}/usage", params={"per_page": 50}, headers=bearer(operator))
        assert r.status_code == 200, r.text
        return dict(r.json())

    # The owner's notice is delivered (logged, with no SMTP server) by a background job.
    async def delivered() -> dict | None:
        body = await report()
        return body if body["totals"]["mail_sent"] == 1 else None

    body = await wait_for(delivered)
    totals = body["totals"]
    assert totals["organizations"] == 4 and totals["active_organizations"] == 4
    assert totals["suspended_organizations"] == 0
    assert (totals["users"], totals["operators"], totals["memberships"]) == (3, 1, 4)
    assert totals["api_keys"] == 1 and totals["mail_failed"] == 0

    rows = {o["name"]: o["usage"] for o in body["organizations"]["items"]}
    assert body["organizations"]["total"] == 4
    acme_log = (await client.get("/api/v1/audit-events", headers=owner.headers)).json()["total"]
    assert rows["Acme"] == {"members": 1, "api_keys": 1, "audit_events_30d": acme_log, "mail_sent": 0}
    assert rows["Shop"] == {"members": 1, "api_keys": 0, "audit_events_30d": 1, "mail_sent": 1}
    assert rows["Globex"]["api_keys"] == 0
    every_event = sum(o["audit_events_30d"] for o in rows.values())
    installation = (await client.get(f"{OPS}/audit-events", headers=bearer(operator))).json()["total"]
    assert totals["audit_events_30d"] == every_event + installation
    assert shop_id in [o["id"] for o in body["organizations"]["items"]]


async def test_health_reports_readiness_jobs_and_versions(
    client: httpx.AsyncClient, runtime: Runtime, operator: Account
) -> None:
    r = await client.get(f"{OPS}/health", headers=bearer(operator))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["mode"] == "embedded"
    assert body["database"] == runtime.engine.url.get_backend_name()
    assert set(body["jobs"]) >= {"pending", "running", "done", "dead"}
    assert body["schema_current"] is True
    versions = body["versions"]
    assert versions["frontdesk"] and versions["python"] and versions["database"]
    assert re.fullmatch(r"[0-9a-z_,]+", versions["schema"])
    assert versions["schema"] == versions["schema_head"]


async def test_installation_mail_and_audit_hold_only_rows_of_no_organization(
    client: httpx.AsyncClient, owner: Account, operator: Account
) -> None:
    r = await client.post("/api/v1/auth/password-reset", json={"email": owner.email})
    assert r.status_code == 202
    await client.post(
        f"{OPS}/organizations", headers=bearer(operator), json={"name": "Shop", "owner_email": owner.email}
    )
    mail = (await client.get(f"{OPS}/mail", headers=bearer(operator))).json()
    assert [(m["to_address"], m["kind"]) for m in mail["items"]] == [(owner.email, "password_reset")]
    events = (await client.get(f"{OPS}/audit-events", headers=bearer(operator))).json()["items"]
    assert {e["action"] for e in events} == {"auth.password_reset_requested", "operator.org_created"}
    assert all(e["organization_id"] is None for e in events)
    filtered = await client.get(f"{OPS}/audit-events", params={"actor": "ops@"}, headers=bearer(operator))
    assert [e["action"] for e in filtered.json()["items"]] == ["operator.org_created"]


async def test_an_operator_is_an_ordinary_member_inside_organizations(
    client: httpx.AsyncClient, owner: Account, operator: Account
) -> None:
    # Being an operator opens the /operator routes, not other organizations' own endpoints.
    foreign = {"Authorization": f"Bearer {operator.access_token}", "X-Organization-Id": owner.organization_id}
    r = await client.get("/api/v1/organization", headers=foreign)
    assert r.status_code == 404
    newcomer = await sign_up(client, org="Newcomer")
    assert (await client.get(f"{OPS}/usage", headers=bearer(newcomer))).status_code == 403
