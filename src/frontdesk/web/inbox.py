"""The agent inbox, the team page and canned responses.

The inbox page is rendered on the server (the list, and the open conversation read-only) so it shows
something useful at once and without JavaScript; ``static/js/inbox.js`` then takes over and keeps it
live through the JSON API and the realtime socket. Everything the script needs to start (who you are,
what your role may do, the inboxes, agents and teams) is handed over in one JSON data block, so the
first paint does not wait for five API calls.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from frontdesk.agents import service as agents
from frontdesk.authz.service import require
from frontdesk.conversations import canned
from frontdesk.conversations import service as conversations
from frontdesk.conversations.schemas import CannedResponseCreate, CannedResponseUpdate, ConversationItem
from frontdesk.inboxes import service as inboxes
from frontdesk.kit.errors import FrontdeskError, ValidationFailed
from frontdesk.kit.pagination import PageParams
from frontdesk.web import forms
from frontdesk.web.dependencies import Page, PageRoute, UserPage
from frontdesk.web.settings import Section, sections_for

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LIST_SIZE = 50
TIMELINE_SIZE = 50
VIEWS = ("mine", "unassigned", "all")
# What each status choice of the filter shows. "Needs a person" is the working queue, so it is the default.
STATUS_CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "active": ("Needs a person", ("pending", "open")),
    "pending": ("Waiting", ("pending",)),
    "open": ("Open", ("open",)),
    "bot": ("With the assistant", ("bot",)),
    "snoozed": ("Snoozed", ("snoozed",)),
    "resolved": ("Resolved", ("resolved",)),
    "all": ("Every status", ()),
}
ASSIGNABLE = ("owner", "admin", "agent")
CANNED_SECTION = Section(
    "/app/settings/canned-responses",
    "Canned responses",
    "conversations.read",
    "Saved replies agents insert with /shortcut.",
)


@dataclass(frozen=True)
class Filters:
    view: str = "all"
    status: str = "active"
    inbox: str = ""
    label: str = ""
    q: str = ""

    @classmethod
    def from_request(cls, request: Request) -> Filters:
        q = request.query_params
        view = (q.get("view") or "all").strip().lower()
        status = (q.get("status") or "active").strip().lower()
        inbox = (q.get("inbox") or "").strip()
        try:
            inbox = str(uuid.UUID(inbox)) if inbox else ""
        except ValueError:
            inbox = ""
        return cls(
            view=view if view in VIEWS else "all",
            status=status if status in STATUS_CHOICES else "active",
            inbox=inbox,
            label=(q.get("label") or "").strip().lower()[:50],
            q=(q.get("q") or "").strip()[:200],
        )

    def query(self, **changes: str) -> str:
        values = {**self.as_dict(), **changes}
        defaults = Filters().as_dict()
        kept = {k: v for k, v in values.items() if v and v != defaults.get(k)}
        return f"?{urlencode(kept)}" if kept else ""

    def as_dict(self) -> dict[str, str]:
        return {"view": self.view, "status": self.status, "inbox": self.inbox, "label": self.label, "q": self.q}


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


async def _inbox_page(page: Page, request: Request, conversation_id: uuid.UUID | None) -> Response:
    scope = require(page.actor, "conversations.read")
    subject = page.actor
    filters = Filters.from_request(request)
    statuses = list(STATUS_CHOICES[filters.status][1])
    label_ok = filters.label and '"' not in filters.label and "\\" not in filters.label
    listing = await conversations.list_conversations(
        page.session,
        scope,
        subject,
        assignee="me" if filters.view == "mine" else filters.view,
        statuses=statuses,
        inbox_id=uuid.UUID(filters.inbox) if filters.inbox else None,
        label=filters.label if label_ok else None,
        q=filters.q or None,
        paging=PageParams(page=1, per_page=LIST_SIZE),
    )
    counts = await conversations.conversation_counts(page.session, scope, subject, inbox_id=None)
    view_counts = {
        view: sum(n for status, n in getattr(counts, view).model_dump().items() if not statuses or status in statuses)
        for view in VIEWS
    }
    inbox_rows = await inboxes.list_inboxes(page.session, require(subject, "inboxes.read"))
    inbox_list = [{"id": str(i.id), "name": i.name, "channel": i.channel} for i in inbox_rows]

    detail = None
    timeline: list[Any] = []
    if conversation_id is not None:
        detail = await conversations.conversation_detail(page.session, scope, subject, conversation_id)
        recent = await conversations.timeline(
            page.session, scope, conversation_id, after=None, limit=TIMELINE_SIZE, latest=True
        )
        timeline = recent.items

    can_reply = page.can("conversations.reply")
    people, presence = await _agents_and_my_presence(page)
    teams = [
        {"id": str(t.id), "name": t.name}
        for t in await inboxes.list_teams(page.session, require(subject, "inboxes.read"))
    ]
    viewer = page.viewer
    assert viewer is not None
    boot = {
        "me": {"id": str(viewer.id), "name": viewer.name or viewer.email, "email": viewer.email},
        "organization_id": str(page.org.id) if page.org else None,
        "can": {
            "reply": can_reply,
            "manage": page.can("conversations.manage"),
            "contacts_write": page.can("contacts.write"),
            "contacts_read": page.can("contacts.read"),
        },
        "presence": presence,
        "agents": people,
        "teams": teams,
        "inboxes": inbox_list,
        "filters": filters.as_dict(),
        "statuses": {key: list(value[1]) for key, value in STATUS_CHOICES.items()},
        "selected": str(conversation_id) if conversation_id else None,
        "page_size": LIST_SIZE,
    }
    inbox_names = {i["id"]: i["name"] for i in inbox_list}
    return page.render(
        "inbox/inbox.html",
        filters=filters,
        views=VIEWS,
        view_counts=view_counts,
        status_choices=[(key, value[0]) for key, value in STATUS_CHOICES.items()],
        inboxes=inbox_list,
        inbox_names=inbox_names,
        items=listing.items,
        total=listing.total,
        detail=detail,
        timeline=timeline,
        boot=boot,
        can_reply=can_reply,
        preview=_preview,
    )


async def _agents_and_my_presence(page: Page) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Who a conversation can go to (for the assignee menu), and the viewer's own presence."""
    people: list[dict[str, Any]] = []
    mine: dict[str, Any] = {"status": "offline", "availability": "available"}
    if page.can("members.read"):
        for p in await agents.list_presence(page.session, require(page.actor, "members.read")):
            if p.role not in ASSIGNABLE:
                continue
            people.append(
                {
                    "id": str(p.user_id),
                    "name": p.name or p.email,
                    "status": p.status,
                    "availability": p.availability,
                    "open_conversations": p.open_conversations,
                }
            )
            if page.viewer is not None and p.user_id == page.viewer.id:
                mine = {"status": p.status, "availability": p.availability}
    return people, {**mine, "heartbeat_seconds": agents.HEARTBEAT_SECONDS}


