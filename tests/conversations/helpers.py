"""Building inboxes, contacts and conversations the way the channels do: through the services.

The inbox and contacts HTTP API belongs to another part of the suite; here the rows come from the
same functions a channel calls when a customer writes, and everything under test is then exercised
over HTTP.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import update

from frontdesk.contacts.service import find_or_create
from frontdesk.conversations.inbound import receive
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account


@dataclass
class Customer:
    conversation_id: str
    contact_id: str
    message_id: str


async def make_inbox(runtime: Runtime, account: Account, **fields: Any) -> str:
    values: dict[str, Any] = {"name": "Website", "channel": "web", "public_token": secrets.token_urlsafe(16)}
    values.update(fields)
    async with transaction(runtime.sessionmaker) as session:
        inbox = Inbox(organization_id=uuid.UUID(account.organization_id), **values)
        session.add(inbox)
        await session.flush()
        return str(inbox.id)


async def customer_writes(
    runtime: Runtime,
    inbox_id: str,
    visitor: str,
    content: str = "Hello?",
    *,
    name: str = "",
    email: str | None = None,
) -> Customer:
    """A visitor known to the channel as ``visitor`` sends ``content`` into the inbox."""
    async with transaction(runtime.sessionmaker) as session:
        inbox = await session.get(Inbox, uuid.UUID(inbox_id))
        assert inbox is not None
        contact, _ = await find_or_create(
            session, inbox.organization_id, channel=inbox.channel, external_id=visitor, name=name, email=email
        )
        conv, message, _ = await receive(session, inbox, contact, content=content)
        return Customer(str(conv.id), str(contact.id), str(message.id))


async def set_conversation(runtime: Runtime, conversation_id: str, **values: Any) -> None:
    """Put a conversation in a state no HTTP call makes yet, e.g. the assistant answering it."""
    async with transaction(runtime.sessionmaker) as session:
        await session.execute(
            update(Conversation).where(Conversation.id == uuid.UUID(conversation_id)).values(**values)
        )


async def bot_conversation(runtime: Runtime, inbox_id: str, visitor: str, content: str = "Hi") -> Customer:
    """A conversation the assistant has: mode ai, status bot, nobody assigned."""
    customer = await customer_writes(runtime, inbox_id, visitor, content)
    await set_conversation(
        runtime,
        customer.conversation_id,
        mode="ai",
        status="bot",
        assignee_id=None,
        escalated_at=None,
        escalation_reason=None,
    )
    return customer


async def join_named(client: httpx.AsyncClient, owner: Account, role: str, name: str) -> Account:
    """Like ``tests.conftest.join``, with the name the person gives when accepting."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    r = await client.post("/api/v1/invitations", headers=owner.headers, json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    password = "another good password"
    r = await client.post(
        "/api/v1/invitations/accept", json={"token": r.json()["token"], "name": name, "password": password}
    )
    assert r.status_code == 200, r.text
    tokens = r.json()
    return Account(
        email=email,
        password=password,
        user_id=tokens["user_id"],
        organization_id=owner.organization_id,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait for background work (the job sweeper) to make ``check`` true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition did not become true in time")
        await asyncio.sleep(0.02)


def ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))
