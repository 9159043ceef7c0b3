"""Google Gemini through the google-genai SDK, with its own retry options for 429 and 5xx."""

from __future__ import annotations

from google.genai import Client
from google.genai.types import HttpOptions, HttpRetryOptions
from pydantic_ai.models import Model, get_user_agent
from pydantic_ai.models.google import GoogleModel
from pydantic_ai.providers.google import GoogleProvider

from frontdesk.assistant.providers._http import client_for, tls_context
from frontdesk.assistant.providers.base import MissingCredentials, ProviderSpec


class _OwnedGoogleProvider(GoogleProvider):
    """The SDK client is built here so that it reuses the process's TLS context (see ``_http``).

    google-genai would otherwise load the CA bundle again for every client, which is most of the cost
    of building a provider per use.
    """

    def __init__(self, spec: ProviderSpec) -> None:
        http_client = client_for(spec.timeout_seconds)
        options = HttpOptions(
            base_url=spec.base_url or None,
            headers={"user-agent": get_user_agent()},
            httpx_async_client=http_client,
            client_args={"verify": tls_context()},
            # The SDK's websocket (Live API) path reads its TLS context from here, and builds one if absent.
            async_client_args={"ssl": tls_context()},
            # In milliseconds; without it the SDK sends no timeout and overrides the client's.
            timeout=int(spec.timeout_seconds * 1000),
            # ``attempts`` counts the first try as well.
            retry_options=HttpRetryOptions(attempts=spec.max_retries + 1, initial_delay=0.5, max_delay=8.0),
        )
        super().__init__(client=Client(vertexai=False, api_key=spec.api_key, http_options=options))
        self._own_http_client = http_client


def build(spec: ProviderSpec) -> Model:
    if not spec.api_key:
        raise MissingCredentials(f"{spec.name}: no Gemini API key")
    return GoogleModel(spec.model, provider=_OwnedGoogleProvider(spec))
