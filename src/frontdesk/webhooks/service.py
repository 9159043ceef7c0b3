"""Outgoing webhooks: every subscribed event becomes a delivery row and a job, in the same transaction.

Deliveries are signed with HMAC-SHA256 over ``<timestamp>.<body>`` so a receiver can reject replays.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.db import before_commit
from frontdesk.kit.ids import new_id
from frontdesk.kit.jobs import enqueue
from frontdesk.webhooks.models import WebhookDelivery, WebhookSubscription

EVENTS = (
    "conversation.created",
    "conversation.status_changed",
    "conversation.assigned",
    "message.created",
    "contact.created",
    "contact.updated",
    "csat.submitted",
)


def emit(session: AsyncSession, organization_id: uuid.UUID, event: str, data: dict[str, Any]) -> None:
    """Queue ``event`` for the organization's subscribers. Cheap when nobody subscribes."""
    pending: list[dict[str, Any]] = session.info.setdefault("webhook_events", [])
    pending.append({"organization_id": organization_id, "event": event, "data": data})
    if len(pending) == 1:
        # Subscriptions are looked up once per transaction, just before it commits.
        before_commit(session, flush_events)


async def flush_events(session: AsyncSession) -> int:
    """Turn the transaction's emitted events into deliveries, inside the same transaction."""
    pending: list[dict[str, Any]] = session.info.pop("webhook_events", [])
    if not pending:
        return 0
    org_ids = {p["organization_id"] for p in pending}
    subs = list(
        await session.scalars(
            select(WebhookSubscription).where(
                WebhookSubscription.organization_id.in_(org_ids), WebhookSubscription.active.is_(True)
            )
        )
    )
    if not subs:
        return 0
    now = session.info["runtime"].clock.now()
    count = 0
    for item in pending:
        for sub in subs:
            if sub.organization_id != item["organization_id"] or item["event"] not in (sub.events or []):
                continue
            delivery_id = new_id()
            body = {
                "id": str(delivery_id),
                "event": item["event"],
                "organization_id": str(sub.organization_id),
                "created_at": now.isoformat(),
                "data": item["data"],
            }
            session.add(
                WebhookDelivery(
                    id=delivery_id,
                    organization_id=sub.organization_id,
                    subscription_id=sub.id,
                    event=item["event"],
                    payload=body,
                    created_at=now,
                )
            )
            enqueue(session, "webhooks.deliver", {"delivery_id": str(delivery_id)}, organization_id=sub.organization_id)
            count += 1
    return count
