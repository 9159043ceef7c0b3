"""Flows, their versions, templates and analytics; executions and triggers are in sibling modules."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.flows import schemas, service
from frontdesk.flows.endpoints_executions import router as executions_router
from frontdesk.flows.endpoints_triggers import router as triggers_router

router = APIRouter()
flows = APIRouter(prefix="/api/v1/flows", tags=["flows"])


@flows.get("", response_model=list[schemas.FlowSummary], summary="The organization's flows")
async def list_flows(session: Session, subject: Subject) -> list[schemas.FlowSummary]:
    rows = await service.list_flows(session, require(subject, "flows.read"))
    return [schemas.FlowSummary.model_validate(r) for r in rows]


@flows.post("", response_model=schemas.Flow, status_code=status.HTTP_201_CREATED, summary="Create a flow (a draft)")
async def create_flow(data: schemas.FlowCreate, session: Session, subject: Subject) -> schemas.Flow:
    flow = await service.create_flow(session, require(subject, "flows.manage"), subject, data)
    return service.to_schema(flow)


@flows.post(
    "/import", response_model=schemas.Flow, status_code=status.HTTP_201_CREATED, summary="Import an exported flow"
)
async def import_flow(data: schemas.FlowExport, session: Session, subject: Subject) -> schemas.Flow:
    flow = await service.import_flow(session, require(subject, "flows.manage"), subject, data)
    return service.to_schema(flow)


@flows.get("/{flow_id}", response_model=schemas.Flow, summary="One flow with its draft and the draft's problems")
async def get_flow(flow_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Flow:
    return service.to_schema(await service.get_flow(session, require(subject, "flows.read"), flow_id))


@flows.patch("/{flow_id}", response_model=schemas.Flow, summary="Save the draft or change settings")
async def update_flow(flow_id: uuid.UUID, data: schemas.FlowUpdate, session: Session, subject: Subject) -> schemas.Flow:
    flow = await service.update_flow(session, require(subject, "flows.manage"), subject, flow_id, data)
    return service.to_schema(flow)


@flows.delete(
    "/{flow_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a flow, its versions and executions"
)
async def delete_flow(flow_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_flow(session, require(subject, "flows.manage"), subject, flow_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@flows.post("/{flow_id}/validate", response_model=schemas.Validation, summary="Check the draft; issues name their node")
async def validate_flow(flow_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Validation:
    return await service.validate_flow(session, require(subject, "flows.read"), flow_id)


@flows.post(
    "/{flow_id}/publish",
    response_model=schemas.Version,
    status_code=status.HTTP_201_CREATED,
    summary="Publish the draft as the next immutable version",
)
async def publish_flow(
    flow_id: uuid.UUID, session: Session, subject: Subject, data: schemas.PublishRequest | None = None
) -> schemas.Version:
    version = await service.publish(
        session, require(subject, "flows.manage"), subject, flow_id, (data.note if data else "")
    )
    return schemas.Version.model_validate(version)


@flows.get("/{flow_id}/versions", response_model=list[schemas.Version], summary="Published versions, newest first")
async def list_flow_versions(flow_id: uuid.UUID, session: Session, subject: Subject) -> list[schemas.Version]:
    rows = await service.list_versions(session, require(subject, "flows.read"), flow_id)
    return [schemas.Version.model_validate(r) for r in rows]


@flows.get("/{flow_id}/versions/{number}", response_model=schemas.Version, summary="One published version")
async def get_flow_version(flow_id: uuid.UUID, number: int, session: Session, subject: Subject) -> schemas.Version:
    version = await service.get_version(session, require(subject, "flows.read"), flow_id, number)
    return schemas.Version.model_validate(version)


@flows.post(
    "/{flow_id}/versions/{number}/restore", response_model=schemas.Flow, summary="Make a version the draft again"
)
async def restore_flow_version(flow_id: uuid.UUID, number: int, session: Session, subject: Subject) -> schemas.Flow:
    flow = await service.restore_version(session, require(subject, "flows.manage"), subject, flow_id, number)
    return service.to_schema(flow)


@flows.get("/{flow_id}/export", summary="The draft as a JSON document that /import accepts")
async def export_flow(flow_id: uuid.UUID, session: Session, subject: Subject) -> dict[str, Any]:
    return service.export_flow(await service.get_flow(session, require(subject, "flows.read"), flow_id))


@flows.get(
    "/{flow_id}/analytics", response_model=schemas.Analytics, summary="Started, completed, failed, dropped per node"
)
async def flow_analytics(flow_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Analytics:
    return await service.analytics(session, require(subject, "flows.read"), flow_id)


templates = APIRouter(prefix="/api/v1/flow-templates", tags=["flows"])


@templates.get("", response_model=list[schemas.Template], summary="Shipped templates and the organization's own")
async def list_flow_templates(session: Session, subject: Subject) -> list[schemas.Template]:
    return await service.list_templates(session, require(subject, "flows.read"))


@templates.post(
    "",
    response_model=schemas.Template,
    status_code=status.HTTP_201_CREATED,
    summary="Save a flow's draft as a template",
)
async def create_flow_template(data: schemas.TemplateCreate, session: Session, subject: Subject) -> schemas.Template:
    return await service.create_template(session, require(subject, "flows.manage"), subject, data)


@templates.post(
    "/{template_id}/use",
    response_model=schemas.Flow,
    status_code=status.HTTP_201_CREATED,
    summary="Create a new flow from a template",
)
async def use_flow_template(
    template_id: str, session: Session, subject: Subject, data: schemas.TemplateUse | None = None
) -> schemas.Flow:
    flow = await service.use_template(
        session, require(subject, "flows.manage"), subject, template_id, data.name if data else None
    )
    return service.to_schema(flow)


@templates.delete("/{template_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an organization template")
async def delete_flow_template(template_id: str, session: Session, subject: Subject) -> Response:
    await service.delete_template(session, require(subject, "flows.manage"), template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


router.routes.extend(flows.routes)
router.routes.extend(templates.routes)
router.routes.extend(executions_router.routes)
router.routes.extend(triggers_router.routes)
