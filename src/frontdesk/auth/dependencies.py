"""FastAPI dependencies: the request's session and who is calling.

Handlers ask for ``Subject`` and ``Session``; the session commits after the handler returns and
before the response is sent, so a client never sees a success for a write that did not land.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from sqlalchemy import event, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session as OrmSession

from frontdesk.apikeys import service as apikeys
from frontdesk.auth import repository as auth_repository
from frontdesk.auth import tokens
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.crypto import constant_time_equal
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import BadRequest, Forbidden, NotFound, Unauthorized, ValidationFailed
from frontdesk.kit.runtime import Runtime
from frontdesk.orgs.models import ACTIVE, Membership, Organization
from frontdesk.users import repository as users
from frontdesk.users.models import User

ACCESS_COOKIE = "fd_access"
REFRESH_COOKIE = "fd_refresh"
ORG_COOKIE = "fd_org"
CSRF_COOKIE = "fd_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# PostgreSQL refuses these in text and JSON: 22021 character_not_in_repertoire (a NUL in text),
# 22P05 untranslatable_character (a \u0000 escape in jsonb).
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})

log = structlog.get_logger("frontdesk.auth")


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _invalid_text(where: str | None = None) -> ValidationFailed:
    return ValidationFailed(
        "Text may not contain NUL characters (\\u0000).",
        code="invalid_text",
        details={"field": where} if where else {},
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul_on_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    """PostgreSQL cannot store NUL in text, SQLite can: refuse it on both, before it is written.

    Whatever a client sends then answers the same 422 on either database, rather than a 500 on
    PostgreSQL and a row that could never be moved to it on SQLite.
    """
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            if _has_nul(state.attrs[attr.key].loaded_value):
                raise _invalid_text(f"{state.mapper.persist_selectable.name}.{attr.key}")


def _unstorable_text(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _UNSTORABLE_TEXT


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    try:
        runtime = get_runtime(request)
        maker = runtime.read_sessionmaker if request.method in SAFE_METHODS else runtime.sessionmaker
        async with transaction(maker) as session:
            event.listen(session.sync_session, "before_flush", _refuse_nul_on_flush)
            yield session
    except DBAPIError as exc:
        # The flush guard covers writes; a NUL in a search filter or a raw update reaches
        # PostgreSQL and comes back as this. It is the client's input, so a 422, never a 500.
        if not _unstorable_text(exc):
            raise
        log.info("unstorable_text_refused", path=request.url.path)
        raise _invalid_text() from None


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """For the few safe-method routes that write (a sign-in callback is a GET): always the writer."""
    async with transaction(get_runtime(request).sessionmaker) as session:
        event.listen(session.sync_session, "before_flush", _refuse_nul_on_flush)
        yield session


WriteSession = Annotated[AsyncSession, Depends(get_write_session, scope="function")]


def client_ip(request: Request) -> str | None:
    """The caller's address; behind a trusted proxy, the one that proxy saw.

    Proxies append to ``X-Forwarded-For``, so only its last entry was written by the proxy we
    trust; everything before it is whatever the client sent. Taking the first entry would let a
    client choose its address in the audit log and step around per-address sign-in limits.
    """
    settings = get_runtime(request).settings
    if settings.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            last = forwarded.rsplit(",", 1)[-1].strip()[:64]
            if last:
                return last
    return request.client.host if request.client else None


def _bearer(request: Request) -> tuple[str | None, bool]:
    """The presented credential, and whether it came from the browser's cookie."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip(), False
    if key := request.headers.get("x-api-key"):
        return key.strip(), False
    if cookie := request.cookies.get(ACCESS_COOKIE):
        return cookie, True
    return None, False


def _selected_org(request: Request, from_cookie: bool) -> uuid.UUID | None:
    raw = request.headers.get("x-organization-id") or (request.cookies.get(ORG_COOKIE) if from_cookie else None)
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise BadRequest("X-Organization-Id must be an organization id.", code="invalid_organization_id") from None


async def user_subject(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    selected: uuid.UUID | None,
    ip: str | None,
    via: str,
    strict_selection: bool = True,
) -> AuthSubject:
    user = await users.get(session, user_id)
    if user is None:
        raise Unauthorized("The account is disabled or gone.", code="account_disabled")
    return await subject_for(session, user, selected=selected, ip=ip, via=via, strict_selection=strict_selection)


