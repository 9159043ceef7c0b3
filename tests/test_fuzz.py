"""Property-based tests: whatever a client sends, the API answers with a deliberate 2xx/3xx/4xx, and every
4xx is our JSON error (``code`` and ``message``). A 5xx is a bug, whatever the input.

The routes come from the app itself (everything under ``/api/v1`` plus the system routes), so new
routes are fuzzed as soon as they are registered. The caller is a real owner who is also an operator,
so requests get past authentication and reach validation and the services; ids are sometimes real ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import string
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import update

from frontdesk.kit.db import transaction
from frontdesk.users.models import User
from tests.conftest import Account, sign_up
from tests.test_tenancy import registered_routes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

# FRONTDESK_FUZZ_EXAMPLES=2000 runs a longer, randomized hunt; by default the run is short and the
# same on every run, so CI cannot flake.
_HUNT = os.environ.get("FRONTDESK_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(_HUNT or 60),
    deadline=None,
    database=None,  # no .hypothesis/ folder in the checkout
    derandomize=_HUNT is None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

SECRET = "test-secret-key-that-is-long-enough-0123456789"  # make_settings' key: lets us forge "valid" tokens


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Quotas would turn most examples into 429s and hide what comes after them.
    return {
        "rate_limit_user": "1000000/minute",
        "rate_limit_api_key": "1000000/minute",
        "org_quota_hourly": 1_000_000,
        "org_quota_daily": 1_000_000,
    }


# ---------------------------------------------------------------- the target


@dataclass(repr=False)
class Target:
    client: httpx.AsyncClient
    owner: Account
    key: str
    ids: list[str]
    routes: list[tuple[str, str]]

    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example
        return f"Target(owner={self.owner.email})"

    @property
    def body_routes(self) -> list[tuple[str, str]]:
        return [r for r in self.routes if r[0] in ("POST", "PUT", "PATCH", "DELETE")]

    @property
    def get_routes(self) -> list[tuple[str, str]]:
        return [r for r in self.routes if r[0] == "GET"]


def _fuzzable(method: str, path: str) -> bool:
    if method == "WS":
        return False
    return path.startswith("/api/v1/") or path.startswith("/health") or path.startswith("/auth/oidc/config")


@pytest.fixture
async def fuzz_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Like ``client``, but a 500 comes back as the response the user would get, for a clearer report."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def target(app: FastAPI, fuzz_client: httpx.AsyncClient, runtime: Any) -> Target:
    client = fuzz_client
    owner = await sign_up(client, org="Fuzz Co")
    async with transaction(runtime.sessionmaker) as session:
        await session.execute(update(User).where(User.id == uuid.UUID(owner.user_id)).values(is_operator=True))
    r = await client.post("/api/v1/api-keys", headers=owner.headers, json={"name": "fuzz", "scopes": ["org.read"]})
    assert r.status_code == 201, r.text
    key = r.json()
    members = (await client.get("/api/v1/members", headers=owner.headers)).json()
    routes = sorted(r for r in registered_routes(app) if _fuzzable(*r))
    assert len(routes) > 20
    return Target(
        client=client,
        owner=owner,
        key=key["key"],
        ids=[owner.organization_id, owner.user_id, key["id"], members[0]["id"]],
        routes=routes,
    )


def check(r: httpx.Response) -> None:
    """The property every answer must have."""
    where = f"{r.request.method} {r.request.url} -> {r.status_code}"
    note(where)
    assert r.status_code < 500, f"{where}: {r.text[:500]}"
    if 400 <= r.status_code < 500:
        try:
            body = r.json()
        except ValueError:
            raise AssertionError(f"{where}: a 4xx that is not JSON: {r.text[:300]}") from None
        assert isinstance(body, dict), f"{where}: {body!r}"
        assert isinstance(body.get("code"), str) and body["code"], f"{where}: no code in {body}"
        assert isinstance(body.get("message"), str) and body["message"], f"{where}: no message in {body}"


# ---------------------------------------------------------------- strategies

FIELDS = [
    "email", "password", "name", "organization_name", "timezone", "refresh_token", "current_password",
    "new_password", "token", "role", "scopes", "expires_at", "hours", "reason", "owner_email", "status",
    "permission", "quota_hourly", "quota_daily",
]  # fmt: skip
QUERY_KEYS = [
    "page", "per_page", "status", "q", "actor", "action", "target_type", "since", "until", "permission",
    "token", "confirm", "after", "limit", "organization_id",
]  # fmt: skip
INTERESTING = [
    "", " ", "owner", "admin", "agent", "viewer", "operator", "org.read", "org.delete", "members.manage",
    "UTC", "Europe/Lisbon", "Mars/Phobos", "../../etc/passwd", "\x00", "\u202e", "🙂" * 10, "null",
    "9999-12-31T23:59:59Z", "0001-01-01T00:00:00", "1970-01-01T00:00:00+14:00", "2024-02-30T10:00:00Z",
    "someone@example.com", "ÜNÏ@exämple.com", "a@b", "x" * 400 + "@example.com", "fdk_", "fdk_abc_def",
    "' OR 1=1 --", "%s%s%s", "{{7*7}}", "<script>alert(1)</script>", "1e309", "-0", "NaN",
    "all", "pending", "accepted", "revoked", "expired", "active", "suspended",
]  # fmt: skip
printable = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
unicode_text = st.text(max_size=60)
huge_text = st.sampled_from([2_000, 70_000, 400_000]).flatmap(
    lambda n: st.sampled_from(["x", "é", "🙂", "\u0301"]).map(lambda ch: ch * n)
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    unicode_text,
    st.sampled_from(INTERESTING),
)
json_values = st.recursive(
    scalars | huge_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(unicode_text, inner, max_size=4),
    max_leaves=8,
)
json_bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS) | unicode_text, json_values, max_size=6),
    json_values,
)
content_types = (
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=latin-1",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "application/xml",
            "",
            "*/*",
            "application/json; charset=does-not-exist",
        ]
    )
    | printable
)
raw_bodies = st.one_of(
    st.binary(max_size=300),
    unicode_text.map(str.encode),
    st.sampled_from([b"{", b"[]", b"null", b'{"a": NaN}', b'{"email": Infinity}', b"\xff\xfe\x00", b'"x"', b"1e999"]),
)


def path_values(t: Target) -> st.SearchStrategy[str]:
    return st.one_of(
        st.uuids().map(str),
        st.sampled_from(t.ids),
        printable,
        unicode_text,
        st.sampled_from(["0", "-1", "null", "..", ".", "%00", "9" * 60, "00000000-0000-0000-0000-000000000000"]),
    )


def fill(path: str, draw: Any, t: Target) -> str:
    names = [n for _, n, _, _ in string.Formatter().parse(path) if n]
    values = {n: urllib.parse.quote(draw(path_values(t)), safe="") or "x" for n in names}
    return path.format(**values)


# ---------------------------------------------------------------- the properties


@FUZZ
@given(data=st.data())
async def test_json_bodies_never_break_a_route(target: Target, data: st.DataObject) -> None:
    method, path = data.draw(st.sampled_from(target.body_routes), label="route")
    body = data.draw(json_bodies, label="body")
    url = fill(path, data.draw, target)
    r = await target.client.request(method, url, json=body, headers=target.owner.headers)
    check(r)


@FUZZ
@given(data=st.data())
async def test_raw_bodies_and_content_types(target: Target, data: st.DataObject) -> None:
    method, path = data.draw(st.sampled_from(target.body_routes), label="route")
    headers = {**target.owner.headers, "Content-Type": data.draw(content_types, label="content type")}
    r = await target.client.request(
        method, fill(path, data.draw, target), content=data.draw(raw_bodies, label="body"), headers=headers
    )
    check(r)


@FUZZ
@given(data=st.data())
async def test_query_parameters(target: Target, data: st.DataObject) -> None:
    method, path = data.draw(st.sampled_from(target.get_routes), label="route")
    params = data.draw(
        st.dictionaries(
            st.sampled_from(QUERY_KEYS) | printable,
            st.one_of(
                unicode_text, st.integers().map(str), st.sampled_from(INTERESTING), huge_text.map(lambda s: s[:1500])
            ),
            max_size=5,
        ),
        label="query",
    )
    r = await target.client.request(method, fill(path, data.draw, target), params=params, headers=target.owner.headers)
    check(r)


@FUZZ
@given(data=st.data())
async def test_random_paths_and_methods(target: Target, data: st.DataObject) -> None:
    _, path = data.draw(st.sampled_from(target.routes), label="route")
    method = data.draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]), label="method")
    url = fill(path, data.draw, target) + data.draw(st.sampled_from(["", "/", "/x", "//", "/%2e%2e", "?", "#"]))
    r = await target.client.request(method, url, headers=target.owner.headers)
    if method == "HEAD":  # no body to read: only the status is a property here
        assert r.status_code < 500, f"HEAD {url}: {r.status_code}"
        return
    check(r)


def forge(claims: dict[str, Any], key: str | None, alg: str = "HS256") -> str:
    """A JWT built by hand: PyJWT refuses to encode the malformed claims we want the server to see."""

    def b64(raw: bytes) -> bytes:
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    signing_input = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode()) + b"." + b64(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), signing_input, hashlib.sha256).digest() if key else b""
    return (signing_input + b"." + b64(signature)).decode()


def _claims(t: Target) -> st.SearchStrategy[dict[str, Any]]:
    now = int(time.time())
    weird = st.one_of(scalars, st.lists(scalars, max_size=2), st.dictionaries(printable, scalars, max_size=2))
    return st.fixed_dictionaries(
        {},
        optional={
            "iss": st.sampled_from(["frontdesk", "someone-else"]) | weird,
            "sub": st.sampled_from([t.owner.user_id, str(uuid.uuid4())]) | weird,
            "sid": st.uuids().map(str) | weird,
            "typ": st.sampled_from(["access", "refresh", "invite"]) | weird,
            "iat": st.sampled_from([now, now - 10**6, now + 10**6, 2**63]) | weird,
            "exp": st.sampled_from([now + 600, now - 600, 2**63, 10**20]) | weird,
            "email": st.sampled_from([t.owner.email]) | weird,
            "org": weird,
        },
    )


def authorizations(t: Target) -> st.SearchStrategy[dict[str, str]]:
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    signed = _claims(t).map(lambda c: forge(c, SECRET))
    unsigned = _claims(t).map(lambda c: forge(c, None, alg="none"))
    wrong_key = _claims(t).map(lambda c: forge(c, "another-key-entirely-0123456789abcdef"))
    expired = st.just(
        forge(
            {"iss": "frontdesk", "sub": t.owner.user_id, "sid": str(uuid.uuid4()), "typ": "access", "iat": 1, "exp": 2},
            SECRET,
        )
    )
    return st.one_of(
        printable.map(lambda s: {"Authorization": s}),
        printable.map(bearer),
        st.one_of(signed, unsigned, wrong_key, expired).map(bearer),
        printable.map(lambda s: {"X-API-Key": "fdk_" + s}),
        printable.map(lambda s: {"X-API-Key": s}),
        st.just({"X-API-Key": t.key[:-3] + "abc"}),
        printable.map(lambda s: {"Authorization": f"Bearer {t.owner.access_token}", "X-Organization-Id": s}),
        printable.map(lambda s: {"Cookie": f"fd_access={s}; fd_org={s}"}),
        st.just({"Authorization": f"Bearer {t.owner.access_token}", "Cookie": "fd_access=x"}),
    )


@FUZZ
@given(data=st.data())
async def test_authorization_headers(target: Target, data: st.DataObject) -> None:
    method, path = data.draw(st.sampled_from(target.routes), label="route")
    headers = data.draw(authorizations(target), label="headers")
    kwargs: dict[str, Any] = {"headers": headers}
    if method in ("POST", "PATCH", "PUT"):
        kwargs["json"] = data.draw(st.dictionaries(st.sampled_from(FIELDS), scalars, max_size=3), label="body")
    r = await target.client.request(method, fill(path, data.draw, target), **kwargs)
    check(r)


odd_numbers = st.one_of(
    st.sampled_from(["abc", "", "1e999", "NaN", [], {}, [1], True, None, 1e300, -(2**80), 2**80]),
    st.text(max_size=10),
    st.floats(allow_nan=False, allow_infinity=False),
)


@FUZZ
@given(exp=odd_numbers, iat=odd_numbers)
@example(exp="abc", iat=1)
@example(exp=4102444800, iat="abc")
async def test_our_own_signature_over_malformed_claims_is_still_refused_cleanly(
    target: Target, exp: Any, iat: Any
) -> None:
    """A token that carries our signature but claims of the wrong type must be a 401, never a 500.

    Only the signing key can mint these, so this is robustness rather than an attack; it also covers
    tokens from a future version of ours whose claims this version does not read the same way.
    """
    if not target.owner.extra.get("password_changed"):
        # With a changed password the issued-at time is read too.
        r = await target.client.post(
            "/api/v1/me/password",
            headers=target.owner.headers,
            json={"current_password": target.owner.password, "new_password": "a fresh password 123"},
        )
        assert r.status_code == 204, r.text
        target.owner.extra["password_changed"] = True
    claims = {"iss": "frontdesk", "sub": target.owner.user_id, "sid": str(uuid.uuid4()), "typ": "access"}
    token = forge({**claims, "exp": exp, "iat": iat}, SECRET)
    r = await target.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    check(r)
    if not (isinstance(exp, int) and not isinstance(exp, bool) and exp > time.time()):
        assert r.status_code == 401, r.text
