"""Finding free slots and booking, moving and cancelling meetings.

This is the surface the assistant, flows, the widget and the public booking page all call. A booking
is first of all a row in Frontdesk: external calendars, invitations and reminders follow from it
as durable jobs, so a calendar that is down never loses a booking.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.errors import Conflict, FrontdeskError, ValidationFailed
from frontdesk.scheduling import repository
from frontdesk.scheduling.availability import schedule_for
from frontdesk.scheduling.models import CANCELLED, CONFIRMED, Booking, BookingClaim, MeetingType
from frontdesk.scheduling.slots import Busy, free_slots, grains, resolve_local, windows, zone

log = structlog.get_logger("frontdesk.scheduling")

ORG_HOST = "org"


class SchedulingNotConfigured(FrontdeskError):
    """The organization has no (active) meeting type yet, so there is nothing to book."""

    status_code = 409
    code = "scheduling_not_configured"


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    meeting_type_id: uuid.UUID
    agent_id: uuid.UUID | None


def _now(session: AsyncSession) -> datetime:
    now: datetime = session.info["runtime"].clock.now()
    return now


async def resolve_meeting_type(
    session: AsyncSession, organization_id: uuid.UUID, meeting_type_id: uuid.UUID | None
) -> MeetingType:
    """The named type, or the default (else the only, else the first) active one."""
    if meeting_type_id is not None:
        found = await repository.meeting_type(session, [organization_id], meeting_type_id)
        if found is None or not found.active:
            raise ValidationFailed("No such meeting type.", code="unknown_meeting_type")
        return found
    active = [t for t in await repository.meeting_types(session, [organization_id]) if t.active]
    if not active:
        raise SchedulingNotConfigured("Meetings are not set up here yet: no meeting type is active.")
    return active[0]


def _hosts(mt: MeetingType) -> list[uuid.UUID | None]:
    return [uuid.UUID(a) for a in mt.agent_ids] if mt.agent_ids else [None]


def host_key(agent_id: uuid.UUID | None) -> str:
    return ORG_HOST if agent_id is None else str(agent_id)


def claim_key(org_id: uuid.UUID, key: str) -> str:
    return f"{org_id}:{key}"


async def _host_busy(
    session: AsyncSession,
    org_id: uuid.UUID,
    hosts: list[uuid.UUID | None],
    lo: datetime,
    hi: datetime,
    *,
    exclude: uuid.UUID | None = None,
    external: bool = True,
) -> dict[str, Busy]:
    """Per host: its Frontdesk bookings (grown by their buffers) and its calendars' busy times."""
    from frontdesk.scheduling.external import external_busy

    keys = [host_key(h) for h in hosts]
    margin = timedelta(hours=5)
    rows = await repository.busy_bookings(session, org_id, keys, lo - margin, hi + margin)
    per: dict[str, list[tuple[datetime, datetime]]] = {k: [] for k in keys}
    ours: dict[str, set[tuple[datetime, datetime]]] = {k: set() for k in keys}
    for key, start, end, before, after in rows:
        per[key].append((start - timedelta(minutes=before), end + timedelta(minutes=after)))
        ours[key].add((start, end))
    if exclude is not None:
        own = await session.get(Booking, exclude)
        if own is not None:
            # Moving a booking must not collide with itself.
            mt = await session.get(MeetingType, own.meeting_type_id)
            b, a = (mt.buffer_before_minutes, mt.buffer_after_minutes) if mt else (0, 0)
            mine = (own.start_at - timedelta(minutes=b), own.end_at + timedelta(minutes=a))
            per[own.host_key] = [iv for iv in per.get(own.host_key, []) if iv != mine]
    if external:
        # One query for every host's calendars; most organizations have none.
        conns = await repository.connections(session, [org_id])
        for host in hosts:
            key = host_key(host)
            if conns:
                per[key].extend(await external_busy(session, org_id, host, lo, hi, ours=ours[key], connections=conns))
    return {k: Busy(v) for k, v in per.items()}


