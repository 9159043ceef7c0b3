"""Outgoing webhooks: every subscribed event becomes a delivery row and a job, in the same transaction.

Services call :func:`emit` as things happen; nothing is looked up or written until the transaction is
about to commit (:func:`flush_events`), so an emit costs nothing when nobody subscribes and a change
that rolls back never reaches a receiver. Deliveries are signed with HMAC-SHA256 over
``<timestamp>.<body>`` so a receiver can reject forgeries and replays (see ``tasks.py``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.crypto import new_token
from frontdesk.kit.db import before_commit
from frontdesk.kit.errors import NotFound, ValidationFailed
from frontdesk.kit.http import BlockedTarget, check_url
from frontdesk.kit.ids import new_id
from frontdesk.kit.jobs import enqueue
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.webhooks import repository, schemas
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
# Sent only by "send a test"; nobody subscribes to it.
TEST_EVENT = "webhook.test"
DELIVERY_STATUSES = ("pending", "retrying", "delivered", "failed")
SECRET_PREFIX = "whsec_"

# Backoff doubles from 2 s and is capped at an hour (kit.jobs.backoff), so 16 attempts keep trying for
# about five hours: long enough to ride out a receiver's deploy or outage, short enough to give up
# on a receiver that is gone.
MAX_ATTEMPTS = 16


def _now(session: AsyncSession) -> Any:
    return session.info["runtime"].clock.now()


# ---------------------------------------------------------------- emitting events


def emit(session: AsyncSession, organization_id: uuid.UUID, event: str, data: dict[str, Any]) -> None:
    """Queue ``event`` for the organization's subscribers. Cheap when nobody subscribes."""
    pending: list[dict[str, Any]] = session.info.setdefault("webhook_events", [])
    # Snapshot now, as JSON: the caller's objects may change before commit, and ids or dates in them
    # must not break the JSON column later.
    pending.append(
        {"organization_id": organization_id, "event": event, "data": json.loads(json.dumps(data, default=str))}
    )
    if len(pending) == 1:
        # Subscriptions are looked up once per transaction, just before it commits.
        before_commit(session, flush_events)


def _body(
    delivery_id: uuid.UUID, event: str, organization_id: uuid.UUID, now: Any, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": str(delivery_id),
        "event": event,
        "organization_id": str(organization_id),
        "created_at": now.isoformat(),
        "data": data,
    }


def _queue(session: AsyncSession, sub: WebhookSubscription, event: str, data: dict[str, Any]) -> WebhookDelivery:
    now = _now(session)
    delivery_id = new_id()
    delivery = WebhookDelivery(
        id=delivery_id,
        organization_id=sub.organization_id,
        subscription_id=sub.id,
        event=event,
        payload=_body(delivery_id, event, sub.organization_id, now, data),
        status="pending",
        attempts=0,
        created_at=now,
    )
    session.add(delivery)
    enqueue(
        session,
        "webhooks.deliver",
        {"delivery_id": str(delivery_id)},
        organization_id=sub.organization_id,
        max_attempts=MAX_ATTEMPTS,
    )
    return delivery


async def flush_events(session: AsyncSession) -> int:
    """Turn the transaction's emitted events into deliveries, inside the same transaction."""
    pending: list[dict[str, Any]] = session.info.pop("webhook_events", [])
    if not pending:
        return 0
    subs = await repository.active_for(session, {p["organization_id"] for p in pending})
    count = 0
    for item in pending:
        for sub in subs:
            if sub.organization_id == item["organization_id"] and item["event"] in (sub.events or []):
                _queue(session, sub, item["event"], item["data"])
                count += 1
    return count


# ---------------------------------------------------------------- subscriptions


async def _checked_url(session: AsyncSession, raw: str) -> str:
    """Refuse, at the door, what the delivery's SSRF guard would refuse on every attempt."""
    url = raw.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        raise ValidationFailed(f"{raw!r} is not a valid URL.", code="invalid_url") from None
    if parts.username or parts.password:
        raise ValidationFailed(
            "Credentials in the URL are not sent; verify deliveries with the signature instead.",
            code="invalid_url",
        )
    settings = session.info["runtime"].settings
    try:
        await check_url(url, allow_private=settings.allow_private_network_targets)
    except BlockedTarget as exc:
        raise ValidationFailed(exc.message, code=exc.code, details={"url": url}) from None
    except ValueError:  # an unencodable host name, a NUL byte
        raise ValidationFailed(f"{raw!r} is not a valid URL.", code="invalid_url") from None
    return url


def _checked_events(events: list[str]) -> list[str]:
    unknown = sorted({e for e in events if e not in EVENTS})
    if unknown:
        raise ValidationFailed(
            "Unknown events: " + ", ".join(unknown),
            code="invalid_events",
            details={"unknown": unknown, "allowed": list(EVENTS)},
        )
    return sorted(set(events))


