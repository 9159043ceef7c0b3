"""Extraction over a conversation: rules (names, emails, international phones, company, need, budget,
time frame) with the source message linked; an LLM's structured output when one is given."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from frontdesk.leads import extraction
from frontdesk.leads.service import apply_extraction
from tests.conftest import Account
from tests.conversations.helpers import customer_writes, make_inbox


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hi, my name is Maria Lopez and I work at Acme Corp. Email me at maria@example.com",
            {"name": "Maria Lopez", "company": "Acme Corp", "email": "maria@example.com"},
        ),
        ("call me on +44 (0)20 7946 0958 asap", {"phone": "+442079460958", "timeframe": "asap"}),
        ("reach me at 0049 151 2345 6789", {"phone": "+4915123456789"}),
        ("my number is 030 1234567", {}),  # no country code: not taken
        (
            "I'm looking for a CRM, budget is around $5,000, within 3 weeks",
            {"need": "a CRM", "budget": "$5,000", "timeframe": "within 3 weeks"},
        ),
        (
            "This is John from Globex Ltd. We'd like a demo by next month. Budget: 10k EUR",
            {
                "name": "John",
                "company": "Globex Ltd",
                "need": "a demo",
                "budget": "10k EUR",
                "timeframe": "by next month",
            },
        ),
        ("I'm interested in pricing", {"need": "pricing"}),
        ("mail: bob@@example", {}),
    ],
)
def test_rules(text: str, expected: dict[str, str]) -> None:
    found = extraction.rules(text)
    for key, value in expected.items():
        assert found.get(key) == value, (key, found)
    if not expected:
        assert not {"email", "phone"} & set(found)


async def test_extraction_over_a_conversation_links_source_messages(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    inbox = await make_inbox(runtime, owner)
    first = await customer_writes(runtime, inbox, "v-ex", "Hello, I'm Petra Novak from Initech Inc.")
    second = await customer_writes(runtime, inbox, "v-ex", "We need a booking system. Email petra@initech.example")
    third = await customer_writes(
        runtime, inbox, "v-ex", "Sorry, better: petra.novak@initech.example, +420 601 123 456"
    )
    r = await client.post(
        f"/api/v1/conversations/{first.conversation_id}/lead-extraction", headers=owner.headers, json={"apply": False}
    )
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["method"] == "rules" and preview["lead"] is None
    assert preview["fields"]["email"] == "petra.novak@initech.example"  # the latest statement wins
    assert preview["source_message_ids"]["email"] == third.message_id
    assert preview["source_message_ids"]["name"] == first.message_id
    assert preview["source_message_ids"]["need"] == second.message_id
    # Messages with contact details already made the lead as they arrived; the first (a name only) did not.
    listed = (await client.get("/api/v1/leads", headers=owner.headers)).json()
    assert listed["total"] == 1
    auto = listed["items"][0]
    assert (auto["email"], auto["phone"], auto["name"]) == ("petra.novak@initech.example", "+420601123456", None)
    assert auto["source"] == "extraction" and auto["source_message_id"] == third.message_id

    r = await client.post(
        f"/api/v1/conversations/{first.conversation_id}/lead-extraction", headers=owner.headers, json={}
    )
    lead = r.json()["lead"]
    assert (lead["name"], lead["company"], lead["phone"]) == ("Petra Novak", "Initech Inc", "+420601123456")
    assert lead["source"] == "extraction" and lead["conversation_id"] == first.conversation_id
    history = (await client.get(f"/api/v1/leads/{lead['id']}", headers=owner.headers)).json()["history"]
    by_field: dict[str, str] = {}
    for h in history:  # newest first: the value each field holds now
        by_field.setdefault(h["field"], h["message_id"])
    assert by_field["name"] == first.message_id
    assert by_field["email"] == third.message_id
    # Running it again changes nothing and writes no new history.
    await client.post(f"/api/v1/conversations/{first.conversation_id}/lead-extraction", headers=owner.headers, json={})
    again = (await client.get(f"/api/v1/leads/{lead['id']}", headers=owner.headers)).json()["history"]
    assert len(again) == len(history)


def _llm(fields: dict[str, Any]) -> FunctionModel:
    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        assert info.output_tools, "the structured output schema must be offered as a tool"
        schema = info.output_tools[0].parameters_json_schema
        assert {"name", "email", "phone", "company", "need", "budget", "timeframe"} <= set(schema["properties"])
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, fields)])

    return FunctionModel(answer, model_name="fake-llm")


async def test_llm_structured_output_is_validated_and_merged(runtime: Runtime, owner: Account) -> None:
    inbox = await make_inbox(runtime, owner)
    first = await customer_writes(runtime, inbox, "v-llm", "hi there, it's Quinn. quinn@example.com")
    second = await customer_writes(
        runtime, inbox, "v-llm", "we're a small bakery and want online ordering before easter"
    )
    model = _llm({"name": "Quinn", "company": "Quinn's Bakery", "need": "online ordering", "timeframe": "before Easter",
                  "phone": "12345", "email": None})  # fmt: skip
    async with transaction(runtime.sessionmaker) as session:
        found = await extraction.extract(
            session, uuid.UUID(owner.organization_id), uuid.UUID(first.conversation_id), model=model
        )
        assert found.method == "llm"
        assert found.fields["company"] == "Quinn's Bakery"
        assert found.fields["need"] == "online ordering"
        assert found.fields["email"] == "quinn@example.com"  # the rules filled what the LLM left empty
        assert "phone" not in found.fields  # an invalid phone from the LLM is dropped too
        assert str(found.sources["need"]) == second.message_id
        from frontdesk.conversations.models import Conversation

        conv = await session.get(Conversation, uuid.UUID(first.conversation_id))
        assert conv is not None
        lead = await apply_extraction(session, conv, found)
        assert lead is not None and lead.company == "Quinn's Bakery"


async def test_failing_llm_falls_back_to_rules(runtime: Runtime, owner: Account) -> None:
    def broken(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise RuntimeError("provider down")

    inbox = await make_inbox(runtime, owner)
    first = await customer_writes(runtime, inbox, "v-down", "my name is Rita, rita@example.com")
    async with transaction(runtime.sessionmaker) as session:
        found = await extraction.extract(
            session, uuid.UUID(owner.organization_id), uuid.UUID(first.conversation_id), model=FunctionModel(broken)
        )
    assert found.method == "rules"
    assert found.fields == {"name": "Rita", "email": "rita@example.com"}


async def test_contact_details_in_a_message_start_a_lead(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    inbox = await make_inbox(runtime, owner)
    await customer_writes(runtime, inbox, "v-auto", "I need a quote for 40 chairs")
    assert (await client.get("/api/v1/leads", headers=owner.headers)).json()["total"] == 0  # no details yet
    detail = await customer_writes(runtime, inbox, "v-auto", "I'm Sam Reed, call me on +1 415 555 0100")
    leads = (await client.get("/api/v1/leads", headers=owner.headers)).json()["items"]
    assert [(x["name"], x["phone"], x["source_message_id"]) for x in leads] == [
        ("Sam Reed", "+14155550100", detail.message_id)
    ]
    contact = (await client.get(f"/api/v1/contacts/{detail.contact_id}", headers=owner.headers)).json()
    assert contact["phone"] == "+14155550100"
    await customer_writes(runtime, inbox, "v-auto", "my number is 555 0100")  # no country code: ignored
    assert (await client.get(f"/api/v1/leads/{leads[0]['id']}", headers=owner.headers)).json()[
        "phone"
    ] == "+14155550100"
