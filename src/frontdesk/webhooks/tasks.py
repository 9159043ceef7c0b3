"""Delivering webhook events: signed POSTs, retried with backoff on 408/429/5xx, timeouts and network
errors; never retried on other answers (a 404 or 401 will not heal by itself).

Delivery is at least once: a process that dies after the receiver answered but before the outcome
was stored sends again. Receivers deduplicate on ``X-Frontdesk-Delivery`` (the same as the body's
``id``), which stays the same across retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import httpx
import structlog

from frontdesk.kit.db import transaction
from frontdesk.kit.http import BlockedTarget, guarded_request
from frontdesk.kit.jobs import Job, JobContext, job_handler
from frontdesk.webhooks.models import WebhookDelivery, WebhookSubscription
from frontdesk.webhooks.service import MAX_ATTEMPTS, TEST_EVENT

log = structlog.get_logger("frontdesk.webhooks")

TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 4096
FINAL = ("delivered", "failed")


class RetryDelivery(Exception):
    """Raised so the job runs again after the backoff; the delivery row already says why."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _retryable_status(status: int) -> bool:
    return status in (408, 429) or status >= 500


@job_handler("webhooks.deliver")
async def deliver(ctx: JobContext) -> None:
    runtime = ctx.runtime
    delivery_id = uuid.UUID(ctx.payload["delivery_id"])
    async with transaction(runtime.sessionmaker) as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status in FINAL:
            return  # the subscription was deleted, or an earlier run finished before its process died
        job = await session.get(Job, ctx.job_id)
        max_attempts = job.max_attempts if job is not None else MAX_ATTEMPTS
        sub = await session.get(WebhookSubscription, delivery.subscription_id)
        if sub is None or (not sub.active and delivery.event != TEST_EVENT):
            delivery.status, delivery.error = "failed", "The subscription was paused before this was sent."
            return
        try:
            secret = runtime.secrets.decrypt(sub.secret_encrypted)
        except ValueError:
            delivery.status = "failed"
            delivery.error = "The signing secret cannot be decrypted with this installation's key; rotate it."
            return
        url = sub.url
        body = json.dumps(delivery.payload, separators=(",", ":"), default=str).encode()
        event = delivery.event
    timestamp = str(int(runtime.clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-Frontdesk-Event": event,
        "X-Frontdesk-Delivery": str(delivery_id),
        "X-Frontdesk-Attempt": str(ctx.attempt),
        "X-Frontdesk-Timestamp": timestamp,
        "X-Frontdesk-Signature": signature(secret, timestamp, body),
    }
    status: int | None = None
    text = ""
    error: str | None = None
    retry = False
    try:
        response = await guarded_request(
            "POST",
            url,
            headers=headers,
            content=body,
            timeout=TIMEOUT_SECONDS,
            max_bytes=MAX_RESPONSE_BYTES,
            allow_private=runtime.settings.allow_private_network_targets,
        )
        status, text = response.status, response.text()
    except BlockedTarget as exc:
        # A name that does not resolve may be a DNS hiccup; an address the guard refuses stays refused.
        error, retry = exc.message, exc.code == "unresolvable_host"
    except httpx.TimeoutException:
        error, retry = f"No answer within {TIMEOUT_SECONDS:g} seconds.", True
    except httpx.HTTPError as exc:
        error, retry = f"{type(exc).__name__}: {exc}", True
    except ValueError as exc:  # a URL httpx cannot send (stored before stricter checks, say)
        error = f"The URL cannot be called: {exc}"
    if status is not None:
        retry = _retryable_status(status)
        if not 200 <= status < 300 and error is None:
            error = f"The receiver answered HTTP {status}."
    ok = status is not None and 200 <= status < 300
    async with transaction(runtime.sessionmaker) as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status in FINAL:
            return
        delivery.attempts = ctx.attempt
        delivery.response_status = status
        delivery.response_body = text[:2000] if text else None
        delivery.error = None if ok else error
        if ok:
            delivery.status, delivery.delivered_at = "delivered", runtime.clock.now()
        elif retry and ctx.attempt < max_attempts:
            delivery.status = "retrying"
        else:
            delivery.status = "failed"
        outcome = delivery.status
    if outcome == "retrying":
        raise RetryDelivery(error)
    if outcome == "failed":
        # Recorded in the delivery log the organization reads; the job itself is done, not dead,
        # because nothing on our side needs an operator.
        log.info("webhook_failed", delivery_id=str(delivery_id), attempt=ctx.attempt, error=error)
