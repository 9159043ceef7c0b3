"""The notifications page and notification preferences, for every signed-in member."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Response

from frontdesk.authz.service import require, require_user
from frontdesk.kit.errors import ValidationFailed
from frontdesk.kit.pagination import PageParams
from frontdesk.notifications import schemas, service
from frontdesk.notifications.catalog import EMAIL_MODES, KINDS
from frontdesk.web import forms
from frontdesk.web.dependencies import Page, PageRoute, UserPage

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LIST_PATH = "/app/notifications"
PREFS_PATH = "/app/notifications/preferences"
PER_PAGE = 30


def _filters(page: Page) -> tuple[schemas.NotificationFilter, int]:
    params = page.request.query_params
    show = params.get("show", "all")
    kind = params.get("kind") or None
    if kind not in KINDS:
        kind = None
    try:
        number = max(1, min(int(params.get("page", "1")), 100_000))
    except ValueError:
        number = 1
    unread = {"unread": True, "read": False}.get(show)
    return schemas.NotificationFilter(unread=unread, kind=kind), number


@router.get(LIST_PATH)
async def notifications_page(page: UserPage) -> Response:
    scope = require(page.actor, "org.read")
    user_id = require_user(page.actor)
    filters, number = _filters(page)
    params = PageParams(page=number, per_page=PER_PAGE)
    rows, total = await service.list_notifications(page.session, scope, user_id, filters, params)
    summary = await service.summary(page.session, scope, user_id)
    show = "unread" if filters.unread is True else ("read" if filters.unread is False else "all")

    def link(**changes: Any) -> str:
        query = {"show": show, "kind": filters.kind or "", "page": number} | changes
        return LIST_PATH + "?" + urlencode({k: v for k, v in query.items() if v not in ("", None, "all", 1)})

    return page.render(
        "notifications/list.html",
        sections=[],
        current=LIST_PATH,
        rows=rows,
        total=total,
        summary=summary,
        kinds=KINDS,
        show=show,
        kind=filters.kind or "",
        number=number,
        pages=max(1, (total + PER_PAGE - 1) // PER_PAGE),
        link=link,
        unread=sum(s.unread for s in summary),
    )


@router.post(LIST_PATH)
async def notifications_submit(page: UserPage) -> Response:
    """The page's buttons: mark all read, or one action on the ticked notifications."""
    scope = require(page.actor, "org.read")
    user_id = require_user(page.actor)
    form = await page.form()
    action = forms.text(form, "action", limit=20)
    back = forms.text(form, "back", limit=500)
    back = back if back.startswith(LIST_PATH) else LIST_PATH
    if action == "read-all":
        changed = await service.mark_all_read(page.session, scope, user_id)
        page.flash(f"Marked {changed} notification{'s' if changed != 1 else ''} read.")
        return page.redirect(back)
    ids: list[uuid.UUID] = []
    for raw in form.getlist("ids"):
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    if action not in ("read", "unread", "delete") or not ids:
        page.flash("Tick one or more notifications first.", kind="error")
        return page.redirect(back)
    bulk = schemas.BulkAction(action=action, ids=ids[:500])
    changed = await service.bulk(page.session, scope, user_id, bulk)
    verb = {"read": "marked read", "unread": "marked unread", "delete": "deleted"}[action]
    page.flash(f"{changed} notification{'s' if changed != 1 else ''} {verb}.")
    return page.redirect(back)


@router.get(PREFS_PATH)
async def notification_preferences_page(page: UserPage) -> Response:
    scope = require(page.actor, "org.read")
    prefs = await service.get_preferences(page.session, scope, require_user(page.actor))
    return page.render(
        "notifications/preferences.html", sections=[], current=PREFS_PATH, prefs=prefs, email_modes=EMAIL_MODES
    )


@router.post(PREFS_PATH)
async def notification_preferences_submit(page: UserPage) -> Response:
    scope = require(page.actor, "org.read")
    user_id = require_user(page.actor)
    form = await page.form()
    kinds = []
    for key in KINDS:
        email = forms.text(form, f"{key}.email", limit=20) or "off"
        if email not in EMAIL_MODES:
            raise ValidationFailed("Choose off, immediate or daily digest.", code="invalid_email_mode")
        kinds.append(
            schemas.PreferenceUpdate(
                kind=key,
                in_app=bool(form.get(f"{key}.in_app")),
                email=email,
                browser=bool(form.get(f"{key}.browser")),
            )
        )
    hour_raw = forms.text(form, "digest_hour", limit=3)
    hour = int(hour_raw) if hour_raw.isdigit() and int(hour_raw) < 24 else None
    data = schemas.PreferencesUpdate(sound=bool(form.get("sound")), digest_hour=hour, kinds=kinds)
    await service.update_preferences(page.session, scope, user_id, data)
    page.flash("Your notification preferences were saved.")
    return page.redirect(PREFS_PATH)
