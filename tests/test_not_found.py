"""Unknown addresses: a page for people's browsers, JSON for API clients."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def test_unknown_app_page_is_html(client: httpx.AsyncClient) -> None:
    r = await client.get("/app/no-such-page", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "Page not found" in r.text


async def test_unknown_api_path_is_json(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
