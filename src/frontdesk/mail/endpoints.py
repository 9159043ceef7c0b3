"""The organization's email outbox: what Frontdesk sent, or logged when no SMTP server is set."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.kit.pagination import Page, PageParams, page_of, paginate
from frontdesk.mail import repository, schemas
from frontdesk.mail.service import outbox_entry

router = APIRouter(prefix="/api/v1", tags=["mail"])


@router.get("/mail/outbox", response_model=Page[schemas.MailMessage], summary="Email sent or queued, newest first")
async def list_outbox(
    session: Session, subject: Subject, paging: Annotated[PageParams, Depends()]
) -> Page[schemas.MailMessage]:
    scope = require(subject, "mail.read")
    rows, total = await paginate(session, repository.outbox(scope.ids), paging)
    return page_of([outbox_entry(r) for r in rows], total, paging)
