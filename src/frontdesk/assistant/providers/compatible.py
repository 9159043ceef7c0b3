"""OpenAI-compatible servers (Ollama, vLLM, llama.cpp, gateways) at a base URL the organization gives."""

from __future__ import annotations

from openai import AsyncOpenAI
from pydantic_ai.models import Model
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider

from frontdesk.assistant.providers._http import client_for
from frontdesk.assistant.providers.base import ProviderSpec


class _OwnedCompatibleProvider(OpenAICompatibleProvider):
    def __init__(self, spec: ProviderSpec) -> None:
        http_client = client_for(spec.timeout_seconds)
        super().__init__(
            "compatible",
            openai_client=AsyncOpenAI(
                # Local servers rarely check keys, yet the SDK insists on one.
                api_key=spec.api_key or "api-key-not-set",
                base_url=spec.base_url,
                http_client=http_client,
                max_retries=spec.max_retries,
                timeout=spec.timeout_seconds,
            ),
        )
        self._own_http_client = http_client


def build(spec: ProviderSpec) -> Model:
    return OpenAIChatModel(spec.model, provider=_OwnedCompatibleProvider(spec))
