"""Installation operators: every organization, its usage, and the installation's health.

Callers check ``authz.service.require_operator`` first (the endpoints do it in one dependency); the
functions here take the operator's subject for the audit trail. Each operator action is recorded at
installation level (``organization_id=None``), where operators read it; when it touches an
organization, a copy goes to that organization's own log too, so its owners see what was done to
it and by whom.
"""

from __future__ import annotations

import platform
import uuid
from datetime import datetime, timedelta
from functools import cache
from importlib import metadata
from typing import Any

import sqlalchemy
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit import repository as audit_repository
from frontdesk.audit.models import AuditEvent
from frontdesk.audit.schemas import AuditFilter
from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.clock import as_utc
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import NotFound, ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit
from frontdesk.kit.jobs import DEAD, DONE, PENDING, RUNNING, job_counts
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.kit.runtime import Runtime
from frontdesk.mail import repository as mail_repository
from frontdesk.mail.models import MailMessage
from frontdesk.mail.service import queue_mail
from frontdesk.operators import repository
from frontdesk.operators.schemas import (
    OperatorOrganization,
    OperatorOrganizationCreate,
    OrganizationFilter,
    OrganizationUsage,
    UsageTotals,
)
from frontdesk.orgs import repository as orgs_repository
from frontdesk.orgs import service as orgs
from frontdesk.orgs.models import ACTIVE, SUSPENDED, Organization
from frontdesk.users import repository as users

RECENT = timedelta(days=30)
MAX_GRANT_HOURS = 168


def _runtime(session: AsyncSession) -> Runtime:
    return session.info["runtime"]


def operator_may_read_content(org: Organization, now: datetime) -> bool:
    """Whether operators may read this organization's conversation content at ``now``.

    Only an owner's grant that has not run out opens it; suspension changes nothing either way.
    """
    until = org.operator_access_until
    return until is not None and as_utc(until) > now


# ---------------------------------------------------------------- organizations


async def _with_usage(session: AsyncSession, rows: list[Organization]) -> list[OperatorOrganization]:
    now = _runtime(session).clock.now()
    counts = await repository.usage_by_org(session, [o.id for o in rows], now=now, since=now - RECENT)
    return [
        OperatorOrganization(
            id=o.id,
            name=o.name,
            slug=o.slug,
            status=o.status,
            timezone=o.timezone,
            created_at=o.created_at,
            suspended_at=o.suspended_at,
            operator_access_until=o.operator_access_until,
            operator_access_active=operator_may_read_content(o, now),
            usage=OrganizationUsage(**counts[o.id]),
        )
        for o in rows
    ]


async def list_organizations(
    session: AsyncSession, *, filters: OrganizationFilter, paging: PageParams
) -> tuple[list[OperatorOrganization], int]:
    rows, total = await paginate(session, repository.organizations(q=filters.q, status=filters.status), paging)
    return await _with_usage(session, rows), total


async def _get(session: AsyncSession, org_id: uuid.UUID) -> Organization:
    org = await repository.get(session, org_id)
    if org is None:
        raise NotFound("No such organization.", code="organization_not_found")
    return org


async def get_organization(session: AsyncSession, org_id: uuid.UUID) -> OperatorOrganization:
    return (await _with_usage(session, [await _get(session, org_id)]))[0]


async def create_organization(
    session: AsyncSession, operator: AuthSubject, data: OperatorOrganizationCreate
) -> OperatorOrganization:
    owner = await users.get_by_email(session, data.owner_email)
    if owner is None or not owner.is_active:
        # Inviting a stranger belongs to the invitations flow; an operator creates for known accounts.
        raise NotFound(
            "No active account has this email. Ask the person to register first, then create the organization.",
            code="user_not_found",
        )
    org = await orgs.create_organization(session, name=data.name, owner=owner, timezone=data.timezone)
    details = {"name": org.name, "slug": org.slug, "owner_email": owner.email}
    record(
        session,
        "operator.org_created",
        organization_id=None,
        subject=operator,
        target_type="organization",
        target_id=org.id,
        details=details,
    )
    record(
        session,
        "org.created",
        organization_id=org.id,
        subject=operator,
        target_type="organization",
        target_id=org.id,
        details=details,
    )
    public_url = _runtime(session).settings.public_url.rstrip("/")
    queue_mail(
        session,
        to=owner.email,
        subject=f"You now own {org.name} on Frontdesk",
        text=(
            f"Hello {owner.name},\n\n"
            f"An operator of this Frontdesk installation created the organization {org.name!r} "
            f"and made you its owner.\n\nSign in at {public_url}/login to set it up.\n"
        ),
        organization_id=org.id,
        kind="organization_created",
    )
    await session.flush()
    return await get_organization(session, org.id)


async def _set_status(
    session: AsyncSession, operator: AuthSubject, org_id: uuid.UUID, *, suspend: bool, reason: str | None
) -> OperatorOrganization:
    org = await _get(session, org_id)
    wanted = SUSPENDED if suspend else ACTIVE
    if org.status != wanted:
        org.status = wanted
        org.suspended_at = _runtime(session).clock.now() if suspend else None
        verb = "suspended" if suspend else "unsuspended"
        details: dict[str, Any] = {"name": org.name, "slug": org.slug}
        if reason:
            details["reason"] = reason
        for action, where in ((f"operator.org_{verb}", None), (f"org.{verb}", org.id)):
            record(
                session,
                action,
                organization_id=where,
                subject=operator,
                target_type="organization",
                target_id=org.id,
                details=details,
            )
        # Open WebSockets and admin pages learn at once rather than on their next request.
        publish_on_commit(session, org_topic(org.id), {"type": f"organization.{verb}", "organization_id": str(org.id)})
        await session.flush()
    return await get_organization(session, org.id)


