"""Host-application JWTs: verification, and mirroring the person, tenant and role into Frontdesk."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from frontdesk.auth import external
from frontdesk.kit.clock import FrozenClock
from tests.conftest import free_port, sign_up
from tests.fixtures.fake_oidc import FakeProvider, ProviderHost, SigningKey

HOST_ISSUER = "https://identity.host.example"
AUDIENCE = "frontdesk"
HOST_SECRET = "host-application-shared-secret-0123456789abcdef"


@pytest.fixture(scope="session")
def provider_host() -> Iterator[ProviderHost]:
    with ProviderHost() as host:
        yield host


@pytest.fixture
def provider(provider_host: ProviderHost) -> Iterator[FakeProvider]:
    external.clear_caches()
    yield provider_host.install(FakeProvider(keys=[SigningKey("key-1"), SigningKey("ec-1", alg="ES256")]))
    external.clear_caches()


@pytest.fixture
def mode() -> str:
    """How the host signs its tokens; a test parametrizes this to change the app's settings."""
    return "jwks"


@pytest.fixture
def settings_overrides(provider: FakeProvider, mode: str) -> dict[str, Any]:
    base: dict[str, Any] = {"external_jwt_issuer": HOST_ISSUER, "external_jwt_audience": AUDIENCE}
    if mode == "jwks":
        return {
            **base,
            "external_jwt_jwks_url": f"{provider.issuer}/jwks",
            "external_jwt_algorithms": ["RS256", "ES256"],
        }
    if mode == "secret":
        return {**base, "external_jwt_secret": HOST_SECRET, "external_jwt_algorithms": ["HS256"]}
    if mode == "unreachable":
        return {**base, "external_jwt_jwks_url": f"http://127.0.0.1:{free_port()}/jwks"}
    return {}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


