"""Inboxes (one per channel instance, each with its own widget, hours and routing) and teams."""

from __future__ import annotations

import hashlib
import hmac
import html
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.channels.registry import available_kinds
from frontdesk.inboxes import hours, repository, schemas
from frontdesk.inboxes.models import Inbox, Team, TeamMember
from frontdesk.kit.crypto import constant_time_equal, new_token
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed
from frontdesk.orgs import repository as orgs
from frontdesk.orgs.service import check_timezone

if TYPE_CHECKING:
    from frontdesk.kit.runtime import Runtime

# Channels whose adapters exist. WhatsApp inboxes need the WhatsApp adapter's configuration and
# signature checks; creating one before that lands would make an inbox that silently never receives.

# Update fields whose column is nullable; an explicit null anywhere else is a client mistake.
_NULLABLE = frozenset({"team_id"})


def _now(session: AsyncSession) -> datetime:
    return session.info["runtime"].clock.now()


def _runtime(session: AsyncSession) -> Runtime:
    return session.info["runtime"]


# ---------------------------------------------------------------- validation


def _timezone(name: str) -> str:
    try:
        return check_timezone(name)
    except OSError:
        # A directory of the zone database ("Etc") or an over-long name: not a zone either.
        raise ValidationFailed(f"{name!r} is not a time zone this server knows.", code="invalid_timezone") from None