async def suspend_organization(
    session: AsyncSession, operator: AuthSubject, org_id: uuid.UUID, *, reason: str | None = None
) -> OperatorOrganization:
    """Idempotent: suspending a suspended organization changes and records nothing."""
    return await _set_status(session, operator, org_id, suspend=True, reason=reason)


async def unsuspend_organization(
    session: AsyncSession, operator: AuthSubject, org_id: uuid.UUID, *, reason: str | None = None
) -> OperatorOrganization:
    return await _set_status(session, operator, org_id, suspend=False, reason=reason)


async def delete_organization(
    session: AsyncSession, operator: AuthSubject, org_id: uuid.UUID, *, confirm: str | None
) -> None:
    org = await _get(session, org_id)
    if confirm is None or confirm.strip() != org.slug:
        raise ValidationFailed(
            "To delete an organization, pass confirm=<its slug>. Nothing was deleted.",
            code="confirmation_required" if not confirm else "confirmation_mismatch",
            details={"expected": "the organization's slug"},
        )
    details = {"name": org.name, "slug": org.slug, "status": org.status}
    await repository.delete_organization(session, org)
    # Installation level: the organization's own log goes with it.
    record(
        session,
        "operator.org_deleted",
        organization_id=None,
        subject=operator,
        target_type="organization",
        target_id=org_id,
        details=details,
    )
    publish_on_commit(session, org_topic(org_id), {"type": "organization.deleted", "organization_id": str(org_id)})


# ---------------------------------------------------------------- usage and health


async def usage_report(
    session: AsyncSession, *, paging: PageParams
) -> tuple[UsageTotals, list[OperatorOrganization], int]:
    now = _runtime(session).clock.now()
    totals = UsageTotals(**await repository.totals(session, now=now, since=now - RECENT))
    rows, total = await list_organizations(session, filters=OrganizationFilter(q=None, status=None), paging=paging)
    return totals, rows, total


async def installation_audit_events(
    session: AsyncSession, *, filters: AuditFilter, paging: PageParams
) -> tuple[list[AuditEvent], int]:
    return await paginate(session, audit_repository.filtered(None, filters), paging)


async def installation_mail(session: AsyncSession, *, paging: PageParams) -> tuple[list[MailMessage], int]:
    """Mail that belongs to a person rather than an organization (password resets, sign-up notes)."""
    return await paginate(session, mail_repository.outbox(None), paging)


@cache
def _schema_head() -> str | None:
    from frontdesk.kit.migrate import current_heads

    return ",".join(sorted(current_heads())) or None


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


async def health(runtime: Runtime) -> dict[str, Any]:
    """Opens its own transactions, like the readiness probe it extends, so it never waits on a caller's."""
    from frontdesk.system.endpoints import readiness

    report = await readiness(runtime)
    jobs: dict[str, int] = {DONE: 0, PENDING: 0, RUNNING: 0, DEAD: 0}
    oldest: float | None = None
    revision = database = None
    try:
        async with transaction(runtime.sessionmaker) as session:
            jobs.update(await job_counts(session))
            now = runtime.clock.now()
            due = await repository.oldest_due(session, now)
            oldest = None if due is None else round(max((now - as_utc(due)).total_seconds(), 0.0), 1)
            revision = await repository.schema_revision(session)
            database = await repository.database_version(session)
    except Exception:  # noqa: S110  (readiness already reports a failing database; say what is known)
        pass
    head = _schema_head()
    settings = runtime.settings
    return {
        "status": report["status"],
        "checks": report["checks"],
        "mode": "distributed" if settings.distributed else "embedded",
        "database": runtime.engine.url.get_backend_name(),
        "jobs": jobs,
        "oldest_due_seconds": oldest,
        "versions": {
            "frontdesk": _package_version("frontdesk"),
            "python": platform.python_version(),
            "sqlalchemy": sqlalchemy.__version__,
            "fastapi": _package_version("fastapi"),
            "database": database,
            "schema": revision,
            "schema_head": head,
        },
        "schema_current": revision is not None and revision == head,
    }


# ---------------------------------------------------------------- the owners' grant


async def _own_org(session: AsyncSession, scope: OrgScope) -> Organization:
    org = await orgs_repository.get(session, scope.ids, scope.organization_id)
    if org is None:
        raise NotFound("No such organization.")
    return org


async def read_operator_access(session: AsyncSession, scope: OrgScope) -> Organization:
    return await _own_org(session, scope)


async def grant_operator_access(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, *, hours: int
) -> Organization:
    """Replaces any running grant, so an owner can shorten one as well as extend it."""
    if not 1 <= hours <= MAX_GRANT_HOURS:
        raise ValidationFailed(f"Grant between 1 and {MAX_GRANT_HOURS} hours.", code="invalid_duration")
    org = await _own_org(session, scope)
    org.operator_access_until = _runtime(session).clock.now() + timedelta(hours=hours)
    record(
        session,
        "org.operator_access_granted",
        organization_id=org.id,
        subject=subject,
        target_type="organization",
        target_id=org.id,
        details={"hours": hours, "until": org.operator_access_until.isoformat()},
    )
    return org


async def revoke_operator_access(session: AsyncSession, scope: OrgScope, subject: AuthSubject) -> Organization:
    org = await _own_org(session, scope)
    if org.operator_access_until is not None:
        was_active = operator_may_read_content(org, _runtime(session).clock.now())
        org.operator_access_until = None
        record(
            session,
            "org.operator_access_revoked",
            organization_id=org.id,
            subject=subject,
            target_type="organization",
            target_id=org.id,
            details={"was_active": was_active},
        )
    return org
