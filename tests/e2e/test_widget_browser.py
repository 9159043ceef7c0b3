"""A visitor on a phone-sized screen chats through the real widget on the demo page."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy import select

from frontdesk.authz.service import require
from frontdesk.authz.subject import AuthSubject
from frontdesk.conversations import service as conversations
from frontdesk.conversations.models import Conversation, CsatRating
from frontdesk.inboxes import service as inboxes
from frontdesk.inboxes.schemas import InboxCreate
from frontdesk.kit.db import transaction
from frontdesk.messages.service import add_message
from tests.conftest import Account
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

XSS = "<img src=x onerror=alert(1)>"
SCREENSHOT = "/tmp/widget.png"


def _owner_subject(owner: Account) -> AuthSubject:
    org = uuid.UUID(owner.organization_id)
    return AuthSubject(
        kind="user",
        label=owner.email,
        user_id=uuid.UUID(owner.user_id),
        memberships={org: "owner"},
        organization_id=org,
    )


@pytest.mark.browser
async def test_visitor_chats_through_the_widget(
    client: httpx.AsyncClient, owner: Account, runtime: Any, live_server: str
) -> None:
    subject = _owner_subject(owner)
    async with transaction(runtime.sessionmaker) as session:
        inbox = await inboxes.create_inbox(
            session,
            require(subject, "inboxes.manage"),
            subject,
            InboxCreate(
                name="Northwind Bakery", channel="web", greeting="Hello! Ask us anything.", widget_color="#8a4b2a"
            ),
        )
        token, inbox_id = inbox.public_token, inbox.id

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 375, "height": 720})
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            await page.goto(f"{live_server}/widget/demo?inbox={token}")
            launcher = page.get_by_role("button", name="Open chat")
            await launcher.click()
            # On a phone the chat takes the whole screen, launcher included.
            await expect(page.get_by_role("dialog", name="Northwind Bakery")).to_be_visible()
            await expect(launcher).to_be_hidden()
            log = page.get_by_role("log", name="Messages")
            await expect(log).to_contain_text("Hello! Ask us anything.")
            box = page.get_by_role("textbox", name="Message")
            await expect(box).to_be_focused()

            await box.fill(XSS)
            await box.press("Enter")
            mine = log.locator(".row.mine")
            await expect(mine.locator(".bubble")).to_have_text(XSS)
            await expect(mine.locator(".status")).to_have_text("Sent")
            await expect(log).to_contain_text("bringing in a member of our team")
            # Shown as text: nothing the visitor typed became an element.
            assert await log.locator("img").count() == 0

            await page.reload()
            await page.get_by_role("button", name="Open chat").click()
            await expect(log.locator(".row.mine .bubble")).to_have_text(XSS)
            await expect(log).to_contain_text("bringing in a member of our team")
            await expect(page.locator("#frontdesk-widget")).to_have_attribute("data-connection", "live")

            async with transaction(runtime.sessionmaker) as session:
                conv = await session.scalar(select(Conversation).where(Conversation.inbox_id == inbox_id))
                assert conv is not None
                conv_id = conv.id
                await add_message(
                    session,
                    conv,
                    direction="out",
                    sender_type="agent",
                    sender_name="Dana",
                    sender_id=uuid.UUID(owner.user_id),
                    content="Hi, this is Dana. Your order ships today.",
                )
            await expect(log).to_contain_text("Hi, this is Dana. Your order ships today.")
            await expect(log.locator(".row.theirs .who").last).to_have_text("Dana")

            async with transaction(runtime.sessionmaker) as session:
                await conversations.update_conversation(
                    session, require(subject, "conversations.manage"), subject, conv_id, status="resolved"
                )
            stars = page.get_by_role("radiogroup", name="Rating from 1 to 5")
            await expect(stars).to_be_visible()
            await page.get_by_role("radio", name="4 out of 5").click()
            await page.get_by_role("textbox", name="Anything to add? (optional)").fill("Lovely bread")
            await page.screenshot(path=SCREENSHOT)
            await page.get_by_role("button", name="Send rating").click()
            await expect(page.get_by_text("Thank you for your feedback!")).to_be_visible()

            await page.keyboard.press("Escape")
            await expect(launcher).to_have_attribute("aria-expanded", "false")
            await expect(launcher).to_be_focused()
            assert dialogs == [] and errors == []
        finally:
            await browser.close()

    async with transaction(runtime.sessionmaker) as session:
        rating = await session.scalar(select(CsatRating).where(CsatRating.conversation_id == conv_id))
    assert rating is not None and rating.rating == 4 and rating.comment == "Lovely bread"
