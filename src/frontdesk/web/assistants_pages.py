"""Assistant settings pages: the list, one assistant's form, its instruction history and restore.

Every write goes through the same service as the API, behind ``assistants.manage``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from frontdesk.assistant import service
from frontdesk.assistant.models import Assistant
from frontdesk.assistant.schemas import AssistantCreate, AssistantUpdate
from frontdesk.assistant.tools import TOOL_NAMES
from frontdesk.authz.service import require
from frontdesk.inboxes import repository as inboxes
from frontdesk.kit.errors import FrontdeskError
from frontdesk.web import forms
from frontdesk.web.dependencies import Page, PageRoute, UserPage
from frontdesk.web.settings import sections_for

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LIST = "/app/assistants"
READ, WRITE = "conversations.read", "assistants.manage"


async def _list_page(page: Page, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    rows = await service.list_assistants(page.session, require(page.actor, READ))
    return page.render(
        "assistants/list.html",
        status_code=status,
        sections=sections_for(page),
        current=LIST,
        assistants=rows,
        errors=errors or {},
    )


@router.get("/app/assistants")
async def assistants_page(page: UserPage) -> Response:
    return await _list_page(page)


@router.post("/app/assistants")
async def assistant_create_submit(page: UserPage) -> Response:
    scope = require(page.actor, WRITE)
    form = await page.form()
    data, errors = forms.validate(AssistantCreate, {"name": forms.text(form, "name", limit=200)})
    if data is None:
        return await _list_page(page, errors=errors, status=422)
    try:
        row = await service.create_assistant(page.session, scope, page.actor, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _list_page(page, errors={"name": exc.message}, status=exc.status_code)
    page.flash(f"{row.name} was created. Choose its inboxes and write its instructions.")
    return page.redirect(f"{LIST}/{row.id}")


async def _edit_page(
    page: Page, row: Assistant, *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    scope = require(page.actor, READ)
    layer = await service.layer(page.session, scope, "assistant", row.id)
    return page.render(
        "assistants/edit.html",
        status_code=status,
        sections=sections_for(page),
        current=LIST,
        a=row,
        versions=layer.versions,
        inboxes=await inboxes.list_inboxes(page.session, scope.ids),
        tool_names=TOOL_NAMES,
        errors=errors or {},
    )


@router.get("/app/assistants/{assistant_id}")
async def assistant_page(assistant_id: str, page: UserPage) -> Response:
    row = await service.get_assistant(
        page.session, require(page.actor, READ), forms.parse_id(assistant_id, "assistant")
    )
    return await _edit_page(page, row)


def _keywords(raw: str) -> list[str]:
    return [k.strip() for k in raw.replace("\n", ",").split(",") if k.strip()]


@router.post("/app/assistants/{assistant_id}")
async def assistant_update_submit(assistant_id: str, page: UserPage) -> Response:
    scope = require(page.actor, WRITE)
    parsed = forms.parse_id(assistant_id, "assistant")
    form = await page.form()
    values: dict[str, Any] = {"name": forms.text(form, "name", limit=200)}
    if "instructions" in form:
        values |= {
            "description": forms.text(form, "description", limit=4000),
            "instructions": forms.text(form, "instructions", strip=False, limit=25_000),
            "provider": forms.text(form, "provider", limit=80) or "local",
            "model_name": forms.text(form, "model_name", limit=200) or "local",
            "temperature": forms.text(form, "temperature", limit=10) or "0.2",
            "language": forms.text(form, "language", limit=20) or "en",
            "confidence_threshold": forms.text(form, "confidence_threshold", limit=10) or "0.5",
            "tools": forms.texts(form, "tools"),
            "inbox_ids": forms.texts(form, "inbox_ids"),
            "routing_keywords": _keywords(forms.text(form, "routing_keywords", limit=4000)),
            "escalation_keywords": _keywords(forms.text(form, "escalation_keywords", limit=4000)),
            "max_bot_turns": forms.text(form, "max_bot_turns", limit=10) or "8",
            "max_frustration": forms.text(form, "max_frustration", limit=10) or "2",
            "is_router": forms.text(form, "is_router") == "on",
            "enabled": forms.text(form, "enabled") == "on",
        }
    row = await service.get_assistant(page.session, scope, parsed)
    data, errors = forms.validate(AssistantUpdate, values)
    if data is None:
        return await _edit_page(page, row, errors=errors, status=422)
    try:
        row = await service.update_assistant(page.session, scope, page.actor, parsed, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        row = await service.get_assistant(page.session, scope, parsed)
        return await _edit_page(page, row, errors={"__all__": exc.message}, status=exc.status_code)
    page.flash(f"{row.name} was saved.")
    return page.redirect(f"{LIST}/{row.id}")


@router.post("/app/assistants/{assistant_id}/delete")
async def assistant_delete_submit(assistant_id: str, page: UserPage) -> Response:
    scope = require(page.actor, WRITE)
    await service.delete_assistant(page.session, scope, page.actor, forms.parse_id(assistant_id, "assistant"))
    page.flash("The assistant was deleted.")
    return page.redirect(LIST)


@router.post("/app/assistants/{assistant_id}/versions/{version}/restore")
async def assistant_restore_submit(assistant_id: str, version: str, page: UserPage) -> Response:
    scope = require(page.actor, WRITE)
    parsed = forms.parse_id(assistant_id, "assistant")
    if not version.isdigit():
        return page.redirect(f"{LIST}/{parsed}")
    await service.restore_version(page.session, scope, page.actor, "assistant", parsed, int(version))
    page.flash(f"Version {int(version)} of the instructions is in use again (saved as a new version).")
    return page.redirect(f"{LIST}/{parsed}")
