"""The staff assistant over HTTP: persona and tools by role, answers only from what the role may
see, tables and accessible SVG charts drawn by the server, and the page with and without script."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from frontdesk.app import create_app
from frontdesk.assistant import charts, staff
from frontdesk.authz.subject import AuthSubject
from frontdesk.config import Settings
from frontdesk.kit.clock import Clock
from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from tests.assistant.copilot_fixtures import add_article, add_routes, csrf_form, sign_in_browser
from tests.conftest import Account, join
from tests.conversations.helpers import customer_writes, make_inbox, set_conversation


@pytest.fixture
async def app(settings: Settings, clock: Clock | None) -> Any:
    application = create_app(settings, clock=clock)
    add_routes(application)
    async with application.router.lifespan_context(application):
        yield application


async def _ask(client: httpx.AsyncClient, account: Account, question: str) -> dict[str, Any]:
    r = await client.post("/api/v1/staff-assistant/ask", headers=account.headers, json={"question": question})
    assert r.status_code == 200, r.text
    return r.json()


async def _activity(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> str:
    inbox_id = await make_inbox(runtime, owner, name=f"Secret Inbox {uuid.uuid4().hex[:6]}")
    for n in range(3):
        customer = await customer_writes(runtime, inbox_id, f"visitor-{n}", "Hello there")
        # Exactly one escalation, whichever way the assistant would have handled these.
        await set_conversation(runtime, customer.conversation_id, escalated_at=None, escalation_reason=None)
    customer = await customer_writes(runtime, inbox_id, "visitor-h", "I want to talk to a human please")
    await set_conversation(runtime, customer.conversation_id, escalated_at=runtime.clock.now())
    return inbox_id


async def test_owner_gets_analytics_with_chart_and_table(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    await _activity(client, runtime, owner)
    answer = await _ask(client, owner, "How many conversations, messages and escalations per day in the last 7 days?")
    assert answer["role"] == "owner" and answer["tools_used"] == ["conversation_stats"]
    assert "4 new conversations" in answer["text"] and "1 escalations" in answer["text"]
    assert "escalation rate 25%" in answer["text"]
    chart = next(b for b in answer["blocks"] if b["type"] == "chart")
    table = next(b for b in answer["blocks"] if b["type"] == "table")
    svg = chart["svg"]
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert re.search(r'aria-labelledby="chart-[0-9a-f]+-title chart-[0-9a-f]+-desc"', svg)
    assert len(table["rows"]) == 7 and table["columns"] == ["", "Conversations", "Messages", "Escalations"]
    today = table["rows"][-1]
    assert today[1] == 4 and today[3] == 1 and today[2] >= 4
    assert [s["name"] for s in chart["series"]] == ["Conversations", "Messages", "Escalations"]

    settings_answer = await _ask(client, owner, "Which inboxes and members do we have in our settings?")
    assert settings_answer["tools_used"] == ["settings_overview"]
    titles = [b["title"] for b in settings_answer["blocks"]]
    assert "Inboxes" in titles and "Members by role" in titles


async def test_agent_and_viewer_never_see_what_their_role_may_not(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    inbox_id = await _activity(client, runtime, owner)
    await add_article(client, owner, "Refund policy", "Refunds are possible within 30 days.", ["Can I get a refund?"])
    agent = await join(client, owner, "agent")
    viewer = await join(client, owner, "viewer")
    secret_inbox = (await client.get(f"/api/v1/inboxes/{inbox_id}", headers=owner.headers)).json()["name"]

    for account, role in ((agent, "agent"), (viewer, "viewer")):
        stats = await _ask(client, account, "Show me a chart of escalations per day")
        assert stats["role"] == role
        assert stats["blocks"] == [] and stats["tools_used"] == []
        assert "cannot show" in stats["text"].lower()
        setup = await _ask(client, account, "What are our inbox settings and who are the members?")
        assert setup["blocks"] == [] and setup["tools_used"] == []
        body = str(setup) + str(stats)
        assert secret_inbox not in body and owner.email not in body

        kb = await _ask(client, account, "Can I get a refund?")
        assert kb["tools_used"] == ["search_knowledge"] and "30 days" in kb["text"]

    queue = await _ask(client, agent, "What is in my queue?")
    assert queue["tools_used"] == ["my_queue"] and queue["blocks"][0]["title"] == "Your open conversations"
    refused = await _ask(client, viewer, "What is in my queue?")
    assert refused["tools_used"] == [] and refused["blocks"] == []
    counts = await _ask(client, viewer, "How many conversations are open?")
    assert counts["tools_used"] == ["overview"]

    persona = (await client.get("/api/v1/staff-assistant", headers=viewer.headers)).json()
    assert persona["role"] == "viewer" and persona["title"] == "Read-only guide"


async def test_api_keys_and_other_orgs(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other_owner: Account
) -> None:
    await _activity(client, runtime, owner)
    r = await client.post(
        "/api/v1/api-keys", headers=owner.headers, json={"name": "k", "scopes": ["analytics.read", "org.read"]}
    )
    key = r.json()["key"]
    r = await client.post("/api/v1/staff-assistant/ask", headers={"X-API-Key": key}, json={"question": "stats per day"})
    assert r.status_code == 401 and r.json()["code"] == "user_required"
    theirs = await _ask(client, other_owner, "How many conversations per day in the last 7 days?")
    assert "0 new conversations" in theirs["text"]
    r = await client.post(
        "/api/v1/staff-assistant/ask",
        headers={**other_owner.headers, "X-Organization-Id": owner.organization_id},
        json={"question": "stats per day"},
    )
    assert r.status_code in (403, 404)


async def test_page_without_and_with_script(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    await _activity(client, runtime, owner)
    await sign_in_browser(client, owner)
    r = await client.get("/app/staff-assistant")
    assert r.status_code == 200 and "Operations assistant" in r.text and "staff-assistant.js" in r.text
    r = await client.post(
        "/app/staff-assistant", data=csrf_form(client, question="Conversations per day in the last 5 days")
    )
    assert r.status_code == 200, r.text
    assert "<svg" in r.text and "<caption>Conversations, messages and escalations per day" in r.text
    r = await client.post("/app/staff-assistant", data=csrf_form(client, question=""))
    assert r.status_code == 422 and "Write a question first." in r.text


def test_chart_escapes_labels_and_describes_figures() -> None:
    chart = charts.Chart(
        title="<script>alert(1)</script>", labels=["a<b", "c&d"], series=[charts.Series('S"1', [1.0, 3.0])]
    )
    svg = charts.render(chart)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&lt;b" in svg
    assert "highest 3 at c&amp;d" in svg
    table = charts.chart_table(chart)
    assert table["rows"] == [["a<b", 1.0], ["c&d", 3.0]]


def _llm_that_calls(tool: str, args: dict[str, Any]) -> FunctionModel:
    """A stand-in language model: calls ``tool`` once, then answers with what it returned."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        returns = [p for p in last.parts if isinstance(p, ToolReturnPart)] if isinstance(last, ModelRequest) else []
        if returns:
            return ModelResponse(parts=[TextPart("LLM says: " + str(returns[0].content))])
        return ModelResponse(parts=[ToolCallPart(tool_name=tool, args=args)])

    return FunctionModel(respond, model_name="fake-llm")


async def test_with_a_language_model_the_same_tools_and_limits_apply(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    await _activity(client, runtime, owner)
    agent = await join(client, owner, "agent")
    org = uuid.UUID(owner.organization_id)
    as_owner = AuthSubject(
        kind="user", label="owner", user_id=uuid.UUID(owner.user_id), memberships={org: "owner"}, organization_id=org
    )
    as_agent = AuthSubject(
        kind="user", label="agent", user_id=uuid.UUID(agent.user_id), memberships={org: "agent"}, organization_id=org
    )
    async with transaction(runtime.sessionmaker) as session:
        answer = await staff.ask(
            session, as_owner, "activity?", model=_llm_that_calls("conversation_stats", {"days": 3})
        )
        assert answer.model == "fake-llm" and answer.tools_used == ["conversation_stats"]
        assert answer.text.startswith("LLM says: In the last 3 days") and answer.blocks[0]["type"] == "chart"
        # The model asks for a tool the agent's persona does not offer: no data, and no crash.
        refused = await staff.ask(
            session, as_agent, "activity?", model=_llm_that_calls("conversation_stats", {"days": 3})
        )
        assert refused.tools_used == [] and refused.blocks == []
