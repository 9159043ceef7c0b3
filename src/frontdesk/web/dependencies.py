"""What every server-rendered page needs: who is signed in, CSRF, flash messages and safe responses.

Pages differ from the JSON API in three ways that this module owns:

- the browser carries the session in cookies, so a POST must prove it came from our own form (the
  ``csrf_token`` field must equal the ``fd_csrf`` cookie) and an expired access cookie is renewed
  from the refresh cookie without the person noticing;
- errors become HTML pages (or inline form messages), never JSON, and a missing session becomes a
  redirect to the sign-in page;
- every response carries a strict Content-Security-Policy, because pages show text other people
  typed.

Cookies are written to a scratch response (the "jar") and copied onto whatever response finally
leaves, so a redirect, a page or an error page all carry a renewed session alike.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import structlog
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response as StarletteResponse

from frontdesk.auth import service as auth_service
from frontdesk.auth import tokens
from frontdesk.auth.cookies import clear_session_cookies, set_org_cookie, set_session_cookies
from frontdesk.auth.dependencies import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    ORG_COOKIE,
    REFRESH_COOKIE,
    Session,
    client_ip,
    get_runtime,
    resolve_subject,
    user_subject,
)
from frontdesk.authz.service import permissions_in
from frontdesk.authz.subject import AuthSubject
from frontdesk.config import Settings
from frontdesk.kit.crypto import constant_time_equal, new_token
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import BadRequest, FrontdeskError, Unauthorized
from frontdesk.kit.runtime import Runtime
from frontdesk.orgs.models import ACTIVE
from frontdesk.users import repository as users
from frontdesk.web.templating import render_template

log = structlog.get_logger("frontdesk.web")

FLASH_COOKIE = "fd_flash"
FLASH_SECONDS = 120
CSRF_FIELD = "csrf_token"

# Inline scripts and styles are never needed: everything comes from /static, so an injected
# <script> or style attribute does nothing even if escaping were ever missed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRejected(Exception):
    pass


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, copied out of the ORM so templates never trigger a lazy load."""

    id: uuid.UUID
    name: str
    email: str
    is_operator: bool


@dataclass(frozen=True)
class OrgChoice:
    id: uuid.UUID
    name: str
    role: str
    timezone: str
    suspended: bool


