"""Registration, sign-in, token rotation, sign-out and passwords."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.auth import repository
from frontdesk.auth.models import PasswordResetToken, RefreshToken
from frontdesk.auth.schemas import TokenPair
from frontdesk.auth.tokens import issue_access_token
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.crypto import new_token, token_hash
from frontdesk.kit.errors import Conflict, Unauthorized, ValidationFailed
from frontdesk.kit.runtime import Runtime
from frontdesk.mail.service import queue_mail
from frontdesk.orgs.models import Organization
from frontdesk.orgs.service import create_organization
from frontdesk.users import repository as users
from frontdesk.users.models import User

log = structlog.get_logger("frontdesk.auth")

# Verifying against this when the account does not exist keeps sign-in time the same either way.
_DUMMY_HASH: dict[int, str] = {}


def _rt(session: AsyncSession) -> Runtime:
    return session.info["runtime"]


def hash_password(session: AsyncSession, password: str) -> str:
    return _rt(session).hasher.hash(password)


async def create_user(
    session: AsyncSession, *, email: str, name: str, password: str | None, is_operator: bool = False
) -> User:
    email = users.normalise_email(email)
    if await users.get_by_email(session, email) is not None:
        raise Conflict("An account with this email already exists.", code="email_taken")
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(session, password) if password else None,
        is_operator=is_operator,
        created_at=_rt(session).clock.now(),
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("An account with this email already exists.", code="email_taken") from exc
    return user


async def register(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str,
    organization_name: str,
    timezone: str = "UTC",
    ip: str | None = None,
) -> tuple[User, Organization]:
    user = await create_user(session, email=email, name=name, password=password)
    org = await create_organization(session, name=organization_name, owner=user, timezone=timezone)
    record(
        session,
        "user.registered",
        organization_id=org.id,
        actor_label=user.email,
        ip=ip,
        target_type="user",
        target_id=user.id,
    )
    return user, org


async def authenticate(session: AsyncSession, *, email: str, password: str, ip: str | None) -> User:
    rt = _rt(session)
    user = await users.get_by_email(session, email)
    if user is None or user.password_hash is None or not user.is_active:
        key = id(rt.hasher)
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = rt.hasher.hash(new_token())
        rt.hasher.verify(password, _DUMMY_HASH[key])
        record(
            session,
            "auth.login_failed",
            organization_id=None,
            actor_label=email,
            ip=ip,
            details={"reason": "unknown_or_disabled"},
        )
        raise Unauthorized("The email or password is wrong.", code="invalid_credentials", keep_changes=True)
    valid, new_hash = rt.hasher.verify_and_update(password, user.password_hash)
    if not valid:
        record(
            session,
            "auth.login_failed",
            organization_id=None,
            actor_label=user.email,
            ip=ip,
            target_type="user",
            target_id=user.id,
            details={"reason": "bad_password"},
        )
        raise Unauthorized("The email or password is wrong.", code="invalid_credentials", keep_changes=True)
    if new_hash:
        user.password_hash = new_hash
    user.last_login_at = rt.clock.now()
    # A sign-in is as security-relevant as a failed one: the owner of a stolen password wants to see
    # when and from where it was used. Installation-level, since a person may belong to several orgs.
    record(
        session,
        "auth.login",
        organization_id=None,
        actor_label=user.email,
        ip=ip,
        target_type="user",
        target_id=user.id,
    )
    return user


async def start_session(
    session: AsyncSession,
    user: User,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    family_id: uuid.UUID | None = None,
) -> TokenPair:
    rt = _rt(session)
    now = rt.clock.now()
    family = family_id or uuid.uuid4()
    refresh = new_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family,
            token_hash=token_hash(refresh),
            expires_at=now + timedelta(days=rt.settings.refresh_token_days),
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
            created_at=now,
        )
    )
    access, ttl = issue_access_token(rt.settings, user_id=user.id, session_id=family, now=now)
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=ttl)


@dataclass
class RefreshOutcome:
    """Reuse must revoke the family even though the request fails, so the caller commits first."""

    tokens: TokenPair | None
    error: Unauthorized | None


async def rotate(
    session: AsyncSession, refresh_token: str, *, ip: str | None, user_agent: str | None
) -> RefreshOutcome:
    rt = _rt(session)
    now = rt.clock.now()
    row = await repository.refresh_token_by_hash(session, token_hash(refresh_token))
    if row is None:
        return RefreshOutcome(None, Unauthorized("The refresh token is not valid.", code="refresh_token_invalid"))
    if row.used_at is not None or row.revoked_at is not None:
        if row.used_at is not None:
            # A spent link came back: someone holds a copy. End every session in its family.
            await repository.revoke_family(session, row.family_id, now)
            record(
                session,
                "auth.refresh_reuse_detected",
                organization_id=None,
                ip=ip,
                actor_label=str(row.user_id),
                target_type="user",
                target_id=row.user_id,
            )
            log.warning("refresh_token_reuse", user_id=str(row.user_id), family=str(row.family_id))
            return RefreshOutcome(
                None,
                Unauthorized(
                    "This refresh token was already used; every session it belonged to has been signed out.",
                    code="refresh_token_reused",
                    keep_changes=True,
                ),
            )
        return RefreshOutcome(None, Unauthorized("This session was signed out.", code="refresh_token_revoked"))
    if row.expires_at <= now:
        return RefreshOutcome(
            None, Unauthorized("The session has expired; sign in again.", code="refresh_token_expired")
        )
    user = await users.get(session, row.user_id)
    if user is None or not user.is_active:
        return RefreshOutcome(None, Unauthorized("The account is disabled.", code="account_disabled"))
    # Mark spent with a guarded update so two concurrent refreshes cannot both succeed.
    if not await repository.spend_refresh_token(session, row.id, now):
        return RefreshOutcome(
            None,
            Unauthorized("The refresh token was used concurrently.", code="refresh_token_reused", keep_changes=True),
        )
    pair = await start_session(session, user, ip=ip, user_agent=user_agent, family_id=row.family_id)
    return RefreshOutcome(pair, None)


async def logout(
    session: AsyncSession, subject: AuthSubject, *, refresh_token: str | None, session_id: uuid.UUID | None
) -> None:
    now = _rt(session).clock.now()
    family = session_id
    if refresh_token:
        row = await repository.refresh_token_by_hash(session, token_hash(refresh_token))
        if row is not None and row.user_id == subject.user_id:
            family = row.family_id
    if family is not None:
        await repository.revoke_user_family(session, family, subject.user_id, now)
    record(session, "auth.logout", organization_id=subject.organization_id, subject=subject)


async def ensure_token_current(session: AsyncSession, claims: dict[str, Any], user: User) -> None:
    """Refuse an access token whose session has ended, though its signature and expiry are fine."""
    family = token_family(claims)
    check_token_current(claims, user, live=await repository.live_session_exists(session, family, user.id))


def token_family(claims: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(claims.get("sid")))
    except ValueError:
        raise Unauthorized("The access token is not valid.", code="token_invalid") from None


def check_token_current(claims: dict[str, Any], user: User, *, live: bool) -> None:
    """Two ways a token outlives its session: the password changed after it was issued, or its
    session (the refresh family named by ``sid``) was signed out, revoked on refresh-token reuse,
    or ended by a password change or reset. Checking the family too is what makes sign-out and
    reuse detection take effect at once instead of when the access token runs out, and it closes
    the gap of a token issued within the same second as a password change.
    """
    changed = user.password_changed_at
    if changed is not None and int(claims["iat"]) < int(changed.timestamp()):
        raise Unauthorized("The password changed since this token was issued; sign in again.", code="token_revoked")
    if not live:
        raise Unauthorized("This session was signed out; sign in again.", code="token_revoked")


async def _revoke_all(session: AsyncSession, user_id: uuid.UUID) -> None:
    """End every session of the person and spend every reset link still in their mailbox.

    A reset link that outlives a password change (or another reset) would let whoever reads that
    old email set the password once more, undoing the change the owner just made.
    """
    now = _rt(session).clock.now()
    await repository.revoke_user_sessions(session, user_id, now)
    await repository.spend_user_reset_tokens(session, user_id, now)


async def change_password(session: AsyncSession, subject: AuthSubject, *, current: str, new: str) -> None:
    rt = _rt(session)
    user = await users.get(session, subject.user_id) if subject.user_id else None
    if user is None:
        raise Unauthorized("Sign in first.")
    if user.password_hash is None or not rt.hasher.verify(current, user.password_hash):
        raise ValidationFailed("The current password is wrong.", code="invalid_password")
    user.password_hash = rt.hasher.hash(new)
    user.password_changed_at = rt.clock.now()
    await _revoke_all(session, user.id)
    record(
        session,
        "auth.password_changed",
        organization_id=subject.organization_id,
        subject=subject,
        target_type="user",
        target_id=user.id,
    )


async def request_password_reset(session: AsyncSession, *, email: str, ip: str | None) -> None:
    """Always looks the same to the caller, so it cannot be used to find out who has an account."""
    rt = _rt(session)
    user = await users.get_by_email(session, email)
    if user is None or not user.is_active:
        return
    token = new_token()
    now = rt.clock.now()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_hash(token),
            expires_at=now + timedelta(minutes=rt.settings.password_reset_minutes),
            created_at=now,
        )
    )
    link = f"{rt.settings.public_url.rstrip('/')}/reset-password?token={token}"
    queue_mail(
        session,
        to=user.email,
        kind="password_reset",
        subject="Reset your Frontdesk password",
        text=(
            f"Hello {user.name},\n\nSomeone asked to reset the password of your Frontdesk account. "
            f"If it was you, open this link within {rt.settings.password_reset_minutes} minutes:\n\n"
            f"{link}\n\nIf it was not you, ignore this email; your password stays as it is.\n"
        ),
    )
    record(
        session,
        "auth.password_reset_requested",
        organization_id=None,
        actor_label=user.email,
        ip=ip,
        target_type="user",
        target_id=user.id,
    )


async def reset_password(session: AsyncSession, *, token: str, new_password: str, ip: str | None) -> User:
    rt = _rt(session)
    now = rt.clock.now()
    row = await repository.reset_token_by_hash(session, token_hash(token))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise ValidationFailed("This reset link is not valid any more. Ask for a new one.", code="reset_token_invalid")
    if not await repository.claim_reset_token(session, row.id, now):
        raise ValidationFailed("This reset link was already used.", code="reset_token_invalid")
    user = await users.get(session, row.user_id)
    assert user is not None
    user.password_hash = rt.hasher.hash(new_password)
    user.password_changed_at = now
    await _revoke_all(session, user.id)
    record(
        session,
        "auth.password_reset",
        organization_id=None,
        actor_label=user.email,
        ip=ip,
        target_type="user",
        target_id=user.id,
    )
    return user
