"""From an organization's provider rows to the model an assistant runs on: the contract the agent codes against.

:func:`model_for` returns a pydantic-ai ``FallbackModel`` over the organization's enabled providers in
their fallback order (the assistant's chosen provider first), always ending with the offline local
model, so a run never fails for want of a vendor. A spent monthly budget leaves the local model alone.
Every call builds fresh provider objects from the rows, each owning an HTTP client with the row's
timeout and retry count that pydantic-ai closes when the run ends; nothing is cached between calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import structlog
from pydantic_ai.models import Model
from pydantic_ai.models.fallback import FallbackModel
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import credentials, provider_repository, usage
from frontdesk.assistant.providers import anthropic, compatible, external, google, openai
from frontdesk.assistant.providers.base import (
    DEFAULT_MODELS,
    NEEDS_BASE_URL,
    VENDOR_KINDS,
    MissingCredentials,
    ProviderKind,
    ProviderSpec,
)
from frontdesk.kit.http import BlockedTarget, check_url

if TYPE_CHECKING:
    from frontdesk.assistant.provider_models import AiProviderConfig
    from frontdesk.kit.runtime import Runtime

log = structlog.get_logger("frontdesk.assistant.providers")

# One builder per remote kind; ``external`` also needs to know whether private addresses are allowed.
BUILDERS: dict[ProviderKind, Callable[[ProviderSpec], Model]] = {
    ProviderKind.OPENAI: openai.build,
    ProviderKind.ANTHROPIC: anthropic.build,
    ProviderKind.GOOGLE: google.build,
    ProviderKind.COMPATIBLE: compatible.build,
}


def allow_private(runtime: Runtime) -> bool:
    settings = runtime.settings
    return bool(settings.ai_allow_private_base_urls or settings.allow_private_network_targets)


def spec_for(runtime: Runtime, config: AiProviderConfig, *, model: str | None = None) -> ProviderSpec:
    """Decrypt the row's key (or take the environment's) into a spec; raises MissingCredentials."""
    kind = ProviderKind(config.kind)
    key = credentials.api_key_for(runtime, config)
    if kind in VENDOR_KINDS and not key:
        raise MissingCredentials(f"{config.name}: no API key stored and none in the environment")
    if kind in NEEDS_BASE_URL and not config.base_url:
        raise MissingCredentials(f"{config.name}: no base URL")
    return ProviderSpec(
        id=config.id,
        name=config.name,
        kind=kind,
        model=model or config.default_model or DEFAULT_MODELS[kind],
        base_url=config.base_url or None,
        api_key=key,
        timeout_seconds=float(config.timeout_seconds),
        max_retries=int(config.max_retries),
        options=dict(config.options or {}),
    )


def env_spec(runtime: Runtime, kind: ProviderKind, model: str | None) -> ProviderSpec | None:
    """A provider made from the installation's environment key alone, for an assistant naming a vendor."""
    key = credentials.env_key(runtime, kind) if kind in VENDOR_KINDS else None
    if not key:
        return None
    return ProviderSpec(
        id=None,
        name=f"{kind.value} (environment)",
        kind=kind,
        model=model or DEFAULT_MODELS[kind],
        api_key=key,
        timeout_seconds=runtime.settings.ai_timeout_seconds,
        max_retries=runtime.settings.ai_max_retries,
    )


async def build_model(runtime: Runtime, spec: ProviderSpec) -> Model:
    """One remote model; a base URL the address guard refuses raises BlockedTarget."""
    if spec.base_url:
        await check_url(spec.base_url, allow_private=allow_private(runtime))
    if spec.kind is ProviderKind.EXTERNAL:
        return external.build(spec, allow_private=allow_private(runtime))
    if spec.kind is ProviderKind.LOCAL:
        raise ValueError("the local model is built by local_model")
    return BUILDERS[spec.kind](spec)


async def local(session: AsyncSession, runtime: Runtime, organization_id: uuid.UUID, assistant: Any) -> Model:
    """The offline model: the same agent code, driven by rules over the organization's knowledge."""
    from frontdesk.assistant.providers.local import local_model

    return local_model(assistant)


