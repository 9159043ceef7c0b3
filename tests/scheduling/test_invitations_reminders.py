"""Invitations reach a real SMTP server (aiosmtpd) with an .ics parsed back by icalendar;
reminders go by email and into the booking's conversation; agents read a private ICS feed."""

from __future__ import annotations

import asyncio
import email
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import icalendar
import pytest
from aiosmtpd.controller import Controller

from frontdesk.kit.clock import FrozenClock
from tests.conftest import Account, free_port
from tests.scheduling.conftest import NOW, setup_meetings


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


@pytest.fixture
def settings_overrides(smtp: tuple[Inbox, int]) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp[1],
        "smtp_starttls": False,
        "mail_from": "Desk <desk@example.com>",
    }


async def until(predicate: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def calendar_of(msg: email.message.Message) -> icalendar.Calendar:
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return icalendar.Calendar.from_ical(payload)
    raise AssertionError("no text/calendar part")


async def test_invitation_and_cancellation_carry_ics(
    client: httpx.AsyncClient, owner: Account, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    mt = await setup_meetings(client, owner, tz="UTC", agent_ids=[owner.user_id], name="Demo")
    r = await client.post(
        "/api/v1/meetings/bookings",
        headers=owner.headers,
        json={
            "meeting_type_id": mt["id"],
            "start": "2027-03-09T10:00:00Z",
            "name": "Ada L",
            "email": "ada@example.com",
        },
    )
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["agent_id"] == owner.user_id

    async def two() -> bool:
        return len(inbox.messages) >= 2

    await until(two)
    to = sorted(m["To"] for m in inbox.messages)
    assert to == sorted(["ada@example.com", owner.email])
    for msg in inbox.messages:
        cal = calendar_of(msg)
        assert str(cal["method"]) == "REQUEST"
        [event] = cal.walk("VEVENT")
        assert str(event["uid"]) == f"{booking['id']}@frontdesk"
        assert event.decoded("dtstart") == datetime(2027, 3, 9, 10, 0, tzinfo=UTC)
        assert event.decoded("dtend") == datetime(2027, 3, 9, 10, 30, tzinfo=UTC)
        assert int(event["sequence"]) == 0
        attendees = {str(a).lower() for a in event.get("attendee")}
        assert "mailto:ada@example.com" in attendees
    customer = next(m for m in inbox.messages if m["To"] == "ada@example.com")
    body = next(p for p in customer.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert b"/manage-booking/" in body

    r = await client.post(f"/api/v1/meetings/bookings/{booking['id']}/cancel", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"

    async def four() -> bool:
        return len(inbox.messages) >= 4

    await until(four)
    for msg in inbox.messages[2:]:
        cal = calendar_of(msg)
        assert str(cal["method"]) == "CANCEL"
        [event] = cal.walk("VEVENT")
        assert str(event["status"]) == "CANCELLED"
        assert int(event["sequence"]) == 1


async def _conversation(client: httpx.AsyncClient, owner: Account) -> str:
    inbox = await client.post("/api/v1/inboxes", headers=owner.headers, json={"name": "API", "channel": "api"})
    assert inbox.status_code == 201, inbox.text
    key = await client.post(
        "/api/v1/api-keys",
        headers=owner.headers,
        json={"name": "int", "scopes": ["conversations.read", "conversations.reply", "org.read"]},
    )
    assert key.status_code == 201, key.text
    r = await client.post(
        f"/api/v1/inboxes/{inbox.json()['id']}/messages",
        headers={"X-API-Key": key.json()["key"]},
        json={"contact": {"external_id": "c-1", "name": "Cleo"}, "content": "Can we meet?"},
    )
    assert r.status_code in (200, 201), r.text
    return str(r.json()["conversation_id"])


async def test_reminder_by_email_and_in_the_conversation(
    client: httpx.AsyncClient, owner: Account, smtp: tuple[Inbox, int], clock: FrozenClock
) -> None:
    inbox, _ = smtp
    mt = await setup_meetings(client, owner, tz="UTC", reminder_minutes=[60])
    conversation_id = await _conversation(client, owner)
    r = await client.post(
        "/api/v1/meetings/bookings",
        headers=owner.headers,
        json={
            "meeting_type_id": mt["id"],
            "start": "2027-03-09T10:00:00Z",
            "name": "Cleo",
            "email": "cleo@example.com",
            "conversation_id": conversation_id,
        },
    )
    assert r.status_code == 201, r.text

    async def invited() -> bool:
        return len(inbox.messages) >= 1

    await until(invited)
    await asyncio.sleep(0.3)
    assert not any("Reminder" in (m["Subject"] or "") for m in inbox.messages)

    clock.set(datetime(2027, 3, 9, 9, 0, 1, tzinfo=UTC))

    async def reminded() -> bool:
        return any("Reminder" in (m["Subject"] or "") for m in inbox.messages)

    await until(reminded)
    clock.set(NOW)  # back to when the access token is valid
    r = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=owner.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    items = body["items"] if isinstance(body, dict) else body
    assert any("Reminder: your Intro call is in 60 minutes" in m["content"] for m in items)


async def test_moved_booking_drops_old_reminders(
    client: httpx.AsyncClient, owner: Account, smtp: tuple[Inbox, int], clock: FrozenClock
) -> None:
    inbox, _ = smtp
    mt = await setup_meetings(client, owner, tz="UTC", reminder_minutes=[60])
    r = await client.post(
        "/api/v1/meetings/bookings",
        headers=owner.headers,
        json={"meeting_type_id": mt["id"], "start": "2027-03-09T10:00:00Z", "name": "D", "email": "d@example.com"},
    )
    booking = r.json()
    r = await client.post(
        f"/api/v1/meetings/bookings/{booking['id']}/reschedule",
        headers=owner.headers,
        json={"start": "2027-03-10T10:00:00Z"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["sequence"] == 1
    clock.set(datetime(2027, 3, 9, 9, 0, 1, tzinfo=UTC))
    await asyncio.sleep(1.0)
    assert not any("Reminder" in (m["Subject"] or "") for m in inbox.messages)
    clock.set(datetime(2027, 3, 10, 9, 0, 1, tzinfo=UTC))

    async def reminded() -> bool:
        return sum("Reminder" in (m["Subject"] or "") for m in inbox.messages) == 1

    await until(reminded)


async def test_private_ics_feed(client: httpx.AsyncClient, owner: Account) -> None:
    mt = await setup_meetings(client, owner, tz="UTC", agent_ids=[owner.user_id])
    r = await client.post(
        "/api/v1/meetings/bookings",
        headers=owner.headers,
        json={"meeting_type_id": mt["id"], "start": "2027-03-09T10:00:00Z", "name": "Eve", "email": "e@example.com"},
    )
    assert r.status_code == 201
    r = await client.post("/api/v1/meetings/feed", headers=owner.headers)
    assert r.status_code == 200, r.text
    url = r.json()["url"]
    path = url.removeprefix("http://testserver")
    r = await client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    [event] = cal.walk("VEVENT")
    assert "Eve" in str(event["summary"])
    # Rotating the URL retires the old one.
    r = await client.post("/api/v1/meetings/feed", headers=owner.headers)
    assert (await client.get(path)).status_code == 404
    assert (await client.get("/calendar/feeds/not-a-token.ics")).status_code == 404
