"""Owners let operators read conversation content for a while; time runs on a clock the tests move."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account
from tests.operators.conftest import add_member, bearer

ACCESS = "/api/v1/organization/operator-access"


@pytest.fixture
def clock(frozen_clock: FrozenClock) -> FrozenClock:
    return frozen_clock


async def _login(client: httpx.AsyncClient, account: Account) -> Account:
    """Moving the clock past the access token's life means signing in again, as a person would."""
    r = await client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert r.status_code == 200, r.text
    account.access_token = r.json()["access_token"]
    return account


async def _listed(client: httpx.AsyncClient, operator: Account, org_id: str) -> dict:
    r = await client.get(f"/api/v1/operator/organizations/{org_id}", headers=bearer(operator))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_only_owners_grant_and_revoke_and_everyone_sees_it(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, operator: Account, clock: FrozenClock
) -> None:
    admin = await add_member(client, runtime, owner, "admin")
    viewer = await add_member(client, runtime, owner, "viewer")
    before = (await client.get(ACCESS, headers=viewer.headers)).json()
    assert before == {"organization_id": owner.organization_id, "until": None, "active": False}

    for hours in (0, 169, "a day"):
        bad = await client.post(ACCESS, headers=owner.headers, json={"hours": hours})
        assert bad.status_code == 422, hours
    refused = await client.post(ACCESS, headers=admin.headers, json={"hours": 2})
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    not_operator = await client.get(f"/api/v1/operator/organizations/{owner.organization_id}", headers=admin.headers)
    assert not_operator.status_code == 403 and not_operator.json()["code"] == "operator_required"

    r = await client.post(ACCESS, headers=owner.headers, json={"hours": 2})
    assert r.status_code == 200, r.text
    granted = r.json()
    assert granted["active"] is True
    assert datetime.fromisoformat(granted["until"]) == clock.now() + timedelta(hours=2)
    assert (await client.get(ACCESS, headers=viewer.headers)).json()["active"] is True
    seen = await _listed(client, operator, owner.organization_id)
    assert seen["operator_access_active"] is True
    assert datetime.fromisoformat(seen["operator_access_until"]) == clock.now() + timedelta(hours=2)

    assert (await client.delete(ACCESS, headers=admin.headers)).status_code == 403
    revoked = await client.delete(ACCESS, headers=owner.headers)
    assert revoked.status_code == 200 and revoked.json() == before
    assert (await _listed(client, operator, owner.organization_id))["operator_access_active"] is False

    actions = (await client.get("/api/v1/audit-events", headers=owner.headers)).json()["items"]
    trail = [(e["action"], e["actor_label"]) for e in actions if "operator_access" in e["action"]]
    assert trail == [("org.operator_access_revoked", owner.email), ("org.operator_access_granted", owner.email)]


async def test_a_grant_runs_out_by_itself(
    client: httpx.AsyncClient, owner: Account, operator: Account, clock: FrozenClock
) -> None:
    await client.post(ACCESS, headers=owner.headers, json={"hours": 1})
    clock.advance(minutes=59)
    await _login(client, owner)
    await _login(client, operator)
    assert (await client.get(ACCESS, headers=owner.headers)).json()["active"] is True
    clock.advance(minutes=2)
    await _login(client, owner)
    await _login(client, operator)
    lapsed = (await client.get(ACCESS, headers=owner.headers)).json()
    assert lapsed["active"] is False and lapsed["until"] is not None
    assert (await _listed(client, operator, owner.organization_id))["operator_access_active"] is False
    # A new grant replaces the old one, and can be shorter or longer.
    again = (await client.post(ACCESS, headers=owner.headers, json={"hours": 168})).json()
    assert again["active"] is True
    assert datetime.fromisoformat(again["until"]) == clock.now() + timedelta(hours=168)


async def test_audit_counts_cover_the_last_thirty_days(
    client: httpx.AsyncClient, owner: Account, operator: Account, clock: FrozenClock
) -> None:
    async def acme_usage() -> dict:
        r = await client.get(f"/api/v1/operator/organizations/{owner.organization_id}", headers=bearer(operator))
        return dict(r.json()["usage"])

    await client.post(ACCESS, headers=owner.headers, json={"hours": 1})
    recent = (await acme_usage())["audit_events_30d"]
    assert recent >= 1
    clock.advance(days=31)
    await _login(client, operator)
    assert (await acme_usage())["audit_events_30d"] == 0
    # Counts are a window, not a purge: the organization's own log still holds every event.
    await _login(client, owner)
    assert (await client.get("/api/v1/audit-events", headers=owner.headers)).json()["total"] == recent
