"""The whole assistant flow in a real Chromium, with no API key: the offline model answers from the
knowledge base (with its source), and asking for a person brings in the team."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from frontdesk.authz.service import require
from frontdesk.authz.subject import AuthSubject
from frontdesk.demo import add_demo_content
from frontdesk.inboxes import service as inboxes
from frontdesk.inboxes.schemas import InboxCreate
from frontdesk.kit.db import transaction
from tests.conftest import Account
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS


@pytest.mark.browser
async def test_the_offline_assistant_answers_and_hands_over(
    client: httpx.AsyncClient, owner: Account, runtime: Any, live_server: str
) -> None:
    org = uuid.UUID(owner.organization_id)
    subject = AuthSubject(
        kind="user",
        label=owner.email,
        user_id=uuid.UUID(owner.user_id),
        memberships={org: "owner"},
        organization_id=org,
    )
    async with transaction(runtime.sessionmaker) as session:
        inbox = await inboxes.create_inbox(
            session,
            require(subject, "inboxes.manage"),
            subject,
            InboxCreate(name="Corner Bakery", channel="web", greeting="Hi! Ask us anything."),
        )
        await add_demo_content(session, subject, inbox.id)
        token = inbox.public_token

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 760})
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{live_server}/widget/demo?inbox={token}")
            await page.get_by_role("button", name="Open chat").click()
            log = page.get_by_role("log", name="Messages")
            await expect(log).to_contain_text("Hi! Ask us anything.")
            box = page.get_by_role("textbox", name="Message")

            await box.fill("How much does delivery cost?")
            await box.press("Enter")
            answer = log.locator(".row.theirs").last
            await expect(answer).to_contain_text("delivery costs 3 EUR")
            await expect(answer.locator(".sources")).to_have_text("Source: Delivery")

            await box.fill("I want to talk to a real person please")
            await box.press("Enter")
            await expect(log).to_contain_text("bringing in a member of our team")
            assert errors == []
        finally:
            await browser.close()

    listing = await client.get("/api/v1/conversations", headers=owner.headers, params={"status": "pending"})
    item = listing.json()["items"][0]
    timeline = (await client.get(f"/api/v1/conversations/{item['id']}/messages", headers=owner.headers)).json()
    question = next(m for m in timeline["items"] if m["content"] == "How much does delivery cost?")
    reply = next(m for m in timeline["items"] if m["sender_type"] == "assistant")
    # The inbox shows why: the customer's intent and the confidence, and the answer's sources.
    assert question["ai"]["intent"] and question["ai"]["confidence"] >= 0.5
    assert [s["title"] for s in reply["ai"]["sources"]] == ["Delivery"]