def _preview(item: ConversationItem) -> str:
    message = item.last_message
    if message is None:
        return "No messages yet"
    if not message.content:
        return "Message deleted" if message.content_type == "text" else f"Sent a {message.content_type}"
    who = f"{message.sender_name}: " if message.sender_type == "agent" and message.sender_name else ""
    return who + message.content


@router.get("/app/inbox")
async def inbox_page(request: Request, page: UserPage) -> Response:
    return await _inbox_page(page, request, None)


@router.get("/app/inbox/session")
async def inbox_session(page: UserPage) -> Response:
    """Renews the session cookies (the page dependency does it) for a script whose access token lapsed.

    The JSON API cannot do this for the browser: the refresh token is in an httpOnly cookie the
    script cannot read, on purpose.
    """
    return Response(status_code=204)


@router.get("/app/inbox/{conversation_id}")
async def inbox_conversation_page(conversation_id: str, request: Request, page: UserPage) -> Response:
    return await _inbox_page(page, request, forms.parse_id(conversation_id, "conversation"))


# ---------------------------------------------------------------- the team: presence and working hours


def _day(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise ValidationFailed("Enter the date as YYYY-MM-DD.", code="invalid_date") from None


@router.get("/app/team")
async def team_page(request: Request, page: UserPage) -> Response:
    # Other people's hours are for whoever manages the team, not for every colleague.
    require(page.actor, "members.manage")
    q = request.query_params
    errors: dict[str, str] = {}
    start = end = None
    try:
        start = _day(q.get("from"))
    except ValidationFailed as exc:
        errors["from"] = exc.message
    try:
        end = _day(q.get("to"))
    except ValidationFailed as exc:
        errors["to"] = exc.message
    people = await agents.list_presence(page.session, require(page.actor, "members.read"))
    report = None
    if not errors:
        try:
            report = await agents.working_hours(
                page.session, require(page.actor, "analytics.read"), start=start, end=end, user_id=None
            )
        except FrontdeskError as exc:
            errors["__all__"] = exc.message
    if report is None:
        report = await agents.working_hours(
            page.session, require(page.actor, "analytics.read"), start=None, end=None, user_id=None
        )
    csv_url = "/api/v1/agents/working-hours?" + urlencode(
        {"format": "csv", "from": report.from_date.isoformat(), "to": report.to_date.isoformat()}
    )
    hours = {t.user_id: t.hours for t in report.totals}
    return page.render(
        "inbox/team.html",
        status_code=422 if errors else 200,
        people=people,
        report=report,
        hours=hours,
        errors=errors,
        csv_url=csv_url,
        values={"from": q.get("from") or report.from_date.isoformat(), "to": q.get("to") or report.to_date.isoformat()},
        previous_week=(report.from_date - timedelta(days=7), report.from_date - timedelta(days=1)),
    )


# ---------------------------------------------------------------- canned responses


def _sections(page: Page) -> list[Section]:
    found = sections_for(page)
    if page.can("conversations.read") and all(s.path != CANNED_SECTION.path for s in found):
        found.append(CANNED_SECTION)
    return found


async def _canned_page(
    page: Page,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    row_errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    rows = await canned.list_canned(page.session, require(page.actor, "conversations.read"), prefix=None)
    return page.render(
        "inbox/canned_responses.html",
        status_code=status,
        sections=_sections(page),
        current=CANNED_SECTION.path,
        canned=rows,
        values=values or {"shortcut": "", "content": ""},
        errors=errors or {},
        row_errors=row_errors or {},
    )


@router.get("/app/settings/canned-responses")
async def canned_responses_page(page: UserPage) -> Response:
    return await _canned_page(page)


_CANNED_FIELDS = {"shortcut_taken": "shortcut"}


@router.post("/app/settings/canned-responses")
async def canned_response_submit(page: UserPage) -> Response:
    scope = require(page.actor, "conversations.manage")
    form = await page.form()
    values = {"shortcut": forms.text(form, "shortcut", limit=80), "content": forms.text(form, "content", limit=5000)}
    data, errors = forms.validate(CannedResponseCreate, values)
    if "shortcut" in errors:
        errors["shortcut"] = "Use letters, digits, - and _ (up to 60), like /refund or /hours."
    if data is None:
        return await _canned_page(page, values=values, errors=errors, status=422)
    try:
        row = await canned.create_canned(page.session, scope, page.actor, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        field = _CANNED_FIELDS.get(exc.code, "__all__")
        return await _canned_page(page, values=values, errors={field: exc.message}, status=exc.status_code)
    page.flash(f"/{row.shortcut} was saved. Type it in the reply box to insert the text.")
    return page.redirect(CANNED_SECTION.path)


@router.post("/app/settings/canned-responses/{canned_id}")
async def canned_response_update(canned_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "conversations.manage")
    parsed = forms.parse_id(canned_id, "canned response")
    form = await page.form()
    values = {"shortcut": forms.text(form, "shortcut", limit=80), "content": forms.text(form, "content", limit=5000)}
    data, _ = forms.validate(CannedResponseUpdate, values)
    if data is None:
        message = "Use letters, digits, - and _ for the shortcut, and write some text."
        return await _canned_page(page, row_errors={canned_id: message}, status=422)
    try:
        row = await canned.update_canned(page.session, scope, page.actor, parsed, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _canned_page(page, row_errors={canned_id: exc.message}, status=exc.status_code)
    page.flash(f"/{row.shortcut} was updated.")
    return page.redirect(CANNED_SECTION.path)


@router.post("/app/settings/canned-responses/{canned_id}/delete")
async def canned_response_delete(canned_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "conversations.manage")
    parsed = forms.parse_id(canned_id, "canned response")
    try:
        await canned.delete_canned(page.session, scope, page.actor, parsed)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _canned_page(page, row_errors={canned_id: exc.message}, status=exc.status_code)
    page.flash("The canned response was deleted.")
    return page.redirect(CANNED_SECTION.path)
