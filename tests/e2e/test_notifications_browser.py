"""An agent's notification bell in a real Chromium: an assignment and a mention arrive live.

One tab is on the settings home (the bell's own socket), one on the inbox (the inbox's socket), so
both ways a page hears notifications are exercised; the background tab gets a browser pop-up.
"""

from __future__ import annotations

import re

import httpx
from playwright.async_api import async_playwright, expect

from tests.conftest import Account
from tests.conversations.helpers import customer_writes, join_named, make_inbox
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

# Grants the Notification permission and records pop-ups, since headless Chromium shows none.
RECORD_POPUPS = """
window.__popups = [];
class FakeNotification {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__popups.push({ title, body: (options || {}).body || "" }); }
  addEventListener() {}
  close() {}
}
window.Notification = FakeNotification;
Object.defineProperty(document, "visibilityState", { get: () => window.__hidden ? "hidden" : "visible" });
"""


async def test_assignment_and_mention_arrive_live(
    client: httpx.AsyncClient, runtime: object, owner: Account, live_server: str
) -> None:
    agent = await join_named(client, owner, "agent", "Dana Reyes")
    inbox = await make_inbox(runtime, owner, assistant_enabled=False)  # type: ignore[arg-type]
    conv = (await customer_writes(runtime, inbox, "shopper", "Is my order shipped?")).conversation_id  # type: ignore[arg-type]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 800})
            await context.add_init_script(RECORD_POPUPS)
            page = await context.new_page()
            page.set_default_timeout(10_000)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{live_server}/login?next=/app")
            await page.get_by_label("Email").fill(agent.email)
            await page.get_by_label("Password").fill(agent.password)
            await page.get_by_role("button", name="Sign in").click()
            bell = page.locator("[data-notification-bell]")
            await expect(bell).to_be_visible()
            r = await client.get("/api/v1/notifications/unread-count", headers=agent.headers)
            start = int(r.json()["unread"])  # the new conversation already told the agent it waits
            await expect(bell).to_have_attribute("data-unread", str(start))
            inbox_tab = await context.new_page()
            await inbox_tab.goto(f"{live_server}/app/inbox")
            await expect(inbox_tab.locator("#main")).to_have_attribute("data-connection", "live")
            await page.evaluate("window.__hidden = true")  # the first tab goes to the background

            r = await client.patch(
                f"/api/v1/conversations/{conv}", headers=owner.headers, json={"assignee_id": agent.user_id}
            )
            assert r.status_code == 200, r.text
            await expect(bell).to_have_attribute("data-unread", str(start + 1))
            await expect(inbox_tab.locator("[data-notification-bell]")).to_have_attribute("data-unread", str(start + 1))
            await expect(page.locator("[data-notification-live]")).to_contain_text("assigned to you")
            popups = await page.evaluate("window.__popups")
            assert popups and popups[-1]["title"] == "A conversation was assigned to you"

            note = {"content": f"@{agent.email.split('@')[0]} the customer is a regular, be kind", "private": True}
            r = await client.post(f"/api/v1/conversations/{conv}/messages", headers=owner.headers, json=note)
            assert r.status_code == 201, r.text
            await expect(bell).to_have_attribute("data-unread", str(start + 2))
            await expect(bell).to_have_accessible_name(f"Notifications, {start + 2} unread")

            await page.evaluate("window.__hidden = false")
            await bell.click()
            await expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
            await expect(page.get_by_role("link", name=re.compile("mentioned you in a note"))).to_be_visible()
            await page.get_by_role("button", name="Mark all read").click()
            await expect(page.get_by_text("You are all caught up")).to_be_visible()
            # The other tab hears that everything was read.
            await expect(inbox_tab.locator("[data-notification-bell]")).to_have_attribute("data-unread", "0")
            assert errors == []
        finally:
            await browser.close()
