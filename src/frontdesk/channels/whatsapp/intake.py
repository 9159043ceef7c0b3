"""The one webhook route of the installation: handshake, signature, routing, storage.

Nothing is parsed beyond routing before the signature is checked, and nothing is stored unless it
is valid. The raw body is kept under a unique (inbox, SHA-256 of the body), so Meta's retries of the
same delivery, however many arrive at once, are stored and processed once.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.exc import IntegrityError

from frontdesk.channels.whatsapp import parse, repository, signature
from frontdesk.channels.whatsapp.client import WhatsAppConfig
from frontdesk.channels.whatsapp.models import WhatsAppDelivery
from frontdesk.kit.crypto import constant_time_equal
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import BadRequest, Forbidden, NotFound, Unauthorized
from frontdesk.kit.jobs import enqueue

if TYPE_CHECKING:
    from frontdesk.kit.runtime import Runtime

log = structlog.get_logger("frontdesk.whatsapp")

PROCESS_JOB = "whatsapp.process"


async def handshake(runtime: Runtime, mode: str, token: str, challenge: str) -> str:
    """Meta's GET: echo the challenge when the verify token is one of our WhatsApp inboxes'."""
    if mode != "subscribe" or not token or not challenge:
        raise Forbidden("This is not a webhook verification request.", code="bad_verification")
    async with runtime.read_sessionmaker() as session:
        inboxes = await repository.whatsapp_inboxes(session)
    matched = False
    for inbox in inboxes:
        # Every inbox is compared, so the time taken does not say which one matched.
        expected = str((inbox.config or {}).get("verify_token") or "")
        matched |= bool(expected) and constant_time_equal(expected, token)
    if not matched:
        log.warning("whatsapp_verification_refused")
        raise Forbidden("The verify token does not match any WhatsApp inbox.", code="bad_verify_token")
    return challenge


async def receive(runtime: Runtime, body: bytes, signature_header: str | None) -> dict[str, int]:
    """Check, route and store one POST; returns how many deliveries were stored and were duplicates."""
    if not signature_header:
        log.warning("whatsapp_webhook_unsigned", size=len(body))
        raise Unauthorized("The request is not signed (X-Hub-Signature-256).", code="signature_missing")
    try:
        data = parse.load(body)
        numbers = parse.phone_number_ids(data)
    except parse.MalformedPayload as exc:
        log.warning("whatsapp_webhook_malformed", error=str(exc))
        raise BadRequest(str(exc), code="malformed_payload") from None
    async with runtime.read_sessionmaker() as session:
        if not numbers:
            # Account, template and call-level events name no number: check the signature against any
            # of our apps, then log and drop them.
            secrets = [WhatsAppConfig.app_secret_of(runtime, i) for i in await repository.whatsapp_inboxes(session)]
            if not any(s and signature.valid(s, body, signature_header) for s in secrets):
                log.warning("whatsapp_webhook_bad_signature", phone_number_id=None)
                raise Forbidden("The signature does not match.", code="bad_signature")
            fields = sorted({field for field, _, _ in parse.changes(data)})
            log.info("whatsapp_webhook_ignored", fields=fields)
            return {"stored": 0, "duplicates": 0, "ignored": 1}
        targets = []
        for number in numbers:
            inbox = await repository.inbox_for_number(session, number)
            if inbox is None:
                log.warning("whatsapp_webhook_unknown_number", phone_number_id=number)
                raise NotFound("No inbox has this phone number id.", code="unknown_phone_number")
            secret = WhatsAppConfig.app_secret_of(runtime, inbox)
            if not secret or not signature.valid(secret, body, signature_header):
                log.warning("whatsapp_webhook_bad_signature", phone_number_id=number)
                raise Forbidden("The signature does not match.", code="bad_signature")
            targets.append(inbox)
    digest = hashlib.sha256(body).hexdigest()
    text = body.decode("utf-8", errors="replace")
    stored = duplicates = 0
    for inbox in targets:
        try:
            async with transaction(runtime.sessionmaker) as session:
                row = WhatsAppDelivery(
                    organization_id=inbox.organization_id,
                    inbox_id=inbox.id,
                    external_id=digest,
                    body=text,
                    status="received",
                    created_at=runtime.clock.now(),
                )
                session.add(row)
                await session.flush()
                enqueue(
                    session,
                    PROCESS_JOB,
                    {"delivery_id": str(row.id)},
                    organization_id=inbox.organization_id,
                    dedupe_key=f"whatsapp:{row.id}",
                )
            stored += 1
        except IntegrityError:
            duplicates += 1
            log.info("whatsapp_webhook_duplicate", inbox_id=str(inbox.id))
    return {"stored": stored, "duplicates": duplicates, "ignored": 0}
