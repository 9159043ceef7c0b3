"""Helpers for the page tests: a cookie-keeping client that fills in the CSRF field like our forms do."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

PASSWORD = "correct horse battery"


class WebClient:
    """One person's browser: its own cookie jar, and form posts that carry the page's CSRF token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    async def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            if "fd_csrf" not in self.http.cookies:
                await self.http.get("/login")
            form.setdefault("csrf_token", self.http.cookies.get("fd_csrf"))
        return await self.http.post(path, data=form)

    async def register(self, *, org: str = "Acme", name: str = "Ann Owner", email: str | None = None) -> str:
        email = email or f"{uuid.uuid4().hex[:10]}@example.com"
        r = await self.post(
            "/register",
            {
                "name": name,
                "email": email,
                "password": PASSWORD,
                "password_confirm": PASSWORD,
                "organization_name": org,
                "timezone": "UTC",
            },
        )
        assert r.status_code == 303, r.text
        return email

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        r = await self.post("/login", {"email": email, "password": password})
        assert r.status_code == 303, r.text
        return r

    async def invite(self, email: str, role: str) -> str:
        """Invite through the page and return the accept link it shows once."""
        r = await self.post("/app/settings/invitations", {"email": email, "role": role})
        assert r.status_code == 303, r.text
        page = await self.get("/app/settings/invitations")
        link = secret_value(page.text)
        assert link is not None, page.text
        return link


def secret_value(text: str) -> str | None:
    found = re.search(r'class="secret-value"[^>]*value="([^"]*)"', text)
    return html.unescape(found.group(1)) if found else None


def path_of(url: str) -> str:
    parsed = httpx.URL(url)
    return parsed.raw_path.decode()


@pytest.fixture
async def web(app: Any) -> AsyncIterator[Callable[[], Awaitable[WebClient]]]:
    """Make as many separate browsers as a test needs."""
    clients: list[httpx.AsyncClient] = []

    async def make() -> WebClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(client)
        return WebClient(client)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def owner_web(web: Callable[[], Awaitable[WebClient]]) -> WebClient:
    browser = await web()
    await browser.register(org="Acme", name="Ann Owner")
    return browser


async def join_as(
    web: Callable[[], Awaitable[WebClient]], inviter: WebClient, role: str, *, name: str | None = None
) -> tuple[WebClient, str]:
    """A new person accepts ``inviter``'s invitation in their own browser, with ``role``."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    link = await inviter.invite(email, role)
    browser = await web()
    token = httpx.URL(link).params["token"]
    r = await browser.get(f"/accept-invite?token={token}")
    assert r.status_code == 200, r.text
    r = await browser.post(
        "/accept-invite",
        {"token": token, "name": name or role.title(), "password": PASSWORD, "password_confirm": PASSWORD},
    )
    assert r.status_code == 303, r.text
    return browser, email
