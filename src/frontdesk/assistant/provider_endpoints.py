"""AI providers of the current organization, its AI budget, and its model usage per day."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from frontdesk.assistant import provider_schemas as schemas
from frontdesk.assistant import provider_service as service
from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require

router = APIRouter(prefix="/api/v1/ai", tags=["ai providers"])

PERMISSION = "assistants.manage"


@router.get("/providers", response_model=list[schemas.AiProvider], summary="Providers, in fallback order")
async def list_ai_providers(session: Session, subject: Subject) -> list[schemas.AiProvider]:
    rows = await service.list_providers(session, require(subject, PERMISSION))
    return [service.to_schema(session, r) for r in rows]


@router.post(
    "/providers",
    response_model=schemas.AiProvider,
    status_code=status.HTTP_201_CREATED,
    summary="Add a provider; its API key is stored encrypted and never returned",
)
async def create_ai_provider(data: schemas.AiProviderCreate, session: Session, subject: Subject) -> schemas.AiProvider:
    row = await service.create_provider(session, require(subject, PERMISSION), subject, data)
    return service.to_schema(session, row)


@router.put("/providers/order", response_model=list[schemas.AiProvider], summary="Set the fallback order")
async def order_ai_providers(
    data: schemas.ProviderOrder, session: Session, subject: Subject
) -> list[schemas.AiProvider]:
    rows = await service.set_order(session, require(subject, PERMISSION), subject, data)
    return [service.to_schema(session, r) for r in rows]


@router.get("/providers/{provider_id}", response_model=schemas.AiProvider, summary="One provider")
async def get_ai_provider(provider_id: uuid.UUID, session: Session, subject: Subject) -> schemas.AiProvider:
    row = await service.get_provider(session, require(subject, PERMISSION), provider_id)
    return service.to_schema(session, row)


@router.patch("/providers/{provider_id}", response_model=schemas.AiProvider, summary="Change a provider")
async def update_ai_provider(
    provider_id: uuid.UUID, data: schemas.AiProviderUpdate, session: Session, subject: Subject
) -> schemas.AiProvider:
    row = await service.update_provider(session, require(subject, PERMISSION), subject, provider_id, data)
    return service.to_schema(session, row)


@router.delete("/providers/{provider_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a provider")
async def delete_ai_provider(provider_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_provider(session, require(subject, PERMISSION), subject, provider_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/providers/{provider_id}/test",
    response_model=schemas.ConnectionTest,
    summary="Send one tiny request to this provider alone and report what happened",
)
async def test_ai_provider(provider_id: uuid.UUID, session: Session, subject: Subject) -> schemas.ConnectionTest:
    return await service.check_connection(session, require(subject, PERMISSION), provider_id)


@router.get("/settings", response_model=schemas.AiSettings, summary="The monthly budget and this month's spend")
async def get_ai_settings(session: Session, subject: Subject) -> schemas.AiSettings:
    return await service.get_settings(session, require(subject, PERMISSION))


@router.put("/settings", response_model=schemas.AiSettings, summary="Set or clear the monthly budget (USD)")
async def update_ai_settings(data: schemas.AiSettingsUpdate, session: Session, subject: Subject) -> schemas.AiSettings:
    return await service.update_settings(session, require(subject, PERMISSION), subject, data)


@router.get("/usage", response_model=schemas.UsageReport, summary="Tokens and cost per day, provider and model")
async def get_ai_usage(
    session: Session,
    subject: Subject,
    since: Annotated[date | None, Query(description="First day (UTC); default 29 days before `until`.")] = None,
    until: Annotated[date | None, Query(description="Last day (UTC), included; default today.")] = None,
) -> schemas.UsageReport:
    return await service.usage_report(session, require(subject, PERMISSION), since=since, until=until)
