"""The WhatsApp setup page of an inbox: the callback URL, the credentials, a live check, templates.

Forms go through the same schema and service as the JSON API (``/api/v1/inboxes/{id}/whatsapp``);
secrets are write-only: the form shows whether one is set, never its value.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from frontdesk.authz.service import require
from frontdesk.channels.whatsapp import manage
from frontdesk.channels.whatsapp.schemas import WhatsAppSettingsUpdate
from frontdesk.kit.errors import FrontdeskError
from frontdesk.web import forms
from frontdesk.web.dependencies import PageRoute, UserPage
from frontdesk.web.settings import sections_for

router = APIRouter(route_class=PageRoute, include_in_schema=False)

BASE = "/app/settings/inboxes/{inbox_id}/whatsapp"
LABELS = {
    "phone_number_id": "Phone number id",
    "waba_id": "WhatsApp Business Account id",
    "access_token": "Access token",
    "app_secret": "App secret",
    "verify_token": "Verify token",
    "opt_out_keywords": "Opt-out keywords",
    "opt_in_keywords": "Opt-in keywords",
}
_FIELDS = {"phone_number_taken": "phone_number_id", "invalid_keyword": "opt_out_keywords"}


async def _setup(
    page: UserPage, inbox_id: str, *, errors: dict[str, str] | None = None, check: Any = None, status: int = 200
) -> Response:
    scope = require(page.actor, "inboxes.read")
    inbox = await manage.whatsapp_inbox(page.session, scope, forms.parse_id(inbox_id, "inbox"))
    settings = manage.to_schema(page.runtime, inbox)
    templates = [manage.template_schema(t) for t in await manage.list_templates(page.session, scope, inbox.id)]
    return page.render(
        "whatsapp/setup.html",
        status_code=status,
        sections=sections_for(page),
        current="/app/settings/inboxes",
        inbox=inbox,
        wa=settings,
        templates=templates,
        labels=LABELS,
        errors=errors or {},
        check=check,
        base=BASE.format(inbox_id=inbox.id),
    )


@router.get(BASE)
async def whatsapp_setup_page(inbox_id: str, page: UserPage) -> Response:
    return await _setup(page, inbox_id)


def _words(raw: str) -> list[str]:
    return [w.strip() for w in raw.replace("\n", ",").split(",") if w.strip()]


@router.post(BASE)
async def whatsapp_setup_submit(inbox_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    form = await page.form()
    values: dict[str, Any] = {}
    for name in ("phone_number_id", "waba_id", "verify_token"):
        text = forms.text(form, name, limit=300)
        if text:
            values[name] = text
    for name in ("access_token", "app_secret"):
        # Blank keeps the stored secret: the form never holds it.
        text = forms.text(form, name, limit=1200)
        if text:
            values[name] = text
    for name in ("opt_out_keywords", "opt_in_keywords"):
        if name in form:
            values[name] = _words(forms.text(form, name, limit=2000))
    data, errors = forms.validate(WhatsAppSettingsUpdate, values)
    if data is None or errors:
        return await _setup(page, inbox_id, errors=errors, status=422)
    try:
        inbox = await manage.update_settings(page.session, scope, page.actor, forms.parse_id(inbox_id, "inbox"), data)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _setup(
            page, inbox_id, errors={_FIELDS.get(exc.code, "__all__"): exc.message}, status=exc.status_code
        )
    page.flash("The WhatsApp settings were saved. Check them against the Graph API below.")
    return page.redirect(BASE.format(inbox_id=inbox.id))


@router.post(BASE + "/check")
async def whatsapp_check_submit(inbox_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    result = await manage.check_credentials(page.session, scope, forms.parse_id(inbox_id, "inbox"))
    return await _setup(page, inbox_id, check=result)


@router.post(BASE + "/templates")
async def whatsapp_templates_submit(inbox_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "inboxes.manage")
    parsed = forms.parse_id(inbox_id, "inbox")
    try:
        rows = await manage.sync_templates(page.session, scope, parsed)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _setup(page, inbox_id, errors={"__all__": exc.message}, status=exc.status_code)
    page.flash(f"{len(rows)} template(s) synced from WhatsApp.")
    return page.redirect(BASE.format(inbox_id=parsed))
