"""Executions: start one, test-run a draft, list, inspect, answer, resume, cancel."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.flows import executions, schemas
from frontdesk.kit.pagination import Page, PageParams, page_of

router = APIRouter(tags=["flows"])
Paging = Annotated[PageParams, Depends()]


@router.post(
    "/api/v1/flows/{flow_id}/executions",
    response_model=schemas.Execution,
    status_code=status.HTTP_201_CREATED,
    summary="Start the published flow for a contact",
)
async def start_flow_execution(
    flow_id: uuid.UUID, data: schemas.ExecutionStart, session: Session, subject: Subject
) -> schemas.Execution:
    ex = await executions.start_execution(session, require(subject, "flows.manage"), flow_id, data)
    return executions.to_schema(ex)


@router.post(
    "/api/v1/flows/{flow_id}/test-runs",
    response_model=schemas.ExecutionDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Run the draft with no contact; answer it with /input and watch its steps",
)
async def start_flow_test_run(
    flow_id: uuid.UUID, data: schemas.TestRunStart, session: Session, subject: Subject
) -> schemas.ExecutionDetail:
    ex = await executions.test_run(session, require(subject, "flows.manage"), flow_id, data)
    return await executions.detail(session, ex)


@router.get("/api/v1/flow-executions", response_model=Page[schemas.Execution], summary="Executions, newest first")
async def list_flow_executions(
    session: Session,
    subject: Subject,
    paging: Paging,
    flow_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    status_: Annotated[
        Literal["running", "waiting", "completed", "failed", "cancelled"] | None, Query(alias="status")
    ] = None,
) -> Page[schemas.Execution]:
    rows, total = await executions.list_executions(
        session, require(subject, "flows.read"), flow_id=flow_id, contact_id=contact_id, status=status_, paging=paging
    )
    return page_of([executions.to_schema(r) for r in rows], total, paging)


@router.get(
    "/api/v1/flow-executions/{execution_id}",
    response_model=schemas.ExecutionDetail,
    summary="One execution with every step (node, input, output, duration, error)",
)
async def get_flow_execution(execution_id: uuid.UUID, session: Session, subject: Subject) -> schemas.ExecutionDetail:
    ex = await executions.get_execution(session, require(subject, "flows.read"), execution_id)
    return await executions.detail(session, ex)


@router.post(
    "/api/v1/flow-executions/{execution_id}/input",
    response_model=schemas.Execution,
    summary="Answer the question the execution is waiting on",
)
async def send_flow_execution_input(
    execution_id: uuid.UUID, data: schemas.ExecutionInput, session: Session, subject: Subject
) -> schemas.Execution:
    ex = await executions.send_input(session, require(subject, "flows.manage"), execution_id, data.text)
    return executions.to_schema(ex)


@router.post(
    "/api/v1/flow-executions/{execution_id}/resume",
    response_model=schemas.Execution,
    summary="End a wait now, continue a paused handoff, or retry a failed node",
)
async def resume_flow_execution(execution_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Execution:
    return executions.to_schema(await executions.resume(session, require(subject, "flows.manage"), execution_id))


@router.post("/api/v1/flow-executions/{execution_id}/cancel", response_model=schemas.Execution, summary="Stop it")
async def cancel_flow_execution(execution_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Execution:
    return executions.to_schema(await executions.cancel(session, require(subject, "flows.manage"), execution_id))
