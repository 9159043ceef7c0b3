"""Agents' replies reach WhatsApp through the outbox and pywa_async, on the fake Graph API over loopback."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import select

from frontdesk.channels.outbox_models import OutboxItem
from frontdesk.kit.runtime import Runtime
from tests.whatsapp.conftest import WhatsAppInbox, wait_for

CUSTOMER = "15551230000"


async def open_conversation(wa: WhatsAppInbox, text: str = "Hello, I need help") -> str:
    assert (await wa.post(wa.graph.customer_message(CUSTOMER, text, name="Ada"))).status_code == 200
    return await wa.only_conversation()


async def reply(wa: WhatsAppInbox, conv: str, **body: Any) -> dict[str, Any]:
    r = await wa.client.post(f"/api/v1/conversations/{conv}/messages", headers=wa.owner.headers, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def state(wa: WhatsAppInbox, conv: str, message_id: str) -> str:
    return next(m["delivery_status"] for m in await wa.messages(conv) if m["id"] == message_id)


async def reaches(wa: WhatsAppInbox, conv: str, message_id: str, *wanted: str) -> None:
    async def check() -> bool:
        return await state(wa, conv, message_id) in wanted

    await wait_for(check)


async def test_text_reply_is_sent_with_its_idempotency_key_and_gets_statuses(wa: WhatsAppInbox) -> None:
    conv = await open_conversation(wa)
    sent = await reply(wa, conv, content="We are on it.")
    assert sent["delivery_status"] == "pending"
    # The sandbox answers with "sent" and "delivered" status webhooks, signed like Meta's.
    await reaches(wa, conv, sent["id"], "delivered")
    [out] = wa.graph.sent
    assert out["to"] == CUSTOMER and out["type"] == "text" and out["text"]["body"] == "We are on it."
    assert out["biz_opaque_callback_data"] == f"frontdesk-msg-{sent['id']}"


async def test_private_notes_never_leave(wa: WhatsAppInbox, runtime: Runtime) -> None:
    conv = await open_conversation(wa)
    await reply(wa, conv, content="internal only", private=True)
    await asyncio.sleep(0.3)
    assert wa.graph.sent == []
    async with runtime.sessionmaker() as s:
        assert list(await s.scalars(select(OutboxItem))) == []


async def test_choices_become_buttons_or_a_list_within_whatsapp_limits(wa: WhatsAppInbox) -> None:
    conv = await open_conversation(wa)
    buttons = [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}]
    a = await reply(wa, conv, content="Did that help?", content_type="choices", choices=buttons)
    rows = [{"id": f"slot{i}", "label": f"Tuesday {i}:00 slot"} for i in range(9, 14)]
    b = await reply(wa, conv, content="Pick a time", content_type="choices", choices=rows)
    await reaches(wa, conv, a["id"], "sent", "delivered")
    await reaches(wa, conv, b["id"], "sent", "delivered")
    first, second = wa.graph.sent
    assert first["interactive"]["type"] == "button"
    assert [x["reply"]["title"] for x in first["interactive"]["action"]["buttons"]] == ["Yes", "No"]
    assert second["interactive"]["type"] == "list"
    assert len(second["interactive"]["action"]["sections"][0]["rows"]) == 5
    too_long = [{"id": "a", "label": "x" * 30}]
    r = await wa.client.post(
        f"/api/v1/conversations/{conv}/messages",
        headers=wa.owner.headers,
        json={"content": "?", "content_type": "choices", "choices": too_long},
    )
    assert r.status_code == 422 and r.json()["code"] == "whatsapp_limit"
    assert len(wa.graph.sent) == 2


async def test_server_errors_are_retried_and_messages_arrive_in_order(wa: WhatsAppInbox) -> None:
    conv = await open_conversation(wa)
    wa.graph.auto_status = False
    wa.graph.fail_until = time.monotonic() + 1.5  # the Graph API answers 500 for a while
    ids = [(await reply(wa, conv, content=f"part {n}"))["id"] for n in range(1, 5)]
    for mid in ids:
        await reaches(wa, conv, mid, "sent")
    assert [m["text"]["body"] for m in wa.graph.sent] == ["part 1", "part 2", "part 3", "part 4"]


async def test_throttling_is_retried(wa: WhatsAppInbox, runtime: Runtime) -> None:
    conv = await open_conversation(wa)
    wa.graph.fail_next.extend([(429, 130429, "Rate limit hit"), (503, 133004, "Server temporarily unavailable")])
    sent = await reply(wa, conv, content="after the storm")
    await reaches(wa, conv, sent["id"], "sent", "delivered")
    async with runtime.sessionmaker() as s:
        item = await s.scalar(select(OutboxItem))
        assert item is not None and item.attempts == 3 and item.status == "sent"
    assert len(wa.graph.sent) == 1


async def test_permanent_error_marks_failed_tells_the_agent_and_the_next_goes_out(wa: WhatsAppInbox) -> None:
    conv = await open_conversation(wa)
    wa.graph.fail_next.append((400, 131026, "Message undeliverable"))
    bad = await reply(wa, conv, content="never arrives")
    good = await reply(wa, conv, content="this one does")
    await reaches(wa, conv, bad["id"], "failed")
    await reaches(wa, conv, good["id"], "sent", "delivered")
    msgs = await wa.messages(conv)
    failed = next(m for m in msgs if m["id"] == bad["id"])
    assert "131026" in failed["delivery_error"]
    assert any(m["private"] and "could not be delivered" in m["content"] for m in msgs)
    assert [m["text"]["body"] for m in wa.graph.sent] == ["this one does"]


async def test_opt_out_and_opt_in(wa: WhatsAppInbox) -> None:
    conv = await open_conversation(wa)
    assert (await wa.post(wa.graph.customer_message(CUSTOMER, "STOP"))).status_code == 200

    async def opted_out() -> bool:
        r = await wa.client.get(f"/api/v1/conversations/{conv}/whatsapp/window", headers=wa.owner.headers)
        return bool(r.json()["opted_out"])

    await wait_for(opted_out)
    r = await wa.client.post(f"/api/v1/conversations/{conv}/messages", headers=wa.owner.headers, json={"content": "x"})
    assert r.status_code == 409 and r.json()["code"] == "contact_opted_out"
    assert (await wa.post(wa.graph.customer_message(CUSTOMER, "start"))).status_code == 200

    async def opted_in() -> bool:
        return not await opted_out()

    await wait_for(opted_in)
    ok = await reply(wa, conv, content="Welcome back")
    await reaches(wa, conv, ok["id"], "sent", "delivered")


async def test_mark_read_and_typing(wa: WhatsAppInbox) -> None:
    conv = await open_conversation(wa)
    await wait_for(lambda: wa.messages(conv))
    for typing in (False, True):
        r = await wa.client.post(
            f"/api/v1/conversations/{conv}/whatsapp/read", headers=wa.owner.headers, json={"typing": typing}
        )
        assert r.status_code == 204, r.text
    first, second = wa.graph.reads
    assert first["status"] == "read" and first["message_id"].startswith("wamid.")
    assert second["typing_indicator"] == {"type": "text"}
