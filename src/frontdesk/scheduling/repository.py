"""SQL about availability, meeting types, bookings, claims and calendar connections."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.orgs.models import Membership, Organization
from frontdesk.scheduling.models import (
    CONFIRMED,
    Availability,
    Booking,
    BookingClaim,
    BookingEvent,
    CalendarConnection,
    CalendarFeed,
    MeetingType,
)


def _ids(org_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    return list(org_ids)


async def availability(session: AsyncSession, org_id: uuid.UUID, owner_key: str) -> Availability | None:
    return await session.scalar(
        select(Availability).where(Availability.organization_id == org_id, Availability.owner_key == owner_key)
    )


async def availabilities(session: AsyncSession, org_id: uuid.UUID) -> dict[str, Availability]:
    rows = await session.scalars(select(Availability).where(Availability.organization_id == org_id))
    return {row.owner_key: row for row in rows}


async def meeting_types(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[MeetingType]:
    return list(
        await session.scalars(
            select(MeetingType)
            .where(MeetingType.organization_id.in_(_ids(org_ids)))
            .order_by(MeetingType.is_default.desc(), MeetingType.created_at, MeetingType.id)
        )
    )


async def meeting_type(session: AsyncSession, org_ids: Iterable[uuid.UUID], type_id: uuid.UUID) -> MeetingType | None:
    return await session.scalar(
        select(MeetingType).where(MeetingType.id == type_id, MeetingType.organization_id.in_(_ids(org_ids)))
    )


async def meeting_type_by_slug(session: AsyncSession, org_id: uuid.UUID, slug: str) -> MeetingType | None:
    return await session.scalar(
        select(MeetingType).where(MeetingType.organization_id == org_id, MeetingType.slug == slug)
    )


async def org_by_slug(session: AsyncSession, slug: str) -> Organization | None:
    return await session.scalar(select(Organization).where(Organization.slug == slug))


async def member_ids(session: AsyncSession, org_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = list(user_ids)
    if not wanted:
        return set()
    rows = await session.scalars(
        select(Membership.user_id).where(Membership.organization_id == org_id, Membership.user_id.in_(wanted))
    )
    return set(rows)


async def busy_bookings(
    session: AsyncSession, org_id: uuid.UUID, host_keys: Iterable[str], lo: datetime, hi: datetime
) -> list[tuple[str, datetime, datetime, int, int]]:
    """Confirmed bookings of these hosts touching [lo, hi), with their type's buffers."""
    rows = await session.execute(
        select(
            Booking.host_key,
            Booking.start_at,
            Booking.end_at,
            MeetingType.buffer_before_minutes,
            MeetingType.buffer_after_minutes,
        )
        .join(MeetingType, MeetingType.id == Booking.meeting_type_id)
        .where(
            Booking.organization_id == org_id,
            Booking.host_key.in_(list(host_keys)),
            Booking.status == CONFIRMED,
            Booking.end_at > lo,
            Booking.start_at < hi,
        )
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows.all()]


async def host_load(
    session: AsyncSession, org_id: uuid.UUID, host_keys: Iterable[str], since: datetime
) -> dict[str, int]:
    rows = await session.execute(
        select(Booking.host_key, func.count())
        .where(
            Booking.organization_id == org_id,
            Booking.host_key.in_(list(host_keys)),
            Booking.status == CONFIRMED,
            Booking.start_at >= since,
        )
        .group_by(Booking.host_key)
    )
    return {k: n for k, n in rows.all()}


async def bookings(
    session: AsyncSession,
    org_ids: Iterable[uuid.UUID],
    *,
    status: str | None = None,
    after: datetime | None = None,
    agent_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[Booking]:
    stmt = select(Booking).where(Booking.organization_id.in_(_ids(org_ids)))
    if status is not None:
        stmt = stmt.where(Booking.status == status)
    if after is not None:
        stmt = stmt.where(Booking.end_at >= after)
    if agent_id is not None:
        stmt = stmt.where(Booking.agent_id == agent_id)
    return list(await session.scalars(stmt.order_by(Booking.start_at, Booking.id).limit(limit)))


async def booking(session: AsyncSession, org_ids: Iterable[uuid.UUID], booking_id: uuid.UUID) -> Booking | None:
    return await session.scalar(
        select(Booking).where(Booking.id == booking_id, Booking.organization_id.in_(_ids(org_ids)))
    )


async def booking_any_org(session: AsyncSession, booking_id: uuid.UUID, *, lock: bool = False) -> Booking | None:
    """Only for holders of a signed link, whose signature already named this booking."""
    stmt = select(Booking).where(Booking.id == booking_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def drop_claims(session: AsyncSession, booking_id: uuid.UUID) -> None:
    await session.execute(
        delete(BookingClaim).where(BookingClaim.booking_id == booking_id).execution_options(synchronize_session=False)
    )


async def connections(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], *, agent_id: uuid.UUID | None = None
) -> list[CalendarConnection]:
    stmt = select(CalendarConnection).where(CalendarConnection.organization_id.in_(_ids(org_ids)))
    if agent_id is not None:
        stmt = stmt.where(CalendarConnection.agent_id == agent_id)
    return list(await session.scalars(stmt.order_by(CalendarConnection.created_at, CalendarConnection.id)))


async def connections_for_host(
    session: AsyncSession, org_id: uuid.UUID, agent_id: uuid.UUID | None
) -> list[CalendarConnection]:
    """The team's calendars plus, for an agent's booking, that agent's own."""
    who: ColumnElement[bool] = CalendarConnection.agent_id.is_(None)
    if agent_id is not None:
        who = or_(who, CalendarConnection.agent_id == agent_id)
    return list(
        await session.scalars(
            select(CalendarConnection)
            .where(CalendarConnection.organization_id == org_id, who, CalendarConnection.status == "active")
            .order_by(CalendarConnection.created_at, CalendarConnection.id)
        )
    )


async def connection(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], connection_id: uuid.UUID
) -> CalendarConnection | None:
    return await session.scalar(
        select(CalendarConnection).where(
            CalendarConnection.id == connection_id, CalendarConnection.organization_id.in_(_ids(org_ids))
        )
    )


async def connection_by_state(session: AsyncSession, state_hash: str) -> CalendarConnection | None:
    return await session.scalar(select(CalendarConnection).where(CalendarConnection.oauth_state_hash == state_hash))


async def booking_event(session: AsyncSession, booking_id: uuid.UUID, connection_id: uuid.UUID) -> BookingEvent | None:
    return await session.scalar(
        select(BookingEvent).where(BookingEvent.booking_id == booking_id, BookingEvent.connection_id == connection_id)
    )


async def booking_events(session: AsyncSession, booking_id: uuid.UUID) -> list[BookingEvent]:
    return list(await session.scalars(select(BookingEvent).where(BookingEvent.booking_id == booking_id)))


async def feed(session: AsyncSession, org_id: uuid.UUID, agent_id: uuid.UUID) -> CalendarFeed | None:
    return await session.scalar(
        select(CalendarFeed).where(CalendarFeed.organization_id == org_id, CalendarFeed.agent_id == agent_id)
    )


async def feed_by_hash(session: AsyncSession, token_hash: str) -> CalendarFeed | None:
    return await session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash))


async def agent_bookings(
    session: AsyncSession, org_id: uuid.UUID, agent_id: uuid.UUID, since: datetime
) -> list[Booking]:
    return list(
        await session.scalars(
            select(Booking)
            .where(Booking.organization_id == org_id, Booking.agent_id == agent_id, Booking.end_at >= since)
            .order_by(Booking.start_at)
            .limit(2000)
        )
    )
