"""The one webhook route: handshake, signatures, routing, storage once, bad input."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import func, select

from frontdesk.channels.whatsapp.models import WhatsAppDelivery
from frontdesk.channels.whatsapp.signature import HEADER, sign
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account
from tests.whatsapp.conftest import VERIFY_TOKEN, WEBHOOK, WhatsAppInbox, corpus, make_inbox, wait_for


async def deliveries(runtime: Runtime) -> int:
    async with runtime.sessionmaker() as s:
        return int(await s.scalar(select(func.count()).select_from(WhatsAppDelivery)) or 0)


async def test_handshake_echoes_the_challenge_only_for_our_verify_token(wa: WhatsAppInbox) -> None:
    ok = await wa.client.get(
        WEBHOOK, params={"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN}
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = await wa.client.get(
        WEBHOOK, params={"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "vibecoding"}
    )
    assert bad.status_code == 403 and "1158201444" not in bad.text
    missing = await wa.client.get(WEBHOOK, params={"hub.mode": "subscribe", "hub.challenge": "1"})
    assert missing.status_code == 403


async def test_signed_text_is_stored_once_and_shown(wa: WhatsAppInbox, runtime: Runtime) -> None:
    r = await wa.post(corpus("message__text.json"))
    assert r.status_code == 200 and r.json()["stored"] == 1
    again = await wa.post(corpus("message__text.json"))
    assert again.status_code == 200 and again.json() == {"stored": 0, "duplicates": 1, "ignored": 0}
    conv = await wa.only_conversation()
    msgs = await wait_for(lambda: wa.messages(conv))
    assert [(m["direction"], m["content"]) for m in msgs] == [("in", "Body Text")]
    assert await deliveries(runtime) == 1


async def test_bad_and_missing_signatures_store_nothing(wa: WhatsAppInbox, runtime: Runtime) -> None:
    body = corpus("message__text.json")
    unsigned = await wa.client.post(WEBHOOK, content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "signature_missing"
    forged = await wa.post(body, secret="not-the-app-secret")
    assert forged.status_code == 403 and forged.json()["code"] == "bad_signature"
    # A signature over other bytes (the JSON re-serialised) does not pass either.
    reserialised = json.dumps(json.loads(body)).encode()
    tampered = await wa.client.post(
        WEBHOOK, content=body, headers={HEADER: sign(wa.graph.app_secret, reserialised + b" ")}
    )
    assert tampered.status_code == 403
    assert await deliveries(runtime) == 0
    assert await wa.conversations() == []


async def test_bad_bodies_are_refused_with_a_code(wa: WhatsAppInbox, runtime: Runtime) -> None:
    not_json = await wa.post(b"this is not json")
    assert not_json.status_code == 400 and not_json.json()["code"] == "malformed_payload"
    no_entry = await wa.post({"object": "whatsapp_business_account"})
    assert no_entry.status_code == 400
    unknown = json.loads(corpus("message__text.json"))
    unknown["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999"
    r = await wa.post(unknown)
    assert r.status_code == 404 and r.json()["code"] == "unknown_phone_number"
    assert await deliveries(runtime) == 0


async def test_a_payload_missing_fields_is_stored_but_marked_failed(wa: WhatsAppInbox, runtime: Runtime) -> None:
    body = json.loads(corpus("message__text.json"))
    del body["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
    assert (await wa.post(body)).status_code == 200

    async def failed() -> bool:
        async with runtime.sessionmaker() as s:
            row = await s.scalar(select(WhatsAppDelivery))
            return row is not None and row.status == "failed" and "from" in (row.error or "")

    await wait_for(failed)
    assert await wa.conversations() == []


async def test_retry_storm_leaves_one_message(wa: WhatsAppInbox, runtime: Runtime) -> None:
    body = corpus("message__reply.json")
    answers = await asyncio.gather(*(wa.post(body) for _ in range(10)))
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    assert sum(r.json()["stored"] for r in answers) == 1
    conv = await wa.only_conversation()
    await wait_for(lambda: wa.messages(conv))
    await asyncio.sleep(0.3)
    assert len(await wa.messages(conv)) == 1
    assert await deliveries(runtime) == 1


async def test_numbers_route_to_their_own_organization(
    client: httpx.AsyncClient, wa: WhatsAppInbox, other_owner: Account
) -> None:
    other = await make_inbox(client, other_owner, wa.graph, phone_number_id="777000777")
    body = json.loads(corpus("message__text.json"))
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "777000777"
    assert (await other.post(body)).status_code == 200
    await other.only_conversation()
    assert await wa.conversations() == []
    # One number belongs to one inbox.
    r = await client.patch(
        f"/api/v1/inboxes/{wa.inbox_id}/whatsapp", headers=wa.owner.headers, json={"phone_number_id": "777000777"}
    )
    assert r.status_code == 409 and r.json()["code"] == "phone_number_taken"


async def test_settings_never_return_secrets(wa: WhatsAppInbox) -> None:
    r = await wa.client.get(f"/api/v1/inboxes/{wa.inbox_id}/whatsapp", headers=wa.owner.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["has_access_token"] and body["has_app_secret"]
    assert wa.graph.access_token not in r.text and wa.graph.app_secret not in r.text
    assert body["callback_url"].endswith(WEBHOOK)
    check = await wa.client.post(f"/api/v1/inboxes/{wa.inbox_id}/whatsapp/check", headers=wa.owner.headers)
    assert check.status_code == 200 and check.json()["ok"], check.text
    assert check.json()["verified_name"] == wa.graph.verified_name
    bad = await wa.client.patch(
        f"/api/v1/inboxes/{wa.inbox_id}/whatsapp", headers=wa.owner.headers, json={"access_token": "wrong"}
    )
    assert bad.status_code == 200
    check = await wa.client.post(f"/api/v1/inboxes/{wa.inbox_id}/whatsapp/check", headers=wa.owner.headers)
    assert check.json()["ok"] is False and "190" in check.json()["error"]
