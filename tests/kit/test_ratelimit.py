"""Rate limits and quotas, seen the way a client sees them: 429, ``Retry-After`` and ``code: rate_limited``."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from frontdesk.app import create_app
from tests.conftest import Account, free_port, make_settings, sign_up

# A database number of its own, so these tests never count against (or flush) anyone else's keys.
REDIS_DB5 = "redis://127.0.0.1:6379/5"


def assert_rate_limited(r: httpx.Response, *, mentions: str | None = None) -> None:
    assert r.status_code == 429, r.text
    body = r.json()
    assert body["code"] == "rate_limited"
    retry_after = int(r.headers["retry-after"])
    assert 1 <= retry_after <= 86400
    assert body["details"]["retry_after"] == retry_after
    if mentions:
        assert mentions in body["message"]


async def login(client: httpx.AsyncClient, email: str, password: str, **headers: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password}, headers=headers)


async def make_key(client: httpx.AsyncClient, owner: Account, name: str = "server") -> str:
    r = await client.post("/api/v1/api-keys", headers=owner.headers, json={"name": name, "scopes": ["org.read"]})
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


async def call_with_key(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.get("/api/v1/organization", headers={"X-API-Key": key})


# ---------------------------------------------------------------- sign-in and other public auth routes


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_auth": "3/minute"}])
async def test_login_brute_force_from_one_address_is_refused(client: httpx.AsyncClient, owner: Account) -> None:
    for _ in range(3):
        r = await login(client, owner.email, "wrong guess number x")
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_credentials"
    r = await login(client, owner.email, "wrong guess number x")
    assert_rate_limited(r, mentions="3 per minute")
    # Once refused, even the right password waits: the guesser must not learn it was right.
    assert_rate_limited(await login(client, owner.email, owner.password))


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_auth": "2/minute", "trust_forwarded_for": True}])
async def test_auth_limit_is_per_address_and_per_route(client: httpx.AsyncClient, owner: Account) -> None:
    for _ in range(2):
        await login(client, owner.email, "wrong guess", **{"X-Forwarded-For": "203.0.113.7"})
    assert_rate_limited(await login(client, owner.email, "wrong guess", **{"X-Forwarded-For": "203.0.113.7"}))
    # Another address is not punished for the first one's guessing.
    ok = await login(client, owner.email, owner.password, **{"X-Forwarded-For": "198.51.100.2"})
    assert ok.status_code == 200
    # Password-reset mail is counted apart from sign-in, but also per address.
    for _ in range(2):
        r = await client.post(
            "/api/v1/auth/password-reset", json={"email": owner.email}, headers={"X-Forwarded-For": "203.0.113.7"}
        )
        assert r.status_code == 202
    r = await client.post(
        "/api/v1/auth/password-reset", json={"email": owner.email}, headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert_rate_limited(r)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"rate_limit_auth": "2/second"}])
async def test_the_window_moves_on(client: httpx.AsyncClient, owner: Account) -> None:
    for _ in range(2):
        assert (await login(client, owner.email, "wrong guess")).status_code == 401
    assert_rate_limited(await login(client, owner.email, owner.password))
    await asyncio.sleep(1.1)
    assert (await login(client, owner.email, owner.password)).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"rate_limit_auth": "1/minute", "rate_limit_enabled": False}])
async def test_limits_can_be_switched_off(client: httpx.AsyncClient, owner: Account) -> None:
    for _ in range(4):
        assert (await login(client, owner.email, owner.password)).status_code == 200


# ---------------------------------------------------------------- API keys and organization quotas


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_api_key": "3/minute"}])
async def test_each_api_key_has_its_own_limit(client: httpx.AsyncClient, owner: Account) -> None:
    first = await make_key(client, owner, "first")
    second = await make_key(client, owner, "second")
    for _ in range(3):
        assert (await call_with_key(client, first)).status_code == 200
    assert_rate_limited(await call_with_key(client, first), mentions="API calls")
    assert (await call_with_key(client, second)).status_code == 200
    # People signed in to the same organization are not held back by its key.
    assert (await client.get("/api/v1/organization", headers=owner.headers)).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"org_quota_hourly": 3}])
async def test_hourly_quota_is_shared_by_all_keys_of_an_organization(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    first = await make_key(client, owner, "first")
    second = await make_key(client, owner, "second")
    elsewhere = await make_key(client, other_owner, "theirs")
    assert (await call_with_key(client, first)).status_code == 200
    assert (await call_with_key(client, first)).status_code == 200
    assert (await call_with_key(client, second)).status_code == 200
    r = await call_with_key(client, second)
    assert_rate_limited(r, mentions="this hour")
    assert int(r.headers["retry-after"]) > 60
    # Another organization's quota is its own.
    assert (await call_with_key(client, elsewhere)).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"org_quota_daily": 2}])
async def test_daily_quota(client: httpx.AsyncClient, owner: Account) -> None:
    key = await make_key(client, owner)
    for _ in range(2):
        assert (await call_with_key(client, key)).status_code == 200
    r = await call_with_key(client, key)
    assert_rate_limited(r, mentions="today")
    assert int(r.headers["retry-after"]) > 3600


async def test_default_quotas_are_the_documented_ones(runtime: Any) -> None:
    settings = runtime.settings
    assert (settings.org_quota_hourly, settings.org_quota_daily) == (500, 2000)
    assert settings.rate_limit_api_key == "600/minute"
    assert settings.rate_limit_user == "1200/minute"


# ---------------------------------------------------------------- signed-in people


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_user": "4/minute"}])
async def test_each_user_has_their_own_limit(client: httpx.AsyncClient) -> None:
    # sign_up reads /me once, which counts.
    alice = await sign_up(client, org="Alice Ltd")
    bob = await sign_up(client, org="Bob Ltd")
    for _ in range(3):
        assert (await client.get("/api/v1/me", headers=alice.headers)).status_code == 200
    assert_rate_limited(await client.get("/api/v1/organization", headers=alice.headers))
    assert (await client.get("/api/v1/me", headers=bob.headers)).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"rate_limit_user": "3/minute"}])
async def test_websocket_messages_are_limited_without_closing_the_socket(live_server: str, client: Any) -> None:
    account = await sign_up(client)
    url = live_server.replace("http://", "ws://") + "/api/v1/realtime"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": account.access_token}))
        assert json.loads(await ws.recv())["type"] == "ready"
        for _ in range(3):
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv())["type"] == "pong"
        await ws.send(json.dumps({"type": "ping"}))
        refused = json.loads(await ws.recv())
        assert refused["type"] == "error"
        assert refused["code"] == "rate_limited"
        assert refused["details"]["retry_after"] >= 1


# ---------------------------------------------------------------- Redis: every process shares the counts


async def _app_on(db_url: str, tmp_path: Path, redis_url: str, **overrides: Any) -> Any:
    settings = make_settings(db_url, tmp_path, redis_url=redis_url, **overrides)
    return create_app(settings, start_background=False)


@pytest.mark.redis
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_redis_storage_shares_counts_across_runtimes(db_url: str, tmp_path: Path) -> None:
    one = await _app_on(db_url, tmp_path, REDIS_DB5, rate_limit_auth="3/minute")
    two = await _app_on(db_url, tmp_path, REDIS_DB5, rate_limit_auth="3/minute")
    await one.state.runtime.limiter.reset()
    async with (
        one.router.lifespan_context(one),
        two.router.lifespan_context(two),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=one), base_url="http://one") as c1,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=two), base_url="http://two") as c2,
    ):
        email = f"{uuid.uuid4().hex[:8]}@example.com"
        assert (await login(c1, email, "guess one")).status_code == 401
        assert (await login(c2, email, "guess two")).status_code == 401
        assert (await login(c1, email, "guess three")).status_code == 401
        # The fourth try lands on the other process, which has seen one try itself, and still refuses.
        assert_rate_limited(await login(c2, email, "guess four"))
        assert_rate_limited(await login(c1, email, "guess five"))
        await one.state.runtime.limiter.reset()
        # After a reset (ours only: our key prefix in our database), both may try again.
        assert (await login(c2, email, "guess six")).status_code == 401


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_unreachable_redis_answers_503_not_500(db_url: str, tmp_path: Path) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/5"
    app = await _app_on(db_url, tmp_path, dead)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dead") as c,
    ):
        r = await login(c, "someone@example.com", "whatever")
        assert r.status_code == 503
        assert r.json()["code"] == "rate_limit_unavailable"
