"""One walk through the settings area in real headless Chromium, CSP and our ES modules included."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import ConsoleMessage, Dialog, async_playwright, expect

from tests.conftest import sign_up

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = "/tmp/frontdesk-settings.png"
PASSWORD = "correct horse battery"


@pytest.fixture
def backend() -> str:
    """The pages are the same on both databases (the HTTP tests cover both); one browser run is enough."""
    return "sqlite"


async def test_register_key_invite_audit_and_switch(live_server: str, client: httpx.AsyncClient) -> None:
    email = f"ann-{uuid.uuid4().hex[:8]}@example.com"
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A Content-Security-Policy violation or a broken module shows up here.
        if message.type == "error":
            problems.append(message.text)

    async def on_dialog(dialog: Dialog) -> None:
        await dialog.accept()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(10_000)
            page.on("console", on_console)
            page.on("dialog", on_dialog)

            # Register: lands on the home page of the new organization.
            await page.goto(f"{live_server}/register")
            await page.get_by_label("Your name").fill("Ann Owner")
            await page.get_by_label("Email").fill(email)
            await page.get_by_label("Password", exact=True).fill(PASSWORD)
            await page.get_by_label("Repeat the password").fill(PASSWORD)
            await page.get_by_label("Organization name").fill("Acme")
            await page.get_by_role("button", name="Create account").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Acme")
            await expect(page.get_by_role("status").first).to_contain_text("Acme is ready")

            # Create an API key: the whole key is shown once, with a working copy button.
            nav = page.get_by_role("navigation", name="Settings")
            await nav.get_by_role("link", name="API keys").click()
            await page.get_by_label("Name", exact=True).fill("CRM sync")
            await page.get_by_role("button", name="Select all").click()
            await page.get_by_role("button", name="Create key").click()
            secret = page.get_by_role("textbox", name="API key", exact=True)
            await expect(secret).to_have_value(re.compile(r"^fdk_[0-9a-f]{8}_"))
            key = await secret.input_value()
            assert key.startswith("fdk_")
            copy = page.get_by_role("button", name="Copy")
            await expect(copy).to_be_visible()  # revealed by our module
            await copy.click()
            await expect(page.locator("[data-copy-status]")).not_to_be_empty()
            await page.reload()
            await expect(page.get_by_role("textbox", name="API key", exact=True)).to_have_count(0)
            await expect(page.get_by_role("row", name="CRM sync")).to_contain_text("active")

            # Invite someone: the accept link is shown once.
            await nav.get_by_role("link", name="Invitations").click()
            await page.get_by_label("Email", exact=True).fill("pat@example.com")
            await page.get_by_label("Role", exact=True).select_option("agent")
            await page.get_by_role("button", name="Send invitation").click()
            link = await page.get_by_role("textbox", name="Invitation link").input_value()
            assert "/accept-invite?token=" in link
            await expect(page.get_by_role("row", name="pat@example.com")).to_contain_text("pending")

            # The audit log shows both changes.
            await nav.get_by_role("link", name="Audit log").click()
            table = page.get_by_role("region", name="Audit events")
            await expect(table).to_contain_text("apikey.created")
            await expect(table).to_contain_text("invitation.created")
            await page.get_by_label("Action", exact=True).fill("apikey.")
            await page.get_by_role("button", name="Apply filters").click()
            await expect(page.get_by_text("Showing 1 to 1 of 1 event")).to_be_visible()

            # Someone else's organization invites Ann; she joins it and switches between the two.
            globex = await sign_up(client, org="Globex")
            r = await client.post("/api/v1/invitations", headers=globex.headers, json={"email": email, "role": "admin"})
            assert r.status_code == 201, r.text
            await page.goto(f"{live_server}/accept-invite?token={r.json()['token']}")
            await expect(page.get_by_text(f"You are signed in as {email}")).to_be_visible()
            await page.get_by_role("button", name="Join Globex").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Globex")
            switcher = page.get_by_label("Organization", exact=True)
            await switcher.select_option(label="Acme")
            await page.get_by_role("button", name="Switch").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Acme")
            await page.get_by_label("Organization", exact=True).select_option(label="Globex")
            await page.get_by_role("button", name="Switch").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Globex")

            await nav.get_by_role("link", name="Members").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Members")
            await page.screenshot(path=SCREENSHOT, full_page=True)

            # The same page at a phone's width keeps every control reachable.
            await page.set_viewport_size({"width": 375, "height": 800})
            await page.goto(f"{live_server}/app/settings/api-keys")
            await expect(page.get_by_role("button", name="Create key")).to_be_visible()
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, width
            await page.screenshot(path="/tmp/frontdesk-settings-375.png", full_page=True)
        finally:
            await browser.close()
    assert problems == []
