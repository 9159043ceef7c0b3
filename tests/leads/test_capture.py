"""Capturing leads: from the API, the widget's pre-chat form and the service other domains call;
never silently overwriting (history), and refusing invalid emails and phone numbers."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from frontdesk.flows import events
from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from frontdesk.leads.models import LeadChange
from frontdesk.leads.service import capture_lead
from tests.conftest import Account, join
from tests.conversations.helpers import customer_writes, make_inbox


async def test_api_capture_creates_contact_and_lead(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.post(
        "/api/v1/leads",
        headers=owner.headers,
        json={"name": "Ada Lovelace", "email": "Ada@Example.COM", "phone": "+44 20 7946 0958", "need": "a website"},
    )
    assert r.status_code == 201, r.text
    lead = r.json()
    assert lead["email"] == "Ada@example.com"
    assert lead["phone"] == "+442079460958"
    assert lead["status"] == "new"
    assert lead["source"] == "api"
    assert lead["rejected"] == {}
    assert lead["score"] == 25 + 15 + 10 + 20
    contact = (await client.get(f"/api/v1/contacts/{lead['contact_id']}", headers=owner.headers)).json()
    assert contact["name"] == "Ada Lovelace"
    assert contact["email"] == "Ada@example.com"

    again = await client.post(
        "/api/v1/leads", headers=owner.headers, json={"email": "ada@example.com", "company": "AE"}
    )
    # Same email, same contact: merged into the one lead, not a second one.
    assert again.json()["id"] == lead["id"]
    assert again.json()["company"] == "AE"
    listed = (await client.get("/api/v1/leads", headers=owner.headers)).json()
    assert listed["total"] == 1


async def test_invalid_email_and_phone_are_reported_not_stored(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.post(
        "/api/v1/leads",
        headers=owner.headers,
        json={"name": "Bob", "email": "bob@@example", "phone": "030 1234567"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["email"] is None and body["phone"] is None
    assert set(body["rejected"]) == {"email", "phone"}
    assert "international" in body["rejected"]["phone"]
    for bad in ("+0123456789", "+12", "+1234567890123456", "12345678"):
        r = await client.patch(f"/api/v1/leads/{body['id']}", headers=owner.headers, json={"phone": bad})
        assert r.status_code == 200
        assert "phone" in r.json()["rejected"], bad
        assert r.json()["phone"] is None
    r = await client.patch(f"/api/v1/leads/{body['id']}", headers=owner.headers, json={"phone": "0049 151 2345 6789"})
    assert r.json()["phone"] == "+4915123456789"


async def test_lead_without_anything_is_refused(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.post("/api/v1/leads", headers=owner.headers, json={"need": "something"})
    assert r.status_code == 422
    assert r.json()["code"] == "lead_empty"


async def test_overwrite_keeps_history_and_blank_never_erases(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    inbox = await make_inbox(runtime, owner)
    customer = await customer_writes(runtime, inbox, "visitor-1", "hi, I'm Carla")
    org = uuid.UUID(owner.organization_id)
    contact = uuid.UUID(customer.contact_id)
    async with transaction(runtime.sessionmaker) as session:
        lead = await capture_lead(
            session,
            organization_id=org,
            contact_id=contact,
            source="assistant",
            fields={"name": "Carla", "email": "carla@old.example"},
            conversation_id=uuid.UUID(customer.conversation_id),
            message_id=uuid.UUID(customer.message_id),
        )
        lead_id = lead.id
    async with transaction(runtime.sessionmaker) as session:
        lead = await capture_lead(
            session,
            organization_id=org,
            contact_id=contact,
            source="flow",
            fields={"email": "carla@new.example", "name": "", "company": None, "budget": "5k EUR"},
        )
        assert lead.id == lead_id
    detail = (await client.get(f"/api/v1/leads/{lead_id}", headers=owner.headers)).json()
    assert detail["email"] == "carla@new.example"
    assert detail["name"] == "Carla"  # an empty value never blanks a field
    assert detail["source"] == "assistant"
    emails = [h for h in detail["history"] if h["field"] == "email"]
    assert {(h["old_value"], h["new_value"], h["source"]) for h in emails} == {
        (None, "carla@old.example", "assistant"),
        ("carla@old.example", "carla@new.example", "flow"),
    }
    first = next(h for h in emails if h["old_value"] is None)
    assert first["message_id"] == customer.message_id
    async with runtime.sessionmaker() as session:
        n = len(list(await session.scalars(select(LeadChange).where(LeadChange.lead_id == lead_id))))
        assert n == 4  # name, email (twice), budget


async def test_new_lead_fires_flow_event_once(runtime: Runtime, owner: Account, monkeypatch: object) -> None:
    fired: list[tuple[str, dict[str, object]]] = []
    original = events.fire

    async def spy(session, organization_id, event, **kw):  # type: ignore[no-untyped-def]
        fired.append((event, kw))
        await original(session, organization_id, event, **kw)

    import pytest

    mp = pytest.MonkeyPatch()
    mp.setattr(events, "fire", spy)
    try:
        inbox = await make_inbox(runtime, owner)
        customer = await customer_writes(runtime, inbox, "visitor-2", "hello")
        for email in ("one@example.com", "two@example.com"):
            async with transaction(runtime.sessionmaker) as session:
                await capture_lead(
                    session,
                    organization_id=uuid.UUID(owner.organization_id),
                    contact_id=uuid.UUID(customer.contact_id),
                    source="assistant",
                    fields={"email": email},
                    conversation_id=uuid.UUID(customer.conversation_id),
                )
    finally:
        mp.undo()
    captured = [kw for name, kw in fired if name == "lead_captured"]
    assert len(captured) == 1
    assert captured[0]["contact_id"] == uuid.UUID(customer.contact_id)
    assert captured[0]["conversation_id"] == uuid.UUID(customer.conversation_id)
    assert captured[0]["data"]["email"] == "one@example.com"  # type: ignore[index]


async def test_prechat_form_captures_a_lead(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    inbox_id = await make_inbox(runtime, owner, prechat_fields=["name", "email"])
    async with runtime.sessionmaker() as session:
        from frontdesk.inboxes.models import Inbox

        inbox = await session.get(Inbox, uuid.UUID(inbox_id))
        assert inbox is not None
        token = inbox.public_token
    session_r = await client.post(f"/api/v1/widget/{token}/session", json={})
    assert session_r.status_code in (200, 201), session_r.text
    visitor = session_r.json()
    headers = {"Authorization": f"Bearer {visitor['visitor_token']}"} if "visitor_token" in visitor else {}
    r = await client.post(
        f"/api/v1/widget/{token}/prechat",
        headers=headers,
        json={"name": "Dora Prechat", "email": "dora@example.com", "phone": "+33 1 23 45 67 89"},
    )
    assert r.status_code == 200, r.text
    leads = (await client.get("/api/v1/leads", headers=owner.headers, params={"source": "prechat"})).json()
    assert leads["total"] == 1
    lead = leads["items"][0]
    assert (lead["name"], lead["email"], lead["phone"]) == ("Dora Prechat", "dora@example.com", "+33123456789")


async def test_viewer_cannot_write_and_other_org_sees_nothing(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    viewer = await join(client, owner, "viewer")
    created = (await client.post("/api/v1/leads", headers=owner.headers, json={"name": "Eve"})).json()
    r = await client.post("/api/v1/leads", headers=viewer.headers, json={"name": "Mallory"})
    assert r.status_code == 403
    assert (await client.get(f"/api/v1/leads/{created['id']}", headers=viewer.headers)).status_code == 200
    assert (await client.get(f"/api/v1/leads/{created['id']}", headers=other_owner.headers)).status_code == 404
    r = await client.patch(f"/api/v1/leads/{created['id']}", headers=other_owner.headers, json={"status": "won"})
    assert r.status_code == 404
    assert (await client.get("/api/v1/leads", headers=other_owner.headers)).json()["total"] == 0
    # Another organization's contact, conversation or message cannot be named in a capture.
    for field in ("contact_id", "conversation_id", "message_id"):
        body = {"name": "hijack", field: created["contact_id"] if field == "contact_id" else str(uuid.uuid4())}
        r = await client.post("/api/v1/leads", headers=other_owner.headers, json=body)
        assert r.status_code == 404, (field, r.text)
    assert (await client.get(f"/api/v1/leads/{created['id']}", headers=owner.headers)).json()["name"] == "Eve"
