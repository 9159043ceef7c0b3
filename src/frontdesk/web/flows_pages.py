"""Bot flow pages: the list (with templates), the editor with analytics, and an execution's inspector.

The editor itself is an ES module (``flow-editor.js``) talking to the same JSON API as integrations;
these pages render what can be shown without it (analytics as SVG, versions, triggers, executions)
and the forms that work without JavaScript (create, cancel, resume, answer).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response

from frontdesk.authz.service import require
from frontdesk.flows import executions as flow_executions
from frontdesk.flows import repository as flow_repository
from frontdesk.flows import schemas as flow_schemas
from frontdesk.flows import service as flows
from frontdesk.flows.nodes import NODE_TYPES
from frontdesk.flows.triggers import service as triggers
from frontdesk.kit.errors import FrontdeskError
from frontdesk.kit.pagination import PageParams
from frontdesk.web.dependencies import Page, PageRoute, UserPage
from frontdesk.web.settings import sections_for

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FLOWS = "/app/flows"


def _render(page: Page, template: str, *, status_code: int = 200, **context: Any) -> Response:
    return page.render(template, status_code=status_code, sections=sections_for(page), current=FLOWS, **context)


def _bars(analytics: flow_schemas.Analytics) -> list[dict[str, Any]]:
    """Bar geometry for the server-drawn SVG chart of outcomes (no chart library in the browser)."""
    rows = [
        ("Started", analytics.started, "bar-started"),
        ("Completed", analytics.completed, "bar-completed"),
        ("Failed", analytics.failed, "bar-failed"),
        ("Cancelled", analytics.cancelled, "bar-cancelled"),
        ("Active", analytics.active, "bar-active"),
    ]
    top = max([r[1] for r in rows] + [1])
    return [
        {"label": label, "value": value, "width": round(300 * value / top, 1), "cls": cls} for label, value, cls in rows
    ]


async def _list_page(page: Page, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    scope = require(page.actor, "flows.read")
    rows = await flows.list_flows(page.session, scope)
    templates = await flows.list_templates(page.session, scope)
    return _render(
        page,
        "flows/list.html",
        status_code=status,
        flows=rows,
        templates=templates,
        errors=errors or {},
        can_manage=page.can("flows.manage"),
    )


@router.get(FLOWS)
async def flows_page(page: UserPage) -> Response:
    return await _list_page(page)


@router.post(FLOWS)
async def flow_create_submit(page: UserPage) -> Response:
    scope = require(page.actor, "flows.manage")
    form = await page.form()
    name = str(form.get("name") or "").strip()
    template = str(form.get("template") or "")
    if not name or len(name) > 200 or "\x00" in name:
        return await _list_page(page, errors={"name": "Give the flow a name (at most 200 characters)."}, status=422)
    try:
        if template:
            flow = await flows.use_template(page.session, scope, page.actor, template, name)
        else:
            flow = await flows.create_flow(page.session, scope, page.actor, flow_schemas.FlowCreate(name=name))
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _list_page(page, errors={"template": exc.message}, status=exc.status_code)
    page.flash(f"The flow {flow.name!r} was created.")
    return page.redirect(f"{FLOWS}/{flow.id}")


@router.get(FLOWS + "/{flow_id}")
async def flow_editor_page(flow_id: uuid.UUID, page: UserPage) -> Response:
    scope = require(page.actor, "flows.read")
    flow = await flows.get_flow(page.session, scope, flow_id)
    analytics = await flows.analytics(page.session, scope, flow.id)
    versions = await flows.list_versions(page.session, scope, flow.id)
    trigger_rows, _ = await triggers.list_triggers(
        page.session, scope, flow_id=flow.id, kind=None, paging=PageParams(page=1, per_page=50)
    )
    recent, _ = await flow_executions.list_executions(
        page.session, scope, flow_id=flow.id, contact_id=None, status=None, paging=PageParams(page=1, per_page=20)
    )
    return _render(
        page,
        "flows/editor.html",
        flow=flow,
        analytics=analytics,
        bars=_bars(analytics),
        versions=versions,
        triggers=trigger_rows,
        executions=recent,
        node_types=sorted(NODE_TYPES),
        can_manage=page.can("flows.manage"),
    )


async def _execution_page(
    page: Page, flow_id: uuid.UUID, execution_id: uuid.UUID, *, error: str = "", status: int = 200
) -> Response:
    scope = require(page.actor, "flows.read")
    flow = await flows.get_flow(page.session, scope, flow_id)
    ex = await flow_executions.get_execution(page.session, scope, execution_id)
    if ex.flow_id != flow.id:
        from frontdesk.kit.errors import NotFound

        raise NotFound("No such execution.", code="execution_not_found")
    steps = await flow_repository.steps(page.session, ex.id)
    return _render(
        page,
        "flows/execution.html",
        status_code=status,
        flow=flow,
        ex=flow_executions.to_schema(ex),
        steps=steps,
        transcript=ex.transcript or [],
        error=error,
        can_manage=page.can("flows.manage"),
    )


@router.get(FLOWS + "/{flow_id}/executions/{execution_id}")
async def flow_execution_page(flow_id: uuid.UUID, execution_id: uuid.UUID, page: UserPage) -> Response:
    return await _execution_page(page, flow_id, execution_id)


@router.post(FLOWS + "/{flow_id}/executions/{execution_id}/{action}")
async def flow_execution_action(flow_id: uuid.UUID, execution_id: uuid.UUID, action: str, page: UserPage) -> Response:
    scope = require(page.actor, "flows.manage")
    flow = await flows.get_flow(page.session, scope, flow_id)
    ex = await flow_executions.get_execution(page.session, scope, execution_id)
    if ex.flow_id != flow.id or action not in ("resume", "cancel", "input"):
        from frontdesk.kit.errors import NotFound

        raise NotFound("No such execution.", code="execution_not_found")
    try:
        if action == "resume":
            await flow_executions.resume(page.session, scope, ex.id)
        elif action == "cancel":
            await flow_executions.cancel(page.session, scope, ex.id)
        else:
            text = str((await page.form()).get("text") or "").strip()
            if not text or len(text) > 4000 or "\x00" in text:
                return await _execution_page(page, flow_id, execution_id, error="Type an answer.", status=422)
            await flow_executions.send_input(page.session, scope, ex.id, text)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _execution_page(page, flow_id, execution_id, error=exc.message, status=exc.status_code)
    page.flash({"resume": "Resumed.", "cancel": "Cancelled.", "input": "Answer sent."}[action])
    return page.redirect(f"{FLOWS}/{flow.id}/executions/{ex.id}")
