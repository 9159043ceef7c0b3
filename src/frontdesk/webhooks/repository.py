"""SQL about webhook subscriptions and their deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.webhooks.models import WebhookDelivery, WebhookSubscription


async def list_subscriptions(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[WebhookSubscription]:
    return list(
        await session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.organization_id.in_(list(org_ids)))
            .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
        )
    )


async def get(session: AsyncSession, org_ids: Iterable[uuid.UUID], webhook_id: uuid.UUID) -> WebhookSubscription | None:
    return await session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.id == webhook_id, WebhookSubscription.organization_id.in_(list(org_ids))
        )
    )


async def active_for(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[WebhookSubscription]:
    return list(
        await session.scalars(
            select(WebhookSubscription).where(
                WebhookSubscription.organization_id.in_(list(org_ids)), WebhookSubscription.active.is_(True)
            )
        )
    )


def deliveries(
    org_ids: Iterable[uuid.UUID], subscription_id: uuid.UUID, *, status: str | None, event: str | None
) -> Select[Any]:
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.organization_id.in_(list(org_ids))
    )
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event is not None:
        stmt = stmt.where(WebhookDelivery.event == event)
    return stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())


async def delete_subscription(session: AsyncSession, sub: WebhookSubscription) -> None:
    await session.delete(sub)
