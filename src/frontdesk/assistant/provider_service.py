"""Managing an organization's AI providers, its budget, connection tests and usage reports. Never commits."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import credentials, provider_repository, provider_schemas, usage
from frontdesk.assistant.provider_models import AiOrgSettings, AiProviderConfig
from frontdesk.assistant.providers import registry
from frontdesk.assistant.providers.base import NEEDS_BASE_URL, MissingCredentials, ProviderKind
from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed
from frontdesk.kit.http import BlockedTarget, check_url

log = structlog.get_logger("frontdesk.assistant.providers")

MAX_USAGE_DAYS = 366


def _runtime(session: AsyncSession) -> Any:
    return session.info["runtime"]


def to_schema(session: AsyncSession, row: AiProviderConfig) -> provider_schemas.AiProvider:
    runtime = _runtime(session)
    if row.api_key_encrypted:
        source = "stored"
    elif row.kind != ProviderKind.LOCAL and credentials.env_key(runtime, row.kind):
        source = "environment"
    else:
        source = "none"
    return provider_schemas.AiProvider.model_validate(
        {
            **{c: getattr(row, c) for c in provider_schemas.AiProvider.model_fields if hasattr(row, c)},
            "options": row.options or {},
            "key_source": source,
        }
    )


async def _checked_base_url(session: AsyncSession, raw: str | None, kind: ProviderKind) -> str | None:
    url = (raw or "").strip() or None
    if url is None:
        if kind in NEEDS_BASE_URL:
            raise ValidationFailed(f"A {kind.value} provider needs a base URL.", code="base_url_required")
        return None
    if kind is ProviderKind.LOCAL:
        raise ValidationFailed("The local model runs inside Frontdesk and takes no base URL.", code="invalid_url")
    try:
        await check_url(url, allow_private=registry.allow_private(_runtime(session)))
    except BlockedTarget as exc:
        raise ValidationFailed(exc.message, code=exc.code, details={"base_url": url}) from None
    except ValueError:
        raise ValidationFailed(f"{url!r} is not a valid URL.", code="invalid_url") from None
    return url


def _clean_key(secret: Any) -> str | None:
    if secret is None:
        return None
    key = secret.get_secret_value().strip()
    if not key:
        return None
    if len(key) > 500 or any(ch.isspace() for ch in key):
        raise ValidationFailed("That does not look like an API key.", code="invalid_api_key")
    return key


async def list_providers(session: AsyncSession, scope: OrgScope) -> list[AiProviderConfig]:
    return await provider_repository.list_providers(session, scope.ids)


async def get_provider(session: AsyncSession, scope: OrgScope, provider_id: uuid.UUID) -> AiProviderConfig:
    row = await provider_repository.get(session, scope.ids, provider_id)
    if row is None:
        raise NotFound("No such AI provider.")
    return row


async def create_provider(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: provider_schemas.AiProviderCreate
) -> AiProviderConfig:
    runtime = _runtime(session)
    kind = ProviderKind(data.kind)
    name = data.name.strip()
    if not name:
        raise ValidationFailed("A provider needs a name.", code="name_required")
    if await provider_repository.name_taken(session, scope.organization_id, name):
        raise Conflict(f"A provider named {name!r} exists already.", code="name_taken")
    base_url = await _checked_base_url(session, data.base_url, kind)
    key = _clean_key(data.api_key)
    now = runtime.clock.now()
    row = AiProviderConfig(
        organization_id=scope.organization_id,
        name=name,
        kind=kind.value,
        base_url=base_url,
        default_model=data.default_model.strip(),
        timeout_seconds=data.timeout_seconds or runtime.settings.ai_timeout_seconds,
        max_retries=data.max_retries if data.max_retries is not None else runtime.settings.ai_max_retries,
        position=(
            data.position
            if data.position is not None
            else await provider_repository.next_position(session, scope.organization_id)
        ),
        enabled=data.enabled,
        options=data.options,
        created_at=now,
        updated_at=now,
    )
    if key is not None:
        row.api_key_encrypted, row.api_key_hint = credentials.seal(runtime, key)
    session.add(row)
    await session.flush()
    record(
        session,
        "ai_provider.created",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="ai_provider",
        target_id=row.id,
        details={"name": name, "kind": kind.value, "key_stored": key is not None},
    )
    return row


async def update_provider(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    provider_id: uuid.UUID,
    data: provider_schemas.AiProviderUpdate,
) -> AiProviderConfig:
    runtime = _runtime(session)
    row = await get_provider(session, scope, provider_id)
    kind = ProviderKind(row.kind)
    changed: list[str] = []
    fields = data.model_fields_set
    if data.name is not None and data.name.strip() != row.name:
        name = data.name.strip()
        if not name:
            raise ValidationFailed("A provider needs a name.", code="name_required")
        if await provider_repository.name_taken(session, scope.organization_id, name, except_id=row.id):
            raise Conflict(f"A provider named {name!r} exists already.", code="name_taken")
        row.name = name
        changed.append("name")
    if "base_url" in fields:
        row.base_url = await _checked_base_url(session, data.base_url, kind)
        changed.append("base_url")
    if data.clear_api_key:
        row.api_key_encrypted, row.api_key_hint = None, None
        changed.append("api_key")
    key = _clean_key(data.api_key)
    if key is not None:
        row.api_key_encrypted, row.api_key_hint = credentials.seal(runtime, key)
        changed.append("api_key")
    for attr in ("default_model", "timeout_seconds", "max_retries", "position", "enabled", "options"):
        value = getattr(data, attr)
        if value is not None:
            setattr(row, attr, value.strip() if isinstance(value, str) else value)
            changed.append(attr)
    row.updated_at = runtime.clock.now()
    await session.flush()
    record(
        session,
        "ai_provider.updated",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="ai_provider",
        target_id=row.id,
        details={"changed": sorted(set(changed))},
    )
    return row


async def delete_provider(session: AsyncSession, scope: OrgScope, subject: AuthSubject, provider_id: uuid.UUID) -> None:
    row = await get_provider(session, scope, provider_id)
    await session.delete(row)
    await session.flush()
    record(
        session,
        "ai_provider.deleted",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="ai_provider",
        target_id=provider_id,
        details={"name": row.name, "kind": row.kind},
    )


async def set_order(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: provider_schemas.ProviderOrder
) -> list[AiProviderConfig]:
    rows = await provider_repository.list_providers(session, scope.ids)
    by_id = {r.id: r for r in rows}
    unknown = [str(i) for i in data.ids if i not in by_id]
    if unknown:
        raise NotFound("No such AI provider.", details={"ids": unknown})
    if len(set(data.ids)) != len(data.ids):
        raise ValidationFailed("A provider appears twice in the order.", code="duplicate_provider")
    ordered = [by_id[i] for i in data.ids] + [r for r in rows if r.id not in set(data.ids)]
    for position, row in enumerate(ordered):
        row.position = position
    await session.flush()
    record(
        session,
        "ai_provider.reordered",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="organization",
        target_id=scope.organization_id,
        details={"order": [str(r.id) for r in ordered]},
    )
    return ordered


async def check_connection(
    session: AsyncSession, scope: OrgScope, provider_id: uuid.UUID
) -> provider_schemas.ConnectionTest:
    """One tiny request to this provider alone (no fallback); its cost is recorded like any other."""
    from pydantic_ai.direct import model_request
    from pydantic_ai.messages import ModelRequest, TextPart

    runtime = _runtime(session)
    row = await get_provider(session, scope, provider_id)
    result = provider_schemas.ConnectionTest(
        ok=False, provider=row.name, kind=row.kind, model=row.default_model, latency_ms=0
    )
    if row.kind == ProviderKind.LOCAL:
        return result.model_copy(update={"ok": True, "model": "local", "reply": "The local model is built in."})
    key: str | None = None
    started = time.perf_counter()
    try:
        spec = registry.spec_for(runtime, row)
        key = spec.api_key
        result.model = spec.model
        model = await registry.build_model(runtime, spec)
        # Retries included, a connection test must not hang the page: bound it as a whole.
        budget = spec.timeout_seconds * (spec.max_retries + 1) + 5
        async with asyncio.timeout(budget), model:
            response = await model_request(model, [ModelRequest.user_text_prompt("Reply with the single word OK.")])
        reply = "".join(p.content for p in response.parts if isinstance(p, TextPart))
        await usage.record(
            session,
            organization_id=scope.organization_id,
            conversation_id=None,
            message_id=None,
            provider=response.provider_name or row.kind,
            model=response.model_name or spec.model,
            usage=response.usage,
        )
        result.ok, result.reply = True, reply[:200]
    except MissingCredentials as exc:
        result.error = str(exc)
    except BlockedTarget as exc:
        result.error = exc.message
    except TimeoutError:
        result.error = "No answer in time."
    except Exception as exc:  # a vendor's failure is the answer to the question, not a crash
        result.error = credentials.scrub(f"{type(exc).__name__}: {exc}", key)[:500]
    result.latency_ms = int((time.perf_counter() - started) * 1000)
    if not result.ok:
        log.info("ai_provider_test_failed", provider=row.name, kind=row.kind, error=result.error)
    return result


# ---------------------------------------------------------------- budget and usage


def _usd(micros: int | None) -> float | None:
    return None if micros is None else round(micros / 1_000_000, 6)


async def get_settings(session: AsyncSession, scope: OrgScope) -> provider_schemas.AiSettings:
    budget = await usage.monthly_budget_micros(session, scope.organization_id)
    today = _runtime(session).clock.now().date()
    spent = await usage.spent_micros(session, scope.organization_id, since=usage.month_start(today))
    return provider_schemas.AiSettings(
        monthly_budget_usd=_usd(budget),
        spent_this_month_usd=_usd(spent) or 0.0,
        budget_exhausted=budget is not None and spent >= budget,
    )


async def update_settings(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: provider_schemas.AiSettingsUpdate
) -> provider_schemas.AiSettings:
    runtime = _runtime(session)
    row = await provider_repository.org_settings(session, scope.organization_id)
    if row is None:
        row = AiOrgSettings(organization_id=scope.organization_id)
        session.add(row)
    budget = data.monthly_budget_usd
    row.monthly_budget_micros = None if budget is None else round(budget * 1_000_000)
    row.updated_at = runtime.clock.now()
    await session.flush()
    record(
        session,
        "ai_settings.updated",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="organization",
        target_id=scope.organization_id,
        details={"monthly_budget_usd": budget},
    )
    return await get_settings(session, scope)


async def usage_report(
    session: AsyncSession, scope: OrgScope, *, since: date | None, until: date | None
) -> provider_schemas.UsageReport:
    today = _runtime(session).clock.now().date()
    until = until or today
    try:
        since = since or until - timedelta(days=29)
    except OverflowError:  # ``until`` in the first days of year 1
        raise ValidationFailed("`until` is too early.", code="invalid_range") from None
    if since > until:
        raise ValidationFailed("`since` is after `until`.", code="invalid_range")
    if (until - since).days >= MAX_USAGE_DAYS:
        raise ValidationFailed(f"Ask for at most {MAX_USAGE_DAYS} days at a time.", code="range_too_long")
    rows = await usage.daily(session, scope.ids, since=since, until=until)
    days = [provider_schemas.UsageDay(**{**r, "cost_usd": _usd(r["cost_micros"]) or 0.0}) for r in rows]
    return provider_schemas.UsageReport(
        since=since,
        until=until,
        days=days,
        total_requests=sum(d.requests for d in days),
        total_input_tokens=sum(d.input_tokens for d in days),
        total_output_tokens=sum(d.output_tokens for d in days),
        total_cost_usd=_usd(sum(r["cost_micros"] for r in rows)) or 0.0,
    )
