"""OpenAI's chat completions, through the official SDK (which retries 429 and 5xx with backoff)."""

from __future__ import annotations

from openai import AsyncOpenAI
from pydantic_ai.models import Model
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from frontdesk.assistant.providers._http import client_for
from frontdesk.assistant.providers.base import MissingCredentials, ProviderSpec


class _OwnedOpenAIProvider(OpenAIProvider):
    """An OpenAI provider whose SDK client carries our timeout and retry count, and which closes its HTTP client.

    pydantic-ai closes a provider's own client when the model's run ends; a client passed in is the
    caller's to close, so it is handed over as the provider's own.
    """

    def __init__(self, spec: ProviderSpec) -> None:
        http_client = client_for(spec.timeout_seconds)
        super().__init__(
            openai_client=AsyncOpenAI(
                api_key=spec.api_key or "api-key-not-set",
                base_url=spec.base_url or None,
                http_client=http_client,
                max_retries=spec.max_retries,
                timeout=spec.timeout_seconds,
            )
        )
        self._own_http_client = http_client


def build(spec: ProviderSpec) -> Model:
    if not spec.api_key:
        raise MissingCredentials(f"{spec.name}: no OpenAI API key")
    return OpenAIChatModel(spec.model, provider=_OwnedOpenAIProvider(spec))
