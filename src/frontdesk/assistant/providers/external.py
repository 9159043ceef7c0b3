"""External agent services (a CrewAI or LangGraph deployment, an in-house agent) behind a small JSON contract.

The contract (documented in ``docs/ai-providers.md``): Frontdesk POSTs

    {"contract": "frontdesk.agent/1", "model": ..., "conversation": {...} | null,
     "instructions": str | null, "messages": [{"role", "content", ...}], "tools": [{"name", "description",
     "parameters"}]}

and the service answers ``{"text": str, "confidence"?: float, "escalate"?: bool, "tool_calls"?: [{"id"?,
"name", "arguments"}], "usage"?: {"input_tokens", "output_tokens"}}``. Requests go through the SSRF
guard (pinned to the checked address), with the provider's timeout, and 429/5xx are retried with
backoff; any other failure is a ``ModelAPIError`` so that the fallback chain moves on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from pydantic_ai._instrumentation import get_instructions
from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ModelResponsePart,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import CompletedStreamedResponse, Model, ModelRequestParameters, StreamedResponse
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RequestUsage

from frontdesk.assistant.providers.base import ProviderSpec
from frontdesk.kit.http import BlockedTarget, guarded_request

CONTRACT = "frontdesk.agent/1"
# Bodies larger than this are not an answer to a chat message.
MAX_RESPONSE_BYTES = 512 * 1024
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def _content(part: UserPromptPart) -> str:
    if isinstance(part.content, str):
        return part.content
    return "\n".join(item for item in part.content if isinstance(item, str))


def wire_messages(messages: list[ModelMessage]) -> list[dict[str, Any]]:
    """pydantic-ai history as plain role/content records any agent framework can read."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart):
                    out.append({"role": "user", "content": _content(part)})
                elif isinstance(part, ToolReturnPart):
                    out.append(
                        {
                            "role": "tool",
                            "tool_call_id": part.tool_call_id,
                            "name": part.tool_name,
                            "content": part.model_response_str(),
                        }
                    )
                elif isinstance(part, RetryPromptPart):
                    out.append({"role": "user", "content": part.model_response()})
        elif isinstance(message, ModelResponse):
            text = "".join(p.content for p in message.parts if isinstance(p, TextPart))
            calls = [
                {"id": p.tool_call_id, "name": p.tool_name, "arguments": p.args_as_dict()}
                for p in message.parts
                if isinstance(p, ToolCallPart)
            ]
            record: dict[str, Any] = {"role": "assistant", "content": text}
            if calls:
                record["tool_calls"] = calls
            out.append(record)
    return out


class ExternalAgentModel(Model):
    """One external agent service; built per use from the provider row."""

    def __init__(self, spec: ProviderSpec, *, allow_private: bool) -> None:
        super().__init__()
        self._spec = spec
        self._allow_private = allow_private

    @property
    def model_name(self) -> str:
        return self._spec.model

    @property
    def system(self) -> str:
        return "external"

    @property
    def base_url(self) -> str | None:
        return self._spec.base_url

    def _body(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        params: ModelRequestParameters,
    ) -> dict[str, Any]:
        extra = (model_settings or {}).get("extra_body") or {}
        conversation = extra.get("conversation") if isinstance(extra, dict) else None
        tools = [
            {"name": t.name, "description": t.description or "", "parameters": t.parameters_json_schema}
            for t in params.function_tools
        ]
        return {
            "contract": CONTRACT,
            "model": self._spec.model,
            "conversation": conversation,
            "instructions": get_instructions(messages, params),
            "messages": wire_messages(messages),
            "tools": tools,
        }

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        assert self._spec.base_url
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._spec.api_key:
            headers["Authorization"] = f"Bearer {self._spec.api_key}"
        content = json.dumps(body, default=str).encode()
        attempt = 0
        while True:
            try:
                response = await guarded_request(
                    "POST",
                    self._spec.base_url,
                    allow_private=self._allow_private,
                    headers=headers,
                    content=content,
                    timeout=self._spec.timeout_seconds,
                    max_bytes=MAX_RESPONSE_BYTES,
                )
            except BlockedTarget as exc:
                raise ModelAPIError(
                    self.model_name, f"external agent refused by the address guard: {exc.message}"
                ) from None
            except (httpx.HTTPError, OSError) as exc:
                if attempt < self._spec.max_retries:
                    attempt += 1
                    await asyncio.sleep(min(0.25 * 2**attempt, 4.0))
                    continue
                raise ModelAPIError(self.model_name, f"external agent unreachable: {type(exc).__name__}") from exc
            if response.status in RETRY_STATUSES and attempt < self._spec.max_retries:
                attempt += 1
                await asyncio.sleep(_delay(response.headers, attempt))
                continue
            if response.status >= 400:
                raise ModelAPIError(
                    self.model_name, f"external agent answered HTTP {response.status}", body=response.text()[:500]
                )
            try:
                data = json.loads(response.body)
            except ValueError:
                raise ModelAPIError(self.model_name, "external agent answered something that is not JSON") from None
            if not isinstance(data, dict):
                raise ModelAPIError(self.model_name, "external agent answered JSON that is not an object")
            return data

    def _response(self, data: dict[str, Any]) -> ModelResponse:
        parts: list[ModelResponsePart] = []
        text = data.get("text")
        if isinstance(text, str) and text:
            parts.append(TextPart(content=text))
        for call in data.get("tool_calls") or []:
            if isinstance(call, dict) and isinstance(call.get("name"), str):
                args = call.get("arguments")
                parts.append(
                    ToolCallPart(
                        tool_name=call["name"],
                        args=args if isinstance(args, dict | str) else {},
                        tool_call_id=str(call.get("id") or f"ext_{len(parts)}"),
                    )
                )
        if not parts:
            raise ModelAPIError(self.model_name, "external agent answered neither text nor tool calls")
        raw_usage = data.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        details: dict[str, Any] = {}
        confidence = data.get("confidence")
        if isinstance(confidence, int | float) and 0 <= confidence <= 1:
            details["confidence"] = float(confidence)
        if isinstance(data.get("escalate"), bool):
            details["escalate"] = data["escalate"]
        if isinstance(data.get("metadata"), dict):
            details["metadata"] = data["metadata"]
        return ModelResponse(
            parts=parts,
            usage=RequestUsage(
                input_tokens=int(usage.get("input_tokens") or 0), output_tokens=int(usage.get("output_tokens") or 0)
            ),
            model_name=self.model_name,
            provider_name="external",
            provider_details=details or None,
        )

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        model_settings, model_request_parameters = self.prepare_request(model_settings, model_request_parameters)
        data = await self._post(self._body(messages, model_settings, model_request_parameters))
        return self._response(data)

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: Any = None,
    ) -> AsyncIterator[StreamedResponse]:
        """The contract has no streaming: the whole answer arrives as one chunk."""
        model_settings, model_request_parameters = self.prepare_request(model_settings, model_request_parameters)
        response = self._response(await self._post(self._body(messages, model_settings, model_request_parameters)))
        yield CompletedStreamedResponse(response, model_request_parameters=model_request_parameters, replay_events=True)


def _delay(headers: dict[str, str], attempt: int) -> float:
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        asked = float(lowered.get("retry-after", ""))
    except ValueError:
        asked = 0.0
    return min(asked, 5.0) if asked > 0 else min(0.25 * 2**attempt, 4.0)


def build(spec: ProviderSpec, *, allow_private: bool) -> Model:
    return ExternalAgentModel(spec, allow_private=allow_private)
