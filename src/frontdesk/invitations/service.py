"""Invitations: an emailed, expiring, single-use link that brings a person into an organization.

Only a SHA-256 of the token is stored. The raw token is returned once to the inviter, so the link
can be shared by hand when no SMTP server is configured. Accepting creates the account when none
uses the invited email, or links the existing one when its owner proves who they are.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.auth.service import create_user
from frontdesk.authz.permissions import Role, can_assign
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.invitations import repository
from frontdesk.invitations.models import Invitation
from frontdesk.invitations.schemas import InvitationPreview, InvitationStatus
from frontdesk.kit.crypto import new_token, token_hash
from frontdesk.kit.errors import Conflict, Forbidden, Gone, NotFound, Unauthorized, ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit
from frontdesk.kit.runtime import Runtime
from frontdesk.mail.service import queue_mail
from frontdesk.orgs import repository as orgs
from frontdesk.orgs.models import ACTIVE, Membership, Organization
from frontdesk.users import repository as users
from frontdesk.users.models import User

MIN_PASSWORD = 10
STATUSES = frozenset({*(s.value for s in InvitationStatus), "all"})
_EMAIL = TypeAdapter(EmailStr)


def _rt(session: AsyncSession) -> Runtime:
    runtime: Runtime = session.info["runtime"]
    return runtime


def invitation_status(inv: Invitation, now: datetime) -> str:
    if inv.accepted_at is not None:
        return InvitationStatus.ACCEPTED.value
    if inv.revoked_at is not None:
        return InvitationStatus.REVOKED.value
    if inv.expires_at <= now:
        return InvitationStatus.EXPIRED.value
    return InvitationStatus.PENDING.value


def accept_url(session: AsyncSession, token: str) -> str:
    return f"{_rt(session).settings.public_url.rstrip('/')}/accept-invite?token={token}"


def _clean_email(email: str) -> str:
    # The web form passes plain strings, so the service checks what the JSON schema checks too.
    try:
        _EMAIL.validate_python(email.strip())
    except ValidationError:
        raise ValidationFailed("That is not a valid email address.", code="invalid_email") from None
    return users.normalise_email(email)


def _clean_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationFailed(
            "The role must be owner, admin, agent or viewer.",
            code="invalid_role",
            details={"allowed": [r.value for r in Role]},
        ) from None


def _check_rank(scope: OrgScope, role: str, what: str) -> None:
    if not can_assign(scope.role or Role.VIEWER, role):
        raise Forbidden(
            f"You cannot {what} an invitation for the {role} role: it is above your own"
            + (" (only owners invite owners)." if role == Role.OWNER else "."),
            code="role_too_high",
        )


async def create_invitation(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, *, email: str, role: str
) -> tuple[Invitation, str]:
    rt = _rt(session)
    now = rt.clock.now()
    email = _clean_email(email)
    role = _clean_role(role).value
    _check_rank(scope, role, "create")
    org = await orgs.get(session, scope.ids, scope.organization_id)
    if org is None:
        raise NotFound("No such organization.")
    existing_user = await users.get_by_email(session, email)
    if existing_user is not None and await orgs.membership_of_user(session, org.id, existing_user.id):
        raise Conflict(f"{email} is already a member of {org.name}.", code="already_member")

    token = new_token()
    invitation = Invitation(
        organization_id=org.id,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by_id=subject.user_id,
        expires_at=now + timedelta(days=rt.settings.invitation_days),
        created_at=now,
    )
    session.add(invitation)
    await session.flush()

    # One open invitation per person: inviting again (say, with another role, or because the mail
    # was lost) replaces the earlier link instead of leaving two that grant different roles.
    for earlier in await repository.open_for_email(session, org.id, email, now=now):
        if earlier.id == invitation.id:
            continue
        _check_rank(scope, earlier.role, "replace")
        if await repository.revoke(session, earlier.id, now=now):
            earlier.revoked_at = now
            record(
                session,
                "invitation.revoked",
                organization_id=org.id,
                subject=subject,
                target_type="invitation",
                target_id=earlier.id,
                details={"email": email, "role": earlier.role, "replaced_by": str(invitation.id)},
            )

    inviter = await users.get(session, subject.user_id) if subject.user_id else None
    inviter_name = inviter.name if inviter is not None else subject.label
    link = accept_url(session, token)
    queue_mail(
        session,
        to=email,
        organization_id=org.id,
        kind="invitation",
        subject=f"{inviter_name} invited you to {org.name} on Frontdesk",
        text=(
            f"Hello,\n\n{inviter_name} invited you to join {org.name} on Frontdesk as {_article(role)} {role}.\n\n"
            f"Open this link to accept:\n\n{link}\n\n"
            f"The link works once and expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC "
            f"({rt.settings.invitation_days} days). If you already have a Frontdesk account with this "
            f"address, you will be asked to sign in; otherwise you will choose a name and a password.\n\n"
            f"If you did not expect this invitation, ignore this email.\n"
        ),
    )
    record(
        session,
        "invitation.created",
        organization_id=org.id,
        subject=subject,
        target_type="invitation",
        target_id=invitation.id,
        details={"email": email, "role": role, "expires_at": invitation.expires_at.isoformat()},
    )
    publish_on_commit(
        session,
        org_topic(org.id),
        {"type": "invitation.created", "invitation_id": str(invitation.id), "email": email, "role": role},
    )
    return invitation, token


def _article(role: str) -> str:
    return "an" if role[:1] in "aeiou" else "a"


async def list_invitations(session: AsyncSession, scope: OrgScope, *, status: str = "pending") -> list[Invitation]:
    if status not in STATUSES:
        raise ValidationFailed(
            "status must be pending, accepted, revoked, expired or all.",
            code="invalid_status",
            details={"allowed": sorted(STATUSES)},
        )
    return await repository.list_invitations(session, scope.ids, status=status, now=_rt(session).clock.now())


async def revoke_invitation(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, invitation_id: uuid.UUID
) -> Invitation:
    invitation = await repository.get(session, scope.ids, invitation_id)
    if invitation is None:
        raise NotFound("No such invitation.", code="invitation_not_found")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was already accepted; remove the member instead.", code="invitation_used")
    if invitation.revoked_at is not None:
        return invitation
    _check_rank(scope, invitation.role, "revoke")
    now = _rt(session).clock.now()
    if not await repository.revoke(session, invitation.id, now=now):
        # Lost a race with an acceptance (or a concurrent revocation): report what happened.
        await session.refresh(invitation)
        if invitation.accepted_at is not None:
            raise Conflict("This invitation was just accepted; remove the member instead.", code="invitation_used")
        return invitation
    invitation.revoked_at = now
    record(
        session,
        "invitation.revoked",
        organization_id=invitation.organization_id,
        subject=subject,
        target_type="invitation",
        target_id=invitation.id,
        details={"email": invitation.email, "role": invitation.role},
    )
    publish_on_commit(
        session,
        org_topic(invitation.organization_id),
        {"type": "invitation.revoked", "invitation_id": str(invitation.id)},
    )
    return invitation


async def _usable(session: AsyncSession, token: str) -> tuple[Invitation, Organization]:
    """The invitation behind ``token`` if it can still be accepted, else the reason it cannot."""
    found = await repository.by_token_hash(session, token_hash(token))
    if found is None:
        raise NotFound("This invitation link is not valid. Check that it was copied whole.", code="invitation_invalid")
    invitation, org = found
    status = invitation_status(invitation, _rt(session).clock.now())
    if status == InvitationStatus.ACCEPTED:
        raise Gone("This invitation was already used. Sign in instead.", code="invitation_used")
    if status == InvitationStatus.REVOKED:
        raise Gone("This invitation was withdrawn. Ask for a new one.", code="invitation_revoked")
    if status == InvitationStatus.EXPIRED:
        raise Gone("This invitation has expired. Ask for a new one.", code="invitation_expired")
    return invitation, org


async def lookup_invitation(session: AsyncSession, token: str) -> InvitationPreview:
    invitation, org = await _usable(session, token)
    return InvitationPreview(
        organization_id=org.id,
        organization_name=org.name,
        email=invitation.email,
        role=invitation.role,
        expires_at=invitation.expires_at,
        account_exists=await users.get_by_email(session, invitation.email) is not None,
    )


async def accept_invitation(
    session: AsyncSession,
    *,
    token: str,
    name: str | None,
    password: str | None,
    subject: AuthSubject | None,
    ip: str | None,
) -> tuple[User, Membership]:
    rt = _rt(session)
    invitation, org = await _usable(session, token)
    if org.status != ACTIVE:
        raise Forbidden(
            "This organization is suspended. Contact the installation's operator.", code="organization_suspended"
        )
    user = await users.get_by_email(session, invitation.email)
    if user is not None:
        _prove_owner(session, user, password=password, subject=subject)
        if await orgs.membership_of_user(session, org.id, user.id) is not None:
            raise Conflict(f"You are already a member of {org.name}.", code="already_member")
    else:
        clean_name = (name or "").strip()
        if not clean_name:
            raise ValidationFailed("Tell us your name to create your account.", code="name_required")
        if password is None or len(password) < MIN_PASSWORD:
            raise ValidationFailed(
                f"Choose a password of at least {MIN_PASSWORD} characters.", code="password_too_short"
            )

    now = rt.clock.now()
    # Claim before creating anything, so the loser of a race fails cleanly instead of on a unique email.
    if not await repository.claim(session, invitation.id, now=now):
        raise Gone("This invitation was already used. Sign in instead.", code="invitation_used")

    new_account = user is None
    if user is None:
        assert password is not None
        user = await create_user(session, email=invitation.email, name=clean_name, password=password)
    membership = Membership(organization_id=org.id, user_id=user.id, role=invitation.role, created_at=now)
    session.add(membership)
    try:
        await session.flush()
    except IntegrityError as exc:  # joined through another path at the same moment
        raise Conflict(f"You are already a member of {org.name}.", code="already_member") from exc
    invitation.accepted_at = now
    invitation.accepted_by_id = user.id
    if invitation.invited_by_id is not None:
        from frontdesk.notifications.service import notify

        await notify(
            session,
            organization_id=org.id,
            user_ids=[invitation.invited_by_id],
            kind="invitation_accepted",
            title=f"{user.name or invitation.email} joined {org.name} as {invitation.role}",
            link="/app/settings/members",
            data={"invitation_id": str(invitation.id), "user_id": str(user.id)},
        )

    actor = AuthSubject(kind="user", label=user.email, user_id=user.id, ip=ip)
    record(
        session,
        "invitation.accepted",
        organization_id=org.id,
        subject=actor,
        target_type="invitation",
        target_id=invitation.id,
        details={
            "email": invitation.email,
            "role": invitation.role,
            "user_id": str(user.id),
            "membership_id": str(membership.id),
            "new_account": new_account,
        },
    )
    publish_on_commit(
        session,
        org_topic(org.id),
        {
            "type": "member.joined",
            "membership_id": str(membership.id),
            "user_id": str(user.id),
            "role": invitation.role,
            "invitation_id": str(invitation.id),
        },
    )
    return user, membership


def _prove_owner(session: AsyncSession, user: User, *, password: str | None, subject: AuthSubject | None) -> None:
    """Linking an existing account needs its owner: a matching session, or that account's password.

    Holding the link alone is not enough, or whoever intercepts it could join as someone else.
    """
    if not user.is_active:
        raise Forbidden("The account for this email is disabled.", code="account_disabled")
    if subject is not None and subject.kind == "user" and subject.user_id == user.id:
        return
    if password:
        hasher = _rt(session).hasher
        if user.password_hash is not None and hasher.verify(password, user.password_hash):
            return
        raise Unauthorized(f"The password for {user.email} is wrong.", code="invalid_credentials")
    if subject is not None and subject.kind == "user":
        raise Forbidden(
            f"This invitation is for {user.email}, but you are signed in as {subject.label}. "
            "Sign in with that account, or give its password.",
            code="invitation_wrong_account",
        )
    raise Unauthorized(
        f"An account for {user.email} already exists: sign in, or give its password to accept.",
        code="sign_in_required",
    )