async def subject_for(
    session: AsyncSession,
    user: User,
    *,
    selected: uuid.UUID | None,
    ip: str | None,
    via: str,
    strict_selection: bool = True,
    loaded: list[tuple[Membership, Organization]] | None = None,
) -> AuthSubject:
    """``loaded``: the user's memberships when the caller already read them."""
    if not user.is_active:
        raise Unauthorized("The account is disabled or gone.", code="account_disabled")
    memberships: dict[uuid.UUID, str] = {}
    suspended: set[uuid.UUID] = set()
    for membership, org in loaded if loaded is not None else await users.memberships_of(session, user.id):
        memberships[org.id] = membership.role
        if org.status != ACTIVE:
            suspended.add(org.id)
    if selected is not None and selected not in memberships:
        if strict_selection:
            raise NotFound("No such organization.", code="organization_not_found")
        selected = None
    if selected is None and len(memberships) == 1:
        selected = next(iter(memberships))
    return AuthSubject(
        kind="user",
        label=user.email,
        user_id=user.id,
        memberships=memberships,
        suspended=frozenset(suspended),
        organization_id=selected,
        is_operator=user.is_operator,
        ip=ip,
        via=via,
    )


async def resolve_subject(
    request: Request, session: AsyncSession, *, csrf_verified: bool = False
) -> AuthSubject | None:
    """``csrf_verified``: the caller (a server-rendered form) already checked the form's CSRF field."""
    runtime = get_runtime(request)
    token, from_cookie = _bearer(request)
    if not token:
        return None
    ip = client_ip(request)
    if from_cookie and not csrf_verified and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        expected = request.cookies.get(CSRF_COOKIE)
        if not sent or not expected or not constant_time_equal(sent, expected):
            raise Forbidden("The request is missing its CSRF token.", code="csrf_failed")
    if apikeys.looks_like_key(token):
        key, org = await apikeys.authenticate(session, token)
        await runtime.limiter.hit(runtime.settings.rate_limit_api_key, "apikey", str(key.id), what="API calls")
        hourly = org.quota_hourly or runtime.settings.org_quota_hourly
        daily = org.quota_daily or runtime.settings.org_quota_daily
        await runtime.limiter.hit(f"{hourly}/hour", "org-quota", str(org.id), what="API calls this hour")
        await runtime.limiter.hit(f"{daily}/day", "org-quota", str(org.id), what="API calls today")
        return AuthSubject(
            kind="api_key",
            label=f"API key {key.name}",
            api_key_id=key.id,
            memberships={org.id: "api_key"},
            organization_id=org.id,
            scopes=frozenset(key.scopes),
            ip=ip,
            via="api_key",
        )
    now = runtime.clock.now()
    if tokens.is_ours(token):
        claims = tokens.decode_access_token(runtime.settings, token, now=now)
        from frontdesk.auth.service import check_token_current, token_family

        try:
            user_id = uuid.UUID(claims["sub"])
        except ValueError:
            raise Unauthorized("The access token is not valid.", code="token_invalid") from None
        request.state.session_id = family = token_family(claims)
        user, live, memberships = await auth_repository.identity(session, user_id, family)
        if user is None:
            raise Unauthorized("The account is disabled or gone.", code="account_disabled")
        check_token_current(claims, user, live=live)
        subject = await subject_for(
            session,
            user,
            selected=_selected_org(request, from_cookie),
            ip=ip,
            via="cookie" if from_cookie else "token",
            strict_selection=not from_cookie,
            loaded=memberships,
        )
        # Held for the rest of the request, so handlers reading the user (and where they belong)
        # need not ask the database again.
        request.state.user = user
        request.state.memberships = memberships
    else:
        from frontdesk.auth import external

        subject = await external.subject_from_token(request, session, token)
    await runtime.limiter.hit(runtime.settings.rate_limit_user, "user", str(subject.user_id), what="requests")
    return subject


async def get_subject(request: Request, session: Session) -> AuthSubject:
    subject = await resolve_subject(request, session)
    if subject is None:
        raise Unauthorized("Sign in, or send an access token or API key.", code="not_authenticated")
    request.state.subject = subject
    return subject


async def get_optional_subject(request: Request, session: Session) -> AuthSubject | None:
    try:
        return await resolve_subject(request, session)
    except (Unauthorized, NotFound):
        return None


Subject = Annotated[AuthSubject, Depends(get_subject)]
OptionalSubject = Annotated[AuthSubject | None, Depends(get_optional_subject)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
