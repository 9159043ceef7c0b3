"""The server-rendered shell: sign-in, registration, passwords, invitations, and (in ``settings``) the app.

Every handler is a thin page over the same services the JSON API calls: they validate the form with
the API's own schemas, call one service, and answer with a redirect and a flash message (so a reload
never posts twice) or with the form again and the problem written next to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from frontdesk.auth import schemas as auth_schemas
from frontdesk.auth import service as auth_service
from frontdesk.auth.cookies import clear_session_cookies, set_org_cookie, set_session_cookies
from frontdesk.auth.dependencies import REFRESH_COOKIE
from frontdesk.invitations import service as invitations
from frontdesk.kit.errors import FrontdeskError, Unauthorized
from frontdesk.web import forms
from frontdesk.web.dependencies import Page, PageRoute, PublicPage, safe_next
from frontdesk.web.settings import router as settings_router
from frontdesk.web.settings_channels import router as settings_channels_router
from frontdesk.web.timezones import TIMEZONES

router = APIRouter(route_class=PageRoute, include_in_schema=False)


async def _limit(page: Page, what: str) -> None:
    # The same per-address limit as the JSON sign-in routes, so the form is no way around it.
    settings = page.settings
    await page.runtime.limiter.hit(settings.rate_limit_auth, what, page.ip or "-", what="attempts from this address")


async def _sign_in(page: Page, user: Any, organization_id: Any = None) -> None:
    pair = await auth_service.start_session(page.session, user, ip=page.ip, user_agent=page.user_agent)
    page.csrf = set_session_cookies(page.cookies, page.settings, pair, organization_id)


def _sso(page: Page, next_path: str) -> dict[str, Any]:
    settings = page.settings
    enabled = bool(settings.oidc_issuer and settings.oidc_client_id)
    return {
        "sso_enabled": enabled,
        "sso_label": settings.oidc_button_label,
        "sso_url": f"/auth/oidc/login?next={quote(next_path, safe='/')}" if enabled else "",
    }


@router.get("/")
async def home_redirect(page: PublicPage) -> Response:
    return page.redirect("/app" if page.viewer else "/login")


# ---------------------------------------------------------------- sign in


def _login_form(
    page: Page, *, email: str = "", next_path: str = "/app", errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    return page.render(
        "auth/login.html",
        status_code=status,
        email=email,
        next_path=next_path,
        errors=errors or {},
        **_sso(page, next_path),
    )


@router.get("/login")
async def login_page(page: PublicPage, next: str | None = None) -> Response:
    target = safe_next(next)
    if page.viewer:
        return page.redirect(target)
    return _login_form(page, next_path=target)


@router.post("/login")
async def login_submit(page: PublicPage) -> Response:
    form = await page.form()
    email = forms.text(form, "email", limit=320)
    password = forms.text(form, "password", strip=False, limit=256)
    target = safe_next(forms.text(form, "next"))
    data, errors = forms.validate(auth_schemas.Login, {"email": email, "password": password})
    if data is None:
        return _login_form(page, email=email, next_path=target, errors=errors, status=422)
    try:
        await _limit(page, "login")
        user = await auth_service.authenticate(page.session, email=data.email, password=data.password, ip=page.ip)
    except Unauthorized as exc:
        # Kept, not rolled back: the failed attempt is in the audit log on purpose.
        return _login_form(page, email=email, next_path=target, errors={"__all__": exc.message}, status=401)
    except FrontdeskError as exc:
        await page.session.rollback()
        return _login_form(page, email=email, next_path=target, errors={"__all__": exc.message}, status=exc.status_code)
    await _sign_in(page, user)
    return page.redirect(target)


@router.post("/logout")
async def logout_submit(request: Request, page: PublicPage) -> Response:
    if page.subject is not None:
        await auth_service.logout(
            page.session,
            page.subject,
            refresh_token=request.cookies.get(REFRESH_COOKIE),
            session_id=getattr(request.state, "session_id", None),
        )
    clear_session_cookies(page.cookies)
    page.flash("You are signed out.", kind="info")
    return page.redirect("/login")


# ---------------------------------------------------------------- register

_REGISTER_FIELDS = {"email_taken": "email", "invalid_timezone": "timezone"}


def _register_form(
    page: Page, values: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    values = {"name": "", "email": "", "organization_name": "", "timezone": "UTC", **(values or {})}
    return page.render(
        "auth/register.html", status_code=status, values=values, errors=errors or {}, timezones=TIMEZONES
    )


@router.get("/register")
async def register_page(page: PublicPage) -> Response:
    if page.viewer:
        return page.redirect("/app")
    return _register_form(page)


@router.post("/register")
async def register_submit(page: PublicPage) -> Response:
    form = await page.form()
    values = {
        "name": forms.text(form, "name", limit=300),
        "email": forms.text(form, "email", limit=320),
        "organization_name": forms.text(form, "organization_name", limit=300),
        "timezone": forms.text(form, "timezone", limit=100) or "UTC",
    }
    password = forms.text(form, "password", strip=False, limit=300)
    confirm = forms.text(form, "password_confirm", strip=False, limit=300)
    data, errors = forms.validate(auth_schemas.Registration, {**values, "password": password})
    if password and password != confirm:
        errors.setdefault("password_confirm", "The two passwords are not the same.")
    if data is None or errors:
        return _register_form(page, values, errors, 422)
    try:
        await _limit(page, "register")
        user, org = await auth_service.register(
            page.session,
            email=data.email,
            password=data.password,
            name=data.name,
            organization_name=data.organization_name,
            timezone=data.timezone,
            ip=page.ip,
        )
    except FrontdeskError as exc:
        await page.session.rollback()
        field = _REGISTER_FIELDS.get(exc.code, "__all__")
        return _register_form(page, values, {field: exc.message}, exc.status_code)
    await _sign_in(page, user, org.id)
    page.flash(f"Welcome to Frontdesk. {org.name} is ready; invite your team when you like.")
    return page.redirect("/app")


# ---------------------------------------------------------------- passwords


@router.get("/forgot-password")
async def forgot_page(page: PublicPage) -> Response:
    return page.render("auth/forgot.html", email="", errors={})


@router.post("/forgot-password")
async def forgot_submit(page: PublicPage) -> Response:
    form = await page.form()
    email = forms.text(form, "email", limit=320)
    data, errors = forms.validate(auth_schemas.PasswordResetRequest, {"email": email})
    if data is None:
        return page.render("auth/forgot.html", status_code=422, email=email, errors=errors)
    try:
        await _limit(page, "reset")
        await auth_service.request_password_reset(page.session, email=data.email, ip=page.ip)
    except FrontdeskError as exc:
        await page.session.rollback()
        return page.render(
            "auth/forgot.html", status_code=exc.status_code, email=email, errors={"__all__": exc.message}
        )
    minutes = page.settings.password_reset_minutes
    page.flash(
        f"If an account uses {data.email}, a reset link is on its way. It works once, for {minutes} minutes.",
        kind="info",
    )
    return page.redirect("/login")


@router.get("/reset-password")
async def reset_page(page: PublicPage, token: str = "") -> Response:
    return page.render("auth/reset.html", token=token[:200], errors={})


@router.post("/reset-password")
async def reset_submit(page: PublicPage) -> Response:
    form = await page.form()
    token = forms.text(form, "token", limit=200)
    password = forms.text(form, "new_password", strip=False, limit=300)
    confirm = forms.text(form, "password_confirm", strip=False, limit=300)
    data, errors = forms.validate(auth_schemas.PasswordReset, {"token": token, "new_password": password})
    if "token" in errors:
        errors = {"__all__": "This reset link is not complete. Open the link from the email again.", **errors}
        errors.pop("token")
    if password and password != confirm:
        errors.setdefault("password_confirm", "The two passwords are not the same.")
    if data is None or errors:
        return page.render("auth/reset.html", status_code=422, token=token, errors=errors)
    try:
        await _limit(page, "reset-confirm")
        user = await auth_service.reset_password(
            page.session, token=data.token, new_password=data.new_password, ip=page.ip
        )
    except FrontdeskError as exc:
        await page.session.rollback()
        return page.render("auth/reset.html", status_code=exc.status_code, token=token, errors={"__all__": exc.message})
    await _sign_in(page, user)
    page.flash("Your password was changed, and every other session was signed out.")
    return page.redirect("/app")


# ---------------------------------------------------------------- invitations


async def _invite_page(
    page: Page,
    token: str,
    *,
    name: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    try:
        preview = await invitations.lookup_invitation(page.session, token) if token else None
    except FrontdeskError as exc:
        return page.render(
            "auth/accept_invite.html", status_code=exc.status_code, preview=None, problem=exc.message, token=""
        )
    if preview is None:
        return page.render(
            "auth/accept_invite.html",
            status_code=404,
            preview=None,
            problem="This invitation link is not complete. Open the link from the email again.",
            token="",
        )
    viewer = page.viewer
    if viewer is not None and viewer.email == preview.email:
        mode = "join"
    elif preview.account_exists:
        mode = "password"
    else:
        mode = "create"
    return page.render(
        "auth/accept_invite.html",
        status_code=status,
        preview=preview,
        problem="",
        token=token,
        mode=mode,
        name=name,
        errors=errors or {},
    )


@router.get("/accept-invite")
async def accept_invite_page(page: PublicPage, token: str = "") -> Response:
    return await _invite_page(page, token[:200])


_INVITE_FIELDS = {"name_required": "name", "password_too_short": "password", "invalid_credentials": "password"}


@router.post("/accept-invite")
async def accept_invite_submit(page: PublicPage) -> Response:
    form = await page.form()
    token = forms.text(form, "token", limit=200)
    name = forms.text(form, "name", limit=200)
    password = forms.text(form, "password", strip=False, limit=256)
    confirm = forms.text(form, "password_confirm", strip=False, limit=256)
    if "password_confirm" in form and password != confirm:
        return await _invite_page(
            page, token, name=name, errors={"password_confirm": "The two passwords are not the same."}, status=422
        )
    try:
        await _limit(page, "invitation-accept")
        user, membership = await invitations.accept_invitation(
            page.session,
            token=token,
            name=name or None,
            password=password or None,
            subject=page.subject,
            ip=page.ip,
        )
    except FrontdeskError as exc:
        await page.session.rollback()
        field = _INVITE_FIELDS.get(exc.code, "__all__")
        return await _invite_page(page, token, name=name, errors={field: exc.message}, status=exc.status_code)
    if page.viewer is not None and page.viewer.id == user.id:
        set_org_cookie(page.cookies, page.settings, membership.organization_id)
    else:
        await _sign_in(page, user, membership.organization_id)
    page.flash("Welcome aboard: you joined the organization.")
    return page.redirect("/app")


router.routes.extend(settings_router.routes)
router.routes.extend(settings_channels_router.routes)
