"""Delivering webhook events: signed POSTs, retried with backoff on 429/5xx/timeouts, never on other 4xx."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import httpx

from frontdesk.kit.db import transaction
from frontdesk.kit.errors import BadRequest
from frontdesk.kit.http import guarded_request
from frontdesk.kit.jobs import JobContext, PermanentJobError, job_handler
from frontdesk.webhooks.models import WebhookDelivery, WebhookSubscription


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@job_handler("webhooks.deliver")
async def deliver(ctx: JobContext) -> None:
    runtime = ctx.runtime
    delivery_id = uuid.UUID(ctx.payload["delivery_id"])
    async with transaction(runtime.sessionmaker) as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status in ("delivered", "failed"):
            return
        sub = await session.get(WebhookSubscription, delivery.subscription_id)
        if sub is None or not sub.active:
            delivery.status, delivery.error = "failed", "subscription removed or paused"
            return
        url, secret = sub.url, runtime.secrets.decrypt(sub.secret_encrypted)
        body = json.dumps(delivery.payload, separators=(",", ":"), default=str).encode()
        event = delivery.event
    timestamp = str(int(runtime.clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-Frontdesk-Event": event,
        "X-Frontdesk-Delivery": str(delivery_id),
        "X-Frontdesk-Timestamp": timestamp,
        "X-Frontdesk-Signature": signature(secret, timestamp, body),
    }
    status: int | None = None
    text = ""
    error: str | None = None
    try:
        response = await guarded_request(
            "POST",
            url,
            headers=headers,
            content=body,
            timeout=10.0,
            max_bytes=4096,
            allow_private=runtime.settings.allow_private_network_targets,
        )
        status, text = response.status, response.text()
    except BadRequest as exc:  # the SSRF guard, or a host that does not resolve
        error = exc.message
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    retry = error is not None and "private" not in error or (status is not None and (status == 429 or status >= 500))
    ok = status is not None and 200 <= status < 300
    async with transaction(runtime.sessionmaker) as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return
        delivery.attempts = ctx.attempt
        delivery.response_status = status
        delivery.response_body = text[:2000] if text else None
        delivery.error = error
        if ok:
            delivery.status, delivery.delivered_at = "delivered", runtime.clock.now()
        elif retry and ctx.attempt < runtime.settings.job_max_attempts:
            delivery.status = "retrying"
        else:
            delivery.status = "failed"
    if ok:
        return
    if delivery.status == "retrying":
        raise RuntimeError(error or f"HTTP {status}")
    raise PermanentJobError(error or f"HTTP {status}")