def claims(clock: FrozenClock, **changes: Any) -> dict[str, Any]:
    now = int(clock.now().timestamp())
    values: dict[str, Any] = {
        "iss": HOST_ISSUER,
        "aud": AUDIENCE,
        "sub": "host-user-1",
        "email": "pat@host.example",
        "name": "Pat Host",
        "org": "tenant-42",
        "org_name": "Tenant Forty-Two",
        "role": "admin",
        "iat": now,
        "exp": now + 300,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def hs256_by_hand(payload: dict[str, Any], key: bytes, header: dict[str, Any] | None = None) -> str:
    """PyJWT rightly refuses to HMAC with a PEM key, so the confusion attack is forged by hand."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header or {'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


async def test_first_token_creates_person_tenant_and_membership_then_reuses_them(
    client: httpx.AsyncClient, provider: FakeProvider, clock: FrozenClock
) -> None:
    first = await me(client, provider.mint(claims(clock)))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["email"] == "pat@host.example"
    assert body["name"] == "Pat Host"
    assert [(m["organization_name"], m["role"]) for m in body["memberships"]] == [("Tenant Forty-Two", "admin")]
    org_id = body["memberships"][0]["organization_id"]
    assert body["organization_id"] == org_id
    assert "members.manage" in body["permissions"]

    clock.advance(seconds=5)
    again = await me(client, provider.mint(claims(clock, name="Pat Renamed")))
    assert again.status_code == 200, again.text
    second = again.json()
    assert second["id"] == body["id"]
    assert [m["organization_id"] for m in second["memberships"]] == [org_id]
    assert second["name"] == "Pat Renamed"

    audit = await client.get(
        "/api/v1/audit-events", headers={"Authorization": f"Bearer {provider.mint(claims(clock))}"}
    )
    assert audit.status_code == 200, audit.text
    actions = [e["action"] for e in audit.json()["items"]]
    assert sorted(actions) == ["member.joined", "org.created"]


async def test_org_without_a_name_claim_is_named_after_its_id_and_es256_verifies(
    client: httpx.AsyncClient, provider: FakeProvider, clock: FrozenClock
) -> None:
    token = provider.mint(claims(clock, org_name=None, org=1234), key=provider.keys[1])
    r = await me(client, token)
    assert r.status_code == 200, r.text
    assert [m["organization_name"] for m in r.json()["memberships"]] == ["1234"]


async def test_role_claim_is_kept_in_sync_and_audited(
    client: httpx.AsyncClient, provider: FakeProvider, clock: FrozenClock
) -> None:
    assert (await me(client, provider.mint(claims(clock, role="admin")))).status_code == 200
    demoted = await me(client, provider.mint(claims(clock, role="viewer")))
    assert demoted.json()["memberships"][0]["role"] == "viewer"
    assert "members.manage" not in demoted.json()["permissions"]
    # A list of roles takes the highest one we know; an unknown role gets the configured default.
    listed = await me(client, provider.mint(claims(clock, role=["billing", "viewer", "owner"])))
    assert listed.json()["memberships"][0]["role"] == "owner"
    unknown = await me(client, provider.mint(claims(clock, role="superhero")))
    assert unknown.json()["memberships"][0]["role"] == "agent"
    missing = await me(client, provider.mint(claims(clock, role=None)))
    assert missing.json()["memberships"][0]["role"] == "agent"

    owner_token = provider.mint(claims(clock, role="owner"))
    audit = await client.get(
        "/api/v1/audit-events",
        params={"action": "member.role_changed"},
        headers={"Authorization": f"Bearer {owner_token}"},
    )
    assert audit.status_code == 200, audit.text
    changes = sorted((e["details"]["from"], e["details"]["to"]) for e in audit.json()["items"])
    assert changes == sorted([("admin", "viewer"), ("viewer", "owner"), ("owner", "agent"), ("agent", "owner")])
    assert {e["details"]["source"] for e in audit.json()["items"]} == {"external_jwt"}


async def test_an_existing_account_is_linked_by_email(
    client: httpx.AsyncClient, provider: FakeProvider, clock: FrozenClock
) -> None:
    account = await sign_up(client, org="Own Shop", email="pat@host.example")
    r = await me(client, provider.mint(claims(clock, email="PAT@host.example")))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == account.user_id
    assert sorted((m["organization_name"], m["role"]) for m in body["memberships"]) == [
        ("Own Shop", "owner"),
        ("Tenant Forty-Two", "admin"),
    ]
    # The host's token acts in the host's tenant, whatever else the person belongs to.
    assert body["organization_id"] != account.organization_id
    # Once linked, the subject alone finds the person, even after the host changes their email.
    later = await me(client, provider.mint(claims(clock, email="pat.new@host.example")))
    assert later.json()["id"] == account.user_id

    # A second host identity cannot take over an account another one already holds,
    # and an address the host has not verified is never linked.
    await sign_up(client, org="Other", email="sam@host.example")
    for changes in (
        {"sub": "host-user-2", "email": "pat@host.example"},
        {"sub": "host-user-3", "email": "sam@host.example", "email_verified": False},
    ):
        refused = await me(client, provider.mint(claims(clock, **changes)))
        assert refused.status_code == 401, changes
        assert refused.json()["code"] == "token_invalid"


async def test_bad_tokens_are_refused(client: httpx.AsyncClient, provider: FakeProvider, clock: FrozenClock) -> None:
    good = claims(clock)
    stranger = SigningKey("stranger")  # never published in the key set
    public_pem = provider.keys[0].public_pem()
    valid = provider.mint(good)
    head, _payload, signature = valid.split(".")
    tampered_payload = base64.urlsafe_b64encode(json.dumps({**good, "role": "owner"}).encode()).rstrip(b"=")
    cases = {
        "wrong audience": provider.mint({**good, "aud": "someone-else"}),
        "wrong issuer": provider.mint({**good, "iss": "https://evil.example"}),
        "expired": provider.mint({**good, "exp": good["iat"] - 120}),
        "not yet valid": provider.mint({**good, "nbf": good["iat"] + 600}),
        "unknown kid": provider.mint(good, key=stranger),
        "alg none": jwt.encode(good, None, algorithm="none"),
        "HS256 keyed with the public key": hs256_by_hand(good, public_pem, {"alg": "HS256", "kid": "key-1"}),
        "RS384 not allowed": jwt.encode(good, provider.keys[0].private, algorithm="RS384", headers={"kid": "key-1"}),
        "tampered payload": f"{head}.{tampered_payload.decode()}.{signature}",
        "missing org": provider.mint({**good, "org": None}),
        "missing sub": provider.mint({k: v for k, v in good.items() if k != "sub"}),
        "first sight without email": provider.mint(claims(clock, email=None, sub="no-mail")),
        "bad email": provider.mint(claims(clock, email="not an address", sub="bad-mail")),
        "garbage": "not.a.jwt",
    }
    for name, token in cases.items():
        r = await me(client, token)
        assert r.status_code == 401, name
        assert r.json()["code"] == "token_invalid", name
    # None of the refusals left a person or tenant behind: the valid token is still the first sight.
    ok = await me(client, valid)
    assert ok.status_code == 200
    assert len(ok.json()["memberships"]) == 1


async def test_signing_keys_are_cached_and_fetched_again_for_a_new_key_id(
    client: httpx.AsyncClient, provider: FakeProvider, clock: FrozenClock
) -> None:
    assert (await me(client, provider.mint(claims(clock)))).status_code == 200
    assert (await me(client, provider.mint(claims(clock)))).status_code == 200
    assert provider.jwks_requests == 1

    rotated = SigningKey("key-2")
    provider.keys.append(rotated)
    # Right after a fetch, an unknown key id does not trigger another one...
    clock.advance(seconds=1)
    assert (await me(client, provider.mint(claims(clock), key=rotated))).status_code == 401
    assert provider.jwks_requests == 1
    # ...but once the cool-down has passed it does, and the new key is found.
    clock.advance(seconds=external.JWKS_REFETCH_COOLDOWN_SECONDS)
    assert (await me(client, provider.mint(claims(clock), key=rotated))).status_code == 200
    assert provider.jwks_requests == 2
    # And the whole set is fetched again when its time is up.
    clock.advance(seconds=external.JWKS_TTL_SECONDS + 1)
    assert (await me(client, provider.mint(claims(clock)))).status_code == 200
    assert provider.jwks_requests == 3

    # When the host's key set is down, the keys already known keep working, and the host is asked
    # again only after the cool-down rather than on every request.
    provider.jwks_down = True
    clock.advance(seconds=external.JWKS_TTL_SECONDS + 1)
    for _ in range(3):
        assert (await me(client, provider.mint(claims(clock)))).status_code == 200
    assert provider.jwks_requests == 4
    clock.advance(seconds=external.JWKS_REFETCH_COOLDOWN_SECONDS)
    assert (await me(client, provider.mint(claims(clock)))).status_code == 200
    assert provider.jwks_requests == 5


@pytest.mark.parametrize("mode", ["secret"])
async def test_shared_secret_mode(client: httpx.AsyncClient, provider: FakeProvider, clock: FrozenClock) -> None:
    good = claims(clock)
    ok = await me(client, jwt.encode(good, HOST_SECRET, algorithm="HS256"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["memberships"][0]["organization_name"] == "Tenant Forty-Two"
    for token in (
        jwt.encode(good, "a-different-secret-that-is-also-long-enough!!", algorithm="HS256"),
        provider.mint(good),  # RS256 is not what this installation was told to accept
        jwt.encode(good, None, algorithm="none"),
        jwt.encode({**good, "aud": "other"}, HOST_SECRET, algorithm="HS256"),
    ):
        r = await me(client, token)
        assert r.status_code == 401
        assert r.json()["code"] == "token_invalid"


@pytest.mark.parametrize("mode", ["off"])
async def test_foreign_tokens_are_refused_when_not_configured(
    client: httpx.AsyncClient, provider: FakeProvider, clock: FrozenClock
) -> None:
    r = await me(client, provider.mint(claims(clock)))
    assert r.status_code == 401
    assert r.json()["code"] == "token_invalid"
    assert provider.jwks_requests == 0


@pytest.mark.parametrize("mode", ["unreachable"])
async def test_unreachable_key_set_refuses_with_a_reason(
    client: httpx.AsyncClient, provider: FakeProvider, clock: FrozenClock
) -> None:
    r = await me(client, provider.mint(claims(clock)))
    assert r.status_code == 401
    assert r.json()["code"] == "token_invalid"
    assert r.json()["details"]["reason"] == "signing keys unavailable"
