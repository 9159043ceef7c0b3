"""Outgoing webhook subscriptions of the current organization and their delivery log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.kit.pagination import Page, PageParams, page_of
from frontdesk.webhooks import schemas, service

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.get("/events", response_model=schemas.EventList, summary="The events a webhook can subscribe to")
async def list_webhook_events(subject: Subject) -> schemas.EventList:
    require(subject, "webhooks.manage")
    return schemas.EventList(events=list(service.EVENTS))


@router.get("", response_model=list[schemas.Webhook], summary="The organization's webhooks (never their secrets)")
async def list_webhooks(session: Session, subject: Subject) -> list[schemas.Webhook]:
    rows = await service.list_webhooks(session, require(subject, "webhooks.manage"))
    return [schemas.Webhook.model_validate(r) for r in rows]


@router.post(
    "",
    response_model=schemas.WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a URL to events; the signing secret is in this response only",
)
async def create_webhook(data: schemas.WebhookCreate, session: Session, subject: Subject) -> schemas.WebhookCreated:
    sub, secret = await service.create_webhook(session, require(subject, "webhooks.manage"), subject, data)
    return schemas.WebhookCreated.model_validate({**schemas.Webhook.model_validate(sub).model_dump(), "secret": secret})


@router.get("/{webhook_id}", response_model=schemas.Webhook, summary="One webhook")
async def get_webhook(webhook_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Webhook:
    sub = await service.get_webhook(session, require(subject, "webhooks.manage"), webhook_id)
    return schemas.Webhook.model_validate(sub)


@router.patch("/{webhook_id}", response_model=schemas.Webhook, summary="Change the URL or events, or pause")
async def update_webhook(
    webhook_id: uuid.UUID, data: schemas.WebhookUpdate, session: Session, subject: Subject
) -> schemas.Webhook:
    sub = await service.update_webhook(session, require(subject, "webhooks.manage"), subject, webhook_id, data)
    return schemas.Webhook.model_validate(sub)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a webhook and its log")
async def delete_webhook(webhook_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_webhook(session, require(subject, "webhooks.manage"), subject, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=schemas.WebhookSecret,
    summary="Replace the signing secret; the new one is in this response only",
)
async def rotate_webhook_secret(webhook_id: uuid.UUID, session: Session, subject: Subject) -> schemas.WebhookSecret:
    secret = await service.rotate_secret(session, require(subject, "webhooks.manage"), subject, webhook_id)
    return schemas.WebhookSecret(secret=secret)


@router.post(
    "/{webhook_id}/test",
    response_model=schemas.Delivery,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue a webhook.test delivery to this webhook alone",
)
async def send_webhook_test(webhook_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Delivery:
    delivery = await service.send_test(session, require(subject, "webhooks.manage"), subject, webhook_id)
    return schemas.Delivery.model_validate(delivery)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=Page[schemas.Delivery],
    summary="The delivery log, newest first, with status, attempts and the receiver's answer",
)
async def list_webhook_deliveries(
    webhook_id: uuid.UUID,
    session: Session,
    subject: Subject,
    paging: Annotated[PageParams, Depends()],
    state: Annotated[
        schemas.DeliveryStatus | None, Query(alias="status", description="Only deliveries in this state.")
    ] = None,
    event: Annotated[str | None, Query(max_length=60)] = None,
) -> Page[schemas.Delivery]:
    rows, total = await service.list_deliveries(
        session, require(subject, "webhooks.manage"), webhook_id, paging=paging, status=state, event=event
    )
    return page_of([schemas.Delivery.model_validate(r) for r in rows], total, paging)
