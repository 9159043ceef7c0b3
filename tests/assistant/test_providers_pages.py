"""The AI providers settings pages: list, add, edit with a write-only key, test connection, budget, usage."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from frontdesk.assistant.provider_endpoints import router as api_router
from frontdesk.web.ai_providers_pages import router as pages_router
from tests.fakes.llm_servers import FakeLLM
from tests.web.conftest import WebClient

KEY = "sk-page-abcdefghijklmnopqrstu"
BASE = "/app/settings/ai-providers"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"ai_allow_private_base_urls": True}


@pytest.fixture(autouse=True)
def _mounted(app: Any) -> None:
    """Until the app registers these routers itself."""
    paths = {getattr(r, "path", "") for r in app.routes}
    if BASE not in paths:
        app.include_router(pages_router)
    if "/api/v1/ai/providers" not in paths:
        app.include_router(api_router)


@pytest.fixture
async def browser(app: Any) -> AsyncIterator[WebClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        web = WebClient(client)
        await web.register(org="Acme")
        yield web


@pytest.fixture
def fake_openai() -> Iterator[FakeLLM]:
    with FakeLLM("openai").running() as fake:
        yield fake


async def test_add_test_and_remove_a_provider_through_the_pages(browser: WebClient, fake_openai: FakeLLM) -> None:
    empty = await browser.get(BASE)
    assert empty.status_code == 200 and "No providers yet" in empty.text and "No model calls" in empty.text

    r = await browser.post(
        BASE,
        {
            "name": "OpenAI",
            "kind": "openai",
            "api_key": KEY,
            "base_url": fake_openai.base_url,
            "enabled": "1",
            "default_model": "gpt-4o",
            "max_retries": "1",
        },
    )
    assert r.status_code == 303, r.text
    edit_path = r.headers["location"]
    edit = await browser.get(edit_path)
    assert edit.status_code == 200 and "was added" in edit.text
    assert "stored encrypted (…rstu)" in edit.text and KEY not in edit.text

    r = await browser.post(edit_path + "/test")
    assert r.status_code == 303
    tested = await browser.get(edit_path)
    assert "answered in" in tested.text and "I&#39;m unable" in tested.text and KEY not in tested.text

    r = await browser.post(
        edit_path,
        {
            "name": "OpenAI main",
            "base_url": fake_openai.base_url,
            "enabled": "1",
            "default_model": "gpt-4o",
            "timeout_seconds": "12",
            "max_retries": "1",
        },
    )
    assert r.status_code == 303, r.text
    listing = await browser.get(BASE)
    assert "OpenAI main" in listing.text and KEY not in listing.text
    # The connection test's tokens are in the usage table.
    assert re.search(r"<td>openai</td>\s*<td>gpt-4o-2024-08-06</td>", listing.text)

    r = await browser.post(BASE + "/budget", {"monthly_budget_usd": "0.0001"})
    assert r.status_code == 303
    spent = await browser.get(BASE)
    assert "The budget is spent" in spent.text

    r = await browser.post(edit_path + "/delete")
    assert r.status_code == 303
    assert (await browser.get(edit_path)).status_code == 404


async def test_form_problems_are_shown_and_the_key_is_not_echoed(browser: WebClient, app: Any) -> None:
    app.state.runtime.settings.ai_allow_private_base_urls = False
    r = await browser.post(
        BASE, {"name": "Ollama", "kind": "compatible", "base_url": "http://127.0.0.1:11434/v1", "api_key": KEY}
    )
    assert r.status_code == 422
    assert "private or loopback" in r.text and KEY not in r.text
    r = await browser.post(BASE, {"name": "", "kind": "openai"})
    assert r.status_code == 422 and "There is a problem" in r.text
    r = await browser.post(BASE + "/budget", {"monthly_budget_usd": "-3"})
    assert r.status_code == 422


async def test_people_without_the_permission_are_refused(app: Any) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c1:
        owner = WebClient(c1)
        await owner.register(org="Acme")
        link = await owner.invite("agent-ai@example.com", "agent")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c2:
            agent = WebClient(c2)
            token = httpx.URL(link).params["token"]
            await agent.get(f"/accept-invite?token={token}")
            r = await agent.post(
                "/accept-invite",
                {
                    "token": token,
                    "name": "Agent",
                    "password": "correct horse battery",
                    "password_confirm": "correct horse battery",
                },
            )
            assert r.status_code == 303, r.text
            assert (await agent.get(BASE)).status_code == 403
            assert (await agent.post(BASE, {"name": "x", "kind": "openai"})).status_code == 403