async def compute_slots(
    session: AsyncSession,
    org_id: uuid.UUID,
    mt: MeetingType,
    *,
    lo: datetime,
    hi: datetime,
    limit: int | None = None,
    only: list[uuid.UUID | None] | None = None,
    exclude: uuid.UUID | None = None,
    external: bool = True,
) -> list[Slot]:
    """Free slots of ``mt`` in [lo, hi), each with the least-booked host that is free then."""
    now = _now(session)
    earliest = max(lo, now + timedelta(minutes=mt.min_notice_minutes))
    latest = min(hi, now + timedelta(days=mt.max_days_ahead))
    if earliest > latest:
        return []
    hosts = only if only is not None else _hosts(mt)
    busy = await _host_busy(
        session,
        org_id,
        hosts,
        earliest,
        latest + timedelta(minutes=mt.duration_minutes),
        exclude=exclude,
        external=external,
    )
    load = await repository.host_load(session, org_id, [host_key(h) for h in hosts], now)
    hosts = sorted(hosts, key=lambda h: (load.get(host_key(h), 0), str(h)))
    chosen: dict[datetime, Slot] = {}
    rows = await repository.availabilities(session, org_id)
    for host in hosts:
        sched = await schedule_for(session, org_id, host, rows=rows)
        open_windows = windows(sched, earliest, latest + timedelta(minutes=mt.duration_minutes))
        for start, end in free_slots(
            open_windows,
            busy[host_key(host)],
            duration=timedelta(minutes=mt.duration_minutes),
            step=timedelta(minutes=mt.slot_step_minutes),
            buffer_before=timedelta(minutes=mt.buffer_before_minutes),
            buffer_after=timedelta(minutes=mt.buffer_after_minutes),
            earliest=earliest,
            latest=latest,
            limit=limit,
            skip=chosen.keys(),
        ):
            chosen[start] = Slot(start, end, mt.id, host)
    ordered = [chosen[k] for k in sorted(chosen)]
    return ordered[:limit] if limit is not None else ordered


async def find_slots(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    meeting_type_id: uuid.UUID | None = None,
    tz: str = "UTC",
    start: datetime | None = None,
    limit: int = 5,
    spread: timedelta = timedelta(hours=2),
) -> list[Slot]:
    """A few upcoming slots to offer in a conversation, at least ``spread`` apart so they differ."""
    zone(tz)
    mt = await resolve_meeting_type(session, organization_id, meeting_type_id)
    lo = _now(session) if start is None else resolve_local(start, zone(tz))
    limit = max(1, min(limit, 50))
    picked: list[Slot] = []
    horizon = lo + timedelta(days=mt.max_days_ahead)
    # A week at a time: the first free slots are usually close, and a year of 20 hosts is not cheap.
    chunk_lo = lo
    while chunk_lo < horizon and len(picked) < limit:
        chunk_hi = min(chunk_lo + timedelta(days=7), horizon)
        for slot in await compute_slots(session, organization_id, mt, lo=chunk_lo, hi=chunk_hi):
            if slot.start < chunk_lo:
                continue
            if not picked or slot.start - picked[-1].start >= spread:
                picked.append(slot)
                if len(picked) >= limit:
                    break
        chunk_lo = chunk_hi
    return picked


def check_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationFailed(f"{email!r} is not a valid email address: {exc}", code="invalid_email") from exc


def _check_window(mt: MeetingType, start: datetime, now: datetime) -> None:
    if start < now:
        raise ValidationFailed(
            "That time is in the past.", code="booking_in_past", details={"start": start.isoformat()}
        )
    if start < now + timedelta(minutes=mt.min_notice_minutes):
        raise ValidationFailed(
            f"This meeting needs {mt.min_notice_minutes} minutes' notice.",
            code="booking_too_soon",
            details={"min_notice_minutes": mt.min_notice_minutes},
        )
    if start > now + timedelta(days=mt.max_days_ahead):
        raise ValidationFailed(
            f"This meeting can be booked at most {mt.max_days_ahead} days ahead.",
            code="booking_beyond_horizon",
            details={"max_days_ahead": mt.max_days_ahead},
        )


async def _alternatives(
    session: AsyncSession, org_id: uuid.UUID, mt: MeetingType, near: datetime
) -> list[dict[str, Any]]:
    try:
        slots = await compute_slots(
            session, org_id, mt, lo=near - timedelta(hours=2), hi=near + timedelta(days=14), limit=5, external=False
        )
    except FrontdeskError:
        return []
    return [
        {"start": s.start.isoformat(), "end": s.end.isoformat(), "agent_id": str(s.agent_id) if s.agent_id else None}
        for s in slots
    ]


async def _take_slot(
    session: AsyncSession,
    org_id: uuid.UUID,
    mt: MeetingType,
    start: datetime,
    *,
    agent_id: uuid.UUID | None,
    exclude: uuid.UUID | None = None,
) -> Slot:
    """The host free at ``start``, or 409 with other slots to offer."""
    hosts = _hosts(mt)
    if agent_id is not None:
        if mt.agent_ids and str(agent_id) not in mt.agent_ids:
            raise ValidationFailed("That agent does not host this meeting type.", code="agent_not_host")
        # A team type books the team as one resource; a named agent is recorded, not booked separately.
        hosts = [agent_id] if mt.agent_ids else [None]
    end = start + timedelta(minutes=mt.duration_minutes)
    found = await compute_slots(session, org_id, mt, lo=start, hi=end, only=hosts, exclude=exclude)
    match = next((s for s in found if s.start == start), None)
    if match is None:
        raise Conflict(
            "That time is no longer free. Here are other times.",
            code="slot_unavailable",
            details={"alternatives": await _alternatives(session, org_id, mt, start)},
        )
    return match


