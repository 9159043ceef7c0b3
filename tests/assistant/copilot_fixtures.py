"""Shared by the copilot, playground, staff-assistant and files tests.

``app_with_copilot`` makes sure the app serves these routes even before they are registered in
``app.py`` (it adds only what is missing, so it is a no-op once they are).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

import frontdesk.assistant.playground_tasks  # noqa: F401  (registers the batch job)
from frontdesk.assistant import copilot_endpoints, files_endpoints, playground_endpoints, staff_endpoints
from frontdesk.web import copilot_pages, playground_pages, staff_assistant_pages
from tests.conftest import Account

ROUTERS = [
    copilot_endpoints.router,
    playground_endpoints.router,
    staff_endpoints.router,
    files_endpoints.router,
    copilot_pages.router,
    playground_pages.router,
    staff_assistant_pages.router,
]


def add_routes(application: Any) -> None:
    present = {
        (getattr(r, "path", None), tuple(sorted(getattr(r, "methods", None) or []))) for r in application.router.routes
    }
    for router in ROUTERS:
        for route in router.routes:
            key = (getattr(route, "path", None), tuple(sorted(getattr(route, "methods", None) or [])))
            if key not in present:
                application.router.routes.append(route)


async def add_article(client: httpx.AsyncClient, account: Account, title: str, body: str, questions: list[str]) -> str:
    r = await client.post(
        "/api/v1/knowledge/collections", headers=account.headers, json={"name": f"FAQ {uuid.uuid4().hex[:6]}"}
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/knowledge/articles",
        headers=account.headers,
        json={"collection_id": r.json()["id"], "title": title, "body": body, "example_questions": questions},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def sign_in_browser(client: httpx.AsyncClient, account: Account) -> None:
    """Give ``client`` the account's session cookies, through the sign-in form with its CSRF token."""
    await client.get("/login")
    r = await client.post(
        "/login",
        data={"email": account.email, "password": account.password, "csrf_token": client.cookies.get("fd_csrf")},
    )
    assert r.status_code == 303, r.text


def csrf_form(client: httpx.AsyncClient, **fields: str) -> dict[str, str]:
    return {**fields, "csrf_token": client.cookies.get("fd_csrf") or ""}
