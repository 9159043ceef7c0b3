"""Copilot, the staff assistant and the playground in a real Chromium, with the offline model.

An agent finds the assistant's draft in the inbox, edits it and sends it; asks the staff assistant
for a chart; and plays the customer in the playground, editing a message to answer it again.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from frontdesk.app import create_app
from frontdesk.config import Settings
from frontdesk.kit.clock import Clock
from frontdesk.kit.runtime import Runtime
from tests.assistant.copilot_fixtures import add_article, add_routes
from tests.conftest import Account
from tests.conversations.helpers import customer_writes, make_inbox
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_inbox_browser import Watch


@pytest.fixture
async def app(settings: Settings, clock: Clock | None) -> Any:
    application = create_app(settings, clock=clock)
    add_routes(application)
    async with application.router.lifespan_context(application):
        yield application


async def test_copilot_staff_assistant_and_playground(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, live_server: str
) -> None:
    await add_article(
        client,
        owner,
        "Opening hours",
        "We are open from 9:00 to 17:00, Monday to Friday.",
        ["What are your opening hours?", "When are you open?"],
    )
    inbox_id = await make_inbox(runtime, owner, copilot=True, name="Copilot desk")
    customer = await customer_writes(
        runtime, inbox_id, f"visitor-{uuid.uuid4().hex[:6]}", "What are your opening hours?", name="Robin Visitor"
    )
    watch = Watch()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(15_000)
            watch.attach(page, "owner")
            await page.goto(f"{live_server}/login?next=/app/inbox/{customer.conversation_id}")
            await page.get_by_label("Email").fill(owner.email)
            await page.get_by_label("Password").fill(owner.password)
            await page.get_by_role("button", name="Sign in").click()

            # The draft the assistant wrote appears in the Copilot panel; the agent edits and sends it.
            draft = page.get_by_label("The assistant's draft")
            await expect(draft).not_to_have_value("")
            await page.screenshot(path="/tmp/copilot-inbox.png")
            text = (await draft.input_value()) + " See you soon!"
            await draft.fill(text)
            await page.get_by_role("button", name="Approve and send").click()
            await expect(page.locator("#copilot-panel")).to_contain_text("Sent.")
            await expect(page.locator("#timeline")).to_contain_text("See you soon!")
            r = await client.get(f"/api/v1/conversations/{customer.conversation_id}/messages", headers=owner.headers)
            sent = [m["content"] for m in r.json()["items"] if m["sender_type"] == "agent"]
            assert sent == [text]

            # The staff assistant draws a chart (SVG from the server) next to its answer.
            await page.goto(f"{live_server}/app/staff-assistant")
            await page.get_by_label("Your question").fill("How many conversations per day in the last 7 days?")
            await page.get_by_role("button", name="Ask").click()
            chart = page.locator("#staff-answers svg[role=img]").first
            await expect(chart).to_be_visible()
            await expect(page.locator("#staff-answers table").first).to_contain_text("Conversations")

            # The playground: ask, see how it answered, edit the question and get a new answer.
            await page.goto(f"{live_server}/app/playground")
            await page.get_by_label("Write as the customer").fill("When are you open?")
            await page.get_by_role("button", name="Send", exact=True).click()
            turns = page.locator("#play-turns > li")
            await expect(turns).to_have_count(2)
            await expect(turns.nth(1)).to_contain_text("Confidence")
            await page.get_by_role("button", name="Edit message 1 (Customer)").click()
            await page.get_by_label("New text of message 1").fill("hello")
            await page.get_by_role("button", name="Save and answer again").click()
            await expect(turns.first).to_contain_text("hello")
            await expect(turns).to_have_count(2)
            await page.screenshot(path="/tmp/playground.png", full_page=True)
        finally:
            await browser.close()
    assert watch.problems == []