async def _claim(session: AsyncSession, booking: Booking, mt: MeetingType) -> None:
    """Insert the booking's grains in a savepoint: a racing booking that got there first → 409."""
    key = claim_key(booking.organization_id, booking.host_key)
    try:
        async with session.begin_nested():
            for grain in grains(booking.start_at, booking.end_at):
                session.add(
                    BookingClaim(
                        organization_id=booking.organization_id, booking_id=booking.id, host_key=key, grain_at=grain
                    )
                )
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "Someone booked that time a moment ago. Here are other times.",
            code="slot_taken",
            details={"alternatives": await _alternatives(session, booking.organization_id, mt, booking.start_at)},
        ) from exc


def _location(mt: MeetingType) -> str:
    if mt.location_value:
        return mt.location_value
    return {"video": "Video call (link in the invitation)", "phone": "Phone call"}.get(mt.location_kind, "")


async def book_meeting(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    start: datetime,
    email: str,
    name: str,
    tz: str = "UTC",
    meeting_type_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    conversation_id: uuid.UUID | None = None,
    agent_id: uuid.UUID | None = None,
    notes: str = "",
    source: str = "assistant",
) -> Booking:
    from frontdesk.flows import events
    from frontdesk.scheduling import notify

    zone_info = zone(tz)
    mt = await resolve_meeting_type(session, organization_id, meeting_type_id)
    address = check_email(email)
    name = name.strip()[:200]
    if not name:
        raise ValidationFailed("A name is needed to book.", code="name_required")
    at = resolve_local(start, zone_info).replace(second=0, microsecond=0)
    now = _now(session)
    _check_window(mt, at, now)
    slot = await _take_slot(session, organization_id, mt, at, agent_id=agent_id)
    booking = Booking(
        id=uuid.uuid4(),
        organization_id=organization_id,
        meeting_type_id=mt.id,
        agent_id=slot.agent_id if slot.agent_id is not None else agent_id,
        host_key=host_key(slot.agent_id),
        start_at=slot.start,
        end_at=slot.end,
        timezone=zone_info.key,
        name=name,
        email=address,
        notes=notes[:2000],
        contact_id=contact_id,
        conversation_id=conversation_id,
        status=CONFIRMED,
        location=_location(mt),
        sequence=0,
        source=source,
        created_at=now,
    )
    session.add(booking)
    await session.flush()
    await _claim(session, booking, mt)
    await notify.booking_changed(session, booking, mt, "booked")
    await events.fire(
        session,
        organization_id,
        "meeting_booked",
        contact_id=contact_id,
        conversation_id=conversation_id,
        data={
            "booking_id": str(booking.id),
            "meeting_type_id": str(mt.id),
            "meeting_type": mt.name,
            "start": booking.start_at.isoformat(),
            "end": booking.end_at.isoformat(),
            "timezone": booking.timezone,
            "email": booking.email,
            "name": booking.name,
            "agent_id": str(booking.agent_id) if booking.agent_id else None,
        },
    )
    log.info("meeting_booked", booking_id=str(booking.id), organization_id=str(organization_id), source=source)
    return booking


async def reschedule_booking(session: AsyncSession, booking: Booking, *, start: datetime, tz: str) -> Booking:
    from frontdesk.scheduling import notify

    if booking.status != CONFIRMED:
        raise Conflict("This meeting was cancelled; book a new one instead.", code="booking_cancelled")
    zone_info = zone(tz)
    mt = await session.get(MeetingType, booking.meeting_type_id)
    if mt is None:
        raise Conflict("This meeting's type no longer exists.", code="booking_cancelled")
    at = resolve_local(start, zone_info).replace(second=0, microsecond=0)
    _check_window(mt, at, _now(session))
    agent = uuid.UUID(booking.host_key) if booking.host_key != ORG_HOST else None
    # Same host if free, else anyone who hosts this type.
    try:
        slot = await _take_slot(session, booking.organization_id, mt, at, agent_id=agent, exclude=booking.id)
    except Conflict:
        if agent is None or len(mt.agent_ids) < 2:
            raise
        slot = await _take_slot(session, booking.organization_id, mt, at, agent_id=None, exclude=booking.id)
    await repository.drop_claims(session, booking.id)
    booking.start_at, booking.end_at = slot.start, slot.end
    booking.host_key = host_key(slot.agent_id)
    if slot.agent_id is not None:
        booking.agent_id = slot.agent_id
    booking.timezone = zone_info.key
    booking.sequence += 1
    await session.flush()
    await _claim(session, booking, mt)
    await notify.booking_changed(session, booking, mt, "rescheduled")
    return booking


async def cancel_booking(session: AsyncSession, booking: Booking, *, reason: str = "") -> Booking:
    from frontdesk.scheduling import notify

    if booking.status == CANCELLED:
        return booking
    mt = await session.get(MeetingType, booking.meeting_type_id)
    booking.status = CANCELLED
    booking.cancelled_at = _now(session)
    booking.sequence += 1
    await repository.drop_claims(session, booking.id)
    await session.flush()
    if mt is not None:
        await notify.booking_changed(session, booking, mt, "cancelled")
    return booking
