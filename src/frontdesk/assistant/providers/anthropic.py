"""Anthropic's Messages API, through the official SDK (which retries 429, 529 and 5xx with backoff)."""

from __future__ import annotations

from anthropic import AsyncAnthropic
from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.providers.anthropic import AnthropicProvider

from frontdesk.assistant.providers._http import client_for
from frontdesk.assistant.providers.base import MissingCredentials, ProviderSpec


class _OwnedAnthropicProvider(AnthropicProvider):
    def __init__(self, spec: ProviderSpec) -> None:
        http_client = client_for(spec.timeout_seconds)
        super().__init__(
            anthropic_client=AsyncAnthropic(
                api_key=spec.api_key,
                base_url=spec.base_url or None,
                http_client=http_client,
                max_retries=spec.max_retries,
                timeout=spec.timeout_seconds,
            )
        )
        self._own_http_client = http_client


def build(spec: ProviderSpec) -> Model:
    if not spec.api_key:
        raise MissingCredentials(f"{spec.name}: no Anthropic API key")
    return AnthropicModel(spec.model, provider=_OwnedAnthropicProvider(spec))
