"""Conversation transcripts as plain text, JSON or a self-contained HTML page, streamed.

Messages are read in keyset batches through short read sessions of their own, so a conversation of
any length streams with bounded memory and no request transaction held open while the client reads.
Private notes are left out unless asked for; they are marked as notes when included.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.contacts.models import Contact
from frontdesk.conversations import repository
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.errors import NotFound
from frontdesk.kit.runtime import Runtime
from frontdesk.messages.models import Message
from frontdesk.orgs.models import Organization

Format = Literal["txt", "json", "html"]
BATCH = 500
MEDIA_TYPES = {"txt": "text/plain; charset=utf-8", "json": "application/json", "html": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Header:
    conversation_id: uuid.UUID
    organization_id: uuid.UUID
    organization: str
    inbox: str
    channel: str
    contact: str
    contact_email: str | None
    status: str
    created_at: datetime
    zone: ZoneInfo

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.conversation_id),
            "organization": self.organization,
            "inbox": self.inbox,
            "channel": self.channel,
            "contact": self.contact,
            "contact_email": self.contact_email,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "time_zone": str(self.zone),
        }


async def header(session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID) -> Header:
    """The conversation's facts, or 404 when it is not the caller's organization's."""
    conv = await repository.get(session, scope.ids, conversation_id)
    if conv is None:
        raise NotFound("No such conversation.", code="conversation_not_found")
    return await _header(session, conv)


async def _header(session: AsyncSession, conv: Conversation) -> Header:
    org = await session.get(Organization, conv.organization_id)
    inbox = await session.get(Inbox, conv.inbox_id)
    contact = await session.get(Contact, conv.contact_id)
    try:
        zone = ZoneInfo(org.timezone if org and org.timezone else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return Header(
        conversation_id=conv.id,
        organization_id=conv.organization_id,
        organization=org.name if org else "",
        inbox=inbox.name if inbox else "",
        channel=inbox.channel if inbox else "",
        contact=(contact.name or contact.email or contact.phone or "Visitor") if contact else "Visitor",
        contact_email=contact.email if contact else None,
        status=conv.status,
        created_at=conv.created_at,
        zone=zone,
    )


async def messages(runtime: Runtime, conversation_id: uuid.UUID, *, include_private: bool) -> AsyncIterator[Message]:
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        async with runtime.read_sessionmaker() as session:
            stmt = select(Message).where(Message.conversation_id == conversation_id)
            if not include_private:
                stmt = stmt.where(Message.private.is_(False))
            if after is not None:
                stmt = stmt.where(tuple_(Message.created_at, Message.id) > tuple_(after[0], after[1]))
            rows = list(await session.scalars(stmt.order_by(Message.created_at, Message.id).limit(BATCH)))
        for row in rows:
            yield row
        if len(rows) < BATCH:
            return
        after = (rows[-1].created_at, rows[-1].id)


def _who(message: Message, head: Header) -> str:
    if message.sender_name:
        return message.sender_name
    return {"contact": head.contact, "agent": "Agent", "bot": "Assistant", "system": "System"}.get(
        message.sender_type, message.sender_type or "Unknown"
    )


def _text_of(message: Message) -> str:
    if message.deleted_at is not None:
        return "(deleted)"
    text = message.content or ""
    names = [str(a.get("name") or "file") for a in (message.attachments or []) if isinstance(a, dict)]
    if names:
        text = (text + "\n" if text else "") + "[attachments: " + ", ".join(names) + "]"
    return text


def _stamp(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _message_dict(message: Message, head: Header) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "created_at": message.created_at.isoformat(),
        "direction": message.direction,
        "sender_type": message.sender_type,
        "sender_name": _who(message, head),
        "content_type": message.content_type,
        "content": None if message.deleted_at is not None else message.content,
        "attachments": [
            {k: a.get(k) for k in ("name", "content_type", "size")} for a in (message.attachments or [])
            if isinstance(a, dict)
        ],
        "private": message.private,
        "deleted": message.deleted_at is not None,
    }  # fmt: skip


async def render(runtime: Runtime, head: Header, fmt: Format, *, include_private: bool = False) -> AsyncIterator[bytes]:
    """The transcript in ``fmt``, piece by piece."""
    stream = messages(runtime, head.conversation_id, include_private=include_private)
    if fmt == "json":
        yield b'{"conversation": ' + json.dumps(head.as_dict()).encode() + b', "messages": ['
        first = True
        async for m in stream:
            yield (b"" if first else b", ") + json.dumps(_message_dict(m, head), ensure_ascii=False).encode()
            first = False
        yield b"]}\n"
    elif fmt == "html":
        yield _html_head(head).encode()
        async for m in stream:
            yield _html_message(m, head).encode()
        yield b"</ol>\n</main>\n</body>\n</html>\n"
    else:
        yield (
            f"Conversation {head.conversation_id}\n"
            f"Organization: {head.organization}\nInbox: {head.inbox}\nContact: {head.contact}"
            + (f" <{head.contact_email}>" if head.contact_email else "")
            + f"\nStarted: {_stamp(head.created_at, head.zone)}\nStatus: {head.status}\n"
            + "-" * 60
            + "\n"
        ).encode()
        async for m in stream:
            note = " (private note)" if m.private else ""
            body = _text_of(m).replace("\n", "\n    ")
            yield f"[{_stamp(m.created_at, head.zone)}] {_who(m, head)}{note}:\n    {body}\n".encode()


_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:760px;margin:0 auto;padding:24px}
h1{font-size:20px;margin:0 0 4px}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;color:#4a5263}
dt{font-weight:600}ol{list-style:none;padding:0;margin:24px 0 0}
li{background:#fff;border-radius:10px;padding:10px 14px;margin:0 0 10px;max-width:80%;box-shadow:0 1px 2px #0001}
li.in{margin-right:auto}li.out{margin-left:auto;background:#e8f0ff}li.note{background:#fff7d6}
.meta{font-size:12px;color:#6b7385;margin-bottom:4px}.body{white-space:pre-wrap;overflow-wrap:anywhere}
@media print{body{background:#fff}li{box-shadow:none;border:1px solid #ddd}}
"""


def _html_head(head: Header) -> str:
    e = html.escape
    email = f" &lt;{e(head.contact_email)}&gt;" if head.contact_email else ""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Conversation with {e(head.contact)}</title>\n"
        # No scripts, no remote resources: the page is an archive, safe to open anywhere.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>Conversation with {e(head.contact)}{email}</h1>\n<dl>"
        f"<dt>Organization</dt><dd>{e(head.organization)}</dd>"
        f"<dt>Inbox</dt><dd>{e(head.inbox)}</dd>"
        f"<dt>Started</dt><dd>{e(_stamp(head.created_at, head.zone))}</dd>"
        f"<dt>Status</dt><dd>{e(head.status)}</dd>"
        f"<dt>Conversation</dt><dd>{e(str(head.conversation_id))}</dd></dl>\n<ol>\n"
    )


def _html_message(message: Message, head: Header) -> str:
    e = html.escape
    css = "note" if message.private else ("in" if message.direction == "in" else "out")
    note = " · private note" if message.private else ""
    return (
        f'<li class="{css}"><div class="meta">{e(_who(message, head))} · '
        f'<time datetime="{e(message.created_at.isoformat())}">{e(_stamp(message.created_at, head.zone))}</time>'
        f'{note}</div><div class="body">{e(_text_of(message))}</div></li>\n'
    )


def filename(head: Header, fmt: Format) -> str:
    return f"conversation-{head.created_at:%Y%m%d}-{str(head.conversation_id)[:8]}.{fmt}"
