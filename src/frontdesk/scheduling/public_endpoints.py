"""Routes for customers, with no login: the public booking page's API (also used by the widget),
signed links to move or cancel a booking, and agents' private ICS feeds.

Every write here is rate limited per client address, like the widget.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth.dependencies import RuntimeDep, Session, client_ip
from frontdesk.auth.dependencies import _refuse_nul_on_flush as refuse_nul_on_flush
from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from frontdesk.scheduling import connections, public, schemas, service


class PublicCORSRoute(APIRoute):
    """Answers CORS itself, errors included, so the widget's booking card can call these routes from
    customers' own sites (no credentials are involved: the routes are public)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                response = await _render_error(request, exc)
            origin = request.headers.get("origin")
            if origin and request.url.path.startswith("/api/"):
                response.headers["Access-Control-Allow-Origin"] = origin
                response.headers["Access-Control-Expose-Headers"] = "Retry-After, X-Request-ID"
                response.headers.append("Vary", "Origin")
            return response

        return with_cors


async def _render_error(request: Request, exc: Exception) -> Response:
    handlers: dict[Any, Any] = request.app.exception_handlers
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            rendered: Response = await handler(request, exc)
            return rendered
    raise exc


router = APIRouter(tags=["meetings (public)"], route_class=PublicCORSRoute)


@asynccontextmanager
async def _unit(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    """The writes of one request, in their own transaction.

    Not the request's ``Session`` dependency: these routes turn errors into responses themselves
    (to add CORS headers), so the dependency would see no error and commit a refused booking. Here a
    refusal rolls back before it becomes a response. NUL characters are refused as everywhere.
    """
    async with transaction(runtime.sessionmaker) as session:
        event.listen(session.sync_session, "before_flush", refuse_nul_on_flush)
        yield session


@router.options("/api/v1/public/{rest:path}", include_in_schema=False)
async def public_preflight(rest: str) -> Response:
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "content-type",
            "Access-Control-Max-Age": "600",
        },
    )


Tz = Annotated[str, Query(max_length=64, description="The visitor's IANA time zone.")]
Days = Annotated[int, Query(ge=1, le=public.MAX_DAYS)]


class PublicMeetingType(BaseModel):
    organization: str
    name: str
    description: str
    duration_minutes: int
    location_kind: str
    max_days_ahead: int
    timezone: str = "UTC"


async def _limit(request: Request, runtime: RuntimeDep, what: str) -> None:
    await runtime.limiter.hit(runtime.settings.rate_limit_widget, what, client_ip(request) or "-", what="bookings")


@router.get(
    "/api/v1/public/meetings/{org_slug}/{type_slug}",
    response_model=PublicMeetingType,
    summary="A public meeting type, for its booking page",
)
async def get_public_meeting_type(org_slug: str, type_slug: str, session: Session) -> PublicMeetingType:
    org, mt = await public.resolve_public(session, org_slug, type_slug)
    return PublicMeetingType(
        organization=org.name,
        name=mt.name,
        description=mt.description,
        duration_minutes=mt.duration_minutes,
        location_kind=mt.location_kind,
        max_days_ahead=mt.max_days_ahead,
        timezone=org.timezone or "UTC",
    )


@router.get(
    "/api/v1/public/meetings/{org_slug}/{type_slug}/slots",
    response_model=schemas.SlotList,
    summary="Free slots of a public meeting type, in the visitor's zone",
)
async def list_public_slots(
    org_slug: str,
    type_slug: str,
    session: Session,
    tz: Tz = "UTC",
    start_date: Annotated[date | None, Query(alias="from")] = None,
    days: Days = 7,
) -> schemas.SlotList:
    org, mt = await public.resolve_public(session, org_slug, type_slug)
    return await public.list_slots(session, org.id, mt, tz=tz, start_date=start_date, days=days, hide_agents=True)


@router.post(
    "/api/v1/public/meetings/{org_slug}/{type_slug}/bookings",
    response_model=schemas.PublicBooking,
    status_code=status.HTTP_201_CREATED,
    summary="Book a slot as a customer; 409 with alternatives when it was taken",
)
async def create_public_booking(
    org_slug: str,
    type_slug: str,
    data: schemas.PublicBookingCreate,
    request: Request,
    runtime: RuntimeDep,
    source: Annotated[str, Query(pattern="^(page|widget)$")] = "page",
) -> schemas.PublicBooking:
    await _limit(request, runtime, "public_booking")
    async with _unit(runtime) as session:
        booking = await public.book_public(session, org_slug, type_slug, data, source=source)
        return await public.public_booking(session, booking, with_token=True)


@router.get(
    "/api/v1/public/bookings/{token}",
    response_model=schemas.PublicBooking,
    summary="A booking, for the holder of its signed link",
)
async def get_public_booking(token: str, session: Session) -> schemas.PublicBooking:
    booking = await public.booking_by_token(session, token)
    return await public.public_booking(session, booking, with_token=False)


@router.get(
    "/api/v1/public/bookings/{token}/slots",
    response_model=schemas.SlotList,
    summary="Slots this booking could move to",
)
async def list_reschedule_slots(
    token: str,
    session: Session,
    tz: Tz = "UTC",
    start_date: Annotated[date | None, Query(alias="from")] = None,
    days: Days = 7,
) -> schemas.SlotList:
    return await public.slots_for_token(session, token, tz=tz, start_date=start_date, days=days)


@router.post(
    "/api/v1/public/bookings/{token}/cancel",
    response_model=schemas.PublicBooking,
    summary="Cancel through the signed link",
)
async def cancel_public_booking(token: str, request: Request, runtime: RuntimeDep) -> schemas.PublicBooking:
    await _limit(request, runtime, "public_booking_change")
    async with _unit(runtime) as session:
        booking = await public.booking_by_token(session, token, for_change=True)
        await service.cancel_booking(session, booking)
        return await public.public_booking(session, booking, with_token=False)


@router.post(
    "/api/v1/public/bookings/{token}/reschedule",
    response_model=schemas.PublicBooking,
    summary="Move through the signed link; 409 with alternatives when the new time is taken",
)
async def reschedule_public_booking(
    token: str, data: schemas.Reschedule, request: Request, runtime: RuntimeDep
) -> schemas.PublicBooking:
    await _limit(request, runtime, "public_booking_change")
    async with _unit(runtime) as session:
        booking = await public.booking_by_token(session, token, for_change=True)
        await service.reschedule_booking(session, booking, start=data.start, tz=data.timezone)
        return await public.public_booking(session, booking, with_token=False)


@router.get(
    "/calendar/feeds/{token}.ics",
    summary="An agent's private ICS feed of their meetings",
    response_class=Response,
)
async def get_calendar_feed(token: str, session: Session) -> Response:
    body = await connections.feed_document(session, token)
    return Response(body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=300"})
