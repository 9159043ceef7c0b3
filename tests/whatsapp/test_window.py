"""The 24-hour customer-service window: outside it only approved templates go out."""

from __future__ import annotations

import pytest

from frontdesk.kit.clock import FrozenClock
from tests.whatsapp.conftest import WhatsAppInbox, wait_for

CUSTOMER = "15557654321"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


async def test_templates_sync_and_are_the_only_way_after_24_hours(wa: WhatsAppInbox, clock: FrozenClock) -> None:
    headers = wa.owner.headers
    assert (await wa.post(wa.graph.customer_message(CUSTOMER, "Where is my order?"))).status_code == 200
    conv = await wa.only_conversation()
    window = (await wa.client.get(f"/api/v1/conversations/{conv}/whatsapp/window", headers=headers)).json()
    assert window["open"] is True

    synced = await wa.client.post(f"/api/v1/inboxes/{wa.inbox_id}/whatsapp/templates/sync", headers=headers)
    assert synced.status_code == 200, synced.text
    listed = (await wa.client.get(f"/api/v1/inboxes/{wa.inbox_id}/whatsapp/templates", headers=headers)).json()
    by_name = {t["name"]: t for t in listed}
    assert by_name["order_update"]["parameters"] == 2 and by_name["spring_sale"]["status"] == "REJECTED"

    clock.advance(hours=25)
    # The access token has long expired by then: sign in again.
    login = await wa.client.post("/api/v1/auth/login", json={"email": wa.owner.email, "password": wa.owner.password})
    assert login.status_code == 200, login.text
    headers = {**headers, "Authorization": f"Bearer {login.json()['access_token']}"}
    window = (await wa.client.get(f"/api/v1/conversations/{conv}/whatsapp/window", headers=headers)).json()
    assert window["open"] is False
    refused = await wa.client.post(f"/api/v1/conversations/{conv}/messages", headers=headers, json={"content": "Hi"})
    assert refused.status_code == 409 and refused.json()["code"] == "whatsapp_window_closed"

    wrong = await wa.client.post(
        f"/api/v1/conversations/{conv}/whatsapp/template",
        headers=headers,
        json={"name": "order_update", "language": "en_US", "parameters": ["Ada"]},
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "template_parameters"
    rejected = await wa.client.post(
        f"/api/v1/conversations/{conv}/whatsapp/template",
        headers=headers,
        json={"name": "spring_sale", "language": "en_US"},
    )
    assert rejected.status_code == 422 and rejected.json()["code"] == "template_not_approved"
    sent = await wa.client.post(
        f"/api/v1/conversations/{conv}/whatsapp/template",
        headers=headers,
        json={"name": "order_update", "language": "en_US", "parameters": ["Ada", "#1042"]},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["content"] == "Hello Ada, your order #1042 has shipped."

    async def delivered() -> bool:
        return bool(wa.graph.sent)

    await wait_for(delivered)
    [out] = wa.graph.sent
    assert out["type"] == "template" and out["template"]["name"] == "order_update"
    assert out["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "Ada"},
        {"type": "text", "text": "#1042"},
    ]
