"""What happened in one organization during one period, read from the raw tables.

Each source returns ``(dimension, key, metric, value, histogram)`` tuples. The aggregation job runs
them for closed periods and stores the result; the API runs them for the current hour only, so the
newest figures are live without any dashboard scanning more than an hour of raw rows.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.models import Shift
from frontdesk.analytics import histogram
from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Conversation, CsatRating
from frontdesk.inboxes.models import Inbox
from frontdesk.messages.models import Message

Figure = tuple[str, str, str, float, dict[str, Any] | None]
Source = Callable[[AsyncSession, uuid.UUID, datetime, datetime], Awaitable[list[Figure]]]
SOURCES: list[Source] = []


def source(fn: Source) -> Source:
    SOURCES.append(fn)
    return fn


def _spread(counts: dict[tuple[str, str], float], metric: str) -> list[Figure]:
    return [(dim, key, metric, value, None) for (dim, key), value in counts.items()]


def _by_place(inbox_id: uuid.UUID, channel: str) -> list[tuple[str, str]]:
    return [("org", ""), ("inbox", str(inbox_id)), ("channel", channel)]


@source
async def messages(session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime) -> list[Figure]:
    rows = await session.execute(
        select(
            Message.direction,
            Message.content_type,
            Message.sender_type,
            Message.sender_id,
            Message.delivery_status,
            Conversation.inbox_id,
            Inbox.channel,
            func.count(),
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .where(
            Message.organization_id == org,
            Message.created_at >= start,
            Message.created_at < end,
            Message.private.is_(False),
        )
        .group_by(
            Message.direction,
            Message.content_type,
            Message.sender_type,
            Message.sender_id,
            Message.delivery_status,
            Conversation.inbox_id,
            Inbox.channel,
        )
    )
    counts: Counter[tuple[str, str, str]] = Counter()
    for direction, ctype, sender, sender_id, status, inbox_id, channel, n in rows.all():
        places = _by_place(inbox_id, channel)
        if sender == "agent" and sender_id is not None:
            places.append(("agent", str(sender_id)))
        name = "messages_in" if direction == "in" else "messages_out"
        for dim, key in places:
            counts[(dim, key, name)] += n
            counts[(dim, key, f"{name}.{ctype}")] += n
            if direction == "out":
                counts[(dim, key, f"messages_out.by.{sender}")] += n
                if sender != "system":
                    counts[(dim, key, f"delivery.{status}")] += n
    return [(d, k, m, float(v), None) for (d, k, m), v in counts.items()]


@source
async def conversations(session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime) -> list[Figure]:
    out: list[Figure] = []
    opened: Counter[tuple[str, str]] = Counter()
    for inbox_id, channel, n in (
        await session.execute(
            select(Conversation.inbox_id, Inbox.channel, func.count())
            .join(Inbox, Inbox.id == Conversation.inbox_id)
            .where(Conversation.organization_id == org, Conversation.created_at >= start, Conversation.created_at < end)
            .group_by(Conversation.inbox_id, Inbox.channel)
        )
    ).all():
        for place in _by_place(inbox_id, channel):
            opened[place] += n
    out += _spread(dict(opened), "conversations_opened")

    escalated: Counter[tuple[str, str, str]] = Counter()
    for inbox_id, channel, reason, n in (
        await session.execute(
            select(Conversation.inbox_id, Inbox.channel, Conversation.escalation_reason, func.count())
            .join(Inbox, Inbox.id == Conversation.inbox_id)
            .where(
                Conversation.organization_id == org,
                Conversation.escalated_at >= start,
                Conversation.escalated_at < end,
            )
            .group_by(Conversation.inbox_id, Inbox.channel, Conversation.escalation_reason)
        )
    ).all():
        for dim, key in _by_place(inbox_id, channel):
            escalated[(dim, key, "conversations_escalated")] += n
            escalated[(dim, key, f"escalation.{reason or 'unknown'}")] += n
    out += [(d, k, m, float(v), None) for (d, k, m), v in escalated.items()]

    # Resolved in the period, with whether any person wrote to the customer (else: the AI resolved it).
    human_reply = (
        select(Message.id)
        .where(Message.conversation_id == Conversation.id, Message.sender_type == "agent", Message.private.is_(False))
        .exists()
    )
    resolved_rows = (
        await session.execute(
            select(
                Conversation.inbox_id,
                Inbox.channel,
                Conversation.assignee_id,
                Conversation.created_at,
                Conversation.resolved_at,
                human_reply.label("human"),
            )
            .join(Inbox, Inbox.id == Conversation.inbox_id)
            .where(
                Conversation.organization_id == org,
                Conversation.status == "resolved",
                Conversation.resolved_at >= start,
                Conversation.resolved_at < end,
            )
        )
    ).all()
    resolved: Counter[tuple[str, str, str]] = Counter()
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    for inbox_id, channel, assignee, created, done, human in resolved_rows:
        places = _by_place(inbox_id, channel) + ([("agent", str(assignee))] if assignee else [])
        for dim, key in places:
            resolved[(dim, key, "conversations_resolved")] += 1
            if not human:
                resolved[(dim, key, "ai_resolved")] += 1
            if done is not None:
                durations[(dim, key)].append((done - created).total_seconds())
    out += [(d, k, m, float(v), None) for (d, k, m), v in resolved.items()]
    out += [(d, k, "resolution_time", float(len(v)), histogram.of(v)) for (d, k), v in durations.items()]

    first = (
        await session.execute(
            select(
                Conversation.inbox_id,
                Inbox.channel,
                Conversation.assignee_id,
                Conversation.created_at,
                Conversation.first_response_at,
            )
            .join(Inbox, Inbox.id == Conversation.inbox_id)
            .where(
                Conversation.organization_id == org,
                Conversation.first_response_at >= start,
                Conversation.first_response_at < end,
            )
        )
    ).all()
    waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    for inbox_id, channel, assignee, created, answered in first:
        places = _by_place(inbox_id, channel) + ([("agent", str(assignee))] if assignee else [])
        for place in places:
            if answered is not None:
                waits[place].append((answered - created).total_seconds())
    out += [(d, k, "first_response_time", float(len(v)), histogram.of(v)) for (d, k), v in waits.items()]
    return out


@source
async def contacts(session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime) -> list[Figure]:
    active = await session.scalar(
        select(func.count(func.distinct(Message.sender_id))).where(
            Message.organization_id == org,
            Message.direction == "in",
            Message.created_at >= start,
            Message.created_at < end,
        )
    )
    new = await session.scalar(
        select(func.count()).where(
            Contact.organization_id == org, Contact.created_at >= start, Contact.created_at < end
        )
    )
    return [
        ("org", "", "contacts_active", float(active or 0), None),
        ("org", "", "contacts_new", float(new or 0), None),
    ]


@source
async def csat(session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime) -> list[Figure]:
    rows = (
        await session.execute(
            select(CsatRating.agent_id, CsatRating.rating, func.count())
            .where(CsatRating.organization_id == org, CsatRating.created_at >= start, CsatRating.created_at < end)
            .group_by(CsatRating.agent_id, CsatRating.rating)
        )
    ).all()
    counts: Counter[tuple[str, str, str]] = Counter()
    for agent, rating, n in rows:
        for dim, key in [("org", "")] + ([("agent", str(agent))] if agent else []):
            counts[(dim, key, "csat_count")] += n
            counts[(dim, key, "csat_sum")] += n * rating
            counts[(dim, key, f"csat.{rating}")] += n
    return [(d, k, m, float(v), None) for (d, k, m), v in counts.items()]


@source
async def online_time(session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime) -> list[Figure]:
    rows = (
        await session.execute(
            select(Shift.user_id, Shift.started_at, Shift.ended_at, Shift.last_heartbeat_at).where(
                Shift.organization_id == org,
                Shift.started_at < end,
                and_(func.coalesce(Shift.ended_at, Shift.last_heartbeat_at) >= start),
            )
        )
    ).all()
    seconds: dict[str, float] = defaultdict(float)
    for user_id, began, ended, beat in rows:
        stop = min(ended or beat, end)
        seconds[str(user_id)] += max(0.0, (stop - max(began, start)).total_seconds())
    out: list[Figure] = [("agent", k, "online_seconds", float(v), None) for k, v in seconds.items()]
    if seconds:
        out.append(("org", "", "online_seconds", float(sum(seconds.values())), None))
    return out
