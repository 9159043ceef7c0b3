"""Invitations over HTTP: create, list, revoke, look up and accept, with expiry, ranks and races."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from frontdesk.kit.clock import FrozenClock, utcnow
from frontdesk.kit.events import org_topic
from frontdesk.kit.runtime import Runtime
from frontdesk.orgs.models import Membership
from tests.conftest import Account, join, sign_up

PASSWORD = "a brand new password"


@pytest.fixture
def clock() -> FrozenClock:
    # Starts in the past: PyJWT refuses tokens whose iat is ahead of the real clock, and the expiry
    # test moves a week forward and then signs in again.
    return FrozenClock(utcnow() - timedelta(days=30))


async def invite(client: httpx.AsyncClient, by: Account, email: str, role: str = "agent") -> dict[str, Any]:
    r = await client.post("/api/v1/invitations", headers=by.headers, json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    return r.json()


async def accept(client: httpx.AsyncClient, token: str, **fields: Any) -> httpx.Response:
    headers = fields.pop("headers", None)
    return await client.post("/api/v1/invitations/accept", json={"token": token, **fields}, headers=headers)


async def login(client: httpx.AsyncClient, account: Account) -> Account:
    r = await client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert r.status_code == 200, r.text
    account.access_token = r.json()["access_token"]
    return account


async def listed(client: httpx.AsyncClient, by: Account, status: str = "pending") -> list[dict[str, Any]]:
    r = await client.get("/api/v1/invitations", headers=by.headers, params={"status": status})
    assert r.status_code == 200, r.text
    return r.json()


def code(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, r.json()["code"]


async def test_invite_and_accept_creates_the_account(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime
) -> None:
    email = "New.Person@Example.com"
    async with runtime.bus.subscribe(org_topic(owner.organization_id)) as events:
        created = await invite(client, owner, email, "agent")
        assert created["email"] == "new.person@example.com"
        assert created["status"] == "pending"
        assert created["accept_url"] == f"http://testserver/accept-invite?token={created['token']}"

        preview = await client.get("/api/v1/invitations/lookup", params={"token": created["token"]})
        assert preview.status_code == 200, preview.text
        assert preview.json()["organization_name"] == "Acme"
        assert preview.json()["role"] == "agent"
        assert preview.json()["account_exists"] is False

        r = await accept(client, created["token"], name="New Person", password=PASSWORD)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "bearer"
        assert body["organization_id"] == owner.organization_id
        seen = [await asyncio.wait_for(events.get(), 2) for _ in range(2)]
    assert [e["type"] for e in seen] == ["invitation.created", "member.joined"]
    assert seen[1]["user_id"] == body["user_id"]

    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})).json()
    assert me["id"] == body["user_id"]
    assert me["name"] == "New Person"
    assert [(m["organization_name"], m["role"]) for m in me["memberships"]] == [("Acme", "agent")]
    signed_in = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200

    assert await listed(client, owner) == []
    [done] = await listed(client, owner, "accepted")
    assert done["status"] == "accepted"
    assert done["accepted_by_id"] == body["user_id"]
    assert "token" not in done

    # Single use: the link is spent, for the accept page and for a second acceptance.
    assert code(await client.get("/api/v1/invitations/lookup", params={"token": created["token"]})) == (
        410,
        "invitation_used",
    )
    assert code(await accept(client, created["token"], name="Again", password=PASSWORD)) == (410, "invitation_used")


async def test_conftest_join_still_works(client: httpx.AsyncClient, owner: Account) -> None:
    viewer = await join(client, owner, "viewer")
    members = (await client.get("/api/v1/members", headers=owner.headers)).json()
    assert {(m["email"], m["role"]) for m in members} >= {(viewer.email, "viewer")}
    assert (await client.get("/api/v1/invitations", headers=viewer.headers)).status_code == 200


async def test_accept_needs_name_and_a_long_enough_password(client: httpx.AsyncClient, owner: Account) -> None:
    token = (await invite(client, owner, "someone@example.com"))["token"]
    assert code(await accept(client, token, password=PASSWORD)) == (422, "name_required")
    assert code(await accept(client, token, name="  ", password=PASSWORD)) == (422, "name_required")
    assert code(await accept(client, token, name="Some One", password="short")) == (422, "password_too_short")
    assert code(await accept(client, token, name="Some One")) == (422, "password_too_short")
    assert code(await accept(client, "x" * 43, name="Some One", password=PASSWORD)) == (404, "invitation_invalid")
    assert (await accept(client, token, name="Some One", password=PASSWORD, extra=1)).status_code == 422
    # The failed attempts did not spend the link.
    assert (await accept(client, token, name="Some One", password=PASSWORD)).status_code == 200


async def test_existing_account_links_with_its_password(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    token = (await invite(client, owner, other_owner.email.upper(), "viewer"))["token"]
    preview = (await client.get("/api/v1/invitations/lookup", params={"token": token})).json()
    assert preview["account_exists"] is True

    assert code(await accept(client, token)) == (401, "sign_in_required")
    assert code(await accept(client, token, password="not the password")) == (401, "invalid_credentials")
    r = await accept(client, token, password=other_owner.password, name="Ignored")
    assert r.status_code == 200, r.text
    assert r.json()["user_id"] == other_owner.user_id

    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})).json()
    assert me["name"] != "Ignored"
    assert sorted((m["organization_name"], m["role"]) for m in me["memberships"]) == [
        ("Acme", "viewer"),
        ("Globex", "owner"),
    ]


async def test_existing_account_links_when_signed_in(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    token = (await invite(client, owner, other_owner.email, "admin"))["token"]
    stranger = await sign_up(client, org="Initech")
    wrong = await accept(client, token, headers={"Authorization": f"Bearer {stranger.access_token}"})
    assert code(wrong) == (403, "invitation_wrong_account")

    r = await accept(client, token, headers={"Authorization": f"Bearer {other_owner.access_token}"})
    assert r.status_code == 200, r.text
    assert r.json()["user_id"] == other_owner.user_id
    members = (await client.get("/api/v1/members", headers=owner.headers)).json()
    assert (other_owner.email, "admin") in {(m["email"], m["role"]) for m in members}


async def test_inviting_or_accepting_as_an_existing_member_conflicts(
    client: httpx.AsyncClient, owner: Account, other_owner: Account, runtime: Runtime
) -> None:
    r = await client.post("/api/v1/invitations", headers=owner.headers, json={"email": owner.email, "role": "agent"})
    assert code(r) == (409, "already_member")

    token = (await invite(client, owner, other_owner.email))["token"]
    # The person joins another way (single sign-on provisioning) before using the link.
    async with runtime.sessionmaker() as session, session.begin():
        session.add(
            Membership(
                organization_id=uuid.UUID(owner.organization_id), user_id=uuid.UUID(other_owner.user_id), role="viewer"
            )
        )
    assert code(await accept(client, token, password=other_owner.password)) == (409, "already_member")


async def test_expired_invitation(client: httpx.AsyncClient, owner: Account, clock: FrozenClock) -> None:
    created = await invite(client, owner, "late@example.com")
    clock.advance(days=7, minutes=-1)
    assert (await client.get("/api/v1/invitations/lookup", params={"token": created["token"]})).status_code == 200
    clock.advance(minutes=2)
    assert code(await client.get("/api/v1/invitations/lookup", params={"token": created["token"]})) == (
        410,
        "invitation_expired",
    )
    assert code(await accept(client, created["token"], name="Late", password=PASSWORD)) == (410, "invitation_expired")

    await login(client, owner)  # the access token from a week ago has expired too
    assert await listed(client, owner) == []
    [expired] = await listed(client, owner, "expired")
    assert expired["id"] == created["id"]
    assert expired["status"] == "expired"
    # A fresh invitation is the way forward.
    fresh = await invite(client, owner, "late@example.com")
    assert (await accept(client, fresh["token"], name="Late", password=PASSWORD)).status_code == 200


async def test_revoked_invitation(client: httpx.AsyncClient, owner: Account) -> None:
    created = await invite(client, owner, "maybe@example.com")
    r = await client.delete(f"/api/v1/invitations/{created['id']}", headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked"
    again = await client.delete(f"/api/v1/invitations/{created['id']}", headers=owner.headers)
    assert again.status_code == 200

    assert code(await client.get("/api/v1/invitations/lookup", params={"token": created["token"]})) == (
        410,
        "invitation_revoked",
    )
    assert code(await accept(client, created["token"], name="Maybe", password=PASSWORD)) == (
        410,
        "invitation_revoked",
    )
    assert await listed(client, owner) == []
    assert [i["id"] for i in await listed(client, owner, "revoked")] == [created["id"]]
    assert {i["id"] for i in await listed(client, owner, "all")} == {created["id"]}

    used = await invite(client, owner, "sure@example.com")
    assert (await accept(client, used["token"], name="Sure", password=PASSWORD)).status_code == 200
    late = await client.delete(f"/api/v1/invitations/{used['id']}", headers=owner.headers)
    assert code(late) == (409, "invitation_used")


async def test_inviting_again_replaces_the_pending_invitation(client: httpx.AsyncClient, owner: Account) -> None:
    first = await invite(client, owner, "twice@example.com", "agent")
    second = await invite(client, owner, "TWICE@example.com", "viewer")
    assert code(await client.get("/api/v1/invitations/lookup", params={"token": first["token"]})) == (
        410,
        "invitation_revoked",
    )
    assert [(i["id"], i["role"]) for i in await listed(client, owner)] == [(second["id"], "viewer")]
    r = await accept(client, second["token"], name="Twice", password=PASSWORD)
    assert r.status_code == 200


async def test_rank_rules(client: httpx.AsyncClient, owner: Account) -> None:
    admin = await join(client, owner, "admin")
    agent = await join(client, owner, "agent")
    viewer = await join(client, owner, "viewer")

    r = await client.post(
        "/api/v1/invitations", headers=admin.headers, json={"email": "o@example.com", "role": "owner"}
    )
    assert code(r) == (403, "role_too_high")
    await invite(client, admin, "a@example.com", "admin")
    await invite(client, admin, "v@example.com", "viewer")
    owner_invite = await invite(client, owner, "o@example.com", "owner")

    # An admin can neither withdraw an owner's invitation nor replace it with a lesser one.
    r = await client.delete(f"/api/v1/invitations/{owner_invite['id']}", headers=admin.headers)
    assert code(r) == (403, "role_too_high")
    r = await client.post(
        "/api/v1/invitations", headers=admin.headers, json={"email": "o@example.com", "role": "agent"}
    )
    assert code(r) == (403, "role_too_high")
    assert (await client.get("/api/v1/invitations/lookup", params={"token": owner_invite["token"]})).status_code == 200

    for who in (agent, viewer):
        r = await client.post(
            "/api/v1/invitations", headers=who.headers, json={"email": "x@example.com", "role": "viewer"}
        )
        assert code(r) == (403, "permission_denied")
    assert (await client.get("/api/v1/invitations", headers=viewer.headers)).status_code == 200

    for bad in ({"email": "x@example.com", "role": "superuser"}, {"email": "not-an-email", "role": "agent"}, {}):
        r = await client.post("/api/v1/invitations", headers=owner.headers, json=bad)
        assert code(r) == (422, "validation_error")

    r = await accept(client, owner_invite["token"], name="Second Owner", password=PASSWORD)
    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})).json()
    assert me["memberships"][0]["role"] == "owner"


async def test_invitation_email_is_queued(client: httpx.AsyncClient, owner: Account) -> None:
    created = await invite(client, owner, "mailme@example.com", "admin")
    r = await client.get("/api/v1/mail/outbox", headers=owner.headers)
    assert r.status_code == 200, r.text
    [mail] = [m for m in r.json()["items"] if m["to_address"] == "mailme@example.com"]
    assert mail["kind"] == "invitation"
    assert "Acme" in mail["subject"]
    # The link is the invitation: the outbox shows where it points, never its secret.
    assert created["token"] not in mail["body_text"]
    assert created["accept_url"].split("token=")[0] + "token=[hidden]" in mail["body_text"]
    assert "as an admin" in mail["body_text"]


async def test_other_organization_cannot_see_or_revoke(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    created = await invite(client, owner, "private@example.com")
    assert await listed(client, other_owner, "all") == []
    r = await client.delete(f"/api/v1/invitations/{created['id']}", headers=other_owner.headers)
    assert code(r) == (404, "invitation_not_found")
    r = await client.delete(f"/api/v1/invitations/{uuid.uuid4()}", headers=owner.headers)
    assert r.status_code == 404
    assert [i["id"] for i in await listed(client, owner)] == [created["id"]]
    assert (await client.get("/api/v1/invitations")).status_code == 401
    assert (await client.delete(f"/api/v1/invitations/{created['id']}")).status_code == 401


async def test_audit_trail(client: httpx.AsyncClient, owner: Account) -> None:
    revoked = await invite(client, owner, "gone@example.com")
    await client.delete(f"/api/v1/invitations/{revoked['id']}", headers=owner.headers)
    kept = await invite(client, owner, "kept@example.com", "viewer")
    joined = (await accept(client, kept["token"], name="Kept", password=PASSWORD)).json()

    r = await client.get("/api/v1/audit-events", headers=owner.headers, params={"action": "invitation."})
    assert r.status_code == 200, r.text
    events = {(e["action"], e["target_id"]): e for e in r.json()["items"]}
    assert events[("invitation.created", revoked["id"])]["actor_id"] == owner.user_id
    assert events[("invitation.revoked", revoked["id"])]["actor_id"] == owner.user_id
    assert events[("invitation.created", kept["id"])]["details"]["role"] == "viewer"
    accepted = events[("invitation.accepted", kept["id"])]
    assert accepted["actor_id"] == joined["user_id"]
    assert accepted["actor_label"] == "kept@example.com"
    assert accepted["details"]["new_account"] is True


async def test_bad_queries(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.get("/api/v1/invitations", headers=owner.headers, params={"status": "weird"})
    assert code(r) == (422, "validation_error")
    assert (await client.get("/api/v1/invitations/lookup")).status_code == 422
    r = await client.get("/api/v1/invitations/lookup", params={"token": "nope"})
    assert code(r) == (404, "invitation_invalid")
    r = await client.post(
        "/api/v1/invitations/accept", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code in (400, 422)


@pytest.mark.parametrize("existing", [False, True], ids=["new-account", "existing-account"])
async def test_two_concurrent_accepts_only_one_wins(
    client: httpx.AsyncClient, owner: Account, other_owner: Account, existing: bool
) -> None:
    email = other_owner.email if existing else "racer@example.com"
    token = (await invite(client, owner, email))["token"]
    fields = {"password": other_owner.password} if existing else {"name": "Racer", "password": PASSWORD}
    results = await asyncio.gather(accept(client, token, **fields), accept(client, token, **fields))
    codes = sorted(r.status_code for r in results)
    assert codes[0] == 200 and codes[1] in (409, 410), [r.text for r in results]
    # The loser either finds the token spent or, if the winner committed first, the person already in.
    loser = next(r for r in results if r.status_code != 200)
    assert loser.json()["code"] in ("invitation_used", "already_member")
    members = (await client.get("/api/v1/members", headers=owner.headers)).json()
    assert [m["email"] for m in members].count(email) == 1
