"""The signed-in app: home, organization switcher, settings and the account page.

What a role may not do is hidden from it, and also refused: every write goes through
``authz.service.require`` and the same service the API uses, so a hand-made POST gets a 403 page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from frontdesk.apikeys import service as apikeys
from frontdesk.apikeys.schemas import ApiKeyCreate
from frontdesk.audit import repository as audit_repository
from frontdesk.audit.schemas import AuditFilter
from frontdesk.auth import schemas as auth_schemas
from frontdesk.auth import service as auth_service
from frontdesk.auth.cookies import set_org_cookie, set_session_cookies
from frontdesk.authz.permissions import API_KEY_GRANTABLE, MATRIX, PERMISSIONS, ROLE_RANK, Role, can_assign
from frontdesk.authz.service import require
from frontdesk.invitations import service as invitations
from frontdesk.kit.errors import FrontdeskError, NotFound, ValidationFailed
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.mail import repository as mail_repository
from frontdesk.mail.service import visible_body
from frontdesk.orgs import service as orgs
from frontdesk.orgs.schemas import OrganizationUpdate
from frontdesk.users import repository as users
from frontdesk.web import forms
from frontdesk.web.dependencies import Page, PageRoute, UserPage, safe_next
from frontdesk.web.timezones import timezone_options

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PER_PAGE = 25
ROLES_BY_RANK = sorted(Role, key=lambda r: -ROLE_RANK[r])


@dataclass(frozen=True)
class Section:
    path: str
    label: str
    permission: str | None
    summary: str


SECTIONS = (
    Section("/app/settings/organization", "Organization", "org.read", "Name and time zone."),
    Section("/app/settings/members", "Members", "members.read", "Who belongs here, and their roles."),
    Section("/app/settings/invitations", "Invitations", "invitations.read", "Invite people; see pending invites."),
    Section("/app/settings/roles", "Roles", None, "What each role may do."),
    Section("/app/settings/inboxes", "Inboxes", "inboxes.read", "Website widget and API inboxes, hours and routing."),
    Section("/app/settings/teams", "Teams", "inboxes.read", "Groups of agents that inboxes route to."),
    Section("/app/settings/api-keys", "API keys", "apikeys.read", "Keys for server-to-server calls."),
    Section(
        "/app/settings/ai-providers", "AI providers", "assistants.manage", "Language models, keys, fallback and budget."
    ),
    Section("/app/playground", "Playground", "assistants.manage", "Try assistants as a customer; saved test cases."),
    Section("/app/copilot/review", "Copilot review", "conversations.read", "AI drafts and what agents did with them."),
    Section("/app/settings/webhooks", "Webhooks", "webhooks.manage", "Send events to your own systems."),
    Section("/app/settings/audit", "Audit log", "audit.read", "Who did what, when and from where."),
    Section("/app/settings/outbox", "Email outbox", "mail.read", "Every email Frontdesk sent or queued."),
    Section(
        "/app/settings/canned-responses",
        "Canned responses",
        "conversations.read",
        "Saved replies agents insert with /shortcut.",
    ),
)


def sections_for(page: Page) -> list[Section]:
    if page.org is None:
        return []
    return [s for s in SECTIONS if s.permission is None or page.can(s.permission)]


def _render(page: Page, template: str, *, status_code: int = 200, **context: Any) -> Response:
    return page.render(
        template, status_code=status_code, sections=sections_for(page), current=page.request.url.path, **context
    )


def _role_label(role: str) -> str:
    return role.replace("_", " ").capitalize()


# ---------------------------------------------------------------- home and switching


@router.get("/app")
async def app_home(page: UserPage) -> Response:
    return _render(page, "app/home.html", role_label=_role_label(page.role) if page.role else "")


@router.get("/app/settings")
async def settings_index(page: UserPage) -> Response:
    available = sections_for(page)
    return page.redirect(available[0].path if available else "/app")


@router.post("/app/switch-org")
async def switch_org(page: UserPage) -> Response:
    form = await page.form()
    org_id = forms.parse_id(forms.text(form, "organization_id"), "organization")
    chosen = next((o for o in page.orgs if o.id == org_id), None)
    if chosen is None:
        raise NotFound("No such organization.", code="organization_not_found")
    set_org_cookie(page.cookies, page.settings, chosen.id)
    page.flash(f"You are now working in {chosen.name}.", kind="info")
    return page.redirect(safe_next(forms.text(form, "next")))


# ---------------------------------------------------------------- organization


async def _organization_page(
    page: UserPage, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    org = await orgs.get_organization(page.session, require(page.actor, "org.read"))
    values = values or {"name": org.name, "timezone": org.timezone}
    return _render(
        page,
        "app/organization.html",
        status_code=status,
        organization=org,
        values=values,
        errors=errors or {},
        timezones=timezone_options(values["timezone"]),
    )


@router.get("/app/settings/organization")
async def organization_page(page: UserPage) -> Response:
    return await _organization_page(page)


@router.post("/app/settings/organization")
async def organization_submit(page: UserPage) -> Response:
    scope = require(page.actor, "org.update")
    form = await page.form()
    values = {"name": forms.text(form, "name", limit=300), "timezone": forms.text(form, "timezone", limit=100)}
    data, errors = forms.validate(OrganizationUpdate, values)
    if data is None:
        return await _organization_page(page, values=values, errors=errors, status=422)
    try:
        await orgs.update_organization(page.session, scope, page.actor, name=data.name, timezone=data.timezone)
    except FrontdeskError as exc:
        await page.session.rollback()
        field = "timezone" if exc.code == "invalid_timezone" else "__all__"
        return await _organization_page(page, values=values, errors={field: exc.message}, status=exc.status_code)
    page.flash("The organization's settings were saved.")
    return page.redirect("/app/settings/organization")


# ---------------------------------------------------------------- members


def assignable_roles(page: Page) -> list[str]:
    mine = page.role or Role.VIEWER
    return [r.value for r in ROLES_BY_RANK if can_assign(mine, r)]


async def _members_page(page: UserPage, *, row_errors: dict[str, str] | None = None, status: int = 200) -> Response:
    rows = await orgs.list_members(page.session, require(page.actor, "members.read"))
    manage = page.can("members.manage")
    mine = page.role or Role.VIEWER
    members = [
        {
            "id": str(m.id),
            "name": u.name,
            "email": u.email,
            "role": m.role,
            "joined_at": m.created_at,
            "is_you": page.viewer is not None and u.id == page.viewer.id,
            "manageable": manage and can_assign(mine, m.role),
        }
        for m, u in rows
    ]
    return _render(
        page,
        "app/members.html",
        status_code=status,
        members=members,
        roles=assignable_roles(page),
        row_errors=row_errors or {},
    )


@router.get("/app/settings/members")
async def members_page(page: UserPage) -> Response:
    return await _members_page(page)


def _member_name(rows: Iterable[Any], membership_id: Any) -> str:
    for m, u in rows:
        if m.id == membership_id:
            return str(u.name or u.email)
    return "The member"


@router.post("/app/settings/members/{membership_id}/role")
async def member_role_submit(membership_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "members.manage")
    member_id = forms.parse_id(membership_id, "member")
    form = await page.form()
    role = forms.text(form, "role", limit=20)
    try:
        if role not in {r.value for r in Role}:
            raise ValidationFailed("Choose one of the roles.", code="invalid_role")
        _m, user = await orgs.change_role(page.session, scope, page.actor, member_id, role=role)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _members_page(page, row_errors={membership_id: exc.message}, status=exc.status_code)
    page.flash(f"{user.name or user.email} is now {_article(role)} {role}.")
    return page.redirect("/app/settings/members")


@router.post("/app/settings/members/{membership_id}/remove")
async def member_remove_submit(membership_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "members.manage")
    member_id = forms.parse_id(membership_id, "member")
    name = _member_name(await orgs.list_members(page.session, scope), member_id)
    try:
        await orgs.remove_member(page.session, scope, page.actor, member_id)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _members_page(page, row_errors={membership_id: exc.message}, status=exc.status_code)
    page.flash(f"{name} was removed from {page.org.name if page.org else 'the organization'}.")
    return page.redirect("/app/settings/members")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


# ---------------------------------------------------------------- invitations

INVITATION_STATUSES = ("pending", "accepted", "revoked", "expired", "all")


async def _invitations_page(
    page: UserPage,
    *,
    status_filter: str = "pending",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    row_errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    scope = require(page.actor, "invitations.read")
    if status_filter not in INVITATION_STATUSES:
        status_filter = "pending"
    rows = await invitations.list_invitations(page.session, scope, status=status_filter)
    now = page.runtime.clock.now()
    items = [
        {
            "id": str(inv.id),
            "email": inv.email,
            "role": inv.role,
            "created_at": inv.created_at,
            "expires_at": inv.expires_at,
            "status": invitations.invitation_status(inv, now),
        }
        for inv in rows
    ]
    roles = assignable_roles(page)
    default_role = "agent" if "agent" in roles else (roles[-1] if roles else "viewer")
    return _render(
        page,
        "app/invitations.html",
        status_code=status,
        invitations=items,
        status_filter=status_filter,
        statuses=INVITATION_STATUSES,
        roles=roles,
        values=values or {"email": "", "role": default_role},
        errors=errors or {},
        row_errors=row_errors or {},
        invitation_days=page.settings.invitation_days,
    )


@router.get("/app/settings/invitations")
async def invitations_page(page: UserPage, status: str = "pending") -> Response:
    return await _invitations_page(page, status_filter=status)


_INVITE_FIELDS = {"invalid_email": "email", "already_member": "email", "invalid_role": "role", "role_too_high": "role"}


@router.post("/app/settings/invitations")
async def invitation_submit(page: UserPage) -> Response:
    scope = require(page.actor, "invitations.manage")
    form = await page.form()
    values = {"email": forms.text(form, "email", limit=320), "role": forms.text(form, "role", limit=20)}
    try:
        if not values["email"]:
            raise ValidationFailed("Enter the email address of the person to invite.", code="invalid_email")
        invitation, token = await invitations.create_invitation(
            page.session, scope, page.actor, email=values["email"], role=values["role"]
        )
    except FrontdeskError as exc:
        await page.session.rollback()
        field = _INVITE_FIELDS.get(exc.code, "__all__")
        return await _invitations_page(page, values=values, errors={field: exc.message}, status=exc.status_code)
    page.flash(
        f"{invitation.email} was invited as {_article(invitation.role)} {invitation.role}. We emailed them the link; "
        "you can also copy it below and send it yourself. It is shown only this once.",
        secret=invitations.accept_url(page.session, token),
        secret_label="Invitation link",
    )
    return page.redirect("/app/settings/invitations")


@router.post("/app/settings/invitations/{invitation_id}/revoke")
async def invitation_revoke_submit(invitation_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "invitations.manage")
    inv_id = forms.parse_id(invitation_id, "invitation")
    try:
        invitation = await invitations.revoke_invitation(page.session, scope, page.actor, inv_id)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _invitations_page(page, row_errors={invitation_id: exc.message}, status=exc.status_code)
    page.flash(f"The invitation for {invitation.email} was revoked; its link no longer works.")
    return page.redirect("/app/settings/invitations")


# ---------------------------------------------------------------- roles


def _permission_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, description in PERMISSIONS.items():
        groups.setdefault(name.split(".", 1)[0], []).append((name, description))
    return list(groups.items())


_AREA_LABELS = {
    "org": "Organization",
    "members": "Members",
    "invitations": "Invitations",
    "apikeys": "API keys",
    "audit": "Audit log",
    "mail": "Email",
    "inboxes": "Inboxes",
    "contacts": "Contacts",
    "conversations": "Conversations",
    "assistants": "Assistants",
    "knowledge": "Knowledge base",
    "flows": "Bot flows",
    "leads": "Leads",
    "meetings": "Meetings",
    "analytics": "Analytics",
    "webhooks": "Webhooks",
}


@router.get("/app/settings/roles")
async def roles_page(page: UserPage) -> Response:
    return _render(
        page,
        "app/roles.html",
        roles=[r.value for r in ROLES_BY_RANK],
        matrix={r.value: MATRIX[r] for r in Role},
        groups=[(_AREA_LABELS.get(area, area.capitalize()), perms) for area, perms in _permission_groups()],
        grantable=API_KEY_GRANTABLE,
    )


# ---------------------------------------------------------------- API keys


def grantable_scopes(page: Page) -> list[tuple[str, list[tuple[str, str]]]]:
    allowed = API_KEY_GRANTABLE & page.permissions
    groups = []
    for area, perms in _permission_groups():
        mine = [(name, desc) for name, desc in perms if name in allowed]
        if mine:
            groups.append((_AREA_LABELS.get(area, area.capitalize()), mine))
    return groups


async def _api_keys_page(
    page: UserPage,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    row_errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    keys = await apikeys.list_keys(page.session, require(page.actor, "apikeys.read"))
    now = page.runtime.clock.now()
    items = [
        {
            "id": str(k.id),
            "name": k.name,
            "prefix": k.prefix,
            "scopes": list(k.scopes),
            "created_at": k.created_at,
            "last_used_at": k.last_used_at,
            "expires_at": k.expires_at,
            "state": "revoked"
            if k.revoked_at is not None
            else ("expired" if k.expires_at is not None and k.expires_at <= now else "active"),
        }
        for k in keys
    ]
    return _render(
        page,
        "app/api_keys.html",
        status_code=status,
        keys=items,
        scope_groups=grantable_scopes(page),
        values=values or {"name": "", "expires_on": "", "scopes": []},
        errors=errors or {},
        row_errors=row_errors or {},
    )


@router.get("/app/settings/api-keys")
async def api_keys_page(page: UserPage) -> Response:
    return await _api_keys_page(page)


def _end_of_day(value: str, tz_name: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("Enter the date as YYYY-MM-DD.", code="invalid_date") from None
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(tz_name))


@router.post("/app/settings/api-keys")
async def api_key_submit(page: UserPage) -> Response:
    scope = require(page.actor, "apikeys.manage")
    form = await page.form()
    values: dict[str, Any] = {
        "name": forms.text(form, "name", limit=300),
        "expires_on": forms.text(form, "expires_on", limit=20),
        "scopes": forms.texts(form, "scopes"),
    }
    errors: dict[str, str] = {}
    expires_at = None
    if values["expires_on"]:
        try:
            expires_at = _end_of_day(values["expires_on"], page.timezone)
        except ValidationFailed as exc:
            errors["expires_on"] = exc.message
    data, schema_errors = forms.validate(
        ApiKeyCreate, {"name": values["name"], "scopes": values["scopes"], "expires_at": expires_at}
    )
    errors.update({("expires_on" if k == "expires_at" else k): v for k, v in schema_errors.items()})
    if "scopes" in errors:
        errors["scopes"] = "Choose at least one thing the key may do."
    if data is None or errors:
        return await _api_keys_page(page, values=values, errors=errors, status=422)
    try:
        key, raw = await apikeys.create_key(page.session, scope, page.actor, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        field = {"invalid_scopes": "scopes", "scope_exceeds_role": "scopes", "invalid_expiry": "expires_on"}.get(
            exc.code, "__all__"
        )
        return await _api_keys_page(page, values=values, errors={field: exc.message}, status=exc.status_code)
    page.flash(
        f"The key “{key.name}” was created. Copy it now: it is shown only this once, and we keep only a hash.",
        secret=raw,
        secret_label="API key",
    )
    return page.redirect("/app/settings/api-keys")


@router.post("/app/settings/api-keys/{key_id}/revoke")
async def api_key_revoke_submit(key_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "apikeys.manage")
    parsed = forms.parse_id(key_id, "API key")
    try:
        key = await apikeys.revoke_key(page.session, scope, page.actor, parsed)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _api_keys_page(page, row_errors={key_id: exc.message}, status=exc.status_code)
    page.flash(f"The key “{key.name}” was revoked; calls made with it are refused from now on.")
    return page.redirect("/app/settings/api-keys")


# ---------------------------------------------------------------- audit log and outbox


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1


def _day_start(value: str, tz_name: str, *, plus_days: int = 0) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("Enter the date as YYYY-MM-DD.", code="invalid_date") from None
    return datetime.combine(day + timedelta(days=plus_days), time(0), tzinfo=ZoneInfo(tz_name))


@router.get("/app/settings/audit")
async def audit_page(request: Request, page: UserPage) -> Response:
    scope = require(page.actor, "audit.read")
    q = request.query_params
    values = {name: (q.get(name) or "").strip()[:320] for name in ("action", "actor", "target_type", "since", "until")}
    errors: dict[str, str] = {}
    bounds: dict[str, datetime | None] = {"since": None, "until": None}
    for name, plus in (("since", 0), ("until", 1)):
        if values[name]:
            try:
                # "Until" is inclusive for a person picking a day: the filter ends at the next midnight.
                bounds[name] = _day_start(values[name], page.timezone, plus_days=plus)
            except ValidationFailed as exc:
                errors[name] = exc.message
    filters, filter_errors = forms.validate(
        AuditFilter,
        {
            "action": values["action"] or None,
            "actor": values["actor"] or None,
            "target_type": values["target_type"] or None,
            **bounds,
        },
    )
    errors.update(filter_errors)
    paging = PageParams(page=_page_number(q.get("page")), per_page=PER_PAGE)
    rows: list[Any] = []
    total = 0
    if filters is not None and not errors:
        rows, total = await paginate(page.session, audit_repository.filtered(scope.ids, filters), paging)
    active = {k: v for k, v in values.items() if v}
    return _render(
        page,
        "app/audit.html",
        status_code=422 if errors else 200,
        events=rows,
        values=values,
        errors=errors,
        pager=_pager(paging, total, "/app/settings/audit", active),
        filtered=bool(active),
    )


@router.get("/app/settings/outbox")
async def outbox_page(request: Request, page: UserPage) -> Response:
    scope = require(page.actor, "mail.read")
    paging = PageParams(page=_page_number(request.query_params.get("page")), per_page=PER_PAGE)
    rows, total = await paginate(page.session, mail_repository.outbox(scope.ids), paging)
    return _render(
        page,
        "app/outbox.html",
        messages=rows,
        visible_body=visible_body,
        pager=_pager(paging, total, "/app/settings/outbox", {}),
        smtp_configured=bool(page.settings.smtp_host),
    )


def _pager(paging: PageParams, total: int, path: str, params: dict[str, str]) -> dict[str, Any]:
    pages = max(1, (total + paging.per_page - 1) // paging.per_page)

    def link(n: int) -> str:
        return f"{path}?{urlencode({**params, 'page': n})}"

    first = (paging.page - 1) * paging.per_page + 1 if total else 0
    return {
        "page": paging.page,
        "pages": pages,
        "total": total,
        "first": first,
        "last": min(total, paging.page * paging.per_page),
        "prev": link(paging.page - 1) if paging.page > 1 else "",
        "next": link(paging.page + 1) if paging.page < pages else "",
    }


# ---------------------------------------------------------------- account


async def _account_page(page: UserPage, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    return _render(page, "app/account.html", status_code=status, errors=errors or {})


@router.get("/app/account")
async def account_page(page: UserPage) -> Response:
    return await _account_page(page)


@router.post("/app/account/password")
async def password_submit(page: UserPage) -> Response:
    form = await page.form()
    current = forms.text(form, "current_password", strip=False, limit=300)
    new = forms.text(form, "new_password", strip=False, limit=300)
    confirm = forms.text(form, "password_confirm", strip=False, limit=300)
    data, errors = forms.validate(auth_schemas.PasswordChange, {"current_password": current, "new_password": new})
    if new and new != confirm:
        errors.setdefault("password_confirm", "The two passwords are not the same.")
    if data is None or errors:
        return await _account_page(page, errors=errors, status=422)
    try:
        await auth_service.change_password(
            page.session, page.actor, current=data.current_password, new=data.new_password
        )
    except FrontdeskError as exc:
        await page.session.rollback()
        field = "current_password" if exc.code == "invalid_password" else "__all__"
        return await _account_page(page, errors={field: exc.message}, status=exc.status_code)
    # Changing the password ended every session, this one included: start a fresh one here.
    user = await users.get(page.session, page.viewer.id) if page.viewer else None
    assert user is not None
    pair = await auth_service.start_session(page.session, user, ip=page.ip, user_agent=page.user_agent)
    page.csrf = set_session_cookies(page.cookies, page.settings, pair)
    page.flash("Your password was changed. Every other session was signed out.")
    return page.redirect("/app/account")
