"""Settings pages for where conversations come from and where events go: inboxes, teams and webhooks.

The same rules as ``settings``: each handler reads the form, validates it with the API's own schema,
calls the one service the JSON API calls, then redirects with a flash message or shows the form again
with the problem next to the field. Reading needs ``inboxes.read`` (``webhooks.manage`` for webhooks);
every write calls ``require`` itself, so a hand-made POST from a role without the form gets a 403 page.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData

from frontdesk.authz.service import require
from frontdesk.channels.registry import available_kinds
from frontdesk.inboxes import hours
from frontdesk.inboxes import service as inboxes
from frontdesk.inboxes.models import Inbox
from frontdesk.inboxes.schemas import InboxCreate, InboxUpdate, TeamCreate, TeamUpdate
from frontdesk.kit.errors import FrontdeskError, ValidationFailed
from frontdesk.kit.pagination import PageParams
from frontdesk.orgs import service as orgs
from frontdesk.web import forms
from frontdesk.web.dependencies import Page, PageRoute, UserPage
from frontdesk.web.settings import _page_number, _pager, sections_for
from frontdesk.web.timezones import timezone_options
from frontdesk.webhooks import service as webhooks
from frontdesk.webhooks.schemas import WebhookCreate, WebhookUpdate

router = APIRouter(route_class=PageRoute, include_in_schema=False)

INBOXES = "/app/settings/inboxes"
TEAMS = "/app/settings/teams"
WEBHOOKS = "/app/settings/webhooks"
DELIVERIES_PER_PAGE = 25


def _render(page: Page, template: str, *, current: str, status_code: int = 200, **context: Any) -> Response:
    # ``current`` is the section, not the URL: an inbox's own page keeps "Inboxes" marked in the menu.
    return page.render(template, status_code=status_code, sections=sections_for(page), current=current, **context)


def _fail(exc: FrontdeskError, fields: dict[str, str]) -> dict[str, str]:
    return {fields.get(exc.code, "__all__"): exc.message}


def _nul_errors(values: dict[str, Any]) -> dict[str, str]:
    """Fields holding a NUL character, which PostgreSQL refuses even in a lookup (a name check, say)."""
    message = "Remove the NUL character (\\u0000) from this text."
    return {
        name: message
        for name, value in values.items()
        if (isinstance(value, str) and "\x00" in value) or (isinstance(value, list) and any("\x00" in v for v in value))
    }


# ================================================================ inboxes

CHANNEL_LABELS = {"web": "Website widget", "api": "API", "whatsapp": "WhatsApp"}
DAY_LABELS = dict(
    zip(hours.DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
PRECHAT_LABELS = {"name": "Name", "email": "Email", "phone": "Phone"}
CHECKBOXES = ("assistant_enabled", "prechat_required", "auto_assign", "csat_enabled", "require_identity", "copilot")
# Time ranges per day the form offers: two cover a lunch break; more set through the API are kept.
HOUR_SLOTS = 2
MAX_HOUR_SLOTS = 24
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d(\.\d+)?)?$")

_INBOX_FIELDS = {
    "inbox_name_taken": "name",
    "invalid_name": "name",
    "channel_unavailable": "channel",
    "invalid_timezone": "timezone",
    "invalid_business_hours": "business_hours",
    "invalid_origin": "allowed_origins",
    "invalid_team": "team_id",
    "prechat_fields_required": "prechat_fields",
    "identity_secret_missing": "require_identity",
}
# The schema's own wording is written for API clients; these say what to do in the form.
_INBOX_SCHEMA_MESSAGES = {
    "channel": "Choose where customers write from.",
    "timezone": "Choose a time zone.",
    "widget_color": "Choose a colour, written like #2563eb.",
    "widget_position": "Choose left or right.",
    "max_open_per_agent": "Enter a whole number from 1 to 1000.",
    "team_id": "Choose one of the teams.",
    "prechat_fields": "Choose from name, email and phone.",
    "allowed_origins": "List at most 50 sites.",
}


def _channel_choices() -> list[tuple[str, str]]:
    return [(kind, CHANNEL_LABELS.get(kind, kind.capitalize())) for kind in available_kinds()]


def _conversations_url(page: Page, inbox_id: Any) -> str:
    return f"/app/inbox?inbox={inbox_id}&status=all" if page.can("conversations.read") else ""


async def _inboxes_page(
    page: UserPage, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    scope = require(page.actor, "inboxes.read")
    rows = await inboxes.list_inboxes(page.session, scope)
    team_names = {t.id: t.name for t in await inboxes.list_teams(page.session, scope)}
    now = page.runtime.clock.now()
    items = [
        {
            "id": str(i.id),
            "name": i.name,
            "channel": CHANNEL_LABELS.get(i.channel, i.channel),
            "always_open": not i.business_hours,
            "open": hours.is_open(i.business_hours or {}, i.timezone, now),
            "timezone": i.timezone,
            "team": team_names.get(i.team_id) if i.team_id else None,
            "conversations_url": _conversations_url(page, i.id),
        }
        for i in rows
    ]
    return _render(
        page,
        "app/inboxes.html",
        current=INBOXES,
        status_code=status,
        inboxes=items,
        channels=_channel_choices(),
        values=values or {"name": "", "channel": "web"},
        errors=errors or {},
    )


@router.get(INBOXES)
async def inboxes_page(page: UserPage) -> Response:
    return await _inboxes_page(page)


@router.post(INBOXES)
async def inbox_create_submit(page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    form = await page.form()
    values = {"name": forms.text(form, "name", limit=300), "channel": forms.text(form, "channel", limit=20)}
    data, errors = forms.validate(InboxCreate, values)
    errors = {k: _INBOX_SCHEMA_MESSAGES.get(k, v) for k, v in errors.items()} | _nul_errors(values)
    if data is None or errors:
        return await _inboxes_page(page, values=values, errors=errors, status=422)
    try:
        inbox = await inboxes.create_inbox(page.session, scope, page.actor, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _inboxes_page(page, values=values, errors=_fail(exc, _INBOX_FIELDS), status=exc.status_code)
    if inbox.channel == "whatsapp":
        # A WhatsApp inbox receives nothing until its number is connected: go straight to that page.
        page.flash(f"The inbox “{inbox.name}” was created. Connect its WhatsApp number below.")
        return page.redirect(f"{INBOXES}/{inbox.id}/whatsapp")
    where = (
        "Paste the snippet below into your site" if inbox.channel == "web" else "Send messages to it with an API key"
    )
    page.flash(f"The inbox “{inbox.name}” was created. {where}, then adjust its settings.")
    return page.redirect(f"{INBOXES}/{inbox.id}")


def _display_end(value: str) -> str:
    # A time input cannot hold "24:00"; midnight as a closing time is written 00:00 in the form.
    return "00:00" if value == "24:00" else value


def _inbox_values(inbox: Inbox) -> dict[str, Any]:
    stored = inbox.business_hours or {}
    return {
        "name": inbox.name,
        "greeting": inbox.greeting,
        "widget_color": inbox.widget_color,
        "widget_position": inbox.widget_position,
        "timezone": inbox.timezone,
        "hours_mode": "hours" if stored else "always",
        "hours": {day: [(a, _display_end(b)) for a, b in stored.get(day, [])] for day in hours.DAYS},
        "out_of_office_message": inbox.out_of_office_message,
        "prechat_fields": list(inbox.prechat_fields or []),
        "max_open_per_agent": str(inbox.max_open_per_agent),
        "team_id": str(inbox.team_id) if inbox.team_id else "",
        "allowed_origins": "\n".join(inbox.allowed_origins or []),
        **{name: bool(getattr(inbox, name)) for name in CHECKBOXES},
    }


def _hour_rows(values: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for day in hours.DAYS:
        slots = list(values["hours"].get(day, []))[:MAX_HOUR_SLOTS]
        slots += [("", "")] * (max(HOUR_SLOTS, len(slots)) - len(slots))
        rows.append({"day": day, "label": DAY_LABELS[day], "slots": slots})
    return rows


def _parse_time(value: str) -> str | None:
    found = _TIME.match(value)
    return f"{found.group(1)}:{found.group(2)}" if found else None


def _hours_from_form(form: FormData) -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[list[str]]], str]:
    """What was typed (to show again), the business hours it means, and the first problem, if any."""
    typed: dict[str, list[tuple[str, str]]] = {}
    clean: dict[str, list[list[str]]] = {}
    problem = ""
    for day in hours.DAYS:
        label = DAY_LABELS[day]
        for n in range(MAX_HOUR_SLOTS):
            start_raw = forms.text(form, f"hours_{day}_{n}_from", limit=12)
            end_raw = forms.text(form, f"hours_{day}_{n}_to", limit=12)
            if not start_raw and not end_raw:
                continue
            typed.setdefault(day, []).append((start_raw, end_raw))
            if problem:
                continue
            start, end = _parse_time(start_raw), _parse_time(end_raw)
            if not start_raw or not end_raw:
                problem = f"{label}: enter both an opening and a closing time, or neither."
            elif start is None or end is None:
                problem = f"{label}: enter times as HH:MM, like 09:00."
            else:
                end = "24:00" if end == "00:00" else end
                if end <= start:
                    problem = (
                        f"{label}: {end_raw} is not after {start_raw}. "
                        "For hours past midnight, put the rest on the next day."
                    )
                else:
                    clean.setdefault(day, []).append([start, end])
    return typed, clean, problem


async def _inbox_page(
    page: UserPage,
    inbox_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    scope = require(page.actor, "inboxes.read")
    inbox = await inboxes.get_inbox(page.session, scope, inbox_id)
    teams = await inboxes.list_teams(page.session, scope)
    values = values or _inbox_values(inbox)
    now = page.runtime.clock.now()
    return _render(
        page,
        "app/inboxes_edit.html",
        current=INBOXES,
        status_code=status,
        inbox={
            "id": str(inbox.id),
            "name": inbox.name,
            "channel": inbox.channel,
            "channel_label": CHANNEL_LABELS.get(inbox.channel, inbox.channel),
            "public_token": inbox.public_token,
            "has_identity_secret": inbox.identity_secret_encrypted is not None,
            "always_open": not inbox.business_hours,
            "open": hours.is_open(inbox.business_hours or {}, inbox.timezone, now),
            "timezone": inbox.timezone,
            "created_at": inbox.created_at,
        },
        snippet=inboxes.snippet(page.settings.public_url, inbox).snippet,
        demo_url=f"/widget/demo?inbox={inbox.public_token}",
        messages_url=f"{page.settings.public_url.rstrip('/')}/api/v1/inboxes/{inbox.id}/messages",
        conversations_url=_conversations_url(page, inbox.id),
        values=values,
        errors=errors or {},
        hour_rows=_hour_rows(values),
        timezones=timezone_options(values["timezone"]),
        teams=[(str(t.id), t.name) for t in teams],
        prechat_labels=PRECHAT_LABELS,
    )


@router.get(INBOXES + "/{inbox_id}")
async def inbox_page(inbox_id: str, page: UserPage) -> Response:
    return await _inbox_page(page, forms.parse_id(inbox_id, "inbox"))


def _inbox_form(form: FormData) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The values to show again, the update to send, and problems the form itself can tell."""
    typed_hours, business_hours, hours_problem = _hours_from_form(form)
    values: dict[str, Any] = {
        "name": forms.text(form, "name", limit=300),
        "greeting": forms.text(form, "greeting", limit=1200),
        "widget_color": forms.text(form, "widget_color", limit=20),
        "widget_position": forms.text(form, "widget_position", limit=10),
        "timezone": forms.text(form, "timezone", limit=100),
        "hours_mode": "always" if forms.text(form, "hours_mode", limit=10) == "always" else "hours",
        "hours": typed_hours,
        "out_of_office_message": forms.text(form, "out_of_office_message", limit=2200),
        "prechat_fields": forms.texts(form, "prechat_fields", limit=20),
        "max_open_per_agent": forms.text(form, "max_open_per_agent", limit=10),
        "team_id": forms.text(form, "team_id", limit=40),
        "allowed_origins": forms.text(form, "allowed_origins", limit=20_000),
        **{name: forms.text(form, name, limit=5) != "" for name in CHECKBOXES},
    }
    errors: dict[str, str] = {}
    if values["hours_mode"] == "always":
        business_hours = {}
    elif hours_problem:
        errors["business_hours"] = hours_problem
    elif not business_hours:
        errors["business_hours"] = "Add opening hours for at least one day, or choose “Always open”."
    update = {
        "name": values["name"],
        "greeting": values["greeting"],
        "widget_color": values["widget_color"],
        "widget_position": values["widget_position"],
        "timezone": values["timezone"],
        "business_hours": business_hours,
        "out_of_office_message": values["out_of_office_message"],
        "prechat_fields": values["prechat_fields"],
        "max_open_per_agent": values["max_open_per_agent"],
        "team_id": values["team_id"] or None,
        "allowed_origins": [line.strip() for line in values["allowed_origins"].splitlines() if line.strip()],
        **{name: values[name] for name in CHECKBOXES},
    }
    return values, update, errors