async def list_webhooks(session: AsyncSession, scope: OrgScope) -> list[WebhookSubscription]:
    return await repository.list_subscriptions(session, scope.ids)


async def get_webhook(session: AsyncSession, scope: OrgScope, webhook_id: uuid.UUID) -> WebhookSubscription:
    sub = await repository.get(session, scope.ids, webhook_id)
    if sub is None:
        raise NotFound("No such webhook.")
    return sub


def _new_secret() -> str:
    return SECRET_PREFIX + new_token(32)


async def create_webhook(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.WebhookCreate
) -> tuple[WebhookSubscription, str]:
    events = _checked_events(data.events)
    url = await _checked_url(session, data.url)
    secret = _new_secret()
    sub = WebhookSubscription(
        organization_id=scope.organization_id,
        url=url,
        events=events,
        secret_encrypted=session.info["runtime"].secrets.encrypt(secret),
        active=data.active,
        description=data.description.strip(),
        created_at=_now(session),
    )
    session.add(sub)
    await session.flush()
    record(
        session,
        "webhook.created",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="webhook",
        target_id=sub.id,
        details={"url": url, "events": events},
    )
    return sub, secret


async def update_webhook(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, webhook_id: uuid.UUID, data: schemas.WebhookUpdate
) -> WebhookSubscription:
    sub = await get_webhook(session, scope, webhook_id)
    values = data.model_dump(exclude_unset=True)
    for field, value in values.items():
        if value is None:
            raise ValidationFailed(f"{field} cannot be null; leave it out to keep it.", code="null_not_allowed")
    changed: dict[str, Any] = {}
    if "url" in values:
        url = await _checked_url(session, values["url"])
        if url != sub.url:
            changed["url"] = {"from": sub.url, "to": url}
            sub.url = url
    if "events" in values:
        events = _checked_events(values["events"])
        if events != sorted(sub.events or []):
            changed["events"] = {"from": sub.events, "to": events}
            sub.events = events
    if "description" in values and values["description"].strip() != sub.description:
        sub.description = values["description"].strip()
        changed["description"] = True
    if "active" in values and values["active"] != sub.active:
        changed["active"] = {"from": sub.active, "to": values["active"]}
        sub.active = values["active"]
    if changed:
        record(
            session,
            "webhook.updated",
            organization_id=sub.organization_id,
            subject=subject,
            target_type="webhook",
            target_id=sub.id,
            details={"changes": changed},
        )
    return sub


async def delete_webhook(session: AsyncSession, scope: OrgScope, subject: AuthSubject, webhook_id: uuid.UUID) -> None:
    """Deliveries go with it; jobs still queued for them find nothing and end."""
    sub = await get_webhook(session, scope, webhook_id)
    record(
        session,
        "webhook.deleted",
        organization_id=sub.organization_id,
        subject=subject,
        target_type="webhook",
        target_id=sub.id,
        details={"url": sub.url},
    )
    await repository.delete_subscription(session, sub)
    await session.flush()


async def rotate_secret(session: AsyncSession, scope: OrgScope, subject: AuthSubject, webhook_id: uuid.UUID) -> str:
    """Deliveries sent from now on are signed with the new secret, retries of older ones included."""
    sub = await get_webhook(session, scope, webhook_id)
    secret = _new_secret()
    sub.secret_encrypted = session.info["runtime"].secrets.encrypt(secret)
    record(
        session,
        "webhook.secret_rotated",
        organization_id=sub.organization_id,
        subject=subject,
        target_type="webhook",
        target_id=sub.id,
    )
    return secret


async def send_test(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, webhook_id: uuid.UUID
) -> WebhookDelivery:
    """Queue a ``webhook.test`` delivery to this subscription alone, by the same path as real events.

    It is sent even while the subscription is paused, so a receiver can be tried before it goes live.
    """
    sub = await get_webhook(session, scope, webhook_id)
    delivery = _queue(
        session,
        sub,
        TEST_EVENT,
        {"webhook_id": str(sub.id), "message": "This is a test delivery from Frontdesk.", "sent_by": subject.label},
    )
    await session.flush()
    return delivery


async def list_deliveries(
    session: AsyncSession,
    scope: OrgScope,
    webhook_id: uuid.UUID,
    *,
    paging: PageParams,
    status: str | None = None,
    event: str | None = None,
) -> tuple[list[WebhookDelivery], int]:
    sub = await get_webhook(session, scope, webhook_id)
    return await paginate(session, repository.deliveries(scope.ids, sub.id, status=status, event=event), paging)
