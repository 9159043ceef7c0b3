"""Organizations and their members."""

from __future__ import annotations

import secrets
import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.authz.permissions import Role, can_assign
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit
from frontdesk.orgs import repository
from frontdesk.orgs.models import Membership, Organization
from frontdesk.users import repository as users
from frontdesk.users.models import User

# Concurrent sign-ups may pick the same slug; each retry adds randomness, so a few attempts suffice.
SLUG_ATTEMPTS = 5


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValidationFailed(f"{name!r} is not a time zone this server knows.", code="invalid_timezone") from exc
    return name


async def create_organization(
    session: AsyncSession,
    *,
    name: str,
    owner: User | None,
    timezone: str = "UTC",
    external_id: str | None = None,
) -> Organization:
    timezone = check_timezone(timezone)
    slug = await repository.unique_slug(session, name)
    for _attempt in range(SLUG_ATTEMPTS):
        org = Organization(
            name=name.strip(),
            slug=slug,
            timezone=timezone,
            external_id=external_id,
            created_at=session.info["runtime"].clock.now(),
        )
        try:
            # A savepoint, so a lost race on the slug undoes only this insert, not the caller's work.
            async with session.begin_nested():
                session.add(org)
                await session.flush()
        except IntegrityError:
            # Someone registered the same name between our check and our insert. Anything else
            # (an external id taken) is not ours to paper over.
            if not await repository.slug_taken(session, slug):
                raise
            slug = f"{slug[:60]}-{secrets.token_hex(3)}"
            continue
        break
    else:
        raise Conflict("Could not find a free address for this organization; try again.", code="slug_taken")
    if owner is not None:
        session.add(Membership(organization_id=org.id, user_id=owner.id, role=Role.OWNER))
    return org


async def get_organization(session: AsyncSession, scope: OrgScope) -> Organization:
    org = await repository.get(session, scope.ids, scope.organization_id)
    if org is None:
        raise NotFound("No such organization.")
    return org


async def update_organization(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, *, name: str | None, timezone: str | None
) -> Organization:
    org = await get_organization(session, scope)
    changes: dict[str, str] = {}
    if name is not None and name.strip() != org.name:
        org.name = changes["name"] = name.strip()
    if timezone is not None and timezone != org.timezone:
        org.timezone = changes["timezone"] = check_timezone(timezone)
    if changes:
        record(
            session,
            "org.updated",
            organization_id=org.id,
            subject=subject,
            target_type="organization",
            target_id=org.id,
            details=changes,
        )
    return org


async def list_members(session: AsyncSession, scope: OrgScope) -> list[tuple[Membership, User]]:
    return await repository.members(session, scope.ids)


async def change_role(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, membership_id: uuid.UUID, *, role: str
) -> tuple[Membership, User]:
    member = await repository.membership(session, scope.ids, membership_id)
    if member is None:
        raise NotFound("No such member.")
    actor_role = scope.role or Role.VIEWER
    if not can_assign(actor_role, role) or not can_assign(actor_role, member.role):
        raise Forbidden("You cannot give or take a role above your own.", code="role_too_high")
    if (
        member.role == Role.OWNER
        and role != Role.OWNER
        and await repository.count_owners(session, member.organization_id) <= 1
    ):
        raise Conflict("An organization needs at least one owner.", code="last_owner")
    old = member.role
    member.role = role
    record(
        session,
        "member.role_changed",
        organization_id=member.organization_id,
        subject=subject,
        target_type="membership",
        target_id=member.id,
        details={"from": old, "to": role},
    )
    publish_on_commit(
        session,
        org_topic(member.organization_id),
        {"type": "member.updated", "membership_id": str(member.id), "role": role},
    )
    user = await users.get(session, member.user_id)
    assert user is not None
    return member, user


async def remove_member(session: AsyncSession, scope: OrgScope, subject: AuthSubject, membership_id: uuid.UUID) -> None:
    member = await repository.membership(session, scope.ids, membership_id)
    if member is None:
        raise NotFound("No such member.")
    if not can_assign(scope.role or Role.VIEWER, member.role):
        raise Forbidden("You cannot remove someone with a role above your own.", code="role_too_high")
    if member.role == Role.OWNER and await repository.count_owners(session, member.organization_id) <= 1:
        raise Conflict("An organization needs at least one owner.", code="last_owner")
    await repository.delete_membership(session, member)
    record(
        session,
        "member.removed",
        organization_id=member.organization_id,
        subject=subject,
        target_type="membership",
        target_id=member.id,
        details={"user_id": str(member.user_id)},
    )
    publish_on_commit(
        session, org_topic(member.organization_id), {"type": "member.removed", "membership_id": str(member.id)}
    )
