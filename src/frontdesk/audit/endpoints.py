"""The audit log of the current organization."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from frontdesk.audit import repository, schemas
from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.kit.pagination import Page, PageParams, page_of, paginate

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit-events", response_model=Page[schemas.AuditEvent], summary="Audit events, newest first, filterable")
async def list_audit_events(
    session: Session,
    subject: Subject,
    filters: Annotated[schemas.AuditFilter, Depends()],
    paging: Annotated[PageParams, Depends()],
) -> Page[schemas.AuditEvent]:
    scope = require(subject, "audit.read")
    rows, total = await paginate(session, repository.filtered(scope.ids, filters), paging)
    return page_of([schemas.AuditEvent.model_validate(r) for r in rows], total, paging)
