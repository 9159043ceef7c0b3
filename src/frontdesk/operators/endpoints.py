"""Installation operators (``/api/v1/operator/...``) and the owners' grant of content access to them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from frontdesk.audit.schemas import AuditEvent, AuditFilter
from frontdesk.auth.dependencies import RuntimeDep, Session, Subject
from frontdesk.authz.service import require, require_operator
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.pagination import Page, PageParams, page_of
from frontdesk.mail.schemas import MailMessage
from frontdesk.mail.service import outbox_entry
from frontdesk.operators import schemas, service
from frontdesk.orgs.models import Organization

router = APIRouter(tags=["operators"])


async def operator_subject(subject: Subject) -> AuthSubject:
    require_operator(subject)
    return subject


# Every /operator route takes this instead of Subject, so none can forget the check.
Operator = Annotated[AuthSubject, Depends(operator_subject)]
Paging = Annotated[PageParams, Depends()]

OPERATOR = "/api/v1/operator"


@router.get(
    f"{OPERATOR}/organizations",
    response_model=Page[schemas.OperatorOrganization],
    summary="Every organization with its usage counts (never its content)",
)
async def list_organizations(
    session: Session,
    operator: Operator,
    filters: Annotated[schemas.OrganizationFilter, Depends()],
    paging: Paging,
) -> Page[schemas.OperatorOrganization]:
    rows, total = await service.list_organizations(session, filters=filters, paging=paging)
    return page_of(rows, total, paging)


@router.post(
    f"{OPERATOR}/organizations",
    response_model=schemas.OperatorOrganization,
    status_code=status.HTTP_201_CREATED,
    summary="Create an organization owned by an existing account",
)
async def create_organization(
    data: schemas.OperatorOrganizationCreate, session: Session, operator: Operator
) -> schemas.OperatorOrganization:
    return await service.create_organization(session, operator, data)


@router.get(
    f"{OPERATOR}/organizations/{{org_id}}",
    response_model=schemas.OperatorOrganization,
    summary="One organization with its usage counts",
)
async def read_organization(org_id: uuid.UUID, session: Session, operator: Operator) -> schemas.OperatorOrganization:
    return await service.get_organization(session, org_id)


@router.post(
    f"{OPERATOR}/organizations/{{org_id}}/suspend",
    response_model=schemas.OperatorOrganization,
    summary="Suspend: members and API keys are refused until unsuspended",
)
async def suspend_organization(
    org_id: uuid.UUID, session: Session, operator: Operator, data: schemas.SuspendRequest | None = None
) -> schemas.OperatorOrganization:
    return await service.suspend_organization(session, operator, org_id, reason=data.reason if data else None)


@router.post(
    f"{OPERATOR}/organizations/{{org_id}}/unsuspend",
    response_model=schemas.OperatorOrganization,
    summary="Lift a suspension",
)
async def unsuspend_organization(
    org_id: uuid.UUID, session: Session, operator: Operator, data: schemas.SuspendRequest | None = None
) -> schemas.OperatorOrganization:
    return await service.unsuspend_organization(session, operator, org_id, reason=data.reason if data else None)


@router.delete(
    f"{OPERATOR}/organizations/{{org_id}}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an organization and everything in it; pass confirm=<slug>",
)
async def delete_organization(
    org_id: uuid.UUID,
    session: Session,
    operator: Operator,
    confirm: Annotated[str | None, Query(max_length=80, description="The organization's slug.")] = None,
) -> Response:
    await service.delete_organization(session, operator, org_id, confirm=confirm)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(f"{OPERATOR}/usage", response_model=schemas.UsageReport, summary="Installation totals and per-org usage")
async def read_usage(session: Session, operator: Operator, paging: Paging) -> schemas.UsageReport:
    totals, rows, total = await service.usage_report(session, paging=paging)
    now = session.info["runtime"].clock.now()
    return schemas.UsageReport(generated_at=now, totals=totals, organizations=page_of(rows, total, paging))


@router.get(
    f"{OPERATOR}/health",
    response_model=schemas.HealthReport,
    summary="Readiness, background jobs and versions",
)
async def read_health(session: Session, runtime: RuntimeDep, operator: Operator) -> schemas.HealthReport:
    # SQLite takes its write lock at BEGIN; end this request's read so the probes' own
    # transactions do not queue behind it.
    await session.commit()
    return schemas.HealthReport.model_validate(await service.health(runtime))


@router.get(
    f"{OPERATOR}/audit-events",
    response_model=Page[AuditEvent],
    summary="Installation-level audit events (operator actions, unknown-account sign-ins), newest first",
)
async def list_installation_audit_events(
    session: Session,
    operator: Operator,
    filters: Annotated[AuditFilter, Depends()],
    paging: Paging,
) -> Page[AuditEvent]:
    rows, total = await service.installation_audit_events(session, filters=filters, paging=paging)
    return page_of([AuditEvent.model_validate(r) for r in rows], total, paging)


@router.get(
    f"{OPERATOR}/mail",
    response_model=Page[MailMessage],
    summary="Email that belongs to no organization (password resets), newest first",
)
async def list_installation_mail(session: Session, operator: Operator, paging: Paging) -> Page[MailMessage]:
    rows, total = await service.installation_mail(session, paging=paging)
    return page_of([outbox_entry(r, reveal_logged=True) for r in rows], total, paging)


# ---------------------------------------------------------------- the owners' side


def _access(org: Organization, session: Session) -> schemas.OperatorAccess:
    now = session.info["runtime"].clock.now()
    return schemas.OperatorAccess(
        organization_id=org.id,
        until=org.operator_access_until,
        active=service.operator_may_read_content(org, now),
    )


@router.get(
    "/api/v1/organization/operator-access",
    response_model=schemas.OperatorAccess,
    summary="Whether installation operators may read this organization's conversations",
)
async def read_operator_access(session: Session, subject: Subject) -> schemas.OperatorAccess:
    org = await service.read_operator_access(session, require(subject, "org.read"))
    return _access(org, session)


@router.post(
    "/api/v1/organization/operator-access",
    response_model=schemas.OperatorAccess,
    summary="Let operators read conversation content for 1 to 168 hours (owners only)",
)
async def grant_operator_access(
    data: schemas.OperatorAccessGrant, session: Session, subject: Subject
) -> schemas.OperatorAccess:
    org = await service.grant_operator_access(
        session, require(subject, "org.grant_operator_access"), subject, hours=data.hours
    )
    return _access(org, session)


@router.delete(
    "/api/v1/organization/operator-access",
    response_model=schemas.OperatorAccess,
    summary="End operators' access to conversation content now",
)
async def revoke_operator_access(session: Session, subject: Subject) -> schemas.OperatorAccess:
    org = await service.revoke_operator_access(session, require(subject, "org.grant_operator_access"), subject)
    return _access(org, session)
