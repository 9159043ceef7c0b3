"""Meetings: availability, meeting types, slots, bookings and calendars.

Staff routes live under ``/api/v1/meetings``; the routes for customers (public booking page, widget,
signed manage links, agents' ICS feeds) are in :mod:`frontdesk.scheduling.public_endpoints`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import RedirectResponse

from frontdesk.auth.dependencies import Session, Subject, WriteSession
from frontdesk.authz.service import require, require_user
from frontdesk.kit.errors import NotFound, ValidationFailed
from frontdesk.scheduling import availability, connections, meeting_types, public, repository, schemas, service
from frontdesk.scheduling.models import Booking
from frontdesk.scheduling.public_endpoints import router as public_router

router = APIRouter()
api = APIRouter(prefix="/api/v1/meetings", tags=["meetings"])

Tz = Annotated[str, Query(max_length=64, description="The visitor's IANA time zone.")]
FromDate = Annotated[date | None, Query(alias="from", description="First day, in the visitor's zone.")]
Days = Annotated[int, Query(ge=1, le=public.MAX_DAYS)]


@api.get("/availability", response_model=schemas.Availability, summary="The team's weekly hours and days off")
async def get_team_availability(session: Session, subject: Subject) -> schemas.Availability:
    return await availability.get_availability(session, require(subject, "meetings.read"), None)


@api.put("/availability", response_model=schemas.Availability, summary="Set the team's weekly hours and days off")
async def set_team_availability(
    data: schemas.AvailabilityUpdate, session: Session, subject: Subject
) -> schemas.Availability:
    return await availability.set_availability(session, require(subject, "meetings.manage"), None, data)


@api.get("/availability/agents/{agent_id}", response_model=schemas.Availability, summary="An agent's hours")
async def get_agent_availability(agent_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Availability:
    return await availability.get_availability(session, require(subject, "meetings.read"), agent_id)


@api.put("/availability/agents/{agent_id}", response_model=schemas.Availability, summary="Set an agent's hours")
async def set_agent_availability(
    agent_id: uuid.UUID, data: schemas.AvailabilityUpdate, session: Session, subject: Subject
) -> schemas.Availability:
    return await availability.set_availability(session, require(subject, "meetings.manage"), agent_id, data)


@api.get("/types", response_model=list[schemas.MeetingType], summary="Meeting types")
async def list_meeting_types(session: Session, subject: Subject) -> list[schemas.MeetingType]:
    rows = await meeting_types.list_meeting_types(session, require(subject, "meetings.read"))
    return [schemas.MeetingType.model_validate(r) for r in rows]


@api.post("/types", response_model=schemas.MeetingType, status_code=status.HTTP_201_CREATED, summary="Add a type")
async def create_meeting_type(
    data: schemas.MeetingTypeCreate, session: Session, subject: Subject
) -> schemas.MeetingType:
    row = await meeting_types.create_meeting_type(session, require(subject, "meetings.manage"), data)
    return schemas.MeetingType.model_validate(row)


@api.get("/types/{type_id}", response_model=schemas.MeetingType, summary="One meeting type")
async def get_meeting_type(type_id: uuid.UUID, session: Session, subject: Subject) -> schemas.MeetingType:
    row = await meeting_types.get_meeting_type(session, require(subject, "meetings.read"), type_id)
    return schemas.MeetingType.model_validate(row)


@api.patch("/types/{type_id}", response_model=schemas.MeetingType, summary="Change a meeting type")
async def update_meeting_type(
    type_id: uuid.UUID, data: schemas.MeetingTypeUpdate, session: Session, subject: Subject
) -> schemas.MeetingType:
    row = await meeting_types.update_meeting_type(session, require(subject, "meetings.manage"), type_id, data)
    return schemas.MeetingType.model_validate(row)


@api.delete("/types/{type_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an unused meeting type")
async def delete_meeting_type(type_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await meeting_types.delete_meeting_type(session, require(subject, "meetings.manage"), type_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@api.get("/types/{type_id}/slots", response_model=schemas.SlotList, summary="Free slots, in the visitor's zone")
async def list_meeting_slots(
    type_id: uuid.UUID,
    session: Session,
    subject: Subject,
    tz: Tz = "UTC",
    start_date: FromDate = None,
    days: Days = 7,
) -> schemas.SlotList:
    scope = require(subject, "meetings.read")
    mt = await meeting_types.get_meeting_type(session, scope, type_id)
    return await public.list_slots(session, scope.organization_id, mt, tz=tz, start_date=start_date, days=days)


@api.get("/bookings", response_model=list[schemas.Booking], summary="Bookings, soonest first")
async def list_bookings(
    session: Session,
    subject: Subject,
    state: Annotated[str | None, Query(alias="status", pattern="^(confirmed|cancelled)$")] = None,
    after: Annotated[datetime | None, Query(description="Only bookings ending after this instant.")] = None,
    agent_id: uuid.UUID | None = None,
) -> list[schemas.Booking]:
    rows = await repository.bookings(
        session, require(subject, "meetings.read").ids, status=state, after=after, agent_id=agent_id
    )
    return [schemas.Booking.model_validate(r) for r in rows]


@api.post(
    "/bookings",
    response_model=schemas.Booking,
    status_code=status.HTTP_201_CREATED,
    summary="Book a slot; 409 with alternatives when it was taken",
)
async def create_booking(data: schemas.BookingCreate, session: Session, subject: Subject) -> schemas.Booking:
    scope = require(subject, "meetings.manage")
    booking = await service.book_meeting(
        session,
        organization_id=scope.organization_id,
        meeting_type_id=data.meeting_type_id,
        start=data.start,
        tz=data.timezone,
        email=data.email,
        name=data.name,
        notes=data.notes,
        agent_id=data.agent_id,
        contact_id=await _own_contact(session, scope.organization_id, data.contact_id),
        conversation_id=await _own_conversation(session, scope.organization_id, data.conversation_id),
        source="api",
    )
    return schemas.Booking.model_validate(booking)


async def _own_contact(session: Session, org_id: uuid.UUID, contact_id: uuid.UUID | None) -> uuid.UUID | None:
    from frontdesk.contacts.models import Contact

    if contact_id is None:
        return None
    row = await session.get(Contact, contact_id)
    if row is None or row.organization_id != org_id:
        raise ValidationFailed("No such contact.", code="unknown_contact")
    return contact_id


async def _own_conversation(session: Session, org_id: uuid.UUID, conversation_id: uuid.UUID | None) -> uuid.UUID | None:
    from frontdesk.conversations.models import Conversation

    if conversation_id is None:
        return None
    row = await session.get(Conversation, conversation_id)
    if row is None or row.organization_id != org_id:
        raise ValidationFailed("No such conversation.", code="unknown_conversation")
    return conversation_id


@api.get("/bookings/{booking_id}", response_model=schemas.Booking, summary="One booking")
async def get_booking(booking_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Booking:
    found = await repository.booking(session, require(subject, "meetings.read").ids, booking_id)
    if found is None:
        raise NotFound("No such booking.")
    return schemas.Booking.model_validate(found)


async def _staff_booking(session: Session, subject: Subject, booking_id: uuid.UUID) -> Booking:
    found = await repository.booking(session, require(subject, "meetings.manage").ids, booking_id)
    if found is None:
        raise NotFound("No such booking.")
    return found


@api.post("/bookings/{booking_id}/cancel", response_model=schemas.Booking, summary="Cancel; attendees get a CANCEL")
async def cancel_booking(booking_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Booking:
    booking = await _staff_booking(session, subject, booking_id)
    return schemas.Booking.model_validate(await service.cancel_booking(session, booking))


@api.post("/bookings/{booking_id}/reschedule", response_model=schemas.Booking, summary="Move to another free slot")
async def reschedule_booking(
    booking_id: uuid.UUID, data: schemas.Reschedule, session: Session, subject: Subject
) -> schemas.Booking:
    booking = await _staff_booking(session, subject, booking_id)
    moved = await service.reschedule_booking(session, booking, start=data.start, tz=data.timezone)
    return schemas.Booking.model_validate(moved)


@api.get("/calendars", response_model=list[schemas.CalendarConnection], summary="Connected calendars")
async def list_calendar_connections(session: Session, subject: Subject) -> list[schemas.CalendarConnection]:
    rows = await connections.list_connections(session, require(subject, "meetings.read"))
    return [schemas.CalendarConnection.model_validate(r) for r in rows]


@api.post(
    "/calendars",
    response_model=schemas.CalendarConnectionCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Connect a CalDAV calendar, or start Google's authorisation (follow authorize_url)",
)
async def create_calendar_connection(
    data: schemas.CalendarConnectionCreate, session: Session, subject: Subject
) -> schemas.CalendarConnectionCreated:
    scope = require(subject, "meetings.manage")
    row, url = await connections.create_connection(session, scope, data, actor_id=subject.user_id)
    out = schemas.CalendarConnection.model_validate(row).model_dump()
    return schemas.CalendarConnectionCreated(**out, authorize_url=url)


@api.delete("/calendars/{connection_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Disconnect a calendar")
async def delete_calendar_connection(connection_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    scope = require(subject, "meetings.manage")
    await connections.delete_connection(session, scope, connection_id, actor_id=subject.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@api.get(
    "/calendars/google/callback",
    summary="Where Google sends the browser back after consent (checks the state)",
    include_in_schema=False,
)
async def google_calendar_callback(
    session: WriteSession,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    await connections.google_callback(session, state=state, code=code, error=error)
    return RedirectResponse("/app/meetings/calendars?connected=google", status_code=status.HTTP_303_SEE_OTHER)


@api.post("/feed", response_model=schemas.FeedUrl, summary="Create or replace your private ICS feed URL")
async def rotate_calendar_feed(session: Session, subject: Subject) -> schemas.FeedUrl:
    scope = require(subject, "meetings.read")
    url = await connections.rotate_feed(session, scope, require_user(subject))
    return schemas.FeedUrl(url=url)


# Flat, like the app's own registration: nested routers are walked twice per request.
router.routes.extend(api.routes)
router.routes.extend(public_router.routes)
