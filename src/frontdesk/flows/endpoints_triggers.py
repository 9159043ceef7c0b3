"""Triggers: keyword, event and schedule; activate, deactivate, test, their log and statistics."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response, status

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.flows import schemas
from frontdesk.flows.triggers import service
from frontdesk.kit.pagination import Page, PageParams, page_of

router = APIRouter(prefix="/api/v1/flow-triggers", tags=["flows"])
Paging = Annotated[PageParams, Depends()]


@router.get("", response_model=Page[schemas.Trigger], summary="Triggers with their statistics")
async def list_flow_triggers(
    session: Session,
    subject: Subject,
    paging: Paging,
    flow_id: uuid.UUID | None = None,
    kind: Literal["keyword", "event", "schedule"] | None = None,
) -> Page[schemas.Trigger]:
    rows, total = await service.list_triggers(
        session, require(subject, "flows.read"), flow_id=flow_id, kind=kind, paging=paging
    )
    return page_of([schemas.Trigger.model_validate(r) for r in rows], total, paging)


@router.post("", response_model=schemas.Trigger, status_code=status.HTTP_201_CREATED, summary="Create a trigger")
async def create_flow_trigger(data: schemas.TriggerCreate, session: Session, subject: Subject) -> schemas.Trigger:
    row = await service.create_trigger(session, require(subject, "flows.manage"), data)
    return schemas.Trigger.model_validate(row)


@router.post("/test", response_model=schemas.TriggerTestResult, summary="Would this message start a flow, and which?")
async def test_flow_triggers(
    data: schemas.TriggerTest, session: Session, subject: Subject
) -> schemas.TriggerTestResult:
    return await service.test_keyword(session, require(subject, "flows.read"), data)


@router.get("/{trigger_id}", response_model=schemas.Trigger, summary="One trigger")
async def get_flow_trigger(trigger_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Trigger:
    return schemas.Trigger.model_validate(
        await service.get_trigger(session, require(subject, "flows.read"), trigger_id)
    )


@router.patch("/{trigger_id}", response_model=schemas.Trigger, summary="Change a trigger")
async def update_flow_trigger(
    trigger_id: uuid.UUID, data: schemas.TriggerUpdate, session: Session, subject: Subject
) -> schemas.Trigger:
    row = await service.update_trigger(session, require(subject, "flows.manage"), trigger_id, data)
    return schemas.Trigger.model_validate(row)


@router.delete("/{trigger_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a trigger and its log")
async def delete_flow_trigger(trigger_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_trigger(session, require(subject, "flows.manage"), trigger_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{trigger_id}/activate", response_model=schemas.Trigger, summary="Turn a trigger on")
async def activate_flow_trigger(trigger_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Trigger:
    row = await service.set_active(session, require(subject, "flows.manage"), trigger_id, True)
    return schemas.Trigger.model_validate(row)


@router.post("/{trigger_id}/deactivate", response_model=schemas.Trigger, summary="Turn a trigger off")
async def deactivate_flow_trigger(trigger_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Trigger:
    row = await service.set_active(session, require(subject, "flows.manage"), trigger_id, False)
    return schemas.Trigger.model_validate(row)


@router.get("/{trigger_id}/firings", response_model=Page[schemas.Firing], summary="Every firing, newest first")
async def list_flow_trigger_firings(
    trigger_id: uuid.UUID, session: Session, subject: Subject, paging: Paging
) -> Page[schemas.Firing]:
    rows, total = await service.list_firings(session, require(subject, "flows.read"), trigger_id, paging)
    return page_of([schemas.Firing.model_validate(r) for r in rows], total, paging)
