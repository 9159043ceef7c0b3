"""Leads: capture, the pipeline, follow-ups, pipeline settings, exports and daily reports."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import FileResponse

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.kit.clock import UtcDateTime
from frontdesk.kit.pagination import Page, PageParams
from frontdesk.leads import exports, reports, schemas, service, settings_service
from frontdesk.leads.repository import LeadFilter

router = APIRouter(prefix="/api/v1", tags=["leads"])

Paging = Annotated[PageParams, Depends()]
Sort = Literal["created", "-created", "score", "-score", "follow_up", "name"]


def lead_filter(
    subject: Subject,
    status_filter: Annotated[list[str] | None, Query(alias="status", description="Repeat for several.")] = None,
    owner_id: Annotated[str | None, Query(max_length=40, description="A user id, `me` or `none`.")] = None,
    source: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Part of a name, email, phone, company or need.")
    ] = None,
    created_from: UtcDateTime | None = None,
    created_to: UtcDateTime | None = None,
) -> LeadFilter:
    return LeadFilter(
        statuses=[s[:40] for s in (status_filter or [])][:20],
        owner_id=subject.user_id if owner_id == "me" else _owner(owner_id),
        unowned=owner_id == "none",
        source=source,
        q=q,
        created_from=created_from,
        created_to=created_to,
    )


def _owner(raw: str | None) -> uuid.UUID | None:
    if raw in (None, "", "none", "me"):
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        from frontdesk.kit.errors import ValidationFailed

        raise ValidationFailed("owner_id is a user id, `me` or `none`.", code="owner_invalid") from None


Filters = Annotated[LeadFilter, Depends(lead_filter)]


@router.get("/leads", response_model=Page[schemas.Lead], summary="Leads, filtered and searched")
async def list_leads(
    session: Session,
    subject: Subject,
    filters: Filters,
    paging: Paging,
    sort: Sort = "-created",
) -> Page[schemas.Lead]:
    return await service.list_leads(session, require(subject, "leads.read"), filters, paging, sort)


@router.post(
    "/leads",
    response_model=schemas.Lead,
    status_code=status.HTTP_201_CREATED,
    summary="Capture a lead (new, or merged into the contact's lead with history)",
)
async def create_lead(data: schemas.LeadCreate, session: Session, subject: Subject) -> schemas.Lead:
    lead = await service.create_lead(session, require(subject, "leads.write"), subject, data)
    (item,) = await service.to_schemas(session, [lead])
    item.rejected = lead.rejected
    return item


@router.get(
    "/leads/followups",
    response_model=list[schemas.FollowUp],
    summary="Follow-ups due (within `within_hours`) and overdue, soonest first",
)
async def list_follow_ups(
    session: Session,
    subject: Subject,
    mine: bool = False,
    within_hours: Annotated[int, Query(ge=0, le=24 * 31)] = 24,
) -> list[schemas.FollowUp]:
    scope = require(subject, "leads.read")
    return await service.list_follow_ups(
        session, scope, owner_id=subject.user_id if mine else None, within_hours=within_hours
    )


@router.get("/leads/{lead_id}", response_model=schemas.LeadDetail, summary="One lead, with its history")
async def read_lead(lead_id: uuid.UUID, session: Session, subject: Subject) -> schemas.LeadDetail:
    return await service.lead_detail(session, require(subject, "leads.read"), lead_id)


@router.patch(
    "/leads/{lead_id}",
    response_model=schemas.Lead,
    summary="Change fields, status, owner, score, notes or the next follow-up",
)
async def update_lead(lead_id: uuid.UUID, data: schemas.LeadUpdate, session: Session, subject: Subject) -> schemas.Lead:
    lead = await service.update_lead(session, require(subject, "leads.write"), subject, lead_id, data)
    (item,) = await service.to_schemas(session, [lead])
    item.rejected = lead.rejected
    return item


@router.delete("/leads/{lead_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a lead and its history")
async def delete_lead(lead_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_lead(session, require(subject, "leads.write"), subject, lead_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/conversations/{conversation_id}/lead-extraction",
    response_model=schemas.Extracted,
    summary="Find lead details in the conversation's customer messages (rules, or the org's LLM)",
)
async def extract_lead(
    conversation_id: uuid.UUID, data: schemas.ExtractRequest, session: Session, subject: Subject
) -> schemas.Extracted:
    scope = require(subject, "leads.write" if data.apply else "leads.read")
    return await service.extract_from_conversation(session, scope, subject, conversation_id, apply=data.apply)


# ---------------------------------------------------------------- pipeline settings


@router.get("/lead-settings", response_model=schemas.PipelineSettings, summary="Statuses and the daily report")
async def read_lead_settings(session: Session, subject: Subject) -> schemas.PipelineSettings:
    return await settings_service.read(session, require(subject, "leads.read"))


@router.patch("/lead-settings", response_model=schemas.PipelineSettings, summary="Edit statuses or the daily report")
async def update_lead_settings(
    data: schemas.PipelineSettingsUpdate, session: Session, subject: Subject
) -> schemas.PipelineSettings:
    scope = require(subject, "org.update")
    await settings_service.update(session, scope, subject, data)
    return await settings_service.read(session, scope)


# ---------------------------------------------------------------- exports and reports


@router.post(
    "/lead-exports",
    response_model=schemas.Export,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Export leads (all or filtered) as xlsx or CSV; poll for progress, then download",
)
async def create_lead_export(data: schemas.ExportCreate, session: Session, subject: Subject) -> schemas.Export:
    row = await exports.create_export(session, require(subject, "leads.export"), subject, data)
    return exports.to_schema(row)


@router.get("/lead-exports", response_model=Page[schemas.Export], summary="Exports, newest first")
async def list_lead_exports(session: Session, subject: Subject, paging: Paging) -> Page[schemas.Export]:
    return await exports.list_exports(session, require(subject, "leads.export"), "export", paging)


@router.get("/lead-exports/{export_id}", response_model=schemas.Export, summary="An export or report, with progress")
async def read_lead_export(export_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Export:
    return exports.to_schema(await exports.get_export(session, require(subject, "leads.export"), export_id))


@router.get(
    "/lead-exports/{export_id}/download",
    response_class=FileResponse,
    summary="Download a finished export or report",
    responses={200: {"content": {v.split(";")[0]: {} for v in exports.MEDIA_TYPES.values()}}},
)
async def download_lead_export(export_id: uuid.UUID, session: Session, subject: Subject) -> FileResponse:
    path, row = await exports.download(session, require(subject, "leads.export"), export_id)
    return FileResponse(path, media_type=exports.MEDIA_TYPES[row.format], filename=row.filename)


@router.get("/lead-reports", response_model=Page[schemas.Export], summary="Daily lead reports, newest first")
async def list_lead_reports(session: Session, subject: Subject, paging: Paging) -> Page[schemas.Export]:
    return await exports.list_exports(session, require(subject, "leads.export"), "report", paging)


@router.post(
    "/lead-reports",
    response_model=schemas.Export,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Make a lead report now, for the last 24 hours",
)
async def create_lead_report(session: Session, subject: Subject) -> schemas.Export:
    row = await reports.request_report(session, require(subject, "leads.export"), subject)
    return exports.to_schema(row)
