"""Calendar connections (CalDAV, Google with OAuth) and agents' private ICS feeds."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.kit.crypto import new_token, token_hash
from frontdesk.kit.errors import BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from frontdesk.kit.http import check_url
from frontdesk.scheduling import ics, repository, schemas
from frontdesk.scheduling.calendars.base import CalendarKind, CalendarUnavailable
from frontdesk.scheduling.calendars.google import SCOPE
from frontdesk.scheduling.calendars.registry import make
from frontdesk.scheduling.models import CalendarConnection, CalendarFeed, MeetingType
from frontdesk.scheduling.notify import organizer_address

log = structlog.get_logger("frontdesk.scheduling")
STATE_MINUTES = 15


def _runtime(session: AsyncSession) -> Any:
    return session.info["runtime"]


def redirect_uri(session: AsyncSession) -> str:
    return _runtime(session).settings.public_url.rstrip("/") + "/api/v1/meetings/calendars/google/callback"


async def list_connections(session: AsyncSession, scope: OrgScope) -> list[CalendarConnection]:
    return await repository.connections(session, scope.ids)


async def get_connection(session: AsyncSession, scope: OrgScope, connection_id: uuid.UUID) -> CalendarConnection:
    found = await repository.connection(session, scope.ids, connection_id)
    if found is None:
        raise NotFound("No such calendar connection.")
    return found


def _check_whose(scope: OrgScope, actor_id: uuid.UUID | None, agent_id: uuid.UUID | None) -> None:
    """Agents connect and disconnect only their own calendar; the team's is for admins and owners."""
    if scope.role == "agent" and (agent_id is None or agent_id != actor_id):
        raise Forbidden("Agents can connect only their own calendar.", code="permission_denied")


async def create_connection(
    session: AsyncSession,
    scope: OrgScope,
    data: schemas.CalendarConnectionCreate,
    *,
    actor_id: uuid.UUID | None = None,
) -> tuple[CalendarConnection, str | None]:
    rt = _runtime(session)
    org_id = scope.organization_id
    _check_whose(scope, actor_id, data.agent_id)
    if data.agent_id is not None and not await repository.member_ids(session, org_id, [data.agent_id]):
        raise ValidationFailed("The agent must be a member of the organization.", code="unknown_agent")
    now: datetime = rt.clock.now()
    row = CalendarConnection(
        id=uuid.uuid4(), organization_id=org_id, agent_id=data.agent_id, kind=data.kind, created_at=now
    )
    authorize_url: str | None = None
    if data.kind == CalendarKind.CALDAV:
        if not data.url:
            raise ValidationFailed("A CalDAV connection needs the calendar's URL.", code="url_required")
        await check_url(data.url, allow_private=rt.settings.allow_private_network_targets)
        row.name = data.name or "CalDAV calendar"
        row.config = {"url": data.url, "username": data.username or ""}
        row.secret_encrypted = rt.secrets.encrypt(json.dumps({"password": data.password or ""}))
        row.status = "active"
        plugin = make(row, settings=rt.settings, decrypt=rt.secrets.decrypt)
        try:
            # Proving the address and password work now beats a silent failure at the first booking.
            await plugin.busy(now, now + timedelta(hours=1))
        except CalendarUnavailable as exc:
            raise ValidationFailed(
                "The calendar did not answer as a CalDAV calendar: check the URL, user name and password.",
                code="calendar_unreachable",
                details={"error": str(exc)[:500]},
            ) from exc
    else:
        settings = rt.settings
        if not settings.google_client_id or not settings.google_client_secret:
            raise Conflict(
                "Google Calendar is not set up on this installation (FRONTDESK_GOOGLE_CLIENT_ID and SECRET).",
                code="google_not_configured",
            )
        state = new_token()
        row.name = data.name or "Google Calendar"
        row.config = {"calendar_id": data.calendar_id or "primary"}
        row.status = "pending"
        row.oauth_state_hash = token_hash(state)
        row.oauth_state_expires_at = now + timedelta(minutes=STATE_MINUTES)
        query = {
            "client_id": settings.google_client_id,
            "redirect_uri": redirect_uri(session),
            "response_type": "code",
            "scope": SCOPE,
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
        }
        authorize_url = settings.google_oauth_authorize_url + "?" + urlencode(query)
    session.add(row)
    await session.flush()
    return row, authorize_url


