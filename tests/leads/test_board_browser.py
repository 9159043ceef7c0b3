"""The lead board and exports in headless Chromium: drag a card to another column, move one with the
keyboard form, and watch an export's progress turn into a download link; CSP and our modules included."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import ConsoleMessage, async_playwright, expect

from tests.conftest import sign_up

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture
def backend() -> str:
    """The page is the same on both databases; the HTTP tests cover both."""
    return "sqlite"


async def test_board_drag_keyboard_and_export_progress(live_server: str, client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, org="Board Co")
    ids = {}
    for name in ("Xena Drag", "Yuri Keys"):
        r = await client.post("/api/v1/leads", headers=owner.headers, json={"name": name})
        ids[name] = r.json()["id"]
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(15_000)
            page.on("console", on_console)
            await page.goto(f"{live_server}/login?next=/app/leads")
            await page.get_by_label("Email").fill(owner.email)
            await page.get_by_label("Password").fill(owner.password)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Leads")

            # Drag Xena from New to Qualified: the card moves, the API agrees, the live region says so.
            # (Playwright's drag_to presses the card's centre, where its menu is; a person grabs the edge.)
            card = page.locator(f'[data-lead-id="{ids["Xena Drag"]}"]')
            qualified = page.locator('.lead-column[data-status="qualified"]')
            box = await card.bounding_box()
            target = await qualified.bounding_box()
            assert box and target
            await page.mouse.move(box["x"] + 6, box["y"] + 4)
            await page.mouse.down()
            await page.mouse.move(box["x"] + 30, box["y"] + 30, steps=5)
            await page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 60, steps=10)
            await page.mouse.move(target["x"] + target["width"] / 2 + 2, target["y"] + 62)
            await page.mouse.up()
            await expect(page.locator("[data-board-status]")).to_have_text("Moved to Qualified.")
            await expect(qualified.locator(f'[data-lead-id="{ids["Xena Drag"]}"]')).to_be_visible()
            await expect(qualified.locator("[data-count]")).to_have_text("1")
            lead = (await client.get(f"/api/v1/leads/{ids['Xena Drag']}", headers=owner.headers)).json()
            assert lead["status"] == "qualified"

            # Without dragging: the card's own menu and button.
            yuri = page.locator(f'[data-lead-id="{ids["Yuri Keys"]}"]')
            await yuri.get_by_label("Move Yuri Keys to").select_option("won")
            await yuri.get_by_role("button", name="Move").click()
            await expect(page.locator(".flashes")).to_contain_text("Lead moved.")
            won = page.locator('.lead-column[data-status="won"]')
            await expect(won.locator(f'[data-lead-id="{ids["Yuri Keys"]}"]')).to_be_visible()

            # An export: its row shows progress and becomes a download link by itself.
            await page.goto(f"{live_server}/app/leads/exports")
            await page.get_by_role("button", name="Export").click()
            link = page.locator("[data-export-progress] a[download]")
            await expect(link).to_have_count(1)
            await expect(link).to_have_text(re.compile(r"^leads-.*\.xlsx$"))
            href = await link.get_attribute("href")
            assert href is not None and href.startswith("/api/v1/lead-exports/")
        finally:
            await browser.close()
    assert problems == [], problems
