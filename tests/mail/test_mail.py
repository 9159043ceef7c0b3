"""Email goes through a real SMTP server when one is configured, and to the log and outbox otherwise."""

from __future__ import annotations

import asyncio
import email
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.conftest import Account, free_port, join


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def _until(predicate: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


class TestWithSmtp:
    @pytest.fixture
    def settings_overrides(self, smtp: tuple[Inbox, int]) -> dict[str, Any]:
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp[1],
            "smtp_starttls": False,
            "mail_from": "Frontdesk <desk@example.com>",
        }

    async def test_reset_mail_is_delivered_once(
        self, client: httpx.AsyncClient, owner: Account, smtp: tuple[Inbox, int]
    ) -> None:
        inbox, _ = smtp
        r = await client.post("/api/v1/auth/password-reset", json={"email": owner.email})
        assert r.status_code == 202

        async def arrived() -> bool:
            return len(inbox.messages) >= 1

        await _until(arrived)
        await asyncio.sleep(0.3)  # a duplicate would arrive within the sweep interval
        assert len(inbox.messages) == 1
        msg = inbox.messages[0]
        assert msg["To"] == owner.email
        assert msg["From"] == "Frontdesk <desk@example.com>"
        assert "reset-password?token=" in msg.get_payload()

    async def test_invitation_mail_is_listed_as_sent(
        self, client: httpx.AsyncClient, owner: Account, smtp: tuple[Inbox, int]
    ) -> None:
        inbox, _ = smtp
        r = await client.post(
            "/api/v1/invitations", headers=owner.headers, json={"email": "newbie@example.com", "role": "agent"}
        )
        assert r.status_code == 201

        async def sent() -> bool:
            items = (await client.get("/api/v1/mail/outbox", headers=owner.headers)).json()["items"]
            return bool(items) and items[0]["status"] == "sent"

        await _until(sent)
        assert [m["To"] for m in inbox.messages] == ["newbie@example.com"]


async def test_without_smtp_mail_is_logged_and_kept(client: httpx.AsyncClient, owner: Account) -> None:
    await client.post("/api/v1/invitations", headers=owner.headers, json={"email": "x@example.com", "role": "viewer"})

    async def logged() -> bool:
        items = (await client.get("/api/v1/mail/outbox", headers=owner.headers)).json()["items"]
        return bool(items) and items[0]["status"] == "logged"

    await _until(logged)
    page = (await client.get("/api/v1/mail/outbox", headers=owner.headers)).json()
    assert page["total"] == 1 and page["items"][0]["to_address"] == "x@example.com"


async def test_outbox_is_for_admins_of_that_organization(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    await client.post("/api/v1/invitations", headers=owner.headers, json={"email": "y@example.com", "role": "viewer"})
    agent = await join(client, owner, "agent")
    assert (await client.get("/api/v1/mail/outbox", headers=agent.headers)).status_code == 403
    other = (await client.get("/api/v1/mail/outbox", headers=other_owner.headers)).json()
    assert other["total"] == 0
