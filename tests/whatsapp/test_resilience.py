"""Timeouts, oversized media: the Graph API misbehaving in ways a test module needs its own settings for."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from frontdesk.channels.outbox_models import OutboxItem
from frontdesk.channels.whatsapp.sandbox import Sandbox
from frontdesk.kit.runtime import Runtime
from tests.whatsapp.conftest import WhatsAppInbox, corpus, wait_for


@pytest.fixture
def settings_overrides(graph: Sandbox) -> dict[str, Any]:
    return {
        "whatsapp_graph_url": graph.base_url,
        "whatsapp_timeout_seconds": 0.3,
        "outbox_backoff_base_seconds": 0.05,
        "outbox_max_backoff_seconds": 0.4,
        "whatsapp_media_max_bytes": 1000,
    }


async def test_a_timeout_is_retried_and_the_retry_is_not_a_second_message(wa: WhatsAppInbox, runtime: Runtime) -> None:
    assert (await wa.post(wa.graph.customer_message("15550001234", "hi"))).status_code == 200
    conv = await wa.only_conversation()
    wa.graph.latency = 1.0  # longer than the client's timeout: the first attempt times out
    r = await wa.client.post(f"/api/v1/conversations/{conv}/messages", headers=wa.owner.headers, json={"content": "ok"})
    assert r.status_code == 201

    async def timed_out() -> bool:
        async with runtime.sessionmaker() as s:
            item = await s.scalar(select(OutboxItem))
            return item is not None and item.error_code == "timeout"

    await wait_for(timed_out)
    wa.graph.latency = 0.0

    async def sent() -> OutboxItem | None:
        async with runtime.sessionmaker() as s:
            item = await s.scalar(select(OutboxItem))
            return item if item is not None and item.status == "sent" else None

    item = await wait_for(sent)
    assert item.attempts >= 2
    # The timed-out request did reach the API; the retry carried the same idempotency key.
    assert len(wa.graph.sent) == 1 and wa.graph.sent[0]["id"] == item.external_id


async def test_media_over_the_limit_is_shown_as_too_large(wa: WhatsAppInbox) -> None:
    wa.graph.media["65463453"] = (b"\xff\xd8\xff" + b"\x00" * 5000, "image/jpeg")
    assert (await wa.post(corpus("message__image.json"))).status_code == 200
    [m] = await wait_for(wa.customer_messages)
    [att] = m["attachments"]
    assert att["error"] == "too_large" and att["limit"] == 1000 and "url" not in att
