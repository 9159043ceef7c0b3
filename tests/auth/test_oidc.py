"""Single sign-on through OpenID Connect, against a real (small) provider on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from frontdesk.auth import external
from tests.conftest import sign_up
from tests.fixtures.fake_oidc import FakeProvider, ProviderHost

CALLBACK = "http://testserver/auth/oidc/callback"


@pytest.fixture(scope="session")
def provider_host() -> Iterator[ProviderHost]:
    with ProviderHost() as host:
        yield host


@pytest.fixture
def provider(provider_host: ProviderHost) -> Iterator[FakeProvider]:
    external.clear_caches()
    yield provider_host.install(FakeProvider())
    external.clear_caches()


@pytest.fixture
def allow_signup() -> bool:
    return False


@pytest.fixture
def oidc_on() -> bool:
    return True


@pytest.fixture
def settings_overrides(provider: FakeProvider, allow_signup: bool, oidc_on: bool) -> dict[str, Any]:
    if not oidc_on:
        return {}
    return {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": provider.client_id,
        "oidc_client_secret": provider.client_secret,
        "oidc_allow_signup": allow_signup,
        "oidc_button_label": "Sign in with Example SSO",
    }


async def to_provider_and_back(client: httpx.AsyncClient, *, next_path: str | None = None) -> str:
    """Start at our login route and let the provider approve; returns where it sends the browser."""
    start = await client.get("/auth/oidc/login", params={"next": next_path} if next_path else None)
    assert start.status_code == 302, start.text
    async with external.http_client() as browser:
        at_provider = await browser.get(start.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    back = at_provider.headers["location"]
    assert back.startswith(CALLBACK + "?")
    return back


async def sign_in(client: httpx.AsyncClient, **kwargs: Any) -> httpx.Response:
    return await client.get(await to_provider_and_back(client, **kwargs))


def with_state(url: str, state: str) -> str:
    query = parse_qs(urlsplit(url).query)
    return f"{CALLBACK}?code={query['code'][0]}&state={state}"


async def test_config_tells_the_login_page_what_to_show(client: httpx.AsyncClient) -> None:
    r = await client.get("/auth/oidc/config")
    assert r.json() == {"enabled": True, "button_label": "Sign in with Example SSO"}


@pytest.mark.parametrize("oidc_on", [False])
async def test_routes_answer_oidc_disabled_when_not_configured(client: httpx.AsyncClient) -> None:
    assert (await client.get("/auth/oidc/config")).json()["enabled"] is False
    for path in ("/auth/oidc/login", "/auth/oidc/callback?code=x&state=y"):
        r = await client.get(path)
        assert r.status_code == 404
        assert r.json()["code"] == "oidc_disabled"


async def test_login_redirect_carries_pkce_state_and_nonce(client: httpx.AsyncClient, provider: FakeProvider) -> None:
    r = await client.get("/auth/oidc/login")
    assert r.status_code == 302
    location = urlsplit(r.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{provider.issuer}/authorize"
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == provider.client_id
    assert params["redirect_uri"] == CALLBACK
    assert params["scope"].split() == ["openid", "email", "profile"]
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"] and params["state"] != params["nonce"]
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("fd_oidc=")
    assert "httponly" in cookie and "path=/auth/oidc" in cookie and "samesite=lax" in cookie
    # Two sign-ins never share their secrets.
    other = parse_qs(urlsplit((await client.get("/auth/oidc/login")).headers["location"]).query)
    assert other["state"][0] != params["state"] and other["code_challenge"][0] != params["code_challenge"]


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_round_trip_links_the_account_by_email_and_starts_a_cookie_session(
    client: httpx.AsyncClient, provider: FakeProvider, method: str
) -> None:
    provider.auth_methods = [method]
    account = await sign_up(client, org="Acme", email=provider.user["email"])
    done = await sign_in(client, next_path="/app/inbox")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/app/inbox"
    assert {"fd_access", "fd_refresh", "fd_csrf"} <= set(client.cookies.keys())
    sent = provider.token_requests[-1]
    assert sent["method"] == method
    assert len(sent["form"]["code_verifier"]) >= 43

    me = await client.get("/api/v1/me")  # the cookie alone, no header
    assert me.status_code == 200, me.text
    assert me.json()["id"] == account.user_id
    assert me.json()["organization_id"] == account.organization_id

    # Linked now: the provider's subject finds the person even when the email there changes.
    client.cookies.clear()
    provider.user = {**provider.user, "email": "renamed@example.com"}
    again = await sign_in(client, next_path="https://evil.example/")
    assert again.status_code == 303
    assert again.headers["location"] == "/app"
    assert (await client.get("/api/v1/me")).json()["id"] == account.user_id


async def test_state_mismatch_is_refused(client: httpx.AsyncClient, provider: FakeProvider) -> None:
    await sign_up(client, email=provider.user["email"])
    back = await to_provider_and_back(client)

    forged = await client.get(with_state(back, "not-the-state-we-sent"))
    assert forged.status_code == 400
    assert forged.json()["code"] == "oidc_state_mismatch"
    assert "fd_access" not in client.cookies

    page = await client.get(with_state(back, "still-wrong"), headers={"accept": "text/html"})
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "does not belong to the sign-in this browser started" in page.text
    assert "oidc_state_mismatch" in page.text

    # The page also dropped the browser's state cookie, so even the right state is refused now.
    client.cookies.delete("fd_oidc", path="/auth/oidc")
    lost = await client.get(back)
    assert lost.status_code == 400
    assert lost.json()["code"] == "oidc_state_mismatch"
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_unknown_person_is_refused_when_signup_is_off(client: httpx.AsyncClient, provider: FakeProvider) -> None:
    r = await sign_in(client)
    assert r.status_code == 403
    assert r.json()["code"] == "oidc_no_account"
    assert "invite" in r.json()["message"]
    assert (await client.get("/api/v1/me")).status_code == 401

    page = await client.get(await to_provider_and_back(client), headers={"accept": "text/html"})
    assert page.status_code == 403
    assert "Ask an administrator of your organization to invite you" in page.text


@pytest.mark.parametrize("allow_signup", [True])
async def test_unknown_person_gets_an_account_when_signup_is_on(
    client: httpx.AsyncClient, provider: FakeProvider
) -> None:
    r = await sign_in(client)
    assert r.status_code == 303, r.text
    me = (await client.get("/api/v1/me")).json()
    assert me["email"] == provider.user["email"]
    assert me["name"] == "Sso Person"
    assert me["memberships"] == []

    client.cookies.clear()
    assert (await sign_in(client)).status_code == 303
    assert (await client.get("/api/v1/me")).json()["id"] == me["id"]

    # An address the provider has not verified is neither linked nor given an account.
    client.cookies.clear()
    provider.user = {"sub": "idp-user-2", "email": "unverified@example.com", "email_verified": False}
    refused = await sign_in(client)
    assert refused.status_code == 403
    assert refused.json()["code"] == "oidc_email_unverified"


async def test_untrustworthy_id_tokens_are_refused(client: httpx.AsyncClient, provider: FakeProvider) -> None:
    await sign_up(client, email=provider.user["email"])
    for override in ({"nonce": "another-sign-in"}, {"aud": "another-client"}, {"iss": "https://evil.example"}):
        provider.id_token_overrides = override
        r = await sign_in(client)
        assert r.status_code == 401, override
        assert r.json()["code"] == "oidc_token_invalid", override
    provider.id_token_overrides = {"exp": 1_000_000_000, "iat": 999_999_000}
    expired = await sign_in(client)
    assert expired.status_code == 401
    assert "expired" in expired.json()["message"]
    assert "fd_access" not in client.cookies


async def test_email_can_come_from_userinfo(client: httpx.AsyncClient, provider: FakeProvider) -> None:
    account = await sign_up(client, email=provider.user["email"])
    provider.email_in_id_token = False
    r = await sign_in(client)
    assert r.status_code == 303, r.text
    assert (await client.get("/api/v1/me")).json()["id"] == account.user_id


async def test_a_replayed_code_and_a_provider_refusal_are_explained(
    client: httpx.AsyncClient, provider: FakeProvider
) -> None:
    await sign_up(client, email=provider.user["email"])
    back = await to_provider_and_back(client)
    state_cookie = client.cookies.get("fd_oidc")
    assert (await client.get(back)).status_code == 303
    client.cookies.set("fd_oidc", state_cookie, path="/auth/oidc")
    replay = await client.get(back)
    assert replay.status_code == 400
    assert replay.json()["code"] == "oidc_code_rejected"

    denied = await client.get("/auth/oidc/callback?error=access_denied&error_description=User+said+no")
    assert denied.status_code == 400
    assert denied.json()["code"] == "oidc_provider_refused"
    assert "User said no" in denied.json()["message"]