def _model_name(assistant: Any) -> str | None:
    """The assistant's model (``model`` or ``model_name``); "local" or empty means the provider's default."""
    raw = getattr(assistant, "model", None) or getattr(assistant, "model_name", None)
    text = str(raw).strip() if raw else ""
    return text if text and text.lower() != "local" else None


def _choice(assistant: Any) -> tuple[uuid.UUID | None, ProviderKind | None]:
    """The assistant's ``provider``: a provider row id, a kind, or nothing/"auto" (the organization's order)."""
    raw = getattr(assistant, "provider", None)
    if raw is None or str(raw).strip().lower() in {"", "auto", "default"}:
        return None, None
    if isinstance(raw, uuid.UUID):
        return raw, None
    text = str(raw).strip()
    try:
        return uuid.UUID(text), None
    except ValueError:
        pass
    try:
        return None, ProviderKind(text.lower())
    except ValueError:
        log.warning("assistant_provider_unknown", provider=text[:80])
        return None, None


async def chain_specs(
    session: AsyncSession, runtime: Runtime, organization_id: uuid.UUID, assistant: Any
) -> list[ProviderSpec]:
    """The remote providers to try, in order, before the local model."""
    wanted_id, wanted_kind = _choice(assistant)
    if wanted_kind is ProviderKind.LOCAL:
        return []
    wanted_model = _model_name(assistant)
    configs = await provider_repository.enabled_for(session, organization_id)
    # A ``local`` row only marks where the local model stands for people; it always runs last here.
    configs = [c for c in configs if c.kind != ProviderKind.LOCAL.value]
    if wanted_id is not None:
        first = [c for c in configs if c.id == wanted_id]
    elif wanted_kind is not None:
        first = [c for c in configs if c.kind == wanted_kind.value][:1]
    else:
        first = []
    rest = [c for c in configs if c not in first]
    specs: list[ProviderSpec] = []
    if wanted_kind is not None and not first:
        # An assistant naming a vendor the organization has not configured runs on the installation's key.
        from_env = env_spec(runtime, wanted_kind, wanted_model)
        if from_env is not None:
            specs.append(from_env)
    for index, config in enumerate(first + rest):
        # The assistant's model name belongs to the provider it chose, not to the fallbacks.
        model = wanted_model if index < len(first) else None
        try:
            specs.append(spec_for(runtime, config, model=model))
        except MissingCredentials as exc:
            log.warning("ai_provider_skipped", provider=config.name, kind=config.kind, reason=str(exc))
        except ValueError:
            log.warning("ai_provider_skipped", provider=config.name, kind=config.kind, reason="key_undecryptable")
    return specs


async def model_for(session: AsyncSession, runtime: Runtime, organization_id: uuid.UUID, assistant: Any) -> Model:
    """The model ``assistant`` runs on for this organization: its providers in fallback order, then local."""
    offline = await local(session, runtime, organization_id, assistant)
    if await usage.budget_exhausted(session, organization_id):
        log.info("ai_budget_spent_using_local", organization_id=str(organization_id))
        return FallbackModel(offline)
    models: list[Model] = []
    for spec in await chain_specs(session, runtime, organization_id, assistant):
        try:
            models.append(await build_model(runtime, spec))
        except BlockedTarget as exc:
            log.warning("ai_provider_skipped", provider=spec.name, kind=spec.kind.value, reason=exc.code)
        except MissingCredentials as exc:
            log.warning("ai_provider_skipped", provider=spec.name, kind=spec.kind.value, reason=str(exc))
    return FallbackModel(*models, offline)


async def model_for_organization(session: AsyncSession, runtime: Runtime, organization_id: uuid.UUID) -> Model | None:
    """The organization's configured chain (then local) for callers with no assistant, like the staff assistant.

    None when there is nothing but the local model to offer (no usable provider, or the budget is
    spent), so such callers can keep their own offline path.
    """
    if await usage.budget_exhausted(session, organization_id):
        return None
    models: list[Model] = []
    for spec in await chain_specs(session, runtime, organization_id, None):
        try:
            models.append(await build_model(runtime, spec))
        except (BlockedTarget, MissingCredentials) as exc:
            log.warning("ai_provider_skipped", provider=spec.name, kind=spec.kind.value, reason=type(exc).__name__)
    if not models:
        return None
    return FallbackModel(*models, await local(session, runtime, organization_id, None))
