"""What every provider builder receives and returns, and the kinds an organization can configure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from pydantic_ai.models import Model


class ProviderKind(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GOOGLE = "google"
    COMPATIBLE = "compatible"
    EXTERNAL = "external"
    LOCAL = "local"


# Kinds that talk to a server somewhere, as opposed to the model running inside this process.
REMOTE_KINDS = frozenset(k for k in ProviderKind if k is not ProviderKind.LOCAL)
# Kinds whose server address is the vendor's unless the row names another.
VENDOR_KINDS = frozenset({ProviderKind.OPENAI, ProviderKind.ANTHROPIC, ProviderKind.GOOGLE})
# Kinds that cannot work without a base URL of the operator's choosing.
NEEDS_BASE_URL = frozenset({ProviderKind.COMPATIBLE, ProviderKind.EXTERNAL})

DEFAULT_MODELS: dict[ProviderKind, str] = {
    ProviderKind.OPENAI: "gpt-4o-mini",
    ProviderKind.ANTHROPIC: "claude-3-5-haiku-latest",
    ProviderKind.GOOGLE: "gemini-2.0-flash",
    ProviderKind.COMPATIBLE: "llama3.1",
    ProviderKind.EXTERNAL: "agent",
    ProviderKind.LOCAL: "local",
}


@dataclass(frozen=True, repr=False)
class ProviderSpec:
    """A provider row with its key decrypted, alive only while a model is built from it.

    ``repr`` leaves the key out so that a spec ending up in a log line or a traceback leaks nothing.
    """

    id: uuid.UUID | None
    name: str
    kind: ProviderKind
    model: str
    base_url: str | None = None
    api_key: str | None = None
    timeout_seconds: float = 30.0
    max_retries: int = 2
    options: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"ProviderSpec(name={self.name!r}, kind={self.kind.value}, model={self.model!r})"


class ProviderBuilder(Protocol):
    def __call__(self, spec: ProviderSpec) -> Model: ...


class MissingCredentials(Exception):
    """The provider has no key stored and none in the environment; it is left out of the chain."""
