"""CORS: only the configured origins may call the API from a browser."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Account

ALLOWED = "https://shop.example.com"
REFUSED = "https://evil.example.net"


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization, x-organization-id",
    }


class TestConfiguredOrigins:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"cors_origins": [ALLOWED]}

    async def test_allowed_origin_passes_preflight_and_reads_responses(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        pre = await client.options("/api/v1/me", headers=_preflight(ALLOWED))
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == ALLOWED
        assert pre.headers["access-control-allow-credentials"] == "true"
        assert "authorization" in pre.headers["access-control-allow-headers"].lower()
        r = await client.get("/api/v1/me", headers={**owner.headers, "Origin": ALLOWED})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == ALLOWED
        # Scripts on the allowed origin may read the id to quote it in a support request.
        assert "x-request-id" in r.headers["access-control-expose-headers"].lower()

    async def test_other_origin_is_refused(self, client: httpx.AsyncClient, owner: Account) -> None:
        pre = await client.options("/api/v1/me", headers=_preflight(REFUSED))
        assert pre.status_code == 400
        assert "access-control-allow-origin" not in pre.headers
        r = await client.get("/api/v1/me", headers={**owner.headers, "Origin": REFUSED})
        # The server answers, but without the header the browser hides the answer from the script.
        assert "access-control-allow-origin" not in r.headers


async def test_no_origin_is_allowed_by_default(client: httpx.AsyncClient) -> None:
    pre = await client.options("/api/v1/me", headers=_preflight(ALLOWED))
    assert "access-control-allow-origin" not in pre.headers
    r = await client.get("/health", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in r.headers
