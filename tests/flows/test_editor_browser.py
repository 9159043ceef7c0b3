"""The flow editor in a real Chromium: build a flow on the canvas, publish it, chat with it."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from tests.conftest import Account
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def backend() -> str:
    return "sqlite"  # what this proves is the page; the HTTP suites cover both databases


async def test_build_publish_and_test_run_in_the_editor(
    client: httpx.AsyncClient, owner: Account, live_server: str
) -> None:
    r = await client.post("/api/v1/flows", headers=owner.headers, json={"name": "Drawn by hand"})
    flow_id = r.json()["id"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{live_server}/login?next=/app/flows/{flow_id}")
            await page.get_by_label("Email").fill(owner.email)
            await page.get_by_label("Password").fill(owner.password)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.locator("#flow-canvas")).to_be_visible()

            await page.select_option("#flow-add-type", "ask")
            await page.get_by_role("button", name="Add node").click()
            await page.locator("#f-question").fill("What's your name?")
            await page.locator("#f-question").dispatch_event("change")
            await page.select_option("#flow-add-type", "end")
            await page.get_by_role("button", name="Add node").click()
            await page.locator("#f-message").fill("Nice to meet you, {{state.name}}!")
            await page.locator("#f-message").dispatch_event("change")

            # Connect: drag from the ask's "next" exit onto the end node.
            port = page.locator("circle.flow-port.port-next").first
            target = page.locator('g.flow-node[data-node="end_2"] rect')
            a, b = await port.bounding_box(), await target.bounding_box()
            assert a and b
            await page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
            await page.mouse.down()
            await page.mouse.move(b["x"] + 40, b["y"] + 20, steps=8)
            await page.mouse.up()
            await expect(page.locator("path.flow-edge")).to_have_count(1)

            await page.get_by_role("button", name="Publish").click()
            await expect(page.locator("#flow-status")).to_contain_text("Published version 1")
            await page.wait_for_load_state("load")
            await expect(page.locator("#flow-versions")).to_contain_text("Version 1")

            await page.get_by_role("button", name="Test run").click()
            await expect(page.locator("#flow-chat")).to_contain_text("What's your name?")
            await page.locator("#flow-test-input").fill("Grace")
            await page.locator("#flow-test-form button").click()
            await expect(page.locator("#flow-chat")).to_contain_text("Nice to meet you, Grace!")
            await expect(page.locator("#flow-state")).to_contain_text('"name": "Grace"')
            assert errors == []
        finally:
            await browser.close()
    version = (await client.get(f"/api/v1/flows/{flow_id}/versions/1", headers=owner.headers)).json()
    assert version["graph"]["edges"] == [{"source": "ask_1", "target": "end_2", "port": "next"}]
