"""Lead pages: the board (drag to move, or a keyboard-friendly form), the table with filters, one
lead with its history, exports with progress, daily reports, pipeline settings, and conversation logs.

Every write goes through the same services as the API, after ``require``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response
from pydantic import ValidationError

from frontdesk.authz.service import require
from frontdesk.conversations import retention
from frontdesk.kit.errors import FrontdeskError
from frontdesk.kit.pagination import PageParams
from frontdesk.leads import exports, pipeline, reports, schemas, service, settings_service
from frontdesk.leads.models import LEAD_FIELDS
from frontdesk.leads.repository import LeadFilter
from frontdesk.web import forms
from frontdesk.web.dependencies import Page, PageRoute, UserPage

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PER_PAGE = 25
FIELD_LABELS = {
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "need": "Need",
    "budget": "Budget",
    "timeframe": "Time frame",
}
TABS = (
    ("/app/leads", "Board", "leads.read"),
    ("/app/leads/table", "Table", "leads.read"),
    ("/app/leads/exports", "Exports", "leads.export"),
    ("/app/leads/reports", "Reports", "leads.export"),
    ("/app/leads/settings", "Pipeline settings", "leads.read"),
    ("/app/conversation-logs", "Conversation logs", "conversations.read"),
)


def _render(page: Page, template: str, *, status_code: int = 200, **context: Any) -> Response:
    tabs = [(path, label) for path, label, perm in TABS if page.can(perm)]
    return page.render(template, status_code=status_code, tabs=tabs, current=page.request.url.path, **context)


def _filters(page: Page) -> tuple[LeadFilter, dict[str, str]]:
    params = page.request.query_params
    raw = {k: (params.get(k) or "")[:200] for k in ("status", "owner", "source", "q", "sort")}
    owner: uuid.UUID | None = None
    if raw["owner"] == "me":
        owner = page.actor.user_id
    elif raw["owner"] not in ("", "none"):
        try:
            owner = uuid.UUID(raw["owner"])
        except ValueError:
            raw["owner"] = ""
    return (
        LeadFilter(
            statuses=[raw["status"]] if raw["status"] else [],
            owner_id=owner,
            unowned=raw["owner"] == "none",
            source=raw["source"] or None,
            q=raw["q"] or None,
        ),
        raw,
    )


async def _labels(page: Page) -> list[dict[str, str]]:
    row = await pipeline.settings_for(page.session, require(page.actor, "leads.read").organization_id)
    return [{"key": str(s["key"]), "label": str(s.get("label") or s["key"])} for s in row.statuses]


# ---------------------------------------------------------------- board and table


@router.get("/app/leads")
async def leads_board(page: UserPage) -> Response:
    scope = require(page.actor, "leads.read")
    filters, raw = _filters(page)
    columns = await service.board(page.session, scope, filters)
    return _render(
        page,
        "leads/board.html",
        statuses=await _labels(page),
        columns=columns,
        raw=raw,
        owners=await service.owner_choices(page.session, scope),
        sources=schemas.SOURCES,
    )


@router.get("/app/leads/table")
async def leads_table(page: UserPage) -> Response:
    scope = require(page.actor, "leads.read")
    filters, raw = _filters(page)
    try:
        number = max(1, min(int(page.request.query_params.get("page") or 1), 100_000))
    except ValueError:
        number = 1
    sort = raw["sort"] if raw["sort"] in ("created", "-created", "score", "-score", "follow_up", "name") else "-created"
    result = await service.list_leads(page.session, scope, filters, PageParams(page=number, per_page=PER_PAGE), sort)
    return _render(
        page,
        "leads/table.html",
        statuses=await _labels(page),
        result=result,
        raw={**raw, "sort": sort},
        owners=await service.owner_choices(page.session, scope),
        sources=schemas.SOURCES,
        values={},
        errors={},
    )


def _lead_values(form: Any) -> dict[str, Any]:
    return {f: forms.text(form, f, limit=10_000 if f == "need" else 1000) or None for f in LEAD_FIELDS}


def _follow_up(raw: str, zone: str) -> datetime | None:
    """The form's local date-time (in the organization's zone) as an aware datetime."""
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise FrontdeskError("The follow-up date is not a date and time.", code="follow_up_invalid") from None
    return value.replace(tzinfo=ZoneInfo(zone)) if value.tzinfo is None else value


@router.post("/app/leads")
async def create_lead_page(page: UserPage) -> Response:
    scope = require(page.actor, "leads.write")
    form = await page.form()
    values = _lead_values(form)
    try:
        data = schemas.LeadCreate.model_validate({**values, "source": "manual"})
    except ValidationError as exc:
        page.flash("; ".join(forms.field_errors(exc).values()), kind="error")
        return page.redirect("/app/leads/table")
    lead = await service.create_lead(page.session, scope, page.actor, data)
    _report_rejected(page, lead.rejected)
    page.flash("Lead saved.")
    return page.redirect(f"/app/leads/{lead.id}")


def _report_rejected(page: Page, rejected: dict[str, str]) -> None:
    for key, reason in rejected.items():
        page.flash(f"{FIELD_LABELS.get(key, key)} was not saved: {reason}.", kind="error")


@router.post("/app/leads/{lead_id}/status")
async def move_lead(lead_id: str, page: UserPage) -> Response:
    """The board's move: from a drag (script) or the card's own form (keyboard, no script)."""
    scope = require(page.actor, "leads.write")
    form = await page.form()
    status = forms.text(form, "status", limit=40)
    update = schemas.LeadUpdate.model_validate({"status": status})
    await service.update_lead(page.session, scope, page.actor, forms.parse_id(lead_id, "lead"), update)
    page.flash("Lead moved.")
    return page.redirect(
        forms.text(form, "next") if forms.text(form, "next").startswith("/app/leads") else "/app/leads"
    )


# ---------------------------------------------------------------- exports and reports


@router.get("/app/leads/exports")
async def exports_page(page: UserPage) -> Response:
    scope = require(page.actor, "leads.export")
    listed = await exports.list_exports(page.session, scope, "export", PageParams(page=1, per_page=50))
    return _render(
        page, "leads/exports.html", exports=listed.items, statuses=await _labels(page), sources=schemas.SOURCES
    )


@router.post("/app/leads/exports")
async def create_export_page(page: UserPage) -> Response:
    scope = require(page.actor, "leads.export")
    form = await page.form()
    data = schemas.ExportCreate.model_validate(
        {
            "format": "csv" if forms.text(form, "format") == "csv" else "xlsx",
            "statuses": forms.texts(form, "status", limit=40)[:20],
            "source": forms.text(form, "source", limit=20) or None,
            "q": forms.text(form, "q", limit=200) or None,
        }
    )
    await exports.create_export(page.session, scope, page.actor, data)
    page.flash("Export started; it appears below with its progress.")
    return page.redirect("/app/leads/exports")


@router.get("/app/leads/reports")
async def reports_page(page: UserPage) -> Response:
    scope = require(page.actor, "leads.export")
    listed = await exports.list_exports(page.session, scope, "report", PageParams(page=1, per_page=60))
    current = await settings_service.read(page.session, scope)
    return _render(page, "leads/reports.html", reports=listed.items, settings=current, can_edit=page.can("org.update"))


@router.post("/app/leads/reports")
async def create_report_page(page: UserPage) -> Response:
    await reports.request_report(page.session, require(page.actor, "leads.export"), page.actor)
    page.flash("Report started; it appears below when ready.")
    return page.redirect("/app/leads/reports")


@router.post("/app/leads/reports/schedule")
async def report_schedule_page(page: UserPage) -> Response:
    scope = require(page.actor, "org.update")
    form = await page.form()
    recipients = [r.strip() for r in forms.text(form, "recipients", limit=4000).replace(",", "\n").splitlines()]
    data = schemas.PipelineSettingsUpdate(
        report_enabled=forms.text(form, "enabled") == "on",
        report_time=forms.text(form, "time", limit=5) or "18:00",
        report_recipients=[r for r in recipients if r][:20],
    )
    await settings_service.update(page.session, scope, page.actor, data)
    page.flash("Report schedule saved.")
    return page.redirect("/app/leads/reports")


# ---------------------------------------------------------------- pipeline settings


@router.get("/app/leads/settings")
async def lead_settings_page(page: UserPage) -> Response:
    scope = require(page.actor, "leads.read")
    current = await settings_service.read(page.session, scope)
    text = "\n".join(f"{s.key}: {s.label}" for s in current.statuses)
    return _render(page, "leads/settings.html", settings=current, statuses_text=text, can_edit=page.can("org.update"))


@router.post("/app/leads/settings")
async def save_lead_settings_page(page: UserPage) -> Response:
    scope = require(page.actor, "org.update")
    form = await page.form()
    items = []
    for line in forms.text(form, "statuses", limit=4000).splitlines():
        if not line.strip():
            continue
        key, _, label = line.partition(":")
        items.append({"key": key.strip().lower(), "label": label.strip() or key.strip()})
    renames = {}
    for line in forms.text(form, "renames", limit=2000).splitlines():
        old, _, new = line.partition("->")
        if old.strip() and new.strip():
            renames[old.strip().lower()] = new.strip().lower()
    data = schemas.PipelineSettingsUpdate.model_validate(
        {"statuses": items[:20], "renames": renames or None, "follow_up_flow_event": forms.text(form, "flow") == "on"}
    )
    await settings_service.update(page.session, scope, page.actor, data)
    page.flash("Pipeline saved.")
    return page.redirect("/app/leads/settings")


# ---------------------------------------------------------------- conversation logs


@router.get("/app/conversation-logs")
async def conversation_logs_page(page: UserPage) -> Response:
    scope = require(page.actor, "conversations.read")
    days = await retention.retention_days(page.session, scope)
    purges: list[Any] = []
    if page.can("org.update"):
        rows, _ = await retention.list_purges(page.session, require(page.actor, "org.update"), PageParams(per_page=20))
        purges = rows
    return _render(page, "leads/conversation_logs.html", days=days, purges=purges, can_edit=page.can("org.update"))


@router.post("/app/conversation-logs/retention")
async def conversation_retention_page(page: UserPage) -> Response:
    scope = require(page.actor, "org.update")
    form = await page.form()
    raw = forms.text(form, "days", limit=6)
    days: int | None = None
    if raw:
        try:
            days = int(raw)
        except ValueError:
            page.flash("The retention period is a number of days.", kind="error")
            return page.redirect("/app/conversation-logs")
    await retention.set_retention(page.session, scope, page.actor, days)
    page.flash("Retention saved." if days else "Conversations are now kept forever.")
    return page.redirect("/app/conversation-logs")


@router.post("/app/conversation-logs/purge")
async def conversation_purge_page(page: UserPage) -> Response:
    scope = require(page.actor, "org.update")
    purge = await retention.start_purge(page.session, scope, page.actor)
    page.flash(f"Purge started: {purge.total} conversation(s) older than the retention period.")
    return page.redirect("/app/conversation-logs")


# Last: ``/app/leads/{lead_id}`` would otherwise catch /app/leads/exports and the other fixed paths.
# ---------------------------------------------------------------- one lead


@router.get("/app/leads/{lead_id}")
async def lead_page(lead_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "leads.read")
    detail = await service.lead_detail(page.session, scope, forms.parse_id(lead_id, "lead"))
    follow_up_local = ""
    if detail.next_follow_up_at is not None:
        follow_up_local = detail.next_follow_up_at.astimezone(ZoneInfo(page.timezone)).strftime("%Y-%m-%dT%H:%M")
    return _render(
        page,
        "leads/detail.html",
        lead=detail,
        statuses=await _labels(page),
        owners=await service.owner_choices(page.session, scope),
        labels=FIELD_LABELS,
        follow_up_local=follow_up_local,
    )


@router.post("/app/leads/{lead_id}")
async def update_lead_page(lead_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "leads.write")
    target = forms.parse_id(lead_id, "lead")
    form = await page.form()
    values: dict[str, Any] = _lead_values(form)
    owner = forms.text(form, "owner_id", limit=40)
    score = forms.text(form, "score", limit=4)
    values |= {
        "status": forms.text(form, "status", limit=40) or None,
        "owner_id": forms.parse_id(owner, "member") if owner else None,
        "notes": forms.text(form, "notes", strip=False, limit=20_000),
        "next_follow_up_at": _follow_up(forms.text(form, "next_follow_up_at", limit=40), page.timezone),
    }
    if score:
        values["score"] = score
    # Empty text fields mean "unchanged" (a capture never blanks a field); the rest are always sent.
    sent = {k: v for k, v in values.items() if k not in LEAD_FIELDS or v is not None}
    try:
        data = schemas.LeadUpdate.model_validate(sent)
    except ValidationError as exc:
        page.flash("; ".join(forms.field_errors(exc).values()), kind="error")
        return page.redirect(f"/app/leads/{target}")
    lead = await service.update_lead(page.session, scope, page.actor, target, data)
    _report_rejected(page, lead.rejected)
    page.flash("Lead saved.")
    return page.redirect(f"/app/leads/{target}")


@router.post("/app/leads/{lead_id}/delete")
async def delete_lead_page(lead_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "leads.write")
    await service.delete_lead(page.session, scope, page.actor, forms.parse_id(lead_id, "lead"))
    page.flash("Lead deleted.")
    return page.redirect("/app/leads/table")


@router.post("/app/leads/{lead_id}/extract")
async def extract_lead_page(lead_id: str, page: UserPage) -> Response:
    """Read the lead's conversation again for details (rules, or the organization's LLM)."""
    scope = require(page.actor, "leads.write")
    lead = await service.get_lead(page.session, scope, forms.parse_id(lead_id, "lead"))
    if lead.conversation_id is None:
        page.flash("This lead has no conversation to read.", kind="error")
        return page.redirect(f"/app/leads/{lead.id}")
    found = await service.extract_from_conversation(page.session, scope, page.actor, lead.conversation_id, apply=True)
    page.flash(f"Found {len(found.fields)} detail(s) in the conversation." if found.fields else "Nothing new found.")
    return page.redirect(f"/app/leads/{lead.id}")