@dataclass
class Page:
    request: Request
    session: AsyncSession
    runtime: Runtime
    csrf: str
    subject: AuthSubject | None = None
    viewer: Viewer | None = None
    orgs: list[OrgChoice] = field(default_factory=list)
    org: OrgChoice | None = None
    permissions: frozenset[str] = frozenset()
    _flashes_out: list[dict[str, str]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def cookies(self) -> Response:
        """Set or delete cookies here; they go out with whatever response this request ends in."""
        return cookie_jar(self.request)

    @property
    def actor(self) -> AuthSubject:
        """The signed-in subject, for pages behind ``UserPage`` (which guarantees there is one)."""
        if self.subject is None:
            raise LoginRequired(self.request.url.path)
        return self.subject

    @property
    def role(self) -> str | None:
        return self.org.role if self.org else None

    @property
    def timezone(self) -> str:
        return self.org.timezone if self.org else "UTC"

    @property
    def ip(self) -> str | None:
        return client_ip(self.request)

    @property
    def user_agent(self) -> str | None:
        return self.request.headers.get("user-agent")

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    async def form(self) -> FormData:
        return await self.request.form()

    def flash(self, text: str, *, kind: str = "success", secret: str | None = None, secret_label: str = "") -> None:
        """Queue a message for the next page; ``secret`` is a value shown once with a copy button."""
        item = {"kind": kind, "text": text}
        if secret is not None:
            item["secret"] = secret
            item["secret_label"] = secret_label or "Value"
        self._flashes_out.append(item)

    def redirect(self, url: str) -> RedirectResponse:
        if self._flashes_out:
            pending = [*_read_flashes(self.request, self.runtime), *self._flashes_out]
            # Wall time, not the runtime clock: the browser's max_age runs on wall time as well.
            payload = json.dumps({"exp": int(time.time()) + FLASH_SECONDS, "items": pending})
            self.cookies.set_cookie(
                FLASH_COOKIE,
                self.runtime.secrets.encrypt(payload),
                max_age=FLASH_SECONDS,
                httponly=True,
                secure=_secure(self.runtime),
                samesite="lax",
                path="/",
            )
            self._flashes_out = []
        return RedirectResponse(url, status_code=303)

    def render(self, template: str, /, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        flashes = [*_read_flashes(self.request, self.runtime), *self._flashes_out]
        if FLASH_COOKIE in self.request.cookies:
            self.cookies.delete_cookie(FLASH_COOKIE, path="/")
        self._flashes_out = []
        html = render_template(template, page=self, flashes=flashes, **context)
        return HTMLResponse(html, status_code=status_code)


def cookie_jar(request: Request) -> Response:
    jar = getattr(request.state, "fd_cookie_jar", None)
    if jar is None:
        jar = request.state.fd_cookie_jar = StarletteResponse()
    return jar


def _secure(runtime: Runtime) -> bool:
    return runtime.settings.public_url.startswith("https://")


def _read_flashes(request: Request, runtime: Runtime) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        data = json.loads(runtime.secrets.decrypt(raw))
    except (ValueError, TypeError):
        return []
    if not isinstance(data, dict) or int(data.get("exp", 0)) < time.time():
        return []
    items = data.get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def safe_next(value: str | None, default: str = "/app") -> str:
    """Only same-site paths: an open redirect would turn our sign-in page into a phishing tool."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value):
        return default
    return value


def login_url(next_path: str | None = None) -> str:
    target = safe_next(next_path, "")
    return f"/login?next={quote(target, safe='/')}" if target and target != "/app" else "/login"


async def _verify_csrf(request: Request) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not sent or not expected or not constant_time_equal(sent, expected):
        raise CsrfRejected


def _org_from_cookie(request: Request) -> uuid.UUID | None:
    raw = request.cookies.get(ORG_COOKIE)
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


async def _subject_from_cookies(request: Request, session: AsyncSession, runtime: Runtime) -> AuthSubject | None:
    """The signed-in person, renewing the access cookie from the refresh cookie when it has lapsed.

    Cookies are cleared only when the server has judged them bad. A missing refresh cookie proves
    nothing: it is SameSite=Strict, so a link followed from another site (an email) arrives without it.
    """
    access = request.cookies.get(ACCESS_COOKIE)
    refresh = request.cookies.get(REFRESH_COOKIE)
    jar = cookie_jar(request)
    if access:
        try:
            # Pure decoding: an expired token is noticed without asking the database.
            tokens.decode_access_token(runtime.settings, access, now=runtime.clock.now())
        except Unauthorized:
            pass
        else:
            subject: AuthSubject | None
            try:
                subject = await resolve_subject(request, session, csrf_verified=True)
            except Unauthorized:
                # Revoked (say, by a password change) or the account is gone: this cookie is done.
                jar.delete_cookie(ACCESS_COOKIE, path="/")
                subject = None
            except BadRequest:
                # A mangled organization cookie: forget the choice and renew below rather than sign out.
                jar.delete_cookie(ORG_COOKIE, path="/")
                subject = None
            if subject is not None and subject.kind == "user":
                return subject
    if not refresh:
        return None
    # A write transaction of its own, committed at once: a spent refresh token or a revoked family must
    # stick whatever the page does next, and a page view's own session may be a read-only one.
    async with transaction(runtime.sessionmaker) as writer:
        outcome = await auth_service.rotate(
            writer, refresh, ip=client_ip(request), user_agent=request.headers.get("user-agent")
        )
    if outcome.tokens is None:
        clear_session_cookies(jar)
        return None
    request.state.fd_renewed_csrf = set_session_cookies(jar, runtime.settings, outcome.tokens)
    claims = tokens.decode_access_token(runtime.settings, outcome.tokens.access_token, now=runtime.clock.now())
    subject = await _user_from_claims(request, session, claims, selected=_org_from_cookie(request))
    if subject is None:
        clear_session_cookies(jar)
    return subject


async def _user_from_claims(
    request: Request, session: AsyncSession, claims: dict[str, Any], *, selected: uuid.UUID | None
) -> AuthSubject | None:
    try:
        request.state.session_id = uuid.UUID(str(claims.get("sid")))
        return await user_subject(
            session,
            uuid.UUID(str(claims["sub"])),
            selected=selected,
            ip=client_ip(request),
            via="cookie",
            strict_selection=False,
        )
    except (Unauthorized, ValueError):
        return None


async def _build_page(request: Request, session: AsyncSession) -> Page:
    runtime = get_runtime(request)
    await _verify_csrf(request)
    subject = await _subject_from_cookies(request, session, runtime)
    csrf = getattr(request.state, "fd_renewed_csrf", None) or request.cookies.get(CSRF_COOKIE)
    if not csrf:
        # Forms before sign-in are protected too (login CSRF), with a cookie of their own.
        csrf = new_token(16)
        cookie_jar(request).set_cookie(
            CSRF_COOKIE,
            csrf,
            max_age=runtime.settings.refresh_token_days * 86400,
            httponly=False,
            secure=_secure(runtime),
            samesite="strict",
            path="/",
        )
    page = Page(request=request, session=session, runtime=runtime, csrf=csrf)
    request.state.fd_page = page
    if subject is None or subject.user_id is None:
        return page
    user = await users.get(session, subject.user_id)
    if user is None:
        return page
    page.viewer = Viewer(id=user.id, name=user.name, email=user.email, is_operator=user.is_operator)
    page.orgs = [
        OrgChoice(id=o.id, name=o.name, role=m.role, timezone=o.timezone, suspended=o.status != ACTIVE)
        for m, o in await users.memberships_of(session, user.id)
    ]
    if subject.organization_id is None and page.orgs:
        # Several organizations and no choice yet: start in the first active one and remember it.
        chosen = next((o for o in page.orgs if not o.suspended), page.orgs[0])
        subject = replace(subject, organization_id=chosen.id)
        set_org_cookie(cookie_jar(request), runtime.settings, chosen.id)
    page.subject = subject
    page.org = next((o for o in page.orgs if o.id == subject.organization_id), None)
    page.permissions = permissions_in(subject, page.org.id) if page.org else frozenset()
    request.state.subject = subject
    return page


async def any_page(request: Request, session: Session) -> Page:
    return await _build_page(request, session)


async def signed_in_page(request: Request, page: Annotated[Page, Depends(any_page)]) -> Page:
    if page.subject is None or page.viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else request.url.path)
    return page


PublicPage = Annotated[Page, Depends(any_page)]
UserPage = Annotated[Page, Depends(signed_in_page)]


# ---------------------------------------------------------------- responses

_TITLES = {
    400: "That request could not be understood",
    401: "Please sign in",
    403: "You cannot do that here",
    404: "Page not found",
    405: "That is not allowed here",
    409: "That clashes with something else",
    410: "That is no longer available",
    413: "That was too large",
    422: "Please check what you entered",
    429: "Slow down a little",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def error_page(request: Request, status_code: int, message: str, *, title: str | None = None) -> HTMLResponse:
    page: Page | None = getattr(request.state, "fd_page", None)
    context = {
        "error_status": status_code,
        "title": title or _TITLES.get(status_code, "Something went wrong"),
        "message": message,
    }
    if page is not None:
        return page.render("error.html", status_code=status_code, **context)
    html = render_template("error.html", page=None, flashes=[], **context)
    return HTMLResponse(html, status_code=status_code)


def _finish(request: Request, response: Response) -> Response:
    jar = getattr(request.state, "fd_cookie_jar", None)
    if jar is not None:
        for name, value in jar.raw_headers:
            if name == b"set-cookie":
                response.raw_headers.append((name, value))
    headers = response.headers
    headers.setdefault("content-security-policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("x-content-type-options", "nosniff")
    headers.setdefault("x-frame-options", "DENY")
    # Reset and invitation links carry a secret in the query string: never leak it in a Referer.
    headers.setdefault("referrer-policy", "no-referrer")
    headers.setdefault("cache-control", "no-store")
    return response


class PageRoute(APIRoute):
    """A route whose failures render as HTML pages, and whose responses carry cookies and CSP."""

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired as exc:
                response = RedirectResponse(login_url(exc.next_path), status_code=303)
            except CsrfRejected:
                response = error_page(
                    request,
                    403,
                    "This form expired or did not come from this site, so nothing was changed. "
                    "Go back, reload the page and try again.",
                    title="Form expired",
                )
            except FrontdeskError as exc:
                response = error_page(request, exc.status_code, exc.message)
                if exc.status_code == 429 and "retry_after" in exc.details:
                    response.headers["retry-after"] = str(exc.details["retry_after"])
            except RequestValidationError:
                response = error_page(request, 400, "Some of the information sent with this request is not valid.")
            except StarletteHTTPException as exc:
                detail = exc.detail if isinstance(exc.detail, str) else "That request could not be handled."
                response = error_page(request, exc.status_code, detail)
            except Exception:
                log.exception("page_error", path=request.url.path)
                response = error_page(
                    request, 500, "Something went wrong on our side; it has been logged. Please try again."
                )
            return _finish(request, response)

        return page_handler
