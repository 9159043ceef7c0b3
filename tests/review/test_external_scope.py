"""A host application's token speaks for one tenant and one role, never for more the person holds here."""

from __future__ import annotations

import httpx

from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.runtime import Runtime
from tests.auth.test_external import (  # noqa: F401  (fixtures, used by name)
    claims,
    clock,
    mode,
    provider,
    provider_host,
    settings_overrides,
)
from tests.conftest import sign_up
from tests.fixtures.fake_oidc import FakeProvider
from tests.review.test_identity_review import make_operator


async def test_a_host_token_linked_to_an_operator_carries_neither_operator_power_nor_other_tenants(
    client: httpx.AsyncClient,
    provider: FakeProvider,  # noqa: F811
    clock: FrozenClock,  # noqa: F811
    runtime: Runtime,
) -> None:
    # A local operator who also owns a shop; the host application's user claims that address
    # without saying it is verified, which links the accounts.
    local = await sign_up(client, org="Own Shop", email="ops@host.example")
    await make_operator(runtime, local)
    local_bearer = {"Authorization": f"Bearer {local.access_token}"}
    assert (await client.get("/api/v1/operator/organizations", headers=local_bearer)).status_code == 200

    host = {"Authorization": f"Bearer {provider.mint(claims(clock, email='ops@host.example', role='viewer'))}"}
    me = await client.get("/api/v1/me", headers=host)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == local.user_id

    refused = await client.get("/api/v1/operator/organizations", headers=host)
    assert refused.status_code == 403 and refused.json()["code"] == "operator_required"
    # The shop the person owns is out of reach of the host's token, even when named.
    other = await client.get("/api/v1/organization", headers={**host, "X-Organization-Id": local.organization_id})
    assert other.json()["name"] == "Tenant Forty-Two"
    assert (await client.get("/api/v1/members", headers=host)).status_code == 200
    # The person's own password session keeps everything it had.
    assert (await client.get("/api/v1/operator/organizations", headers=local_bearer)).status_code == 200