async def google_callback(
    session: AsyncSession, *, state: str, code: str | None, error: str | None
) -> CalendarConnection:
    """Finish the OAuth flow: the state must match a pending connection and be fresh, and is used once."""
    rt = _runtime(session)
    row = await repository.connection_by_state(session, token_hash(state)) if state else None
    now: datetime = rt.clock.now()
    if row is None or row.oauth_state_expires_at is None or row.oauth_state_expires_at < now:
        raise BadRequest(
            "This authorisation link is unknown or expired; connect the calendar again.", code="invalid_oauth_state"
        )
    row.oauth_state_hash = None
    row.oauth_state_expires_at = None
    if error or not code:
        row.status = "error"
        row.last_error = f"Google refused access: {error or 'no code'}"
        raise BadRequest(row.last_error, code="oauth_denied", keep_changes=True)
    settings = rt.settings
    form = {
        "code": code,
        "client_id": settings.google_client_id or "",
        "client_secret": settings.google_client_secret.get_secret_value() if settings.google_client_secret else "",
        "redirect_uri": redirect_uri(session),
        "grant_type": "authorization_code",
    }
    try:
        async with httpx.AsyncClient(timeout=settings.calendar_timeout_seconds) as client:
            answer = await client.post(settings.google_oauth_token_url, data=form)
    except httpx.HTTPError as exc:
        raise ServiceUnavailable("Google did not answer; try connecting again.", code="oauth_unavailable") from exc
    if answer.status_code != 200:
        row.status = "error"
        row.last_error = f"token exchange failed ({answer.status_code})"
        raise BadRequest(
            "Google did not accept the authorisation; connect again.", code="oauth_failed", keep_changes=True
        )
    tokens = answer.json()
    expires = now + timedelta(seconds=int(tokens.get("expires_in", 3600)))
    secret = {
        "access_token": tokens.get("access_token"),
        "refresh_token": tokens.get("refresh_token"),
        "expiry": expires.isoformat(),
    }
    row.secret_encrypted = rt.secrets.encrypt(json.dumps(secret))
    row.status = "active"
    row.last_error = None
    await session.flush()
    log.info("google_calendar_connected", connection_id=str(row.id))
    return row


async def delete_connection(
    session: AsyncSession, scope: OrgScope, connection_id: uuid.UUID, *, actor_id: uuid.UUID | None = None
) -> None:
    row = await get_connection(session, scope, connection_id)
    _check_whose(scope, actor_id, row.agent_id)
    await session.delete(row)
    await session.flush()


async def rotate_feed(session: AsyncSession, scope: OrgScope, user_id: uuid.UUID) -> str:
    """A new private feed URL for ``user_id``; the previous one stops working."""
    org_id = scope.organization_id
    token = new_token()
    row = await repository.feed(session, org_id, user_id)
    if row is None:
        row = CalendarFeed(organization_id=org_id, agent_id=user_id, created_at=_runtime(session).clock.now())
        session.add(row)
    row.token_hash = token_hash(token)
    await session.flush()
    return _runtime(session).settings.public_url.rstrip("/") + f"/calendar/feeds/{token}.ics"


async def feed_document(session: AsyncSession, token: str) -> str:
    row = await repository.feed_by_hash(session, token_hash(token))
    if row is None:
        raise NotFound("No such calendar feed.")
    rt = _runtime(session)
    now: datetime = rt.clock.now()
    bookings = await repository.agent_bookings(session, row.organization_id, row.agent_id, now - timedelta(days=30))
    names: dict[uuid.UUID, str] = {}
    for b in bookings:
        if b.meeting_type_id not in names:
            mt = await session.get(MeetingType, b.meeting_type_id)
            names[b.meeting_type_id] = mt.name if mt else "Meeting"
    return ics.feed(
        [(b, f"{names[b.meeting_type_id]} with {b.name}") for b in bookings],
        name="Frontdesk meetings",
        organizer=organizer_address(session),
        stamp=now,
    )
