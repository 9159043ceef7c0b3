"""The operator's CORS list applies to the API, while the widget's routes answer for themselves."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"cors_origins": ["https://admin.example.com"]}


def _preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


async def test_api_follows_the_operator_list(client: httpx.AsyncClient) -> None:
    ok = await client.options("/api/v1/auth/login", headers=_preflight("https://admin.example.com"))
    assert ok.headers.get("access-control-allow-origin") == "https://admin.example.com"
    refused = await client.options("/api/v1/auth/login", headers=_preflight("https://evil.example"))
    assert "access-control-allow-origin" not in refused.headers


async def test_widget_routes_are_not_blocked_by_the_list(client: httpx.AsyncClient) -> None:
    r = await client.options("/api/v1/widget/some-token/session", headers=_preflight("https://shop.example"))
    assert r.text != "Disallowed CORS origin"
    script = await client.get("/widget.js", headers={"Origin": "https://shop.example"})
    assert script.status_code == 200
