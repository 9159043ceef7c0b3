"""The public booking pages: book a meeting type with no login, and the signed page to move or cancel.

They mirror the public API (``scheduling/public_endpoints.py``) for people's browsers, and work
without JavaScript; ``static/js/booking.js`` only picks the visitor's time zone.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError

from frontdesk.kit.errors import FrontdeskError
from frontdesk.scheduling import links, public, schemas, service
from frontdesk.scheduling.models import CONFIRMED
from frontdesk.scheduling.slots import zone
from frontdesk.web import forms
from frontdesk.web.dependencies import Page, PageRoute, PublicPage
from frontdesk.web.timezones import timezone_options

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _date_param(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


async def _book_page(
    page: Page,
    org_slug: str,
    type_slug: str,
    *,
    tz: str | None,
    start: date | None,
    values: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
    alternatives: list[dict[str, Any]] | None = None,
) -> Response:
    org, mt = await public.resolve_public(page.session, org_slug, type_slug)
    tz_name = tz or org.timezone or "UTC"
    try:
        zone(tz_name)
    except FrontdeskError:
        tz_name = org.timezone or "UTC"
    slots = await public.list_slots(page.session, org.id, mt, tz=tz_name, start_date=start, days=7, hide_agents=True)
    by_day: dict[str, list[schemas.SlotOut]] = {}
    for s in slots.slots:
        by_day.setdefault(s.local_date, []).append(s)
    first = start or page.runtime.clock.now().astimezone(zone(tz_name)).date()
    return page.render(
        "meetings/book.html",
        status_code=status,
        org=org,
        meeting_type=mt,
        days=by_day,
        tz=tz_name,
        tz_given=tz is not None,
        timezones=timezone_options(tz_name),
        next_from=(first + timedelta(days=7)).isoformat(),
        prev_from=(first - timedelta(days=7)).isoformat() if first > page.runtime.clock.now().date() else "",
        values=values or {"name": "", "email": "", "notes": "", "start": ""},
        error=error,
        alternatives=alternatives or [],
    )


@router.get("/book/{org_slug}/{type_slug}")
async def public_booking_page(
    org_slug: str, type_slug: str, page: PublicPage, tz: str | None = None, start: str | None = None
) -> Response:
    return await _book_page(page, org_slug, type_slug, tz=tz, start=_date_param(start))


@router.post("/book/{org_slug}/{type_slug}")
async def public_booking_submit(org_slug: str, type_slug: str, page: PublicPage) -> Response:
    form = await page.form()
    values = {k: forms.text(form, k, limit=2000) for k in ("name", "email", "notes", "start", "tz")}
    await page.runtime.limiter.hit(page.settings.rate_limit_widget, "public_booking", page.ip or "-", what="bookings")
    try:
        data = schemas.PublicBookingCreate.model_validate(
            {
                "start": values["start"],
                "timezone": values["tz"] or "UTC",
                "name": values["name"],
                "email": values["email"],
                "notes": values["notes"],
            }
        )
        booking = await public.book_public(page.session, org_slug, type_slug, data, source="page")
    except ValidationError as exc:
        errs = forms.field_errors(exc)
        message = "; ".join(f"{k}: {v}" for k, v in errs.items())
        return await _book_page(
            page,
            org_slug,
            type_slug,
            tz=values["tz"] or None,
            start=None,
            values=values,
            error=f"Please check: {message}",
            status=422,
        )
    except FrontdeskError as exc:
        await page.session.rollback()
        if exc.status_code == 404:
            raise
        return await _book_page(
            page,
            org_slug,
            type_slug,
            tz=values["tz"] or None,
            start=None,
            values=values,
            error=exc.message,
            status=exc.status_code,
            alternatives=exc.details.get("alternatives") or [],
        )
    return page.redirect(f"/manage-booking/{links.sign(page.session, booking.id)}?booked=1")


async def _manage_page(
    page: Page, token: str, *, error: str = "", status: int = 200, tz: str | None = None
) -> Response:
    booking = await public.booking_by_token(page.session, token)
    info = await public.public_booking(page.session, booking, with_token=False)
    tz_name = tz or booking.timezone
    try:
        zone_info = zone(tz_name)
    except FrontdeskError:
        zone_info = zone(booking.timezone)
    now = page.runtime.clock.now()
    changeable = booking.status == CONFIRMED and booking.start_at > now
    slots = (
        await public.slots_for_token(page.session, token, tz=zone_info.key, start_date=None, days=7)
        if changeable
        else None
    )
    by_day: dict[str, list[schemas.SlotOut]] = {}
    for s in slots.slots if slots else []:
        by_day.setdefault(s.local_date, []).append(s)
    return page.render(
        "meetings/manage.html",
        status_code=status,
        booking=info,
        local_when=booking.start_at.astimezone(zone_info).strftime("%A %d %B %Y, %H:%M"),
        tz=zone_info.key,
        token=token,
        changeable=changeable,
        days=by_day,
        booked=page.request.query_params.get("booked") == "1",
        error=error,
    )


@router.get("/manage-booking/{token}")
async def manage_booking_page(token: str, page: PublicPage, tz: str | None = None) -> Response:
    return await _manage_page(page, token, tz=tz)


@router.post("/manage-booking/{token}/cancel")
async def manage_booking_cancel(token: str, page: PublicPage) -> Response:
    await page.form()
    booking = await public.booking_by_token(page.session, token, for_change=True)
    await service.cancel_booking(page.session, booking)
    page.flash("Your meeting is cancelled. We emailed you a confirmation.")
    return page.redirect(f"/manage-booking/{token}")


@router.post("/manage-booking/{token}/reschedule")
async def manage_booking_reschedule(token: str, page: PublicPage) -> Response:
    form = await page.form()
    start, tz = forms.text(form, "start", limit=60), forms.text(form, "tz", limit=64) or "UTC"
    booking = await public.booking_by_token(page.session, token, for_change=True)
    try:
        data = schemas.Reschedule.model_validate({"start": start, "timezone": tz})
        await service.reschedule_booking(page.session, booking, start=data.start, tz=data.timezone)
    except ValidationError:
        return await _manage_page(page, token, error="Choose one of the times below.", status=422)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _manage_page(page, token, error=exc.message, status=exc.status_code)
    page.flash("Your meeting was moved. We emailed you an updated invitation.")
    return page.redirect(f"/manage-booking/{token}")
