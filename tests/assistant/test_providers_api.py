"""AI providers through the HTTP API and the registry, on SQLite and PostgreSQL, against fake vendors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from pydantic_ai import Agent
from pydantic_ai.messages import ModelResponse
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.models.openai import OpenAIChatModel
from sqlalchemy import select

from frontdesk.assistant import usage
from frontdesk.assistant.provider_endpoints import router
from frontdesk.assistant.provider_models import AiProviderConfig
from frontdesk.assistant.providers import model_for_organization
from frontdesk.assistant.providers.registry import model_for
from frontdesk.kit.runtime import Runtime
from tests.conftest import Account, join
from tests.fakes.llm_recordings import openai_json
from tests.fakes.llm_servers import FakeLLM, closed_port_url

KEY = "sk-live-abcdefghijklmnop0123456789"
OTHER_KEY = "sk-ant-zyxwvutsrqponm9876543210"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"ai_allow_private_base_urls": True, "log_level": "INFO"}


@pytest.fixture(autouse=True)
def _mounted(app: Any) -> None:
    """Until the app registers the router itself."""
    if not any(getattr(r, "path", "").startswith("/api/v1/ai/") for r in app.routes):
        app.include_router(router)


@pytest.fixture
def fake_openai() -> Iterator[FakeLLM]:
    with FakeLLM("openai").running() as fake:
        yield fake


@pytest.fixture
def fake_anthropic() -> Iterator[FakeLLM]:
    with FakeLLM("anthropic").running() as fake:
        yield fake


async def add(client: httpx.AsyncClient, who: Account, **body: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/ai/providers", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def assistant(provider: str | None = None, model: str | None = None) -> Any:
    return SimpleNamespace(provider=provider, model=model)


async def chain(runtime: Runtime, org: str, who: Any) -> FallbackModel:
    async with runtime.sessionmaker() as session:
        model = await model_for(session, runtime, uuid.UUID(org), who)
    assert isinstance(model, FallbackModel)
    return model


async def test_crud_stores_the_key_encrypted_and_never_returns_it(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime
) -> None:
    created = await add(client, owner, name="OpenAI", kind="openai", api_key=KEY, default_model="gpt-4o-mini")
    assert created["api_key_hint"] == "…6789" and created["key_source"] == "stored"
    assert created["timeout_seconds"] == runtime.settings.ai_timeout_seconds and created["position"] == 0
    second = await add(client, owner, name="Claude", kind="anthropic", api_key=OTHER_KEY)
    assert second["position"] == 1

    listed = await client.get("/api/v1/ai/providers", headers=owner.headers)
    assert [p["name"] for p in listed.json()] == ["OpenAI", "Claude"]
    for response in (listed, await client.get(f"/api/v1/ai/providers/{created['id']}", headers=owner.headers)):
        assert KEY not in response.text and OTHER_KEY not in response.text and 'api_key"' not in response.text

    async with runtime.sessionmaker() as session:
        row = await session.scalar(select(AiProviderConfig).where(AiProviderConfig.id == uuid.UUID(created["id"])))
        assert row is not None and row.api_key_encrypted and KEY not in row.api_key_encrypted
        assert runtime.secrets.decrypt(row.api_key_encrypted) == KEY

    r = await client.patch(
        f"/api/v1/ai/providers/{created['id']}",
        headers=owner.headers,
        json={"name": "OpenAI main", "default_model": "gpt-4.1-mini", "max_retries": 4, "clear_api_key": True},
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "OpenAI main" and r.json()["key_source"] == "none" and r.json()["api_key_hint"] is None

    r = await client.put(
        "/api/v1/ai/providers/order", headers=owner.headers, json={"ids": [second["id"], created["id"]]}
    )
    assert [p["name"] for p in r.json()] == ["Claude", "OpenAI main"]

    duplicate = await client.post(
        "/api/v1/ai/providers", headers=owner.headers, json={"name": "claude", "kind": "anthropic"}
    )
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "name_taken"

    assert (await client.delete(f"/api/v1/ai/providers/{created['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"/api/v1/ai/providers/{created['id']}", headers=owner.headers)).status_code == 404

    audit = await client.get("/api/v1/audit-events", headers=owner.headers)
    assert "ai_provider.created" in audit.text and KEY not in audit.text and OTHER_KEY not in audit.text


async def test_only_managers_and_only_their_organization(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    mine = await add(client, owner, name="OpenAI", kind="openai", api_key=KEY)
    agent = await join(client, owner, "agent")
    assert (await client.get("/api/v1/ai/providers", headers=agent.headers)).status_code == 403
    r = await client.post("/api/v1/ai/providers", headers=agent.headers, json={"name": "x", "kind": "openai"})
    assert r.status_code == 403
    for method, path, body in (
        ("GET", f"/api/v1/ai/providers/{mine['id']}", None),
        ("PATCH", f"/api/v1/ai/providers/{mine['id']}", {"name": "stolen"}),
        ("POST", f"/api/v1/ai/providers/{mine['id']}/test", None),
        ("DELETE", f"/api/v1/ai/providers/{mine['id']}", None),
        ("PUT", "/api/v1/ai/providers/order", {"ids": [mine["id"]]}),
    ):
        r = await client.request(method, path, headers=other_owner.headers, json=body)
        assert r.status_code == 404, (method, path, r.text)
    assert (await client.get("/api/v1/ai/providers", headers=other_owner.headers)).json() == []
    assert (await client.get(f"/api/v1/ai/providers/{mine['id']}", headers=owner.headers)).json()["name"] == "OpenAI"


async def test_base_urls_go_through_the_address_guard(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime
) -> None:
    runtime.settings.ai_allow_private_base_urls = False
    r = await client.post(
        "/api/v1/ai/providers",
        headers=owner.headers,
        json={"name": "Ollama", "kind": "compatible", "base_url": "http://127.0.0.1:11434/v1"},
    )
    assert r.status_code == 422 and r.json()["code"] == "blocked_target"
    r = await client.post("/api/v1/ai/providers", headers=owner.headers, json={"name": "vLLM", "kind": "compatible"})
    assert r.status_code == 422 and r.json()["code"] == "base_url_required"
    r = await client.post(
        "/api/v1/ai/providers",
        headers=owner.headers,
        json={"name": "Agent", "kind": "external", "base_url": "file:///etc/passwd"},
    )
    assert r.status_code == 422
    runtime.settings.ai_allow_private_base_urls = True
    created = await add(client, owner, name="Ollama", kind="compatible", base_url="http://127.0.0.1:11434/v1")
    assert created["base_url"] == "http://127.0.0.1:11434/v1" and created["key_source"] == "none"


async def test_connection_test_reports_success_and_failure_without_the_key(
    client: httpx.AsyncClient, owner: Account, fake_openai: FakeLLM, capfd: pytest.CaptureFixture[str]
) -> None:
    good = await add(client, owner, name="OpenAI", kind="openai", api_key=KEY, base_url=fake_openai.base_url)
    r = await client.post(f"/api/v1/ai/providers/{good['id']}/test", headers=owner.headers)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["ok"] is True and result["reply"].startswith("I'm unable") and result["model"] == "gpt-4o-mini"
    assert fake_openai.requests[-1]["headers"]["authorization"] == f"Bearer {KEY}"

    fake_openai.fail(401)
    r = await client.post(f"/api/v1/ai/providers/{good['id']}/test", headers=owner.headers)
    assert r.json()["ok"] is False and "401" in r.json()["error"] and KEY not in r.text

    down = await add(
        client, owner, name="Down", kind="anthropic", api_key=OTHER_KEY, base_url=closed_port_url(), max_retries=0
    )
    r = await client.post(f"/api/v1/ai/providers/{down['id']}/test", headers=owner.headers)
    assert r.json()["ok"] is False and r.json()["error"] and OTHER_KEY not in r.text

    report = (await client.get("/api/v1/ai/usage", headers=owner.headers)).json()
    assert report["total_requests"] == 1 and report["days"][0]["provider"] == "openai"
    logged = capfd.readouterr()
    assert "ai_provider_test_failed" in logged.err
    assert KEY not in logged.out + logged.err and OTHER_KEY not in logged.out + logged.err


async def test_model_for_follows_the_fallback_order_and_ends_with_local(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime, fake_openai: FakeLLM, fake_anthropic: FakeLLM
) -> None:
    claude = await add(
        client, owner, name="Claude", kind="anthropic", api_key=OTHER_KEY, base_url=fake_anthropic.url, max_retries=1
    )
    gpt = await add(client, owner, name="OpenAI", kind="openai", api_key=KEY, base_url=fake_openai.base_url)
    await add(client, owner, name="Off", kind="openai", api_key=KEY, enabled=False)
    await add(client, owner, name="Gemini no key", kind="google")

    model = await chain(runtime, owner.organization_id, assistant())
    names = [(m.system, m.model_name) for m in model.models]
    # Disabled rows and rows without a key are left out; the local model always closes the chain.
    assert names[:2] == [("anthropic", "claude-3-5-haiku-latest"), ("openai", "gpt-4o-mini")]
    assert len(names) == 3 and names[-1][0] not in {"anthropic", "openai", "google"}

    # Anthropic is overloaded however often it is asked: its retries run out, OpenAI answers.
    fake_anthropic.fail(529, times=10)
    result = await Agent(model).run("What's the weather like in SF?")
    assert result.output == openai_json("test_parse_nothing")["choices"][0]["message"]["content"]
    assert len(fake_anthropic.requests) == 2 and len(fake_openai.requests) == 1

    # The assistant's own choice goes first, with its model name; the others follow in order.
    picked = await chain(runtime, owner.organization_id, assistant(provider=gpt["id"], model="gpt-4.1-mini"))
    assert [(m.system, m.model_name) for m in picked.models[:2]] == [
        ("openai", "gpt-4.1-mini"),
        ("anthropic", "claude-3-5-haiku-latest"),
    ]
    by_kind = await chain(runtime, owner.organization_id, assistant(provider="anthropic", model="claude-sonnet-4"))
    assert by_kind.models[0].model_name == "claude-sonnet-4"
    only_local = await chain(runtime, owner.organization_id, assistant(provider="local"))
    assert len(only_local.models) == 1
    async with runtime.sessionmaker() as session:
        for_staff = await model_for_organization(session, runtime, uuid.UUID(owner.organization_id))
    assert isinstance(for_staff, FallbackModel) and len(for_staff.models) == 3
    assert claude["id"] != gpt["id"]


async def test_every_provider_down_still_gets_an_answer_from_local(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime, fake_openai: FakeLLM
) -> None:
    await add(client, owner, name="Down", kind="openai", api_key=KEY, base_url=closed_port_url(), max_retries=0)
    await add(
        client,
        owner,
        name="Slow",
        kind="openai",
        api_key=KEY,
        base_url=fake_openai.base_url,
        timeout_seconds=0.2,
        max_retries=0,
    )
    fake_openai.delay = 1.0
    model = await chain(runtime, owner.organization_id, assistant())
    result = await Agent(model).run("hello")
    assert result.output
    last = result.all_messages()[-1]
    assert isinstance(last, ModelResponse) and last.provider_name not in {"openai", "anthropic"}


async def test_usage_is_recorded_with_cost_and_a_spent_budget_switches_to_local(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime, fake_openai: FakeLLM
) -> None:
    await add(client, owner, name="OpenAI", kind="openai", api_key=KEY, base_url=fake_openai.base_url)
    org = uuid.UUID(owner.organization_id)
    conversation_id, message_id = uuid.uuid4(), uuid.uuid4()
    r = await client.put("/api/v1/ai/settings", headers=owner.headers, json={"monthly_budget_usd": 0.0008})
    assert r.json() == {"monthly_budget_usd": 0.0008, "spent_this_month_usd": 0.0, "budget_exhausted": False}

    for _ in range(2):
        model = await chain(runtime, owner.organization_id, assistant(model="gpt-4o"))
        result = await Agent(model).run("What's the weather like in SF?")
        async with runtime.sessionmaker() as session:
            await usage.record_messages(
                session,
                organization_id=org,
                conversation_id=conversation_id,
                message_id=message_id,
                messages=result.new_messages(),
            )
            await session.commit()
    # The recorded exchange used 14 prompt and 37 completion tokens of gpt-4o-2024-08-06, priced as
    # gpt-4o ($2.50 and $10 per million): 405 micro-dollars a time.
    async with runtime.sessionmaker() as session:
        totals = await usage.totals(session, [org], conversation_id=conversation_id)
        assert totals == usage.UsageTotals(requests=2, input_tokens=28, output_tokens=74, cost_micros=810)
        assert (await usage.totals(session, [org], message_id=message_id)).cost_micros == 810
        assert await usage.budget_exhausted(session, org)

    report = (await client.get("/api/v1/ai/usage", headers=owner.headers)).json()
    assert report["days"] == [
        {
            "day": runtime.clock.now().date().isoformat(),
            "provider": "openai",
            "model": "gpt-4o-2024-08-06",
            "requests": 2,
            "input_tokens": 28,
            "output_tokens": 74,
            "cost_usd": 0.00081,
        }
    ]
    settings = (await client.get("/api/v1/ai/settings", headers=owner.headers)).json()
    assert settings["budget_exhausted"] is True and settings["spent_this_month_usd"] == 0.00081

    async with runtime.sessionmaker() as session:
        assert await model_for_organization(session, runtime, org) is None
    sent_before = len(fake_openai.requests)
    model = await chain(runtime, owner.organization_id, assistant(provider="openai"))
    assert len(model.models) == 1
    result = await Agent(model).run("What's the weather like in SF?")
    assert len(fake_openai.requests) == sent_before and result.output

    # Raising the budget brings the provider back.
    await client.put("/api/v1/ai/settings", headers=owner.headers, json={"monthly_budget_usd": 5})
    assert len((await chain(runtime, owner.organization_id, assistant())).models) == 2
    bad = await client.get(
        "/api/v1/ai/usage", headers=owner.headers, params={"since": "2026-01-02", "until": "2026-01-01"}
    )
    assert bad.status_code == 422


async def test_keys_from_the_environment(client: httpx.AsyncClient, owner: Account, runtime: Runtime) -> None:
    from pydantic import SecretStr

    runtime.settings.openai_api_key = SecretStr(KEY)
    # No row at all: an assistant naming openai runs on the installation's key.
    model = await chain(runtime, owner.organization_id, assistant(provider="openai", model="gpt-4o"))
    first = model.models[0]
    assert isinstance(first, OpenAIChatModel) and first.model_name == "gpt-4o"
    assert first.base_url.startswith("https://api.openai.com")
    row = await add(client, owner, name="OpenAI", kind="openai")
    assert row["key_source"] == "environment" and row["api_key_hint"] is None
    listed = await client.get("/api/v1/ai/providers", headers=owner.headers)
    assert KEY not in listed.text and KEY not in json.dumps(row)


async def test_an_undecryptable_key_is_skipped_not_fatal(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime
) -> None:
    row = await add(client, owner, name="OpenAI", kind="openai", api_key=KEY)
    async with runtime.sessionmaker() as session:
        config = await session.get(AiProviderConfig, uuid.UUID(row["id"]))
        assert config is not None
        config.api_key_encrypted = "gAAAAA-not-a-token"
        await session.commit()
    model = await chain(runtime, owner.organization_id, assistant())
    assert len(model.models) == 1


async def test_a_customer_gets_a_streamed_llm_answer_with_a_tool_call(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime, fake_openai: FakeLLM
) -> None:
    """The whole path: inbound message, assistant on the OpenAI provider, search tool, streamed answer, usage."""
    from tests.assistant.core_helpers import build_desk, customer_says, wait_for_reply
    from tests.fakes.llm_recordings import openai_text, openai_tool_call

    answer = "We are open on Saturdays from 10:00 to 14:00."
    fake_openai.play(openai_tool_call("search_knowledge", {"query": "saturday opening hours"}), openai_text(answer))
    await add(client, owner, name="OpenAI", kind="openai", api_key=KEY, base_url=fake_openai.base_url)
    desk = await build_desk(client, owner, provider="openai", model_name="gpt-4o")
    sent = await customer_says(client, desk, "are you open on saturday?")
    reply, _ = await wait_for_reply(client, desk, sent["conversation_id"], sent["message"]["id"])
    assert reply is not None and reply["content"] == answer
    assert [c["name"] for c in reply["ai"]["tool_calls"]] == ["search_knowledge"]
    first, second = fake_openai.requests[:2]
    assert first["json"]["model"] == "gpt-4o" and first["json"]["stream"] is True
    assert "are you open on saturday?" in json.dumps(first["json"]["messages"])
    tool_result = next(m for m in second["json"]["messages"] if m["role"] == "tool")
    assert "10:00 to 14:00" in tool_result["content"]

    report = (await client.get("/api/v1/ai/usage", headers=owner.headers)).json()
    openai_rows = [d for d in report["days"] if d["provider"] == "openai"]
    assert openai_rows and openai_rows[0]["requests"] == 2 and openai_rows[0]["cost_usd"] > 0
    async with runtime.sessionmaker() as session:
        per_conversation = await usage.totals(
            session, [uuid.UUID(owner.organization_id)], conversation_id=uuid.UUID(sent["conversation_id"])
        )
    assert per_conversation.requests == 2 and per_conversation.cost_micros > 0


async def test_odd_but_valid_inputs_are_answered_cleanly(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime
) -> None:
    local_row = await add(client, owner, name="Local", kind="local")
    model = await chain(runtime, owner.organization_id, assistant(provider=local_row["id"]))
    assert len(model.models) == 1
    tested = await client.post(f"/api/v1/ai/providers/{local_row['id']}/test", headers=owner.headers)
    assert tested.json()["ok"] is True and tested.json()["model"] == "local"
    early = await client.get("/api/v1/ai/usage", headers=owner.headers, params={"until": "0001-01-05"})
    assert early.status_code == 422 and early.json()["code"] == "invalid_range"
    r = await client.post(
        "/api/v1/ai/providers", headers=owner.headers, json={"name": "k", "kind": "openai", "api_key": "has space"}
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_api_key"
    r = await client.post(
        "/api/v1/ai/providers",
        headers=owner.headers,
        json={"name": "Local url", "kind": "local", "base_url": "http://127.0.0.1:1/v1"},
    )
    assert r.status_code == 422
    r = await client.put("/api/v1/ai/providers/order", headers=owner.headers, json={"ids": [local_row["id"]] * 2})
    assert r.status_code == 422 and r.json()["code"] == "duplicate_provider"
