"""Presence and working hours.

Going online opens a shift; going offline closes it. Heartbeats (from the inbox's WebSocket) keep it
open. A dropped socket or missed heartbeats end the shift at the last heartbeat, not at the moment
someone noticed, so an agent is never paid for time after their browser went away.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents import repository, schemas
from frontdesk.agents.models import AgentPresence, Shift
from frontdesk.authz.service import OrgScope
from frontdesk.kit.errors import ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit
from frontdesk.orgs import repository as orgs

# Clients heartbeat every HEARTBEAT_SECONDS; three missed in a row end the shift.
HEARTBEAT_SECONDS = 30
HEARTBEAT_GRACE = timedelta(seconds=90)
STATUSES = ("online", "offline")
AVAILABILITY = ("available", "busy")


def _now(session: AsyncSession) -> datetime:
    return session.info["runtime"].clock.now()


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
    _publish_presence(session, row)
    return row


def _publish_presence(session: AsyncSession, row: AgentPresence) -> None:
    publish_on_commit(
        session,
        org_topic(row.organization_id),
        {"type": "agent.presence", "user_id": str(row.user_id), "status": row.status, "availability": row.availability},
    )


# Shift endings that the agent did not choose: a heartbeat after one of these means they are back.
_INVOLUNTARY = ("disconnected", "missed_heartbeat")


async def heartbeat(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> AgentPresence | None:
    """Keep the shift open. Returns the presence, or ``None`` if the agent never set one.

    An agent who was taken offline by a dropped socket or missed heartbeats (a laptop lid closed, a
    second tab's socket closing on another server) comes back online with a new shift; one who chose
    to go offline stays offline until they say otherwise.
    """
    now = _now(session)
    row = await repository.presence(session, org_id, user_id)
    if row is None:
        return None
    if row.status != "online":
        last = await repository.last_shift(session, org_id, user_id)
        if last is None or last.end_reason not in _INVOLUNTARY:
            return row
        if last.end_reason == "disconnected" and now - last.last_heartbeat_at <= HEARTBEAT_GRACE:
            # A page reload or a network blip: the same shift goes on, with no gap in the hours.
            last.ended_at, last.end_reason, last.last_heartbeat_at = None, None, now
            row.status, row.changed_at, row.last_heartbeat_at = "online", now, now
            _publish_presence(session, row)
            return row
        return await set_status(session, org_id, user_id, status="online")
    row.last_heartbeat_at = now
    shift = await repository.open_shift(session, org_id, user_id)
    if shift is not None:
        shift.last_heartbeat_at = now
    else:
        session.add(
            Shift(organization_id=org_id, user_id=user_id, started_at=now, last_heartbeat_at=now, created_at=now)
        )
    return row


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


def effectively_online(row: AgentPresence | None, now: datetime) -> bool:
    """Online, and heard from recently: between a missed heartbeat and the sweep that notices it,
    the row still says online, but nobody should be told so."""
    if row is None or row.status != "online":
        return False
    return row.last_heartbeat_at is not None and row.last_heartbeat_at >= now - HEARTBEAT_GRACE


async def list_presence(
    session: AsyncSession, scope: OrgScope, *, status: str | None = None
) -> list[schemas.AgentPresence]:
    now = _now(session)
    out = []
    for membership, user, row, open_count in await repository.members_with_presence(session, scope.ids):
        online = effectively_online(row, now)
        if status is not None and (status == "online") != online:
            continue
        out.append(
            schemas.AgentPresence(
                user_id=user.id,
                name=user.name,
                email=user.email,
                role=membership.role,
                status="online" if online else "offline",
                availability=row.availability if row is not None else "available",
                last_heartbeat_at=row.last_heartbeat_at if row is not None else None,
                changed_at=row.changed_at if row is not None else None,
                open_conversations=open_count,
            )
        )
    out.sort(key=lambda p: (p.status != "online", p.name.lower(), p.email))
    return out


def my_presence(row: AgentPresence | None, user_id: uuid.UUID, now: datetime) -> schemas.MyPresence:
    return schemas.MyPresence(
        user_id=user_id,
        status="online" if effectively_online(row, now) else "offline",
        availability=row.availability if row is not None else "available",
        last_heartbeat_at=row.last_heartbeat_at if row is not None else None,
        changed_at=row.changed_at if row is not None else None,
        heartbeat_seconds=HEARTBEAT_SECONDS,
    )


async def update_my_presence(
    session: AsyncSession, scope: OrgScope, user_id: uuid.UUID, data: schemas.PresenceUpdate
) -> schemas.MyPresence:
    row = await set_status(session, scope.organization_id, user_id, status=data.status, availability=data.availability)
    return my_presence(row, user_id, _now(session))


async def my_heartbeat(session: AsyncSession, scope: OrgScope, user_id: uuid.UUID) -> schemas.MyPresence:
    row = await heartbeat(session, scope.organization_id, user_id)
    return my_presence(row, user_id, _now(session))


# ---------------------------------------------------------------- shifts and working hours

MAX_REPORT_DAYS = 366


async def _window(
    session: AsyncSession, scope: OrgScope, start: date | None, end: date | None
) -> tuple[ZoneInfo, date, date, datetime, datetime]:
    """The organization's zone and the [first local midnight, last local midnight) of the report."""
    org = await orgs.get(session, scope.ids, scope.organization_id)
    try:
        tz = ZoneInfo(org.timezone if org is not None else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    today = _now(session).astimezone(tz).date()
    end = end or today
    start = start or end - timedelta(days=6)
    if end < start:
        raise ValidationFailed("`to` is before `from`.", code="invalid_range")
    if start.year < 1970 or end.year > 9000:
        raise ValidationFailed("Those dates are out of range.", code="invalid_range")
    if (end - start).days >= MAX_REPORT_DAYS:
        raise ValidationFailed(f"Ask for at most {MAX_REPORT_DAYS} days at a time.", code="range_too_long")
    lo = datetime.combine(start, time(0), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz)
    return tz, start, end, lo, hi


async def list_shifts(
    session: AsyncSession,
    scope: OrgScope,
    *,
    start: date | None,
    end: date | None,
    user_id: uuid.UUID | None,
) -> list[schemas.Shift]:
    _, _, _, lo, hi = await _window(session, scope, start, end)
    now = _now(session)
    rows = await session.scalars(repository.shifts_between(scope.ids, lo, hi, user_id=user_id).limit(5000))
    return [
        schemas.Shift(
            id=s.id,
            user_id=s.user_id,
            started_at=s.started_at,
            ended_at=s.ended_at,
            last_heartbeat_at=s.last_heartbeat_at,
            end_reason=s.end_reason,
            seconds=shift_seconds(s, now),
        )
        for s in rows
    ]


async def working_hours(
    session: AsyncSession,
    scope: OrgScope,
    *,
    start: date | None,
    end: date | None,
    user_id: uuid.UUID | None,
) -> schemas.WorkingHours:
    """Time online per agent per local day, in the organization's time zone."""
    tz, start, end, lo, hi = await _window(session, scope, start, end)
    now = _now(session)
    shifts = list(await session.scalars(repository.shifts_between(scope.ids, lo, hi, user_id=user_id)))
    totals = daily_totals(shifts, now, tz)
    people = await repository.users_by_id(session, {uid for uid, _ in totals})
    first, last = start.isoformat(), end.isoformat()
    days: list[schemas.WorkingDay] = []
    per_agent: dict[uuid.UUID, float] = {}
    for (uid, day), seconds in sorted(totals.items(), key=lambda kv: (kv[0][1], _name(people, kv[0][0]))):
        if not first <= day <= last:
            continue  # the part of a shift that fell outside the window
        person = people.get(uid)
        days.append(
            schemas.WorkingDay(
                user_id=uid,
                name=person.name if person else "",
                email=person.email if person else "",
                date=date.fromisoformat(day),
                seconds=round(seconds),
                hours=round(seconds / 3600, 2),
            )
        )
        per_agent[uid] = per_agent.get(uid, 0.0) + seconds
    agent_totals = [
        schemas.AgentTotal(
            user_id=uid,
            name=people[uid].name if uid in people else "",
            email=people[uid].email if uid in people else "",
            seconds=round(seconds),
            hours=round(seconds / 3600, 2),
        )
        for uid, seconds in sorted(per_agent.items(), key=lambda kv: _name(people, kv[0]))
    ]
    return schemas.WorkingHours(timezone=tz.key, from_date=start, to_date=end, days=days, totals=agent_totals)


def _name(people: dict[uuid.UUID, Any], user_id: uuid.UUID) -> str:
    person = people.get(user_id)
    return (person.name or person.email).lower() if person else str(user_id)


# Spreadsheet programs run cells that start with these as formulas (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def working_hours_csv(report: schemas.WorkingHours) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["date", "agent_id", "agent_name", "agent_email", "seconds", "hours", "timezone"])
    for day in report.days:
        writer.writerow(
            [
                csv_cell(day.date.isoformat()),
                csv_cell(day.user_id),
                csv_cell(day.name),
                csv_cell(day.email),
                day.seconds,
                f"{day.hours:.2f}",
                csv_cell(report.timezone),
            ]
        )
    return out.getvalue()


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
