"""Agents' presence, shifts and working hours."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from frontdesk.agents import schemas, service
from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require, require_user

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])


@router.get(
    "/presence", response_model=list[schemas.AgentPresence], summary="Who can take conversations, and who is online"
)
async def list_agent_presence(
    session: Session,
    subject: Subject,
    status: Annotated[Literal["online", "offline"] | None, Query(description="Only agents in this state.")] = None,
) -> list[schemas.AgentPresence]:
    return await service.list_presence(session, require(subject, "members.read"), status=status)


@router.put("/me/presence", response_model=schemas.MyPresence, summary="Go online or offline, or mark yourself busy")
async def update_my_presence(data: schemas.PresenceUpdate, session: Session, subject: Subject) -> schemas.MyPresence:
    scope = require(subject, "conversations.reply")
    return await service.update_my_presence(session, scope, require_user(subject), data)


@router.post("/me/heartbeat", response_model=schemas.MyPresence, summary="Stay online (send every 30 seconds)")
async def send_heartbeat(session: Session, subject: Subject) -> schemas.MyPresence:
    scope = require(subject, "conversations.reply")
    return await service.my_heartbeat(session, scope, require_user(subject))


@router.get("/shifts", response_model=list[schemas.Shift], summary="Shifts overlapping a range of days")
async def list_shifts(
    session: Session,
    subject: Subject,
    from_date: Annotated[
        date | None,
        Query(alias="from", description="First day, in the organization's time zone; default: 6 days before `to`."),
    ] = None,
    to_date: Annotated[date | None, Query(alias="to", description="Last day (inclusive); default: today.")] = None,
    user_id: uuid.UUID | None = None,
) -> list[schemas.Shift]:
    scope = require(subject, "analytics.read")
    return await service.list_shifts(session, scope, start=from_date, end=to_date, user_id=user_id)


@router.get(
    "/working-hours",
    response_model=schemas.WorkingHours,
    summary="Time online per agent per day, as JSON or a CSV download",
    responses={200: {"content": {"text/csv": {}}}},
)
async def read_working_hours(
    session: Session,
    subject: Subject,
    from_date: Annotated[
        date | None,
        Query(alias="from", description="First day, in the organization's time zone; default: 6 days before `to`."),
    ] = None,
    to_date: Annotated[date | None, Query(alias="to", description="Last day (inclusive); default: today.")] = None,
    user_id: uuid.UUID | None = None,
    output: Annotated[
        Literal["json", "csv"], Query(alias="format", description="`csv` downloads a spreadsheet-safe file.")
    ] = "json",
) -> schemas.WorkingHours | Response:
    scope = require(subject, "analytics.read")
    report = await service.working_hours(session, scope, start=from_date, end=to_date, user_id=user_id)
    if output == "csv":
        name = f"working-hours-{report.from_date.isoformat()}-{report.to_date.isoformat()}.csv"
        return Response(
            service.working_hours_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return report
