"""API keys of AI providers: encrypted at rest, shown to people only as a hint, taken from the environment otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from frontdesk.assistant.providers.base import ProviderKind

if TYPE_CHECKING:
    from frontdesk.assistant.provider_models import AiProviderConfig
    from frontdesk.kit.runtime import Runtime


def hint_for(key: str) -> str:
    """Enough for a person to tell two keys apart, never enough to use one."""
    tail = key[-4:] if len(key) >= 12 else ""
    return f"…{tail}" if tail else "…"


def seal(runtime: Runtime, key: str) -> tuple[str, str]:
    """The ciphertext to store and the hint to show."""
    return runtime.secrets.encrypt(key), hint_for(key)


def env_key(runtime: Runtime, kind: ProviderKind | str) -> str | None:
    settings = runtime.settings
    secret = {
        ProviderKind.OPENAI: settings.openai_api_key,
        ProviderKind.ANTHROPIC: settings.anthropic_api_key,
        ProviderKind.GOOGLE: settings.google_api_key,
    }.get(ProviderKind(kind))
    return secret.get_secret_value() if secret is not None else None


def api_key_for(runtime: Runtime, config: AiProviderConfig) -> str | None:
    """The stored key when there is one, else the installation's key for that vendor, else none."""
    if config.api_key_encrypted:
        return runtime.secrets.decrypt(config.api_key_encrypted)
    return env_key(runtime, config.kind)


def scrub(text: str, *secrets: str | None) -> str:
    """Remove keys from text that came back from a vendor (error messages sometimes echo them)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text