@router.post(INBOXES + "/{inbox_id}")
async def inbox_update_submit(inbox_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    parsed = forms.parse_id(inbox_id, "inbox")
    form = await page.form()
    values, update, errors = _inbox_form(form)
    data, schema_errors = forms.validate(InboxUpdate, update)
    for name, message in schema_errors.items():
        errors.setdefault(name, _INBOX_SCHEMA_MESSAGES.get(name, message))
    errors |= _nul_errors({k: v for k, v in values.items() if k != "hours"})
    if data is None or errors:
        return await _inbox_page(page, parsed, values=values, errors=errors, status=422)
    try:
        inbox = await inboxes.update_inbox(page.session, scope, page.actor, parsed, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        problem = _fail(exc, _INBOX_FIELDS)
        if exc.code == "identity_secret_missing":
            problem = {"require_identity": "Generate an identity secret below before requiring verified visitors."}
        return await _inbox_page(page, parsed, values=values, errors=problem, status=exc.status_code)
    page.flash(f"The settings of “{inbox.name}” were saved.")
    return page.redirect(f"{INBOXES}/{inbox.id}")


@router.post(INBOXES + "/{inbox_id}/rotate-token")
async def inbox_rotate_token_submit(inbox_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    inbox = await inboxes.rotate_token(page.session, scope, page.actor, forms.parse_id(inbox_id, "inbox"))
    page.flash(
        f"“{inbox.name}” has a new public token. Pages that still carry the old snippet no longer load the "
        "widget: paste the new snippet below."
    )
    return page.redirect(f"{INBOXES}/{inbox.id}")


@router.post(INBOXES + "/{inbox_id}/identity-secret")
async def inbox_identity_secret_submit(inbox_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    parsed = forms.parse_id(inbox_id, "inbox")
    inbox = await inboxes.get_inbox(page.session, scope, parsed)
    replaced = inbox.identity_secret_encrypted is not None
    secret = await inboxes.create_identity_secret(page.session, scope, page.actor, parsed)
    page.flash(
        "A new identity secret was created. Keep it on your server and copy it now: it is shown only this once."
        + (" The earlier secret no longer verifies visitors." if replaced else ""),
        secret=secret,
        secret_label="Identity secret",
    )
    return page.redirect(f"{INBOXES}/{inbox.id}")


@router.post(INBOXES + "/{inbox_id}/delete")
async def inbox_delete_submit(inbox_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    parsed = forms.parse_id(inbox_id, "inbox")
    inbox = await inboxes.get_inbox(page.session, scope, parsed)
    name = inbox.name
    await inboxes.delete_inbox(page.session, scope, page.actor, parsed)
    page.flash(f"The inbox “{name}” was deleted. Its conversations are kept; its widget and token stopped working.")
    return page.redirect(INBOXES)


# ================================================================ teams

_TEAM_FIELDS = {"team_name_taken": "name", "invalid_name": "name"}


async def _teams_page(
    page: UserPage,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    row_errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    scope = require(page.actor, "inboxes.read")
    teams = await inboxes.team_schemas(page.session, await inboxes.list_teams(page.session, scope))
    people: list[tuple[str, str]] = []
    if page.can("inboxes.manage") and page.can("members.read"):
        members = await orgs.list_members(page.session, require(page.actor, "members.read"))
        people = [(str(u.id), f"{u.name} ({u.email})" if u.name else u.email) for _m, u in members]
    items = []
    for t in teams:
        inside = {str(m.user_id) for m in t.members}
        items.append(
            {
                "id": str(t.id),
                "name": t.name,
                "description": t.description,
                "created_at": t.created_at,
                "members": [{"id": str(m.user_id), "name": m.name or m.email, "email": m.email} for m in t.members],
                "addable": [p for p in people if p[0] not in inside],
            }
        )
    return _render(
        page,
        "app/teams.html",
        current=TEAMS,
        status_code=status,
        teams=items,
        values=values or {"name": "", "description": ""},
        errors=errors or {},
        row_errors=row_errors or {},
    )


@router.get(TEAMS)
async def teams_page(page: UserPage) -> Response:
    return await _teams_page(page)


def _team_values(form: FormData) -> dict[str, str]:
    return {"name": forms.text(form, "name", limit=300), "description": forms.text(form, "description", limit=2200)}


@router.post(TEAMS)
async def team_create_submit(page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    values = _team_values(await page.form())
    data, errors = forms.validate(TeamCreate, values)
    errors |= _nul_errors(values)
    if data is None or errors:
        return await _teams_page(page, values=values, errors=errors, status=422)
    try:
        team = await inboxes.create_team(page.session, scope, page.actor, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _teams_page(page, values=values, errors=_fail(exc, _TEAM_FIELDS), status=exc.status_code)
    page.flash(f"The team “{team.name}” was created. Add its members below.")
    return page.redirect(f"{TEAMS}#team-{team.id}")


@router.post(TEAMS + "/{team_id}")
async def team_update_submit(team_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    parsed = forms.parse_id(team_id, "team")
    values = _team_values(await page.form())
    data, errors = forms.validate(TeamUpdate, values)
    errors |= _nul_errors(values)
    if data is None or errors:
        message = "; ".join(f"{'Name' if k == 'name' else 'Description'}: {v}" for k, v in errors.items())
        return await _teams_page(page, row_errors={team_id: message}, status=422)
    try:
        team = await inboxes.update_team(page.session, scope, page.actor, parsed, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _teams_page(page, row_errors={team_id: exc.message}, status=exc.status_code)
    page.flash(f"The team “{team.name}” was saved.")
    return page.redirect(f"{TEAMS}#team-{team.id}")


@router.post(TEAMS + "/{team_id}/delete")
async def team_delete_submit(team_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    parsed = forms.parse_id(team_id, "team")
    team = await inboxes.get_team(page.session, scope, parsed)
    name = team.name
    await inboxes.delete_team(page.session, scope, page.actor, parsed)
    page.flash(f"The team “{name}” was deleted. Inboxes that routed to it now route to everyone.")
    return page.redirect(TEAMS)


async def _person(page: Page, team_id: uuid.UUID, user_id: uuid.UUID) -> str:
    team = await inboxes.get_team(page.session, require(page.actor, "inboxes.read"), team_id)
    for member in (await inboxes.team_schemas(page.session, [team]))[0].members:
        if member.user_id == user_id:
            return member.name or member.email
    return "The person"


@router.post(TEAMS + "/{team_id}/members")
async def team_member_add_submit(team_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    parsed = forms.parse_id(team_id, "team")
    raw = forms.text(await page.form(), "user_id", limit=40)
    try:
        if not raw:
            raise ValidationFailed("Choose a person to add.", code="invalid_member")
        try:
            user_id = uuid.UUID(raw)
        except ValueError:
            raise ValidationFailed("Choose one of the organization's members.", code="invalid_member") from None
        team = await inboxes.add_team_member(page.session, scope, page.actor, parsed, user_id)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _teams_page(page, row_errors={team_id: exc.message}, status=exc.status_code)
    page.flash(f"{await _person(page, team.id, user_id)} is in the team “{team.name}”.")
    return page.redirect(f"{TEAMS}#team-{team.id}")


@router.post(TEAMS + "/{team_id}/members/{user_id}/remove")
async def team_member_remove_submit(team_id: str, user_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    parsed_team = forms.parse_id(team_id, "team")
    parsed_user = forms.parse_id(user_id, "member")
    name = await _person(page, parsed_team, parsed_user)
    try:
        team = await inboxes.remove_team_member(page.session, scope, page.actor, parsed_team, parsed_user)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _teams_page(page, row_errors={team_id: exc.message}, status=exc.status_code)
    page.flash(f"{name} was removed from the team “{team.name}”.")
    return page.redirect(f"{TEAMS}#team-{team.id}")


# ================================================================ webhooks

EVENT_LABELS = {
    "conversation.created": "A conversation starts",
    "conversation.status_changed": "A conversation changes status",
    "conversation.assigned": "A conversation is assigned or unassigned",
    "message.created": "A message is sent or received",
    "contact.created": "A contact is created",
    "contact.updated": "A contact changes",
    "csat.submitted": "A customer rates a conversation",
    webhooks.TEST_EVENT: "A test sent from this page",
}
# Every failure of the URL guard is about the URL field, whatever its code.
_WEBHOOK_FIELDS = {"invalid_events": "events", "null_not_allowed": "__all__"}
_WEBHOOK_SCHEMA_MESSAGES = {
    "url": "Enter the URL that should receive the events, like https://example.com/hooks/frontdesk.",
    "events": "Choose at least one event.",
    "description": "Use at most 300 characters.",
}


def _events() -> list[tuple[str, str]]:
    return [(e, EVENT_LABELS.get(e, e.replace(".", " ").replace("_", " ").capitalize())) for e in webhooks.EVENTS]


def _webhook_values(form: FormData) -> dict[str, Any]:
    return {
        "url": forms.text(form, "url", limit=2100),
        "events": forms.texts(form, "events", limit=80),
        "description": forms.text(form, "description", limit=400),
    }


def _webhook_errors(exc: FrontdeskError) -> dict[str, str]:
    return {_WEBHOOK_FIELDS.get(exc.code, "url"): exc.message}


def _schema_errors(errors: dict[str, str]) -> dict[str, str]:
    return {k: _WEBHOOK_SCHEMA_MESSAGES.get(k, v) for k, v in errors.items()}


async def _webhooks_page(
    page: UserPage, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    scope = require(page.actor, "webhooks.manage")
    rows = await webhooks.list_webhooks(page.session, scope)
    return _render(
        page,
        "app/webhooks.html",
        current=WEBHOOKS,
        status_code=status,
        webhooks=rows,
        events=_events(),
        values=values or {"url": "", "events": [], "description": ""},
        errors=errors or {},
        allow_private=page.settings.allow_private_network_targets,
    )


@router.get(WEBHOOKS)
async def webhooks_page(page: UserPage) -> Response:
    return await _webhooks_page(page)


@router.post(WEBHOOKS)
async def webhook_create_submit(page: UserPage) -> Response:
    scope = require(page.actor, "webhooks.manage")
    values = _webhook_values(await page.form())
    data, errors = forms.validate(WebhookCreate, values)
    errors = _schema_errors(errors) | _nul_errors(values)
    if data is None or errors:
        return await _webhooks_page(page, values=values, errors=errors, status=422)
    try:
        sub, secret = await webhooks.create_webhook(page.session, scope, page.actor, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _webhooks_page(page, values=values, errors=_webhook_errors(exc), status=exc.status_code)
    page.flash(
        f"The webhook to {sub.url} was created. Copy its signing secret now: it is shown only this once. "
        "Check the X-Frontdesk-Signature header of each delivery with it.",
        secret=secret,
        secret_label="Signing secret",
    )
    return page.redirect(f"{WEBHOOKS}/{sub.id}")


DELIVERY_FILTERS = ("all", *webhooks.DELIVERY_STATUSES)


async def _webhook_page(
    page: UserPage,
    request: Request,
    webhook_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    scope = require(page.actor, "webhooks.manage")
    sub = await webhooks.get_webhook(page.session, scope, webhook_id)
    q = request.query_params
    state = q.get("status") or "all"
    state = state if state in DELIVERY_FILTERS else "all"
    paging = PageParams(page=_page_number(q.get("page")), per_page=DELIVERIES_PER_PAGE)
    rows, total = await webhooks.list_deliveries(
        page.session, scope, sub.id, paging=paging, status=None if state == "all" else state
    )
    base = f"{WEBHOOKS}/{sub.id}"
    return _render(
        page,
        "app/webhooks_edit.html",
        current=WEBHOOKS,
        status_code=status,
        webhook=sub,
        events=_events(),
        event_labels=EVENT_LABELS,
        values=values or {"url": sub.url, "events": list(sub.events or []), "description": sub.description},
        errors=errors or {},
        deliveries=rows,
        delivery_filter=state,
        delivery_filters=DELIVERY_FILTERS,
        pager=_pager(paging, total, base, {"status": state} if state != "all" else {}),
    )


@router.get(WEBHOOKS + "/{webhook_id}")
async def webhook_page(webhook_id: str, request: Request, page: UserPage) -> Response:
    return await _webhook_page(page, request, forms.parse_id(webhook_id, "webhook"))


@router.post(WEBHOOKS + "/{webhook_id}")
async def webhook_update_submit(webhook_id: str, request: Request, page: UserPage) -> Response:
    scope = require(page.actor, "webhooks.manage")
    parsed = forms.parse_id(webhook_id, "webhook")
    values = _webhook_values(await page.form())
    sub = await webhooks.get_webhook(page.session, scope, parsed)
    changes: dict[str, Any] = {"events": values["events"], "description": values["description"]}
    if values["url"] != sub.url:
        # Only a changed URL is checked again: saving a description must not hinge on a DNS lookup.
        changes["url"] = values["url"]
    data, errors = forms.validate(WebhookUpdate, changes)
    errors = _schema_errors(errors) | _nul_errors(values)
    if data is None or errors:
        return await _webhook_page(page, request, parsed, values=values, errors=errors, status=422)
    try:
        sub = await webhooks.update_webhook(page.session, scope, page.actor, parsed, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _webhook_page(
            page, request, parsed, values=values, errors=_webhook_errors(exc), status=exc.status_code
        )
    page.flash("The webhook was saved.")
    return page.redirect(f"{WEBHOOKS}/{sub.id}")


async def _set_active(page: Page, webhook_id: str, active: bool) -> Response:
    scope = require(page.actor, "webhooks.manage")
    parsed = forms.parse_id(webhook_id, "webhook")
    sub = await webhooks.update_webhook(page.session, scope, page.actor, parsed, WebhookUpdate(active=active))
    if active:
        page.flash("The webhook is active again: new events are sent to it.")
    else:
        page.flash("The webhook is paused: no events are sent to it until you resume it.")
    return page.redirect(f"{WEBHOOKS}/{sub.id}")


@router.post(WEBHOOKS + "/{webhook_id}/pause")
async def webhook_pause_submit(webhook_id: str, page: UserPage) -> Response:
    return await _set_active(page, webhook_id, False)


@router.post(WEBHOOKS + "/{webhook_id}/resume")
async def webhook_resume_submit(webhook_id: str, page: UserPage) -> Response:
    return await _set_active(page, webhook_id, True)


@router.post(WEBHOOKS + "/{webhook_id}/rotate-secret")
async def webhook_rotate_secret_submit(webhook_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "webhooks.manage")
    parsed = forms.parse_id(webhook_id, "webhook")
    secret = await webhooks.rotate_secret(page.session, scope, page.actor, parsed)
    page.flash(
        "The webhook has a new signing secret; deliveries from now on are signed with it. "
        "Copy it now: it is shown only this once.",
        secret=secret,
        secret_label="Signing secret",
    )
    return page.redirect(f"{WEBHOOKS}/{parsed}")


@router.post(WEBHOOKS + "/{webhook_id}/test")
async def webhook_test_submit(webhook_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "webhooks.manage")
    parsed = forms.parse_id(webhook_id, "webhook")
    await webhooks.send_test(page.session, scope, page.actor, parsed)
    page.flash(
        "A test event is on its way. Reload this page in a few seconds to see the receiver's answer in the log.",
        kind="info",
    )
    return page.redirect(f"{WEBHOOKS}/{parsed}")


@router.post(WEBHOOKS + "/{webhook_id}/delete")
async def webhook_delete_submit(webhook_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "webhooks.manage")
    parsed = forms.parse_id(webhook_id, "webhook")
    sub = await webhooks.get_webhook(page.session, scope, parsed)
    url = sub.url
    await webhooks.delete_webhook(page.session, scope, page.actor, parsed)
    page.flash(f"The webhook to {url} was deleted, with its delivery log.")
    return page.redirect(WEBHOOKS)
