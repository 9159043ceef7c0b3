"""Inboxes through the HTTP API: settings and their validation, tokens, identity secrets, hours, tenancy."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from frontdesk.inboxes import repository
from frontdesk.inboxes.service import verify_identity
from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account, join

BASE = "/api/v1/inboxes"


async def make_inbox(client: httpx.AsyncClient, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Website {uuid.uuid4().hex[:6]}", "channel": "web", **fields}
    r = await client.post(BASE, headers=owner.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_create_read_update_list(client: httpx.AsyncClient, owner: Account) -> None:
    inbox = await make_inbox(
        client,
        owner,
        name="Support site",
        greeting="Hi! How can we help?",
        widget_color="#FF8800",
        widget_position="left",
        timezone="Europe/Paris",
        business_hours={"mon": [["09:00", "17:30"]], "tue": [["09:00", "12:00"], ["13:00", "24:00"]]},
        prechat_required=True,
        prechat_fields=["email", "name", "email"],
        allowed_origins=["https://Shop.Example.com/", "http://localhost:8080"],
        max_open_per_agent=3,
    )
    assert inbox["channel"] == "web"
    assert inbox["widget_color"] == "#ff8800"
    assert inbox["prechat_fields"] == ["email", "name"]
    assert inbox["allowed_origins"] == ["https://shop.example.com", "http://localhost:8080"]
    assert inbox["business_hours"]["tue"] == [["09:00", "12:00"], ["13:00", "24:00"]]
    assert inbox["has_identity_secret"] is False
    assert len(inbox["public_token"]) >= 24
    assert "identity_secret" not in inbox and "config" not in inbox

    r = await client.patch(
        f"{BASE}/{inbox['id']}",
        headers=owner.headers,
        json={"greeting": "Hello", "assistant_enabled": False, "copilot": True, "csat_enabled": False},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["greeting"], r.json()["assistant_enabled"], r.json()["copilot"]) == ("Hello", False, True)

    r = await client.get(f"{BASE}/{inbox['id']}", headers=owner.headers)
    assert r.status_code == 200 and r.json()["csat_enabled"] is False

    api = await make_inbox(client, owner, name="API", channel="api")
    r = await client.get(BASE, headers=owner.headers)
    assert [i["name"] for i in r.json()] == ["API", "Support site"]
    assert api["channel"] == "api"

    events = (await client.get("/api/v1/audit-events", headers=owner.headers)).json()["items"]
    actions = [e["action"] for e in events]
    assert "inbox.created" in actions and "inbox.updated" in actions
    updated = next(e for e in events if e["action"] == "inbox.updated")
    assert updated["details"]["changes"]["greeting"] == {"from": "Hi! How can we help?", "to": "Hello"}


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"channel": "telegram"}, "validation_error"),
    ({"channel": "fax"}, "validation_error"),
    ({"widget_color": "blue"}, "validation_error"),
    ({"widget_position": "top"}, "validation_error"),
    ({"timezone": "Mars/Olympus"}, "invalid_timezone"),
    ({"timezone": "Etc"}, "invalid_timezone"),
    ({"business_hours": {"funday": [["09:00", "17:00"]]}}, "invalid_business_hours"),
    ({"business_hours": {"mon": [["17:00", "09:00"]]}}, "invalid_business_hours"),
    ({"business_hours": {"mon": "9-5"}}, "invalid_business_hours"),
    ({"business_hours": {"mon": [["09:00+05:00", "10:00"]]}}, "invalid_business_hours"),
    ({"allowed_origins": ["http://[::1"]}, "invalid_origin"),
    ({"prechat_fields": ["shoe_size"]}, "validation_error"),
    ({"prechat_required": True, "prechat_fields": []}, "prechat_fields_required"),
    ({"require_identity": True}, "identity_secret_missing"),
    ({"allowed_origins": ["https://example.com/path"]}, "invalid_origin"),
    ({"allowed_origins": ["javascript:alert(1)"]}, "invalid_origin"),
    ({"team_id": str(uuid.uuid4())}, "invalid_team"),
    ({"max_open_per_agent": 0}, "validation_error"),
    ({"name": "   "}, "invalid_name"),
    ({"greeting": None}, "null_not_allowed"),
    ({"secret_field": 1}, "validation_error"),
]


async def test_invalid_settings_are_refused(client: httpx.AsyncClient, owner: Account) -> None:
    for body, code in INVALID:
        r = await client.post(BASE, headers=owner.headers, json={"name": "Site", "channel": "web", **body})
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == code, (body, r.text)
    assert (await client.get(BASE, headers=owner.headers)).json() == []


async def test_updates_are_validated_against_the_whole_inbox(client: httpx.AsyncClient, owner: Account) -> None:
    inbox = await make_inbox(client, owner)
    url = f"{BASE}/{inbox['id']}"
    r = await client.patch(url, headers=owner.headers, json={"prechat_required": True})
    assert r.status_code == 422 and r.json()["code"] == "prechat_fields_required"
    r = await client.patch(url, headers=owner.headers, json={"prechat_required": True, "prechat_fields": ["phone"]})
    assert r.status_code == 200 and r.json()["prechat_required"] is True
    r = await client.patch(url, headers=owner.headers, json={"channel": "api"})
    assert r.status_code == 422  # the channel is fixed at creation
    other = await make_inbox(client, owner, name="Taken")
    r = await client.patch(url, headers=owner.headers, json={"name": "Taken"})
    assert r.status_code == 409 and r.json()["code"] == "inbox_name_taken"
    assert other["name"] == "Taken"


async def test_rotate_token_and_snippet(client: httpx.AsyncClient, owner: Account, runtime: Runtime) -> None:
    inbox = await make_inbox(client, owner)
    r = await client.get(f"{BASE}/{inbox['id']}/snippet", headers=owner.headers)
    assert r.status_code == 200
    assert r.json()["snippet"] == (
        f'<script src="http://testserver/widget.js" data-inbox="{inbox["public_token"]}" async></script>'
    )
    r = await client.post(f"{BASE}/{inbox['id']}/rotate-token", headers=owner.headers)
    assert r.status_code == 200
    new_token = r.json()["public_token"]
    assert new_token != inbox["public_token"]
    async with transaction(runtime.sessionmaker) as session:
        assert await repository.by_public_token(session, inbox["public_token"]) is None
        found = await repository.by_public_token(session, new_token)
        assert found is not None and str(found.id) == inbox["id"]
    snippet = (await client.get(f"{BASE}/{inbox['id']}/snippet", headers=owner.headers)).json()["snippet"]
    assert f'data-inbox="{new_token}"' in snippet


async def test_identity_secret_is_shown_once_and_verifies(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime
) -> None:
    inbox = await make_inbox(client, owner)
    r = await client.post(f"{BASE}/{inbox['id']}/identity-secret", headers=owner.headers)
    assert r.status_code == 201
    secret = r.json()["identity_secret"]
    shown = (await client.get(f"{BASE}/{inbox['id']}", headers=owner.headers)).text
    listed = (await client.get(BASE, headers=owner.headers)).text
    assert secret not in shown and secret not in listed
    assert '"has_identity_secret":true' in shown

    r = await client.patch(f"{BASE}/{inbox['id']}", headers=owner.headers, json={"require_identity": True})
    assert r.status_code == 200 and r.json()["require_identity"] is True

    good = hmac.new(secret.encode(), b"customer-42", hashlib.sha256).hexdigest()
    async with transaction(runtime.sessionmaker) as session:
        row = await repository.by_public_token(session, inbox["public_token"])
        assert row is not None
        assert row.identity_secret_encrypted and secret not in row.identity_secret_encrypted
        assert verify_identity(runtime, row, "customer-42", good)
        assert verify_identity(runtime, row, "customer-42", good.upper())
        assert not verify_identity(runtime, row, "customer-43", good)
        assert not verify_identity(runtime, row, "customer-42", "0" * 64)
        assert not verify_identity(runtime, row, "customer-42", "")

    # A new secret replaces the old one: hashes made with the old one stop verifying.
    r = await client.post(f"{BASE}/{inbox['id']}/identity-secret", headers=owner.headers)
    assert r.json()["identity_secret"] != secret
    async with transaction(runtime.sessionmaker) as session:
        row = await repository.by_public_token(session, inbox["public_token"])
        assert row is not None and not verify_identity(runtime, row, "customer-42", good)


async def test_soft_delete(client: httpx.AsyncClient, owner: Account, runtime: Runtime) -> None:
    inbox = await make_inbox(client, owner)
    r = await client.delete(f"{BASE}/{inbox['id']}", headers=owner.headers)
    assert r.status_code == 204
    assert (await client.get(f"{BASE}/{inbox['id']}", headers=owner.headers)).status_code == 404
    assert (await client.delete(f"{BASE}/{inbox['id']}", headers=owner.headers)).status_code == 404
    assert inbox["id"] not in (await client.get(BASE, headers=owner.headers)).text
    async with transaction(runtime.sessionmaker) as session:
        assert await repository.by_public_token(session, inbox["public_token"]) is None
        kept = await repository.get_any(session, uuid.UUID(inbox["id"]))
        assert kept is not None and kept.deleted_at is not None
    # The name is free again.
    await make_inbox(client, owner, name=inbox["name"])


class TestStatus:
    @pytest.fixture
    def clock(self) -> FrozenClock:
        # A Monday, 10:00 in Paris (08:00 UTC, summer time).
        return FrozenClock(datetime(2024, 6, 3, 8, 0, tzinfo=UTC))

    async def test_open_follows_business_hours_in_the_inbox_zone(
        self, client: httpx.AsyncClient, owner: Account, clock: FrozenClock
    ) -> None:
        inbox = await make_inbox(client, owner, timezone="Europe/Paris", business_hours={"mon": [["09:00", "12:00"]]})
        url = f"{BASE}/{inbox['id']}/status"
        # An API key: the owner's access token would expire while the clock moves by hours.
        r = await client.post(
            "/api/v1/api-keys", headers=owner.headers, json={"name": "k", "scopes": ["inboxes.read", "inboxes.manage"]}
        )
        h = {"X-API-Key": r.json()["key"]}
        r = await client.get(url, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["open"] is True
        assert r.json()["local_time"].startswith("2024-06-03T10:00:00")
        clock.advance(hours=2)  # 12:00 in Paris: closed (the end is exclusive)
        assert (await client.get(url, headers=h)).json()["open"] is False
        clock.advance(days=1, hours=-4)  # Tuesday 08:00: no hours on Tuesdays
        assert (await client.get(url, headers=h)).json()["open"] is False
        await client.patch(f"{BASE}/{inbox['id']}", headers=h, json={"business_hours": {}})
        assert (await client.get(url, headers=h)).json()["open"] is True


async def test_roles(client: httpx.AsyncClient, owner: Account) -> None:
    inbox = await make_inbox(client, owner)
    agent = await join(client, owner, "agent")
    viewer = await join(client, owner, "viewer")
    for person in (agent, viewer):
        assert (await client.get(f"{BASE}/{inbox['id']}", headers=person.headers)).status_code == 200
        assert (await client.get(f"{BASE}/{inbox['id']}/snippet", headers=person.headers)).status_code == 200
        r = await client.patch(f"{BASE}/{inbox['id']}", headers=person.headers, json={"greeting": "x"})
        assert r.status_code == 403 and r.json()["code"] == "permission_denied"
        r = await client.post(f"{BASE}/{inbox['id']}/identity-secret", headers=person.headers)
        assert r.status_code == 403
        r = await client.post(BASE, headers=person.headers, json={"name": "Mine", "channel": "web"})
        assert r.status_code == 403


async def test_another_organization_gets_404(client: httpx.AsyncClient, owner: Account, other_owner: Account) -> None:
    inbox = await make_inbox(client, owner)
    url = f"{BASE}/{inbox['id']}"
    h = other_owner.headers
    for method, path, body in [
        ("GET", url, None),
        ("PATCH", url, {"greeting": "hijacked"}),
        ("DELETE", url, None),
        ("POST", f"{url}/rotate-token", None),
        ("POST", f"{url}/identity-secret", None),
        ("GET", f"{url}/snippet", None),
        ("GET", f"{url}/status", None),
    ]:
        r = await client.request(method, path, headers=h, json=body)
        assert r.status_code == 404, (method, path, r.text)
        assert inbox["public_token"] not in r.text
    assert (await client.get(BASE, headers=h)).json() == []
    # The other org cannot point its inbox at our team either.
    team = (await client.post("/api/v1/teams", headers=owner.headers, json={"name": "Sales"})).json()
    r = await client.post(BASE, headers=h, json={"name": "B", "channel": "web", "team_id": team["id"]})
    assert r.status_code == 422 and r.json()["code"] == "invalid_team"
    after = (await client.get(url, headers=owner.headers)).json()
    assert after["greeting"] == "" and after["public_token"] == inbox["public_token"]
