"""Registration, sign-in, token rotation with reuse detection, sign-out and passwords, over HTTP."""

from __future__ import annotations

import httpx
import jwt

from tests.conftest import Account, sign_up


async def test_register_creates_owner_of_new_organization(client: httpx.AsyncClient) -> None:
    account = await sign_up(client, org="Blue Bakery")
    me = (await client.get("/api/v1/me", headers=account.headers)).json()
    assert me["email"] == account.email
    assert [(m["organization_name"], m["role"]) for m in me["memberships"]] == [("Blue Bakery", "owner")]
    assert "org.delete" in me["permissions"]


async def test_duplicate_email_is_a_conflict(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.post(
        "/api/v1/auth/register",
        json={"email": owner.email.upper(), "password": "long enough pw", "name": "X", "organization_name": "Y"},
    )
    assert r.status_code == 409
    assert r.json()["code"] == "email_taken"


async def test_login_and_wrong_password(client: httpx.AsyncClient, owner: Account) -> None:
    ok = await client.post("/api/v1/auth/login", json={"email": owner.email, "password": owner.password})
    assert ok.status_code == 200
    assert ok.json()["token_type"] == "bearer"
    bad = await client.post("/api/v1/auth/login", json={"email": owner.email, "password": "nope nope nope"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "invalid_credentials"
    unknown = await client.post("/api/v1/auth/login", json={"email": "ghost@example.com", "password": "x"})
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "invalid_credentials"


async def test_refresh_rotates_and_reuse_kills_the_family(client: httpx.AsyncClient, owner: Account) -> None:
    first = owner.refresh_token
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200
    second = r.json()["refresh_token"]
    assert second != first
    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_token_reused"
    # The thief's copy is dead, and so is the legitimate newer link.
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": second})
    assert after.status_code == 401
    assert after.json()["code"] == "refresh_token_revoked"


async def test_logout_revokes_refresh(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.post("/api/v1/auth/logout", headers=owner.headers, json={"refresh_token": owner.refresh_token})
    assert r.status_code == 204
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert r.status_code == 401


async def test_forged_expired_and_alg_none_tokens_are_refused(client: httpx.AsyncClient, owner: Account) -> None:
    claims = jwt.decode(owner.access_token, options={"verify_signature": False})
    none_token = jwt.encode(claims, key=None, algorithm="none")
    forged = jwt.encode(claims, "not-the-server-key-but-long-enough-for-hs256", algorithm="HS256")
    expired = jwt.encode(
        {**claims, "exp": claims["iat"] - 10}, "test-secret-key-that-is-long-enough-0123456789", algorithm="HS256"
    )
    for token, code in (
        (none_token, "token_invalid"),
        (forged, "token_invalid"),
        (expired, "token_expired"),
        ("garbage", "token_invalid"),
    ):
        r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
        assert r.json()["code"] == code


async def test_password_change_revokes_sessions(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.post(
        "/api/v1/me/password",
        headers=owner.headers,
        json={"current_password": owner.password, "new_password": "a brand new password"},
    )
    assert r.status_code == 204
    assert (await client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})).status_code == 401
    login = await client.post("/api/v1/auth/login", json={"email": owner.email, "password": "a brand new password"})
    assert login.status_code == 200


async def test_password_reset_by_emailed_token(client: httpx.AsyncClient, owner: Account, runtime) -> None:
    r = await client.post("/api/v1/auth/password-reset", json={"email": owner.email})
    assert r.status_code == 202
    same = await client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert same.status_code == 202 and same.json() == r.json()
    from sqlalchemy import select

    from frontdesk.kit.db import transaction
    from frontdesk.mail.models import MailMessage

    async with transaction(runtime.sessionmaker) as session:
        mails = list(await session.scalars(select(MailMessage).where(MailMessage.to_address == owner.email)))
    assert len(mails) == 1
    token = mails[0].body_text.split("token=")[1].split()[0]
    r = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "reset password 123"}
    )
    assert r.status_code == 204
    again = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "reset password 456"}
    )
    assert again.status_code == 422
    assert again.json()["code"] == "reset_token_invalid"
    login = await client.post("/api/v1/auth/login", json={"email": owner.email, "password": "reset password 123"})
    assert login.status_code == 200


async def test_malformed_json_and_unknown_fields(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_json"
    r = await client.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "x", "admin": True})
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"


async def test_oversized_body_is_refused(client: httpx.AsyncClient, runtime) -> None:
    limit = runtime.settings.max_body_bytes
    r = await client.post(
        "/api/v1/auth/login", content=b"x" * (limit + 1), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


async def test_failed_sign_in_is_audited_though_the_request_fails(
    client: httpx.AsyncClient, owner: Account, runtime
) -> None:
    from sqlalchemy import select

    from frontdesk.audit.models import AuditEvent
    from frontdesk.kit.db import transaction

    r = await client.post("/api/v1/auth/login", json={"email": owner.email, "password": "wrong wrong wrong"})
    assert r.status_code == 401
    async with transaction(runtime.sessionmaker) as session:
        failed = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")))
    assert [(e.actor_label, e.details["reason"]) for e in failed] == [(owner.email, "bad_password")]
