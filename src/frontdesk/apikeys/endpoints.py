"""API keys of the current organization."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from frontdesk.apikeys import schemas, service
from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require

router = APIRouter(prefix="/api/v1/api-keys", tags=["api-keys"])


@router.get("", response_model=list[schemas.ApiKey], summary="The organization's keys (never their secrets)")
async def list_api_keys(session: Session, subject: Subject) -> list[schemas.ApiKey]:
    keys = await service.list_keys(session, require(subject, "apikeys.read"))
    return [schemas.ApiKey.model_validate(k) for k in keys]


@router.post(
    "",
    response_model=schemas.ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a key; the whole key is in this response only",
)
async def create_api_key(data: schemas.ApiKeyCreate, session: Session, subject: Subject) -> schemas.ApiKeyCreated:
    key, raw = await service.create_key(session, require(subject, "apikeys.manage"), subject, data)
    return schemas.ApiKeyCreated.model_validate({**schemas.ApiKey.model_validate(key).model_dump(), "key": raw})


@router.delete("/{key_id}", response_model=schemas.ApiKey, summary="Revoke a key at once")
async def revoke_api_key(key_id: uuid.UUID, session: Session, subject: Subject) -> schemas.ApiKey:
    key = await service.revoke_key(session, require(subject, "apikeys.manage"), subject, key_id)
    return schemas.ApiKey.model_validate(key)
