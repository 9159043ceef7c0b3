"""Behind a trusted proxy, the client's address is the one the proxy saw, and sign-ins are audited with it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from frontdesk.kit.runtime import Runtime
from tests.conftest import Account, sign_up
from tests.review.test_identity_review import make_operator


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"trust_forwarded_for": True, "rate_limit_auth": "3/minute"}


async def test_forwarded_for_uses_the_address_the_proxy_saw(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime
) -> None:
    operator = await sign_up(client, org="Installation")
    await make_operator(runtime, operator)
    # Our proxy appends the address it saw; whatever comes before it is the client's to write.
    for n in range(3):
        r = await client.post(
            "/api/v1/auth/login",
            json={"email": owner.email, "password": owner.password},
            headers={"X-Forwarded-For": f"10.9.9.{n}, 203.0.113.7"},
        )
        assert r.status_code == 200, r.text
    refused = await client.post(
        "/api/v1/auth/login",
        json={"email": owner.email, "password": owner.password},
        headers={"X-Forwarded-For": "10.9.9.99, 203.0.113.7"},
    )
    # Three sign-ins used this address's budget: a new first entry buys nothing.
    assert refused.status_code == 429, refused.text

    events = await client.get(
        "/api/v1/operator/audit-events",
        params={"action": "auth.login"},
        headers={"Authorization": f"Bearer {operator.access_token}"},
    )
    assert events.status_code == 200, events.text
    # A successful sign-in is recorded too, with the address.
    ips = {e["ip"] for e in events.json()["items"] if e["actor_label"] == owner.email}
    assert ips == {"203.0.113.7"}
