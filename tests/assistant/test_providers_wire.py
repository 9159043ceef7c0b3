"""The real SDKs and pydantic-ai models, built by our provider builders, against fake vendors on loopback.

The fakes answer with payloads recorded from the live APIs (``../shared/corpora/llm_api``), so these
tests check that what we build speaks the real wire formats: plain and streamed answers, tool-call
round trips, retries on 429/5xx, timeouts, fallback between vendors, and the external agent contract.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Iterator

import pytest
from anthropic import AsyncAnthropic
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam
from pydantic_ai import Agent
from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.messages import AgentStreamEvent, PartDeltaEvent, PartStartEvent, TextPart, TextPartDelta
from pydantic_ai.models.fallback import FallbackModel

from frontdesk.assistant.providers import anthropic, compatible, external, google, openai
from frontdesk.assistant.providers.base import ProviderKind, ProviderSpec
from tests.fakes.llm_recordings import (
    Reply,
    anthropic_exchanges,
    anthropic_sse,
    anthropic_text,
    cassette_replies,
    openai_json,
    openai_sse,
    openai_text,
    sse_data,
)
from tests.fakes.llm_servers import FakeLLM, closed_port_url

KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def fake_openai() -> Iterator[FakeLLM]:
    with FakeLLM("openai").running() as fake:
        yield fake


@pytest.fixture
def fake_anthropic() -> Iterator[FakeLLM]:
    with FakeLLM("anthropic").running() as fake:
        yield fake


@pytest.fixture
def fake_external() -> Iterator[FakeLLM]:
    with FakeLLM("external").running() as fake:
        yield fake


def spec(kind: ProviderKind, base_url: str, **overrides: object) -> ProviderSpec:
    values: dict[str, object] = {
        "id": None,
        "name": kind.value,
        "kind": kind,
        "model": "gpt-4o" if kind is not ProviderKind.ANTHROPIC else "claude-haiku-4-5",
        "base_url": base_url,
        "api_key": KEY,
        "timeout_seconds": 10.0,
        "max_retries": 2,
    }
    values.update(overrides)
    return ProviderSpec(**values)  # type: ignore[arg-type]


def recorded_stream_text(name: str) -> str:
    return "".join(
        (c["choices"][0]["delta"].get("content") or "")
        for c in sse_data(openai_sse(name))
        if isinstance(c, dict) and c["choices"]
    )


# ---------------------------------------------------------------- the official SDKs against the fakes


async def test_openai_sdk_reads_the_recorded_answers(fake_openai: FakeLLM) -> None:
    client = AsyncOpenAI(base_url=fake_openai.base_url, api_key=KEY, max_retries=0)
    question: list[ChatCompletionMessageParam] = [{"role": "user", "content": "What's the weather like in SF?"}]
    completion = await client.chat.completions.create(model="gpt-4o-2024-08-06", messages=question)
    recorded = openai_json("test_parse_nothing")
    assert completion.id == recorded["id"]
    assert completion.choices[0].message.content == recorded["choices"][0]["message"]["content"]
    assert completion.usage is not None and completion.usage.prompt_tokens == 14

    stream = await client.chat.completions.create(
        model="gpt-4o-2024-08-06",
        messages=question,
        stream=True,
    )
    deltas = [
        chunk.choices[0].delta.content async for chunk in stream if chunk.choices and chunk.choices[0].delta.content
    ]
    assert len(deltas) > 5
    assert "".join(deltas) == recorded_stream_text("test_parse_nothing")
    assert fake_openai.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"
    await client.close()


async def test_anthropic_sdk_reads_the_recorded_answers(fake_anthropic: FakeLLM) -> None:
    exchange = anthropic_exchanges("test_runners__test_basic_call_async")
    fake_anthropic.play(Reply(json=exchange[0]["response"]["body"], sse=anthropic_sse("tool_use_response")))
    client = AsyncAnthropic(base_url=fake_anthropic.url, api_key=KEY, max_retries=0)
    message = await client.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "Weather in SF?"}]
    )
    block = message.content[0]
    assert block.type == "tool_use" and block.name == "get_weather"
    assert block.input == {"location": "San Francisco, CA", "units": "f"}

    async with client.messages.stream(
        model="claude-sonnet-4", max_tokens=100, messages=[{"role": "user", "content": "Weather in Paris?"}]
    ) as stream:
        texts = [t async for t in stream.text_stream]
        final = await stream.get_final_message()
    assert "".join(texts) == "I'll check the current weather in Paris for you."
    tool_use = final.content[-1]
    assert tool_use.type == "tool_use" and tool_use.input == {"location": "Paris"}
    headers = fake_anthropic.requests[0]["headers"]
    # This SDK generation sends the key as a bearer token; older ones used x-api-key.
    assert headers.get("x-api-key") == KEY or headers.get("authorization") == f"Bearer {KEY}"
    await client.close()


# ---------------------------------------------------------------- pydantic-ai models built by our builders


async def test_openai_model_answers_a_plain_question(fake_openai: FakeLLM) -> None:
    agent = Agent(openai.build(spec(ProviderKind.OPENAI, fake_openai.base_url)), instructions="Be brief.")
    result = await agent.run("What's the weather like in SF?")
    recorded = openai_json("test_parse_nothing")
    assert result.output == recorded["choices"][0]["message"]["content"]
    response = result.all_messages()[-1]
    assert response.provider_name == "openai"  # type: ignore[union-attr]
    assert result.usage.input_tokens == 14 and result.usage.output_tokens == 37
    sent = fake_openai.requests[0]["json"]
    assert sent["model"] == "gpt-4o"
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}


async def test_openai_model_streams_deltas(fake_openai: FakeLLM) -> None:
    text = "We open at nine and close at five, Monday to Friday."
    fake_openai.play(openai_text(text))
    agent = Agent(openai.build(spec(ProviderKind.OPENAI, fake_openai.base_url)))
    async with agent.run_stream("When are you open?") as run:
        deltas = [d async for d in run.stream_text(delta=True, debounce_by=None)]
    assert len(deltas) >= 5, deltas
    assert "".join(deltas) == text
    assert fake_openai.requests[0]["json"]["stream"] is True


async def test_openai_tool_call_round_trip(fake_openai: FakeLLM) -> None:
    replies = cassette_replies("openai", "test_openai_instructions_with_tool_calls_keep_instructions")
    fake_openai.play(*replies)
    agent = Agent(
        openai.build(spec(ProviderKind.OPENAI, fake_openai.base_url)), instructions="You are a helpful assistant."
    )
    asked: list[str] = []

    @agent.tool_plain
    def get_temperature(city: str) -> float:
        asked.append(city)
        return 20.0

    result = await agent.run("What is the temperature in Tokyo?")
    assert asked == ["Tokyo"]
    assert result.output == replies[1].json["choices"][0]["message"]["content"]  # type: ignore[index]
    second = fake_openai.requests[1]["json"]["messages"]
    tool_message = next(m for m in second if m["role"] == "tool")
    assert tool_message["content"] == "20.0"
    assert tool_message["tool_call_id"] == replies[0].json["choices"][0]["message"]["tool_calls"][0]["id"]  # type: ignore[index]


async def test_openai_streamed_tool_call_round_trip(fake_openai: FakeLLM) -> None:
    replies = cassette_replies("openai", "test_run_stream_sync_streams_real_model")
    assert all(r.sse for r in replies)
    fake_openai.play(*replies)
    agent = Agent(compatible.build(spec(ProviderKind.COMPATIBLE, fake_openai.base_url, model="gpt-4o-mini")))

    @agent.tool_plain
    def get_capital(country: str) -> str:
        return "London" if country == "UK" else "unknown"

    deltas: list[str] = []
    async with agent.run_stream("What is the capital of the UK? Use the tool, then answer.") as run:
        async for delta in run.stream_text(delta=True, debounce_by=None):
            deltas.append(delta)
    expected = "".join(
        c["choices"][0]["delta"].get("content") or ""
        for c in sse_data(replies[1].sse or "")
        if isinstance(c, dict) and c["choices"]
    )
    assert "".join(deltas) == expected and len(deltas) > 1
    tool_message = next(m for m in fake_openai.requests[1]["json"]["messages"] if m["role"] == "tool")
    assert tool_message["content"] == "London"


async def test_anthropic_tool_call_round_trip(fake_anthropic: FakeLLM) -> None:
    exchange = anthropic_exchanges("test_runners__test_basic_call_async")
    fake_anthropic.play(*(Reply(json=e["response"]["body"]) for e in exchange))
    agent = Agent(anthropic.build(spec(ProviderKind.ANTHROPIC, fake_anthropic.url)))

    @agent.tool_plain
    def get_weather(location: str, units: str) -> str:
        return f"68°{units.upper()} and Sunny in {location}"

    result = await agent.run("What's the weather in San Francisco?")
    assert result.output == exchange[1]["response"]["body"]["content"][0]["text"]
    tool_result = fake_anthropic.requests[1]["json"]["messages"][-1]["content"][0]
    assert tool_result["type"] == "tool_result"
    assert tool_result["tool_use_id"] == exchange[0]["response"]["body"]["content"][0]["id"]
    assert "68°F and Sunny" in json.dumps(tool_result["content"], ensure_ascii=False)


async def test_anthropic_streamed_tool_use_then_streamed_answer(fake_anthropic: FakeLLM) -> None:
    final = "It is 18 degrees and cloudy in Paris."
    fake_anthropic.play(Reply(sse=anthropic_sse("tool_use_response")), anthropic_text(final))
    agent = Agent(anthropic.build(spec(ProviderKind.ANTHROPIC, fake_anthropic.url)))
    seen: list[str] = []
    deltas: list[str] = []

    @agent.tool_plain
    def get_weather(location: str) -> str:
        seen.append(location)
        return "18 degrees, cloudy"

    async def collect(ctx: object, events: AsyncIterable[AgentStreamEvent]) -> None:
        async for event in events:
            if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
                deltas.append(event.part.content)
            elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
                deltas.append(event.delta.content_delta)

    result = await agent.run("Weather in Paris?", event_stream_handler=collect)
    assert seen == ["Paris"]
    assert result.output == final
    # Both turns streamed token by token: the recorded preamble, then the answer after the tool ran.
    assert "".join(deltas) == "I'll check the current weather in Paris for you." + final and len(deltas) > 3
    assert all(r["json"]["stream"] is True for r in fake_anthropic.requests)


# ---------------------------------------------------------------- retries, timeouts, fallback


async def test_openai_retries_429_then_answers(fake_openai: FakeLLM) -> None:
    fake_openai.fail(429, times=2)
    agent = Agent(openai.build(spec(ProviderKind.OPENAI, fake_openai.base_url, max_retries=2)))
    result = await agent.run("hello")
    assert result.output.startswith("I'm unable to provide real-time weather updates")
    assert len(fake_openai.requests) == 3


async def test_anthropic_retries_5xx_then_answers(fake_anthropic: FakeLLM) -> None:
    fake_anthropic.fail(500).fail(529)
    agent = Agent(anthropic.build(spec(ProviderKind.ANTHROPIC, fake_anthropic.url, max_retries=2)))
    result = await agent.run("hello")
    assert result.output == "Hello there!"
    assert len(fake_anthropic.requests) == 3


async def test_retries_run_out_and_the_error_says_so(fake_openai: FakeLLM) -> None:
    fake_openai.fail(503, times=5)
    agent = Agent(openai.build(spec(ProviderKind.OPENAI, fake_openai.base_url, max_retries=1)))
    with pytest.raises(ModelAPIError) as caught:
        await agent.run("hello")
    assert getattr(caught.value, "status_code", None) == 503
    assert len(fake_openai.requests) == 2
    assert KEY not in str(caught.value)


async def test_a_slow_provider_times_out(fake_openai: FakeLLM) -> None:
    fake_openai.delay = 1.5
    agent = Agent(openai.build(spec(ProviderKind.OPENAI, fake_openai.base_url, timeout_seconds=0.2, max_retries=0)))
    with pytest.raises(ModelAPIError):
        await agent.run("hello")


async def test_fallback_moves_to_the_next_provider_when_one_is_down(fake_openai: FakeLLM) -> None:
    down = anthropic.build(spec(ProviderKind.ANTHROPIC, closed_port_url(), max_retries=0, timeout_seconds=1.0))
    up = openai.build(spec(ProviderKind.OPENAI, fake_openai.base_url))
    result = await Agent(FallbackModel(down, up)).run("hello")
    assert result.output.startswith("I'm unable")
    assert result.all_messages()[-1].provider_name == "openai"  # type: ignore[union-attr]


async def test_fallback_after_a_vendor_keeps_failing(fake_anthropic: FakeLLM, fake_openai: FakeLLM) -> None:
    fake_anthropic.fail(529, times=10)
    first = anthropic.build(spec(ProviderKind.ANTHROPIC, fake_anthropic.url, max_retries=1))
    second = openai.build(spec(ProviderKind.OPENAI, fake_openai.base_url))
    result = await Agent(FallbackModel(first, second)).run("hello")
    assert len(fake_anthropic.requests) == 2 and len(fake_openai.requests) == 1
    assert result.output.startswith("I'm unable")


# ---------------------------------------------------------------- the external agent contract


async def test_external_agent_contract(fake_external: FakeLLM) -> None:
    fake_external.play(
        Reply(
            json={
                "text": "A person will call you back.",
                "confidence": 0.42,
                "escalate": True,
                "usage": {"input_tokens": 30, "output_tokens": 7},
            }
        )
    )
    fake_external.fail(503)
    model = external.build(
        spec(ProviderKind.EXTERNAL, f"{fake_external.url}/agent", model="crew-support", max_retries=1),
        allow_private=True,
    )
    agent = Agent(model, instructions="Answer as the front desk.")

    @agent.tool_plain
    def search_knowledge(query: str) -> str:
        return "nothing"

    result = await agent.run("Can someone call me?")
    assert result.output == "A person will call you back."
    response = result.all_messages()[-1]
    assert response.provider_details == {"confidence": 0.42, "escalate": True}  # type: ignore[union-attr]
    assert result.usage.input_tokens == 30
    assert len(fake_external.requests) == 2
    sent = fake_external.requests[-1]
    assert sent["path"] == "/agent"
    assert sent["headers"]["authorization"] == f"Bearer {KEY}"
    body = sent["json"]
    assert body["contract"] == "frontdesk.agent/1" and body["model"] == "crew-support"
    assert body["instructions"] == "Answer as the front desk."
    assert body["messages"] == [{"role": "user", "content": "Can someone call me?"}]
    assert [t["name"] for t in body["tools"]] == ["search_knowledge"]


async def test_external_agent_tool_calls_and_streaming(fake_external: FakeLLM) -> None:
    fake_external.play(
        Reply(json={"tool_calls": [{"id": "c1", "name": "search_knowledge", "arguments": {"query": "hours"}}]}),
        Reply(json={"text": "We open at nine."}),
    )
    agent = Agent(external.build(spec(ProviderKind.EXTERNAL, f"{fake_external.url}/agent"), allow_private=True))

    @agent.tool_plain
    def search_knowledge(query: str) -> str:
        return f"results for {query}"

    async with agent.run_stream("When do you open?") as run:
        text = await run.get_output()
    assert text == "We open at nine."
    second = fake_external.requests[1]["json"]["messages"]
    assert second[1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"id": "c1", "name": "search_knowledge", "arguments": {"query": "hours"}}],
    }
    assert second[2]["role"] == "tool" and second[2]["content"] == "results for hours"


async def test_external_agent_refuses_private_addresses_unless_allowed(fake_external: FakeLLM) -> None:
    model = external.build(spec(ProviderKind.EXTERNAL, f"{fake_external.url}/agent"), allow_private=False)
    with pytest.raises(ModelAPIError, match="address guard"):
        await Agent(model).run("hello")
    assert fake_external.requests == []


async def test_external_agent_garbage_is_a_model_error(fake_external: FakeLLM) -> None:
    fake_external.play(Reply(json={"nothing": True}))
    model = external.build(spec(ProviderKind.EXTERNAL, f"{fake_external.url}/agent", max_retries=0), allow_private=True)
    with pytest.raises(ModelAPIError, match="neither text nor tool calls"):
        await Agent(model).run("hello")


# ---------------------------------------------------------------- Gemini through google-genai


@pytest.fixture
def fake_gemini() -> Iterator[FakeLLM]:
    with FakeLLM("gemini").running() as fake:
        yield fake


async def test_gemini_tool_call_round_trip(fake_gemini: FakeLLM) -> None:
    """The Gemini turns of a pydantic-ai cassette (generateContent, functionCall, functionResponse)."""
    replies = cassette_replies("openai", "test_multiple_agent_tool_calls")[:2]
    fake_gemini.play(*replies)
    model = google.build(spec(ProviderKind.GOOGLE, fake_gemini.url, model="gemini-2.0-flash-exp"))
    agent = Agent(model)

    @agent.tool_plain
    def get_capital(country: str) -> str:
        """Get the capital of a country."""
        return "Paris" if country == "France" else "unknown"

    result = await agent.run("What is the capital of France?")
    final = replies[1].json["candidates"][0]["content"]["parts"][0]["text"]  # type: ignore[index]
    assert result.output == final
    first, second = fake_gemini.requests
    assert first["path"] == "/v1beta/models/gemini-2.0-flash-exp:generateContent"
    assert first["headers"]["x-goog-api-key"] == KEY
    response_part = second["json"]["contents"][-1]["parts"][0]["functionResponse"]
    assert response_part["name"] == "get_capital" and response_part["response"]["return_value"] == "Paris"
    assert result.usage.input_tokens > 0


async def test_gemini_streams_and_retries(fake_gemini: FakeLLM) -> None:
    replies = cassette_replies("openai", "test_multiple_agent_tool_calls")[1:2]
    fake_gemini.play(*replies)
    fake_gemini.fail(503)
    agent = Agent(google.build(spec(ProviderKind.GOOGLE, fake_gemini.url, model="gemini-2.0-flash-exp", max_retries=2)))
    async with agent.run_stream("What is the capital of France?") as run:
        text = await run.get_output()
    assert text == replies[0].json["candidates"][0]["content"]["parts"][0]["text"]  # type: ignore[index]
    assert len(fake_gemini.requests) == 2
    assert ":streamGenerateContent" in fake_gemini.requests[-1]["path"]
