"""What the public booking page, the widget and holders of a signed link may do, without an account."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.errors import Gone, NotFound, ValidationFailed
from frontdesk.orgs.models import Organization
from frontdesk.scheduling import links, repository, schemas, service
from frontdesk.scheduling.models import CONFIRMED, Booking, MeetingType
from frontdesk.scheduling.slots import zone

MAX_DAYS = 31


async def resolve_public(session: AsyncSession, org_slug: str, type_slug: str) -> tuple[Organization, MeetingType]:
    if "\x00" in org_slug or "\x00" in type_slug:
        raise NotFound("No such booking page.")
    org = await repository.org_by_slug(session, org_slug)
    if org is None or org.status != "active":
        raise NotFound("No such booking page.")
    mt = await repository.meeting_type_by_slug(session, org.id, type_slug)
    if mt is None or not mt.active:
        raise NotFound("No such booking page.")
    return org, mt


def slot_out(slot: service.Slot, tz: ZoneInfo) -> schemas.SlotOut:
    local = slot.start.astimezone(tz)
    return schemas.SlotOut(
        start=slot.start,
        end=slot.end,
        local_start=local.isoformat(),
        local_date=local.date().isoformat(),
        local_time=local.strftime("%H:%M"),
        agent_id=slot.agent_id,
        meeting_type_id=slot.meeting_type_id,
    )


async def list_slots(
    session: AsyncSession,
    org_id: uuid.UUID,
    mt: MeetingType,
    *,
    tz: str,
    start_date: date | None,
    days: int,
    exclude: uuid.UUID | None = None,
    hide_agents: bool = False,
) -> schemas.SlotList:
    """Slots for ``days`` whole days of the visitor's calendar, starting at ``start_date`` (their today)."""
    zone_info = zone(tz)
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(f"days must be between 1 and {MAX_DAYS}.", code="invalid_range")
    now: datetime = session.info["runtime"].clock.now()
    today = now.astimezone(zone_info).date()
    first = start_date or today
    if not today - timedelta(days=MAX_DAYS) <= first <= today + timedelta(days=400):
        raise ValidationFailed("Ask for days within the next year.", code="invalid_range")
    lo = datetime.combine(first, datetime.min.time(), tzinfo=zone_info).astimezone(UTC)
    hi = datetime.combine(first + timedelta(days=days), datetime.min.time(), tzinfo=zone_info).astimezone(UTC)
    slots = await service.compute_slots(session, org_id, mt, lo=lo, hi=hi, exclude=exclude)
    out = [slot_out(s, zone_info) for s in slots]
    if hide_agents:
        out = [s.model_copy(update={"agent_id": None}) for s in out]
    return schemas.SlotList(meeting_type_id=mt.id, timezone=zone_info.key, slots=out)


async def public_booking(session: AsyncSession, booking: Booking, *, with_token: bool) -> schemas.PublicBooking:
    mt = await session.get(MeetingType, booking.meeting_type_id)
    return schemas.PublicBooking(
        id=booking.id,
        meeting_type=mt.name if mt else "",
        start_at=booking.start_at,
        end_at=booking.end_at,
        timezone=booking.timezone,
        name=booking.name,
        status=booking.status,
        location=booking.location,
        manage_token=links.sign(session, booking.id) if with_token else None,
    )


async def book_public(
    session: AsyncSession, org_slug: str, type_slug: str, data: schemas.PublicBookingCreate, *, source: str
) -> Booking:
    org, mt = await resolve_public(session, org_slug, type_slug)
    return await service.book_meeting(
        session,
        organization_id=org.id,
        meeting_type_id=mt.id,
        start=data.start,
        tz=data.timezone,
        email=data.email,
        name=data.name,
        notes=data.notes,
        source=source,
    )


async def booking_by_token(session: AsyncSession, token: str, *, for_change: bool = False) -> Booking:
    booking = await repository.booking_any_org(session, links.verify(session, token))
    if booking is None:
        raise NotFound("This booking link is not valid.")
    if for_change:
        now: datetime = session.info["runtime"].clock.now()
        if booking.status != CONFIRMED:
            raise Gone("This meeting is already cancelled.", code="booking_cancelled")
        if booking.start_at <= now:
            raise Gone("This meeting has already started or taken place.", code="booking_past")
    return booking


async def slots_for_token(
    session: AsyncSession, token: str, *, tz: str, start_date: date | None, days: int
) -> schemas.SlotList:
    booking = await booking_by_token(session, token, for_change=True)
    mt = await session.get(MeetingType, booking.meeting_type_id)
    if mt is None:
        raise NotFound("This booking link is not valid.")
    return await list_slots(
        session,
        booking.organization_id,
        mt,
        tz=tz,
        start_date=start_date,
        days=days,
        exclude=booking.id,
        hide_agents=True,
    )
