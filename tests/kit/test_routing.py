"""The prefix index picks the same route FastAPI's own linear walk would."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Match

from frontdesk.kit.routing import IndexedRouter


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _linear(app: FastAPI, scope: dict[str, Any]) -> Any:
    partial = None
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_route_is_found_as_the_linear_walk_finds_it(app: FastAPI) -> None:
    router = app.router
    assert isinstance(router, IndexedRouter)
    checked = 0
    for route in list(router.routes):
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            continue
        methods = sorted(getattr(route, "methods", None) or {"GET"})
        kind = "websocket" if "websocket" in type(route).__name__.lower() else "http"
        for method in methods:
            url = _concrete(path) if path else "/"
            scope = {"type": kind, "path": url, "root_path": "", "method": method, "headers": []}
            expected = _linear(app, scope)
            got = next(
                (r for r in router._candidates(url) if r.matches(scope)[0] is not Match.NONE),
                None,
            )
            full = next((r for r in router._candidates(url) if r.matches(scope)[0] is Match.FULL), None)
            assert (full or got) is expected, f"{method} {url}"
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_misses_fall_back_to_the_stock_answers(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    wrong_method = await client.delete("/api/v1/me")
    assert wrong_method.status_code == 405
    static = await client.get("/static/favicon.svg")
    assert static.status_code == 200 and static.headers["content-type"].startswith("image/svg")
    health = await client.get("/health")
    assert health.status_code == 200
