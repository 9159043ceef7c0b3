"""Busy times read back from a host's external calendars, for the slot search."""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.scheduling import repository
from frontdesk.scheduling.calendars.base import CalendarKind, CalendarUnavailable
from frontdesk.scheduling.calendars.registry import make
from frontdesk.scheduling.models import CalendarConnection

log = structlog.get_logger("frontdesk.scheduling")


async def external_busy(
    session: AsyncSession,
    org_id: uuid.UUID,
    agent_id: uuid.UUID | None,
    lo: datetime,
    hi: datetime,
    *,
    ours: set[tuple[datetime, datetime]] | frozenset[tuple[datetime, datetime]] = frozenset(),
    connections: list[CalendarConnection] | None = None,
) -> list[tuple[datetime, datetime]]:
    """Busy intervals of the team's calendars and (for an agent) the agent's own.

    A calendar that is down is skipped, not fatal: slots then follow Frontdesk's own bookings, and a
    booking made meanwhile is synced to that calendar once it answers. ``ours`` are the intervals of
    Frontdesk's bookings, which calendars we write to echo back; they are counted once, from our rows.
    """
    runtime = session.info["runtime"]
    out: list[tuple[datetime, datetime]] = []
    if connections is None:
        connections = await repository.connections_for_host(session, org_id, agent_id)
    for conn in connections:
        if conn.kind == CalendarKind.BUILTIN or conn.status != "active":
            continue
        if conn.agent_id is not None and conn.agent_id != agent_id:
            continue
        try:
            plugin = make(conn, settings=runtime.settings, decrypt=runtime.secrets.decrypt)
            busy = await plugin.busy(lo, hi)
        except (CalendarUnavailable, ValueError, KeyError) as exc:
            log.warning("calendar_busy_unavailable", connection_id=str(conn.id), error=str(exc)[:300])
            continue
        out.extend(iv for iv in busy if iv not in ours)
    return out
