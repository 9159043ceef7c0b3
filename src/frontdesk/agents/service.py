"""Presence and working hours.

Going online opens a shift; going offline closes it. Heartbeats (from the inbox's WebSocket) keep it
open. A dropped socket or missed heartbeats end the shift at the last heartbeat, not at the moment
someone noticed, so an agent is never paid for time after their browser went away.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents import repository
from frontdesk.agents.models import AgentPresence, Shift
from frontdesk.authz.service import OrgScope
from frontdesk.kit.events import org_topic, publish_on_commit

HEARTBEAT_GRACE = timedelta(seconds=90)
STATUSES = ("online", "offline")
AVAILABILITY = ("available", "busy")


def _now(session: AsyncSession) -> datetime:
    return session.info["runtime"].clock.now()  # type: ignore[no-any-return]


async def _presence(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> AgentPresence:
    row = await repository.presence(session, org_id, user_id)
    if row is None:
        row = AgentPresence(organization_id=org_id, user_id=user_id, status="offline", availability="available")
        session.add(row)
        await session.flush()
    return row


async def set_status(
    session: AsyncSession,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    status: str | None = None,
    availability: str | None = None,
) -> AgentPresence:
    now = _now(session)
    row = await _presence(session, org_id, user_id)
    if availability is not None:
        row.availability = availability
    if status is not None and status != row.status:
        row.status = status
        if status == "online":
            if await repository.open_shift(session, org_id, user_id) is None:
                session.add(
                    Shift(
                        organization_id=org_id, user_id=user_id, started_at=now, last_heartbeat_at=now, created_at=now
                    )
                )
        else:
            await _close_shift(session, org_id, user_id, at=now, reason="offline")
    row.changed_at = now
    row.last_heartbeat_at = now
    publish_on_commit(
        session,
        org_topic(org_id),
        {"type": "agent.presence", "user_id": str(user_id), "status": row.status, "availability": row.availability},
    )
    return row


async def heartbeat(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
    now = _now(session)
    row = await repository.presence(session, org_id, user_id)
    if row is None or row.status != "online":
        return
    row.last_heartbeat_at = now
    shift = await repository.open_shift(session, org_id, user_id)
    if shift is not None:
        shift.last_heartbeat_at = now


async def _close_shift(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID, *, at: datetime, reason: str
) -> None:
    shift = await repository.open_shift(session, org_id, user_id)
    if shift is not None:
        shift.ended_at = max(at, shift.started_at)
        shift.end_reason = reason


async def disconnected(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The agent's last socket closed: they are offline as of their last heartbeat."""
    row = await repository.presence(session, org_id, user_id)
    if row is None or row.status != "online":
        return
    last = row.last_heartbeat_at or _now(session)
    row.status = "offline"
    row.changed_at = _now(session)
    await _close_shift(session, org_id, user_id, at=last, reason="disconnected")
    publish_on_commit(
        session,
        org_topic(org_id),
        {"type": "agent.presence", "user_id": str(user_id), "status": "offline", "availability": row.availability},
    )


async def end_stale_shifts(session: AsyncSession) -> int:
    """Close shifts whose heartbeats stopped (a crashed browser, a killed server)."""
    now = _now(session)
    stale = await repository.stale_shifts(session, now - HEARTBEAT_GRACE)
    for shift in stale:
        shift.ended_at = shift.last_heartbeat_at
        shift.end_reason = "missed_heartbeat"
        row = await repository.presence(session, shift.organization_id, shift.user_id)
        if row is not None and row.status == "online":
            row.status = "offline"
            row.changed_at = now
            publish_on_commit(
                session,
                org_topic(shift.organization_id),
                {
                    "type": "agent.presence",
                    "user_id": str(shift.user_id),
                    "status": "offline",
                    "availability": row.availability,
                },
            )
    return len(stale)


async def list_presence(session: AsyncSession, scope: OrgScope) -> list[AgentPresence]:
    return await repository.presences(session, scope.ids)


def shift_seconds(shift: Shift, now: datetime) -> float:
    end = shift.ended_at or now
    return max((end - shift.started_at).total_seconds(), 0.0)


def daily_totals(shifts: list[Shift], now: datetime, tz: Any) -> dict[tuple[uuid.UUID, str], float]:
    """Seconds online per (agent, local date), splitting shifts that cross midnight."""
    totals: dict[tuple[uuid.UUID, str], float] = {}
    for shift in shifts:
        start = shift.started_at.astimezone(tz)
        end = (shift.ended_at or now).astimezone(tz)
        while start < end:
            midnight = (start + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            chunk_end = min(end, midnight)
            key = (shift.user_id, start.date().isoformat())
            totals[key] = totals.get(key, 0.0) + (chunk_end - start).total_seconds()
            start = chunk_end
    return totals