def _origin(raw: str) -> str:
    value = raw.strip().rstrip("/")
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed IPv6 bracket
        raise ValidationFailed(f"{raw!r} is not an origin.", code="invalid_origin") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise ValidationFailed(
            f"{raw!r} is not an origin; write it as scheme://host[:port], e.g. https://www.example.com.",
            code="invalid_origin",
        )
    try:
        port = parts.port
    except ValueError:
        raise ValidationFailed(f"{raw!r} has an invalid port.", code="invalid_origin") from None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Normalise the settings a create or update carries; raises on the first invalid one."""
    for field, value in values.items():
        if value is None and field not in _NULLABLE:
            raise ValidationFailed(f"{field} cannot be null; leave it out to keep it.", code="null_not_allowed")
    out = dict(values)
    if "name" in out:
        out["name"] = out["name"].strip()
        if not out["name"]:
            raise ValidationFailed("The name cannot be blank.", code="invalid_name")
    if "widget_color" in out:
        out["widget_color"] = out["widget_color"].lower()
    if "timezone" in out:
        out["timezone"] = _timezone(out["timezone"])
    if "business_hours" in out:
        out["business_hours"] = hours.validate(out["business_hours"])
    if "prechat_fields" in out:
        out["prechat_fields"] = list(dict.fromkeys(out["prechat_fields"]))
    if "allowed_origins" in out:
        out["allowed_origins"] = list(dict.fromkeys(_origin(o) for o in out["allowed_origins"]))
    return out


async def _check_team(session: AsyncSession, scope: OrgScope, team_id: uuid.UUID | None) -> None:
    if team_id is not None and await repository.team(session, scope.ids, team_id) is None:
        raise ValidationFailed("No such team in this organization.", code="invalid_team")


def _check_consistency(inbox: Inbox) -> None:
    if inbox.prechat_required and not inbox.prechat_fields:
        raise ValidationFailed(
            "A required pre-chat form needs at least one field (name, email or phone).", code="prechat_fields_required"
        )
    if inbox.require_identity and not inbox.identity_secret_encrypted:
        raise ValidationFailed(
            "Create an identity secret (POST /api/v1/inboxes/{id}/identity-secret) before requiring identities.",
            code="identity_secret_missing",
        )


def to_schema(inbox: Inbox) -> schemas.Inbox:
    return schemas.Inbox(
        id=inbox.id,
        name=inbox.name,
        channel=inbox.channel,
        public_token=inbox.public_token,
        greeting=inbox.greeting,
        widget_color=inbox.widget_color,
        widget_position=inbox.widget_position,
        timezone=inbox.timezone,
        business_hours=inbox.business_hours or {},
        out_of_office_message=inbox.out_of_office_message,
        assistant_enabled=inbox.assistant_enabled,
        prechat_required=inbox.prechat_required,
        prechat_fields=list(inbox.prechat_fields or []),
        auto_assign=inbox.auto_assign,
        max_open_per_agent=inbox.max_open_per_agent,
        team_id=inbox.team_id,
        csat_enabled=inbox.csat_enabled,
        require_identity=inbox.require_identity,
        has_identity_secret=inbox.identity_secret_encrypted is not None,
        allowed_origins=list(inbox.allowed_origins or []),
        copilot=inbox.copilot,
        created_at=inbox.created_at,
    )


# ---------------------------------------------------------------- inboxes


async def list_inboxes(session: AsyncSession, scope: OrgScope) -> list[Inbox]:
    return await repository.list_inboxes(session, scope.ids)


async def get_inbox(session: AsyncSession, scope: OrgScope, inbox_id: uuid.UUID) -> Inbox:
    inbox = await repository.get(session, scope.ids, inbox_id)
    if inbox is None:
        raise NotFound("No such inbox.")
    return inbox


async def _unique_name(session: AsyncSession, org_id: uuid.UUID, name: str, exclude: uuid.UUID | None) -> None:
    if await repository.inbox_name_taken(session, org_id, name, exclude=exclude):
        raise Conflict(f"An inbox named {name!r} already exists.", code="inbox_name_taken")


async def create_inbox(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.InboxCreate
) -> Inbox:
    if data.channel not in available_kinds():
        raise ValidationFailed(
            f"{data.channel} inboxes cannot be created yet on this installation; use web or api.",
            code="channel_unavailable",
            details={"channel": data.channel, "available": sorted(available_kinds())},
        )
    values = _clean(data.model_dump(exclude_unset=True, exclude={"channel"}))
    await _check_team(session, scope, values.get("team_id"))
    await _unique_name(session, scope.organization_id, values["name"], None)
    inbox = Inbox(
        organization_id=scope.organization_id,
        channel=data.channel,
        public_token=new_token(24),
        created_at=_now(session),
        # Column defaults apply only at flush; the consistency check below reads them before that.
        greeting="",
        widget_color="#2563eb",
        widget_position="right",
        timezone="UTC",
        business_hours={},
        out_of_office_message="",
        assistant_enabled=True,
        prechat_required=False,
        prechat_fields=[],
        auto_assign=True,
        max_open_per_agent=10,
        csat_enabled=True,
        require_identity=False,
        allowed_origins=[],
        config={},
        copilot=False,
    )
    for field, value in values.items():
        setattr(inbox, field, value)
    _check_consistency(inbox)
    session.add(inbox)
    await session.flush()
    record(
        session,
        "inbox.created",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="inbox",
        target_id=inbox.id,
        details={"name": inbox.name, "channel": inbox.channel},
    )
    return inbox


async def update_inbox(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, inbox_id: uuid.UUID, data: schemas.InboxUpdate
) -> Inbox:
    inbox = await get_inbox(session, scope, inbox_id)
    values = _clean(data.model_dump(exclude_unset=True))
    if "team_id" in values:
        await _check_team(session, scope, values["team_id"])
    if "name" in values:
        await _unique_name(session, inbox.organization_id, values["name"], inbox.id)
    changed = {}
    for field, value in values.items():
        before = getattr(inbox, field)
        if before != value:
            changed[field] = {"from": _auditable(before), "to": _auditable(value)}
            setattr(inbox, field, value)
    _check_consistency(inbox)
    if changed:
        record(
            session,
            "inbox.updated",
            organization_id=inbox.organization_id,
            subject=subject,
            target_type="inbox",
            target_id=inbox.id,
            details={"changes": changed},
        )
    return inbox


def _auditable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and len(value) > 300:
        return value[:300] + "…"
    return value


async def delete_inbox(session: AsyncSession, scope: OrgScope, subject: AuthSubject, inbox_id: uuid.UUID) -> None:
    """Soft: conversations keep their inbox for history, but the token stops working at once."""
    inbox = await get_inbox(session, scope, inbox_id)
    inbox.deleted_at = _now(session)
    record(
        session,
        "inbox.deleted",
        organization_id=inbox.organization_id,
        subject=subject,
        target_type="inbox",
        target_id=inbox.id,
        details={"name": inbox.name},
    )


async def rotate_token(session: AsyncSession, scope: OrgScope, subject: AuthSubject, inbox_id: uuid.UUID) -> Inbox:
    """A new public token; pages that still carry the old snippet stop loading the widget."""
    inbox = await get_inbox(session, scope, inbox_id)
    inbox.public_token = new_token(24)
    record(
        session,
        "inbox.token_rotated",
        organization_id=inbox.organization_id,
        subject=subject,
        target_type="inbox",
        target_id=inbox.id,
    )
    return inbox


async def create_identity_secret(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, inbox_id: uuid.UUID
) -> str:
    """A new HMAC key for visitor identities, replacing any earlier one; returned this once."""
    inbox = await get_inbox(session, scope, inbox_id)
    secret = new_token(32)
    replaced = inbox.identity_secret_encrypted is not None
    inbox.identity_secret_encrypted = _runtime(session).secrets.encrypt(secret)
    record(
        session,
        "inbox.identity_secret_created",
        organization_id=inbox.organization_id,
        subject=subject,
        target_type="inbox",
        target_id=inbox.id,
        details={"replaced": replaced},
    )
    return secret


def identity_hash(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_identity(runtime: Runtime, inbox: Inbox, user_id: str, hash: str) -> bool:
    """Whether ``hash`` is HMAC-SHA256(identity secret, user_id) in hex, compared in constant time."""
    if not inbox.identity_secret_encrypted or not user_id or not hash:
        return False
    try:
        secret = runtime.secrets.decrypt(inbox.identity_secret_encrypted)
    except ValueError:
        # Encrypted under another installation key: no visitor can be verified until a new secret is made.
        return False
    return constant_time_equal(identity_hash(secret, user_id), hash.strip().lower())


def snippet(settings_public_url: str, inbox: Inbox) -> schemas.Snippet:
    base = settings_public_url.rstrip("/")
    tag = (
        f'<script src="{html.escape(base, quote=True)}/widget.js" '
        f'data-inbox="{html.escape(inbox.public_token, quote=True)}" async></script>'
    )
    return schemas.Snippet(public_token=inbox.public_token, snippet=tag)


async def get_snippet(session: AsyncSession, scope: OrgScope, inbox_id: uuid.UUID) -> schemas.Snippet:
    inbox = await get_inbox(session, scope, inbox_id)
    return snippet(_runtime(session).settings.public_url, inbox)


async def get_status(session: AsyncSession, scope: OrgScope, inbox_id: uuid.UUID) -> schemas.InboxStatus:
    inbox = await get_inbox(session, scope, inbox_id)
    now = _now(session)
    return schemas.InboxStatus(
        open=hours.is_open(inbox.business_hours or {}, inbox.timezone, now),
        timezone=inbox.timezone,
        local_time=now.astimezone(ZoneInfo(inbox.timezone)),
        business_hours=inbox.business_hours or {},
    )


# ---------------------------------------------------------------- teams


async def team_schemas(session: AsyncSession, teams: list[Team]) -> list[schemas.Team]:
    members = await repository.members_of_teams(session, teams)
    return [
        schemas.Team(
            id=t.id,
            name=t.name,
            description=t.description,
            created_at=t.created_at,
            members=[
                schemas.TeamMember(user_id=u.id, name=u.name, email=u.email, added_at=m.created_at)
                for m, u in members[t.id]
            ],
        )
        for t in teams
    ]


async def list_teams(session: AsyncSession, scope: OrgScope) -> list[Team]:
    return await repository.teams(session, scope.ids)


async def get_team(session: AsyncSession, scope: OrgScope, team_id: uuid.UUID) -> Team:
    team = await repository.team(session, scope.ids, team_id)
    if team is None:
        raise NotFound("No such team.")
    return team


async def _team_name_free(session: AsyncSession, team: Team | None, org_id: uuid.UUID, name: str) -> None:
    other = await repository.team_by_name(session, org_id, name)
    if other is not None and (team is None or other.id != team.id):
        raise Conflict(f"A team named {name!r} already exists.", code="team_name_taken")


async def create_team(session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.TeamCreate) -> Team:
    name = data.name.strip()
    if not name:
        raise ValidationFailed("The name cannot be blank.", code="invalid_name")
    await _team_name_free(session, None, scope.organization_id, name)
    team = Team(
        organization_id=scope.organization_id, name=name, description=data.description, created_at=_now(session)
    )
    session.add(team)
    await session.flush()
    for user_id in dict.fromkeys(data.member_ids):
        await _add_member(session, team, user_id)
    record(
        session,
        "team.created",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="team",
        target_id=team.id,
        details={"name": name, "members": [str(u) for u in dict.fromkeys(data.member_ids)]},
    )
    return team


async def update_team(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, team_id: uuid.UUID, data: schemas.TeamUpdate
) -> Team:
    team = await get_team(session, scope, team_id)
    changed = data.model_dump(exclude_unset=True)
    if "name" in changed:
        if changed["name"] is None or not changed["name"].strip():
            raise ValidationFailed("The name cannot be blank.", code="invalid_name")
        changed["name"] = changed["name"].strip()
        await _team_name_free(session, team, team.organization_id, changed["name"])
    if "description" in changed and changed["description"] is None:
        changed["description"] = ""
    for field, value in changed.items():
        setattr(team, field, value)
    if changed:
        record(
            session,
            "team.updated",
            organization_id=team.organization_id,
            subject=subject,
            target_type="team",
            target_id=team.id,
            details={"fields": sorted(changed)},
        )
    return team


async def delete_team(session: AsyncSession, scope: OrgScope, subject: AuthSubject, team_id: uuid.UUID) -> None:
    """Inboxes and conversations routed to the team fall back to everyone (the foreign keys set null)."""
    team = await get_team(session, scope, team_id)
    record(
        session,
        "team.deleted",
        organization_id=team.organization_id,
        subject=subject,
        target_type="team",
        target_id=team.id,
        details={"name": team.name},
    )
    await repository.delete_team(session, team)
    await session.flush()


async def _add_member(session: AsyncSession, team: Team, user_id: uuid.UUID) -> bool:
    if await orgs.membership_of_user(session, team.organization_id, user_id) is None:
        raise ValidationFailed(
            "That person is not a member of this organization.",
            code="invalid_member",
            details={"user_id": str(user_id)},
        )
    if await repository.team_member(session, team.id, user_id) is not None:
        return False
    session.add(
        TeamMember(organization_id=team.organization_id, team_id=team.id, user_id=user_id, created_at=_now(session))
    )
    await session.flush()
    return True


async def add_team_member(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, team_id: uuid.UUID, user_id: uuid.UUID
) -> Team:
    """Adding someone already in the team changes nothing and is not an error (safe to retry)."""
    team = await get_team(session, scope, team_id)
    if await _add_member(session, team, user_id):
        record(
            session,
            "team.member_added",
            organization_id=team.organization_id,
            subject=subject,
            target_type="team",
            target_id=team.id,
            details={"user_id": str(user_id)},
        )
    return team


async def remove_team_member(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, team_id: uuid.UUID, user_id: uuid.UUID
) -> Team:
    team = await get_team(session, scope, team_id)
    member = await repository.team_member(session, team.id, user_id)
    if member is None:
        raise NotFound("That person is not in this team.", code="team_member_not_found")
    await repository.delete_team_member(session, member)
    await session.flush()
    record(
        session,
        "team.member_removed",
        organization_id=team.organization_id,
        subject=subject,
        target_type="team",
        target_id=team.id,
        details={"user_id": str(user_id)},
    )
    return team
