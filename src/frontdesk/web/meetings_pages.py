"""Meetings pages for staff: bookings, meeting types, hours and calendars.

Every write goes through the same services as the API, behind ``require``. The public booking pages
(no login) are in :mod:`frontdesk.web.booking_pages`, included here.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError

from frontdesk.authz.service import require, require_user
from frontdesk.kit.errors import FrontdeskError, NotFound
from frontdesk.orgs import service as orgs
from frontdesk.scheduling import (
    availability,
    connections,
    meeting_types,
    repository,
    schemas,
    service,
)
from frontdesk.scheduling.models import MeetingType
from frontdesk.scheduling.slots import DAYS, zone
from frontdesk.web import forms
from frontdesk.web.booking_pages import router as booking_router
from frontdesk.web.dependencies import Page, PageRoute, UserPage
from frontdesk.web.timezones import timezone_options

router = APIRouter(route_class=PageRoute, include_in_schema=False)

DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))
TABS = (
    ("/app/meetings", "Bookings"),
    ("/app/meetings/types", "Meeting types"),
    ("/app/meetings/availability", "Hours"),
    ("/app/meetings/calendars", "Calendars"),
)


def _render(page: Page, template: str, *, status_code: int = 200, **context: Any) -> Response:
    return page.render(template, status_code=status_code, tabs=TABS, current=page.request.url.path, **context)


async def _members(page: Page) -> list[dict[str, str]]:
    rows = await orgs.list_members(page.session, require(page.actor, "members.read"))
    return [{"id": str(u.id), "name": u.name or u.email, "email": u.email} for _, u in rows]


async def _org_slug(page: Page) -> str:
    org = await orgs.get_organization(page.session, require(page.actor, "meetings.read"))
    return str(org.slug)


# ---------------------------------------------------------------- bookings


@router.get("/app/meetings")
async def meetings_home(page: UserPage) -> Response:
    scope = require(page.actor, "meetings.read")
    now = page.runtime.clock.now()
    rows = await repository.bookings(page.session, scope.ids, after=now - timedelta(hours=12))
    types = {t.id: t for t in await repository.meeting_types(page.session, scope.ids)}
    members = {m["id"]: m["name"] for m in await _members(page)}
    tz = zone(page.timezone or "UTC")
    bookings = [
        {
            "id": str(b.id),
            "when": b.start_at.astimezone(tz).strftime("%a %d %b %Y, %H:%M"),
            "type": types[b.meeting_type_id].name if b.meeting_type_id in types else "",
            "name": b.name,
            "email": b.email,
            "host": members.get(str(b.agent_id), "Team") if b.agent_id else "Team",
            "status": b.status,
            "location": b.location,
            "source": b.source,
        }
        for b in rows
    ]
    slug = await _org_slug(page)
    base = page.settings.public_url.rstrip("/")
    links = [{"name": t.name, "url": f"{base}/book/{slug}/{t.slug}"} for t in types.values() if t.active]
    return _render(
        page,
        "meetings/bookings.html",
        bookings=bookings,
        links=links,
        timezone=tz.key,
        can_manage=page.can("meetings.manage"),
    )


@router.post("/app/meetings/bookings/{booking_id}/cancel")
async def booking_cancel_submit(booking_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "meetings.manage")
    found = await repository.booking(page.session, scope.ids, forms.parse_id(booking_id, "booking"))
    if found is None:
        raise NotFound("No such booking.")
    await service.cancel_booking(page.session, found)
    page.flash(f"The meeting with {found.name} is cancelled; they were emailed a cancellation.")
    return page.redirect("/app/meetings")


# ---------------------------------------------------------------- meeting types


def _type_values(t: MeetingType | None) -> dict[str, Any]:
    if t is None:
        return {
            "name": "",
            "slug": "",
            "description": "",
            "duration_minutes": "30",
            "buffer_before_minutes": "0",
            "buffer_after_minutes": "0",
            "min_notice_minutes": "60",
            "max_days_ahead": "30",
            "slot_step_minutes": "15",
            "location_kind": "video",
            "location_value": "",
            "agent_ids": [],
            "reminder_minutes": "1440, 60",
            "is_default": False,
            "active": True,
        }
    return {
        "name": t.name,
        "slug": t.slug,
        "description": t.description,
        "duration_minutes": str(t.duration_minutes),
        "buffer_before_minutes": str(t.buffer_before_minutes),
        "buffer_after_minutes": str(t.buffer_after_minutes),
        "min_notice_minutes": str(t.min_notice_minutes),
        "max_days_ahead": str(t.max_days_ahead),
        "slot_step_minutes": str(t.slot_step_minutes),
        "location_kind": t.location_kind,
        "location_value": t.location_value,
        "agent_ids": list(t.agent_ids),
        "reminder_minutes": ", ".join(str(m) for m in t.reminder_minutes),
        "is_default": t.is_default,
        "active": t.active,
    }


def _type_form(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: forms.text(form, name, limit=5000 if name == "description" else 500)
        for name in (
            "name",
            "slug",
            "description",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "min_notice_minutes",
            "max_days_ahead",
            "slot_step_minutes",
            "location_kind",
            "location_value",
            "reminder_minutes",
        )
    }
    values["agent_ids"] = forms.texts(form, "agent_ids")
    values["is_default"] = forms.text(form, "is_default") == "on"
    values["active"] = forms.text(form, "active") == "on"
    return values


def _type_payload(values: dict[str, Any]) -> dict[str, Any]:
    payload = dict(values)
    payload["slug"] = values["slug"] or None
    raw = [p.strip() for p in str(values["reminder_minutes"]).split(",") if p.strip()]
    payload["reminder_minutes"] = [int(p) if p.isdigit() else p for p in raw]
    return payload


async def _types_page(
    page: Page, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    scope = require(page.actor, "meetings.read")
    rows = await meeting_types.list_meeting_types(page.session, scope)
    slug = await _org_slug(page)
    return _render(
        page,
        "meetings/types.html",
        status_code=status,
        types=rows,
        org_slug=slug,
        public_url=page.settings.public_url.rstrip("/"),
        values=values or _type_values(None),
        errors=errors or {},
        members=await _members(page),
        can_manage=page.can("meetings.manage"),
    )


@router.get("/app/meetings/types")
async def meeting_types_page(page: UserPage) -> Response:
    return await _types_page(page)


@router.post("/app/meetings/types")
async def meeting_type_create_submit(page: UserPage) -> Response:
    scope = require(page.actor, "meetings.manage")
    values = _type_form(await page.form())
    data, errors = forms.validate(schemas.MeetingTypeCreate, _type_payload(values))
    if data is None:
        return await _types_page(page, values=values, errors=errors, status=422)
    try:
        row = await meeting_types.create_meeting_type(page.session, scope, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        field = "slug" if exc.code == "slug_taken" else ("agent_ids" if exc.code == "unknown_agent" else "__all__")
        return await _types_page(page, values=values, errors={field: exc.message}, status=exc.status_code)
    page.flash(f"“{row.name}” can now be booked.")
    return page.redirect("/app/meetings/types")


async def _type_edit_page(
    page: Page,
    type_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    row = await meeting_types.get_meeting_type(page.session, require(page.actor, "meetings.read"), type_id)
    return _render(
        page,
        "meetings/type_edit.html",
        status_code=status,
        meeting_type=row,
        values=values or _type_values(row),
        errors=errors or {},
        members=await _members(page),
        can_manage=page.can("meetings.manage"),
    )


@router.get("/app/meetings/types/{type_id}")
async def meeting_type_page(type_id: str, page: UserPage) -> Response:
    return await _type_edit_page(page, forms.parse_id(type_id, "meeting type"))


@router.post("/app/meetings/types/{type_id}")
async def meeting_type_update_submit(type_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "meetings.manage")
    tid = forms.parse_id(type_id, "meeting type")
    await meeting_types.get_meeting_type(page.session, scope, tid)
    values = _type_form(await page.form())
    payload = _type_payload(values)
    if not payload["slug"]:
        payload.pop("slug")
    data, errors = forms.validate(schemas.MeetingTypeUpdate, payload)
    if data is None:
        return await _type_edit_page(page, tid, values=values, errors=errors, status=422)
    try:
        row = await meeting_types.update_meeting_type(page.session, scope, tid, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        field = "slug" if exc.code == "slug_taken" else "__all__"
        return await _type_edit_page(page, tid, values=values, errors={field: exc.message}, status=exc.status_code)
    page.flash(f"“{row.name}” was saved.")
    return page.redirect(f"/app/meetings/types/{row.id}")


@router.post("/app/meetings/types/{type_id}/delete")
async def meeting_type_delete_submit(type_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "meetings.manage")
    tid = forms.parse_id(type_id, "meeting type")
    try:
        await meeting_types.delete_meeting_type(page.session, scope, tid)
    except FrontdeskError as exc:
        if exc.code != "meeting_type_in_use":
            raise
        await page.session.rollback()
        return await _type_edit_page(page, tid, errors={"__all__": exc.message}, status=exc.status_code)
    page.flash("The meeting type was deleted.")
    return page.redirect("/app/meetings/types")


# ---------------------------------------------------------------- hours


def _hours_text(ranges: list[list[str]]) -> str:
    return ", ".join(f"{lo}-{hi}" for lo, hi in ranges)


def _parse_hours(text: str) -> list[list[str]]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        out.append([lo.strip(), hi.strip()] if sep else [part, ""])
    return out


def _parse_days_off(text: str) -> list[dict[str, str]]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            day, _, label = line.partition(" ")
            out.append({"date": day, "label": label.strip()})
    return out


async def _hours_page(
    page: Page,
    agent_id: uuid.UUID | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    current = await availability.get_availability(page.session, require(page.actor, "meetings.read"), agent_id)
    if values is None:
        values = {
            "timezone": current.timezone,
            "days": {d: _hours_text(current.weekly_hours.get(d, [])) for d in DAYS},
            "days_off": "\n".join(f"{e.date.isoformat()} {e.label}".strip() for e in current.exceptions),
        }
    return _render(
        page,
        "meetings/availability.html",
        status_code=status,
        values=values,
        errors=errors or {},
        day_names=DAY_NAMES,
        agent_id=str(agent_id) if agent_id else "",
        configured=current.configured,
        members=await _members(page),
        timezones=timezone_options(values["timezone"]),
        can_manage=page.can("meetings.manage"),
    )


def _agent_param(raw: str | None) -> uuid.UUID | None:
    return forms.parse_id(raw, "agent") if raw else None


@router.get("/app/meetings/availability")
async def availability_page(page: UserPage, agent: str | None = None) -> Response:
    return await _hours_page(page, _agent_param(agent))


@router.post("/app/meetings/availability")
async def availability_submit(page: UserPage) -> Response:
    scope = require(page.actor, "meetings.manage")
    form = await page.form()
    agent_id = _agent_param(forms.text(form, "agent_id", limit=60))
    days = {d: forms.text(form, f"day_{d}", limit=200) for d in DAYS}
    days_off = forms.text(form, "days_off", strip=False, limit=20000)
    values: dict[str, Any] = {"timezone": forms.text(form, "timezone", limit=64), "days": days, "days_off": days_off}
    payload = {
        "timezone": values["timezone"],
        "weekly_hours": {d: _parse_hours(t) for d, t in days.items() if t},
        "exceptions": _parse_days_off(days_off),
    }
    try:
        data = schemas.AvailabilityUpdate.model_validate(payload)
        await availability.set_availability(page.session, scope, agent_id, data)
    except ValidationError as exc:
        errs = forms.field_errors(exc)
        mapped = {
            ("days_off" if k == "exceptions" else "hours" if k == "weekly_hours" else k): v for k, v in errs.items()
        }
        return await _hours_page(page, agent_id, values=values, errors=mapped, status=422)
    except FrontdeskError as exc:
        await page.session.rollback()
        field = "timezone" if exc.code == "invalid_timezone" else "__all__"
        return await _hours_page(page, agent_id, values=values, errors={field: exc.message}, status=exc.status_code)
    page.flash("Opening hours saved.")
    return page.redirect("/app/meetings/availability" + (f"?agent={agent_id}" if agent_id else ""))


# ---------------------------------------------------------------- calendars


async def _calendars_page(
    page: Page, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    rows = await connections.list_connections(page.session, require(page.actor, "meetings.read"))
    members = {m["id"]: m["name"] for m in await _members(page)}
    return _render(
        page,
        "meetings/calendars.html",
        status_code=status,
        connections=[
            {
                "id": str(c.id),
                "kind": c.kind,
                "name": c.name,
                "whose": members.get(str(c.agent_id), "") if c.agent_id else "Team",
                "status": c.status,
                "error": c.last_error,
                "synced": c.last_synced_at,
                "url": c.config.get("url") or c.config.get("calendar_id") or "",
            }
            for c in rows
        ],
        members=await _members(page),
        values=values or {"url": "", "username": "", "name": "", "agent_id": ""},
        errors=errors or {},
        google_ready=bool(page.settings.google_client_id and page.settings.google_client_secret),
        can_manage=page.can("meetings.manage"),
    )


@router.get("/app/meetings/calendars")
async def calendars_page(page: UserPage) -> Response:
    return await _calendars_page(page)


@router.post("/app/meetings/calendars")
async def caldav_connect_submit(page: UserPage) -> Response:
    scope = require(page.actor, "meetings.manage")
    form = await page.form()
    values = {k: forms.text(form, k, limit=2000) for k in ("url", "username", "name", "agent_id")}
    password = forms.text(form, "password", strip=False, limit=500)
    try:
        data = schemas.CalendarConnectionCreate(
            kind="caldav",
            url=values["url"] or None,
            username=values["username"] or None,
            password=password or None,
            name=values["name"],
            agent_id=_agent_param(values["agent_id"]),
        )
        await connections.create_connection(page.session, scope, data, actor_id=page.actor.user_id)
    except ValidationError as exc:
        return await _calendars_page(page, values=values, errors=forms.field_errors(exc), status=422)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _calendars_page(page, values=values, errors={"url": exc.message}, status=exc.status_code)
    page.flash("The CalDAV calendar is connected: its busy times now block slots, and bookings appear in it.")
    return page.redirect("/app/meetings/calendars")


@router.post("/app/meetings/calendars/google")
async def google_connect_submit(page: UserPage) -> Response:
    scope = require(page.actor, "meetings.manage")
    form = await page.form()
    agent_id = _agent_param(forms.text(form, "agent_id", limit=60))
    _, url = await connections.create_connection(
        page.session,
        scope,
        schemas.CalendarConnectionCreate(kind="google", agent_id=agent_id),
        actor_id=page.actor.user_id,
    )
    assert url is not None
    return page.redirect(url)


@router.post("/app/meetings/calendars/{connection_id}/delete")
async def calendar_delete_submit(connection_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "meetings.manage")
    await connections.delete_connection(
        page.session, scope, forms.parse_id(connection_id, "calendar"), actor_id=page.actor.user_id
    )
    page.flash("The calendar was disconnected.")
    return page.redirect("/app/meetings/calendars")


@router.post("/app/meetings/feed")
async def feed_submit(page: UserPage) -> Response:
    scope = require(page.actor, "meetings.read")
    url = await connections.rotate_feed(page.session, scope, require_user(page.actor))
    page.flash(
        "Your private calendar feed is ready. Subscribe to it in your calendar app; "
        "any older feed link stopped working.",
        secret=url,
        secret_label="Feed URL",
    )
    return page.redirect("/app/meetings/calendars")


# Flat, like the app's own registration: nested routers are walked twice per request.
router.routes.extend(booking_router.routes)
