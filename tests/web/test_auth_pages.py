"""Sign-in, registration, passwords, invitations and the session cookies, through the HTML pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.runtime import Runtime
from frontdesk.mail.models import MailMessage
from tests.web.conftest import PASSWORD, WebClient, join_as

Web = Callable[[], Awaitable[WebClient]]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


async def test_login_page_is_accessible_html_with_security_headers(web: Web, owner_web: WebClient) -> None:
    browser = await web()
    r = await browser.get("/")
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    r = await owner_web.get("/")
    assert (r.status_code, r.headers["location"]) == (303, "/app")
    r = await browser.get("/login")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    body = r.text
    assert '<html lang="en">' in body
    assert 'href="#main"' in body and 'id="main"' in body
    assert '<label for="f-email">' in body and 'id="f-email"' in body
    assert '<label for="f-password">' in body and 'id="f-password"' in body
    assert 'name="csrf_token"' in body
    # No single-sign-on button unless OIDC is configured.
    assert "single sign-on" not in body


async def test_register_signs_in_and_shows_the_new_organization(web: Web) -> None:
    browser = await web()
    await browser.register(org="Blue Bakery", name="Bea")
    r = await browser.get("/app")
    assert r.status_code == 200
    assert "<h1>Blue Bakery</h1>" in r.text
    assert "<strong>Owner</strong>" in r.text
    assert "Blue Bakery is ready" in r.text  # the flash after the redirect
    again = await browser.get("/app")
    assert "is ready" not in again.text  # flash messages show once


async def test_register_problems_are_shown_inline(web: Web, owner_web: WebClient) -> None:
    browser = await web()
    r = await browser.post(
        "/register",
        {
            "name": "Zed",
            "email": "not-an-email",
            "password": "short",
            "password_confirm": "other",
            "organization_name": "",
            "timezone": "UTC",
        },
    )
    assert r.status_code == 422
    assert "There is a problem" in r.text
    assert "Enter a valid email address" in r.text
    assert "Use at least 10 characters." in r.text
    assert 'aria-invalid="true"' in r.text
    assert 'value="Zed"' in r.text  # what was typed stays
    taken = await owner_web.get("/app/account")
    email = taken.text.split("<dt>Email</dt><dd>")[1].split("</dd>")[0]
    r = await browser.post(
        "/register",
        {
            "name": "Zed",
            "email": email,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "organization_name": "Zed Co",
            "timezone": "UTC",
        },
    )
    assert r.status_code == 409
    assert "An account with this email already exists." in r.text
    r = await browser.post(
        "/register",
        {
            "name": "Zed",
            "email": "zed@example.com",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "organization_name": "Zed Co",
            "timezone": "Mars/Olympus",
        },
    )
    assert r.status_code == 422
    assert "is not a time zone this server knows" in r.text


async def test_login_wrong_password_shows_message_in_the_form(web: Web, owner_web: WebClient) -> None:
    account = await owner_web.get("/app/account")
    email = account.text.split("<dt>Email</dt><dd>")[1].split("</dd>")[0]
    browser = await web()
    r = await browser.post("/login", {"email": email, "password": "wrong password!"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("text/html")
    assert "The email or password is wrong." in r.text
    assert f'value="{email}"' in r.text
    assert "fd_access" not in browser.http.cookies
    ok = await browser.post("/login", {"email": email, "password": PASSWORD})
    assert (ok.status_code, ok.headers["location"]) == (303, "/app")
    assert (await browser.get("/app")).status_code == 200


async def test_login_follows_local_next_only(web: Web, owner_web: WebClient) -> None:
    account = await owner_web.get("/app/account")
    email = account.text.split("<dt>Email</dt><dd>")[1].split("</dd>")[0]
    stranger = await web()
    r = await stranger.get("/app/settings/members?x=1")
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=/app/settings/members%3Fx%3D1")
    page = await stranger.get(r.headers["location"])
    assert 'name="next" value="/app/settings/members?x=1"' in page.text
    r = await stranger.post("/login", {"email": email, "password": PASSWORD, "next": "/app/settings/members?x=1"})
    assert r.headers["location"] == "/app/settings/members?x=1"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        other = await web()
        r = await other.post("/login", {"email": email, "password": PASSWORD, "next": evil})
        assert r.headers["location"] == "/app", evil


async def test_post_without_or_with_wrong_csrf_token_is_refused(web: Web, owner_web: WebClient) -> None:
    r = await owner_web.post("/app/settings/organization", {"name": "Hijacked", "timezone": "UTC"}, csrf=False)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "Form expired" in r.text
    r = await owner_web.post(
        "/app/settings/organization", {"name": "Hijacked", "timezone": "UTC", "csrf_token": "guessed"}, csrf=False
    )
    assert r.status_code == 403
    page = await owner_web.get("/app/settings/organization")
    assert "Hijacked" not in page.text
    # The sign-in form is protected as well (login CSRF).
    stranger = await web()
    r = await stranger.post("/login", {"email": "a@example.com", "password": "x"}, csrf=False)
    assert r.status_code == 403


async def test_logout_ends_the_session(owner_web: WebClient) -> None:
    r = await owner_web.post("/logout")
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert "fd_access" not in owner_web.http.cookies
    login = await owner_web.get("/login")
    assert "You are signed out." in login.text
    r = await owner_web.get("/app")
    assert r.status_code == 303 and r.headers["location"] == "/login"


async def test_expired_access_cookie_is_renewed_from_the_refresh_cookie(
    owner_web: WebClient, clock: FrozenClock
) -> None:
    first_access = owner_web.http.cookies["fd_access"]
    first_refresh = owner_web.http.cookies["fd_refresh"]
    clock.advance(minutes=20)
    r = await owner_web.get("/app/settings/members")
    assert r.status_code == 200
    assert owner_web.http.cookies["fd_access"] != first_access
    assert owner_web.http.cookies["fd_refresh"] != first_refresh
    # The page's forms carry the renewed CSRF token, so the next post works.
    assert f'value="{owner_web.http.cookies["fd_csrf"]}"' in r.text
    saved = await owner_web.post("/app/settings/organization", {"name": "Renewed Co", "timezone": "UTC"})
    assert saved.status_code == 303
    # A browser drops the access cookie when it lapses; the refresh cookie alone is enough.
    owner_web.http.cookies.delete("fd_access")
    r = await owner_web.get("/app")
    assert r.status_code == 200 and "fd_access" in owner_web.http.cookies
    # Without a refresh cookie, an expired session means signing in again.
    clock.advance(minutes=20)
    owner_web.http.cookies.delete("fd_refresh")
    r = await owner_web.get("/app")
    assert (r.status_code, r.headers["location"]) == (303, "/login")


async def _reset_link(runtime: Runtime) -> str:
    async with runtime.sessionmaker() as session:
        mail = await session.scalar(
            select(MailMessage).where(MailMessage.kind == "password_reset").order_by(MailMessage.created_at.desc())
        )
    assert mail is not None
    return next(word for word in mail.body_text.split() if "/reset-password?token=" in word)


async def test_forgot_and_reset_password(web: Web, owner_web: WebClient, runtime: Runtime, clock: FrozenClock) -> None:
    account = await owner_web.get("/app/account")
    email = account.text.split("<dt>Email</dt><dd>")[1].split("</dd>")[0]
    browser = await web()
    page = await browser.get("/forgot-password")
    assert '<label for="f-email">' in page.text
    r = await browser.post("/forgot-password", {"email": email})
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert "a reset link is on its way" in (await browser.get("/login")).text
    # The same answer for an unknown address: the form does not reveal who has an account.
    r = await browser.post("/forgot-password", {"email": "nobody@example.com"})
    assert r.status_code == 303
    link = await _reset_link(runtime)
    clock.advance(seconds=5)  # tokens carry whole seconds; the reset must come after the old session's
    path = httpx.URL(link).raw_path.decode()
    form = await browser.get(path)
    assert form.status_code == 200 and 'name="token"' in form.text
    token = httpx.URL(link).params["token"]
    mismatch = await browser.post(
        "/reset-password", {"token": token, "new_password": "brand new password", "password_confirm": "nope"}
    )
    assert mismatch.status_code == 422 and "The two passwords are not the same." in mismatch.text
    done = await browser.post(
        "/reset-password",
        {"token": token, "new_password": "brand new password", "password_confirm": "brand new password"},
    )
    assert (done.status_code, done.headers["location"]) == (303, "/app")
    assert (await browser.get("/app")).status_code == 200
    reused = await browser.post(
        "/reset-password",
        {"token": token, "new_password": "another new password", "password_confirm": "another new password"},
    )
    assert reused.status_code == 422
    assert "not valid any more" in reused.text
    # The owner's old browser session was signed out by the reset.
    assert (await owner_web.get("/app")).status_code == 303
    fresh = await web()
    assert (await fresh.post("/login", {"email": email, "password": "brand new password"})).status_code == 303


async def test_accept_invitation_creates_the_account(web: Web, owner_web: WebClient) -> None:
    member, email = await join_as(web, owner_web, "agent", name="Alex Agent")
    home = await member.get("/app")
    assert home.status_code == 200
    assert "<h1>Acme</h1>" in home.text
    assert "<strong>Agent</strong>" in home.text
    assert "you joined the organization" in home.text
    members = await owner_web.get("/app/settings/members")
    assert "Alex Agent" in members.text and email in members.text


async def test_invitation_link_problems_are_explained(web: Web, owner_web: WebClient) -> None:
    browser = await web()
    r = await browser.get("/accept-invite?token=not-a-real-token-at-all")
    assert r.status_code == 404
    assert "This invitation link is not valid" in r.text
    r = await browser.get("/accept-invite")
    assert r.status_code == 404 and "not complete" in r.text
    link = await owner_web.invite("newbie@example.com", "viewer")
    token = httpx.URL(link).params["token"]
    short = await browser.post(
        "/accept-invite", {"token": token, "name": "N", "password": "short", "password_confirm": "short"}
    )
    assert short.status_code == 422
    assert "at least 10 characters" in short.text
    assert "Join Acme" in short.text  # the form is shown again
    ok = await browser.post(
        "/accept-invite", {"token": token, "name": "N", "password": PASSWORD, "password_confirm": PASSWORD}
    )
    assert ok.status_code == 303
    used = await (await web()).get(f"/accept-invite?token={token}")
    assert used.status_code == 410
    assert "already used" in used.text


async def test_existing_account_accepts_with_its_password(web: Web, owner_web: WebClient) -> None:
    other = await web()
    email = await other.register(org="Globex", name="Gus")
    link = await owner_web.invite(email, "admin")
    token = httpx.URL(link).params["token"]
    stranger = await web()
    page = await stranger.get(f"/accept-invite?token={token}")
    assert "already exists" in page.text and 'name="name"' not in page.text
    wrong = await stranger.post("/accept-invite", {"token": token, "password": "not the password"})
    assert wrong.status_code == 401
    assert "is wrong" in wrong.text
    # Signed in as that account, one click is enough.
    page = await other.get(f"/accept-invite?token={token}")
    assert f"You are signed in as {email}" in page.text
    r = await other.post("/accept-invite", {"token": token})
    assert r.status_code == 303
    home = await other.get("/app")
    assert "<h1>Acme</h1>" in home.text  # the joined organization became the current one


async def test_sso_button_shows_when_oidc_is_configured(web: Web, runtime: Runtime, monkeypatch: Any) -> None:
    monkeypatch.setattr(runtime.settings, "oidc_issuer", "https://id.example.test")
    monkeypatch.setattr(runtime.settings, "oidc_client_id", "frontdesk")
    page = await (await web()).get("/login?next=/app/settings/audit")
    assert "Sign in with single sign-on" in page.text
    assert 'href="/auth/oidc/login?next=/app/settings/audit"' in page.text
