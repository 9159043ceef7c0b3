"""API keys: shown once, stored as a SHA-256 hash, scoped, revocable, with a last-used time.

A key reads ``fdk_<prefix>_<secret>``. The prefix finds the row without a scan; the secret is
compared by hash in constant time.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.apikeys import repository
from frontdesk.apikeys.models import ApiKey
from frontdesk.apikeys.schemas import ApiKeyCreate
from frontdesk.audit.service import record
from frontdesk.authz.permissions import API_KEY_GRANTABLE
from frontdesk.authz.service import OrgScope, permissions_in
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.crypto import constant_time_equal, token_hash
from frontdesk.kit.db import on_commit, transaction
from frontdesk.kit.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from frontdesk.orgs.models import ACTIVE, Organization

log = structlog.get_logger("frontdesk.apikeys")

KEY_PREFIX = "fdk_"
# Writing last_used_at on every call would turn each read into a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


async def _touch(runtime: Any, key_id: uuid.UUID, now: datetime) -> None:
    try:
        async with transaction(runtime.sessionmaker) as session:
            await repository.touch(session, key_id, now)
    except Exception:  # the call itself succeeded; a missed timestamp is not worth failing it
        log.warning("apikey_touch_failed", key_id=str(key_id), exc_info=True)


def looks_like_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


async def create_key(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: ApiKeyCreate
) -> tuple[ApiKey, str]:
    scopes = sorted(set(data.scopes))
    unknown = [s for s in scopes if s not in API_KEY_GRANTABLE]
    if unknown:
        raise ValidationFailed(
            "These scopes cannot be given to an API key: " + ", ".join(unknown),
            code="invalid_scopes",
            details={"scopes": unknown, "allowed": sorted(API_KEY_GRANTABLE)},
        )
    beyond = [s for s in scopes if s not in permissions_in(subject, scope.organization_id)]
    if beyond:
        raise Forbidden(
            "A key cannot carry permissions you do not have yourself.",
            code="scope_exceeds_role",
            details={"scopes": beyond},
        )
    now = session.info["runtime"].clock.now()
    if data.expires_at is not None and data.expires_at <= now:
        raise ValidationFailed("The expiry date must be in the future.", code="invalid_expiry")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    raw = f"{KEY_PREFIX}{prefix}_{secret}"
    key = ApiKey(
        organization_id=scope.organization_id,
        name=data.name.strip(),
        prefix=prefix,
        key_hash=token_hash(raw),
        scopes=scopes,
        created_by_id=subject.user_id,
        expires_at=data.expires_at,
        created_at=now,
    )
    session.add(key)
    await session.flush()
    record(
        session,
        "apikey.created",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="api_key",
        target_id=key.id,
        details={"name": key.name, "scopes": scopes},
    )
    return key, raw


async def list_keys(session: AsyncSession, scope: OrgScope) -> list[ApiKey]:
    return await repository.list_keys(session, scope.ids)


async def revoke_key(session: AsyncSession, scope: OrgScope, subject: AuthSubject, key_id: uuid.UUID) -> ApiKey:
    key = await repository.get(session, scope.ids, key_id)
    if key is None:
        raise NotFound("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = session.info["runtime"].clock.now()
        record(
            session,
            "apikey.revoked",
            organization_id=key.organization_id,
            subject=subject,
            target_type="api_key",
            target_id=key.id,
            details={"name": key.name},
        )
    return key


async def authenticate(session: AsyncSession, raw: str) -> tuple[ApiKey, Organization]:
    invalid = Unauthorized("The API key is not valid.", code="api_key_invalid")
    try:
        prefix, _secret = raw.removeprefix(KEY_PREFIX).split("_", 1)
    except ValueError:
        raise invalid from None
    found = await repository.by_prefix(session, prefix)
    if found is None or not constant_time_equal(found[0].key_hash, token_hash(raw)):
        raise invalid
    key, org = found
    now = session.info["runtime"].clock.now()
    if key.revoked_at is not None:
        raise Unauthorized("This API key was revoked.", code="api_key_revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthorized("This API key has expired.", code="api_key_expired")
    if org.status != ACTIVE:
        raise Forbidden(
            "This organization is suspended. Contact the installation's operator.", code="organization_suspended"
        )
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        # Written in a transaction of its own after the request's: a read-only request stays one.
        on_commit(session, partial(_touch, session.info["runtime"], key.id, now))
    return key, org
