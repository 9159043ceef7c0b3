"""The API documents itself: every route is tagged and described, and the docs page serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from frontdesk.app import create_app
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Built, never started: documentation needs neither a database nor workers."""
    tmp = tmp_path_factory.mktemp("openapi")
    return create_app(make_settings(f"sqlite+aiosqlite:///{tmp / 'x.db'}", Path(tmp)), start_background=False)


def api_routes(app: Any) -> list[Any]:
    """Every API route as mounted, with the tags and prefix its routers gave it.

    FastAPI keeps included routers nested in ``app.routes``; ``iter_route_contexts`` flattens them
    into the effective routes (older FastAPI flattened ``app.routes`` itself)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [ctx for ctx in iter_route_contexts(app.routes) if isinstance(ctx.original_route, APIRoute)]


def _where(route: Any) -> str:
    fn = route.endpoint
    return f"{','.join(sorted(route.methods))} {route.path} ({fn.__module__}.{fn.__qualname__})"


def test_every_route_is_tagged_and_described(built_app: Any) -> None:
    declared = {tag["name"] for tag in built_app.openapi_tags or []}
    routes = api_routes(built_app)
    # Guard against a vacuous pass should the way routes are exposed change again.
    assert {r.path for r in routes} >= {"/api/v1/me", "/health", "/health/ready", "/metrics"}
    untagged, undescribed, undeclared = [], [], []
    for route in routes:
        if not route.include_in_schema:
            continue
        if not route.tags:
            untagged.append(_where(route))
        if not (route.summary or route.description or (route.endpoint.__doc__ or "").strip()):
            undescribed.append(_where(route))
        undeclared.extend(f"{_where(route)}: tag {tag!r}" for tag in route.tags if tag not in declared)
    problems = []
    if untagged:
        problems.append("Routes without tags (add tags=[...] to the APIRouter):\n  " + "\n  ".join(untagged))
    if undescribed:
        problems.append("Routes without a summary or docstring:\n  " + "\n  ".join(undescribed))
    if undeclared:
        problems.append("Tags missing from TAGS in app.py (give them a description):\n  " + "\n  ".join(undeclared))
    assert not problems, "\n".join(problems)


def test_operation_ids_are_unique(built_app: Any) -> None:
    seen: dict[str, str] = {}
    duplicates = []
    for path, item in built_app.openapi()["paths"].items():
        for method, operation in item.items():
            op_id = operation["operationId"]
            if op_id in seen:
                duplicates.append(f"{op_id}: {seen[op_id]} and {method.upper()} {path}")
            seen[op_id] = f"{method.upper()} {path}"
    assert not duplicates, "Handlers sharing a name make clashing client methods:\n  " + "\n  ".join(duplicates)


async def test_docs_and_schema_are_served(client: httpx.AsyncClient) -> None:
    schema = await client.get("/openapi.json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["info"]["title"] == "Frontdesk"
    assert "/api/v1/me" in body["paths"]
    assert "/health/ready" in body["paths"]
    assert {tag["name"] for tag in body["tags"]} >= {"auth", "system"}
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "/openapi.json" in docs.text
