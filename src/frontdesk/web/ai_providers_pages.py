"""Settings pages for AI providers: the fallback chain, keys (write-only), connection tests, budget and usage.

Same rules as the other settings pages: read the form, validate it with the API's schema, call the
service the JSON API calls, then redirect with a flash or show the form again with the problem next
to its field. Everything needs ``assistants.manage``. A stored key is never put back into a page:
the key field is always empty and only the hint is shown.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response
from starlette.datastructures import FormData

from frontdesk.assistant import provider_schemas as schemas
from frontdesk.assistant import provider_service as service
from frontdesk.assistant.provider_models import AiProviderConfig
from frontdesk.assistant.providers.base import DEFAULT_MODELS, ProviderKind
from frontdesk.authz.service import require
from frontdesk.kit.errors import FrontdeskError
from frontdesk.web import forms
from frontdesk.web.dependencies import Page, PageRoute, UserPage
from frontdesk.web.settings import sections_for

router = APIRouter(route_class=PageRoute, include_in_schema=False)

BASE = "/app/settings/ai-providers"
PERMISSION = "assistants.manage"

KIND_LABELS = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google Gemini",
    "compatible": "OpenAI-compatible server (Ollama, vLLM, llama.cpp)",
    "external": "External agent service",
    "local": "Built-in local model",
}
LABELS = {
    "name": "Name",
    "kind": "Kind",
    "base_url": "Base URL",
    "api_key": "API key",
    "default_model": "Model",
    "timeout_seconds": "Timeout (seconds)",
    "max_retries": "Retries",
    "monthly_budget_usd": "Monthly budget (USD)",
}
# Service error codes -> the field they are about.
_FIELDS = {
    "name_taken": "name",
    "name_required": "name",
    "base_url_required": "base_url",
    "blocked_target": "base_url",
    "invalid_url": "base_url",
    "unresolvable_host": "base_url",
    "invalid_api_key": "api_key",
}


def _render(page: Page, template: str, *, status_code: int = 200, **context: Any) -> Response:
    return page.render(
        template,
        status_code=status_code,
        sections=sections_for(page),
        current=BASE,
        kind_labels=KIND_LABELS,
        labels=LABELS,
        default_models={k.value: v for k, v in DEFAULT_MODELS.items()},
        **context,
    )


def _values(form: FormData) -> dict[str, Any]:
    return {
        "name": forms.text(form, "name", limit=200),
        "kind": forms.text(form, "kind", limit=40),
        "base_url": forms.text(form, "base_url", limit=2100),
        "api_key": forms.text(form, "api_key", limit=1000),
        "default_model": forms.text(form, "default_model", limit=200),
        "timeout_seconds": forms.text(form, "timeout_seconds", limit=20),
        "max_retries": forms.text(form, "max_retries", limit=20),
        "enabled": form.get("enabled") is not None,
    }


def _data(values: dict[str, Any]) -> dict[str, Any]:
    """Form text to API input: empty optional fields are left out, never the key's value echoed back."""
    out: dict[str, Any] = {}
    for name in ("name", "kind", "base_url", "api_key", "default_model", "timeout_seconds", "max_retries"):
        if values.get(name) not in (None, ""):
            out[name] = values[name]
    out["enabled"] = values.get("enabled", True)
    return out


def _error(exc: FrontdeskError) -> dict[str, str]:
    return {_FIELDS.get(exc.code, "__all__"): exc.message}


def _safe(values: dict[str, Any]) -> dict[str, Any]:
    """What goes back into a form: everything but the key."""
    return {**values, "api_key": ""}


def _blank() -> dict[str, Any]:
    return {
        "name": "",
        "kind": "openai",
        "base_url": "",
        "api_key": "",
        "default_model": "",
        "timeout_seconds": "",
        "max_retries": "",
        "enabled": True,
    }


async def _list_page(
    page: Page,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    budget_errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    scope = require(page.actor, PERMISSION)
    rows = await service.list_providers(page.session, scope)
    report = await service.usage_report(page.session, scope, since=None, until=None)
    ai_settings = await service.get_settings(page.session, scope)
    return _render(
        page,
        "ai_providers/list.html",
        status_code=status,
        providers=[service.to_schema(page.session, r) for r in rows],
        values=_safe(values or _blank()),
        errors=errors or {},
        budget_errors=budget_errors or {},
        kinds=[(k.value, KIND_LABELS[k.value]) for k in ProviderKind],
        report=report,
        ai_settings=ai_settings,
        allow_private=bool(page.settings.ai_allow_private_base_urls or page.settings.allow_private_network_targets),
    )


@router.get(BASE)
async def ai_providers_page(page: UserPage) -> Response:
    return await _list_page(page)


@router.post(BASE)
async def ai_provider_create_submit(page: UserPage) -> Response:
    scope = require(page.actor, PERMISSION)
    values = _values(await page.form())
    data, errors = forms.validate(schemas.AiProviderCreate, _data(values))
    if data is None or errors:
        return await _list_page(page, values=values, errors=errors, status=422)
    try:
        row = await service.create_provider(page.session, scope, page.actor, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _list_page(page, values=values, errors=_error(exc), status=exc.status_code)
    page.flash(f"{row.name} was added to the fallback chain. Test its connection to be sure it answers.")
    return page.redirect(f"{BASE}/{row.id}")


@router.post(BASE + "/budget")
async def ai_budget_submit(page: UserPage) -> Response:
    scope = require(page.actor, PERMISSION)
    raw = forms.text(await page.form(), "monthly_budget_usd", limit=20)
    data, errors = forms.validate(schemas.AiSettingsUpdate, {"monthly_budget_usd": raw or None})
    if data is None or errors:
        return await _list_page(page, budget_errors=errors, status=422)
    await service.update_settings(page.session, scope, page.actor, data)
    if data.monthly_budget_usd is None:
        page.flash("The monthly budget was removed.")
    else:
        page.flash(
            f"The monthly budget is now ${data.monthly_budget_usd:g}. Once spent, assistants use the local model."
        )
    return page.redirect(BASE)


async def _edit_page(
    page: Page,
    provider_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    scope = require(page.actor, PERMISSION)
    row = await service.get_provider(page.session, scope, provider_id)
    return _render(
        page,
        "ai_providers/edit.html",
        status_code=status,
        provider=service.to_schema(page.session, row),
        values=_safe(values or _row_values(row)),
        errors=errors or {},
    )


def _row_values(row: AiProviderConfig) -> dict[str, Any]:
    return {
        "name": row.name,
        "kind": row.kind,
        "base_url": row.base_url or "",
        "api_key": "",
        "default_model": row.default_model,
        "timeout_seconds": f"{row.timeout_seconds:g}",
        "max_retries": str(row.max_retries),
        "enabled": row.enabled,
    }


@router.get(BASE + "/{provider_id}")
async def ai_provider_page(provider_id: str, page: UserPage) -> Response:
    return await _edit_page(page, forms.parse_id(provider_id, "AI provider"))


@router.post(BASE + "/{provider_id}")
async def ai_provider_update_submit(provider_id: str, page: UserPage) -> Response:
    scope = require(page.actor, PERMISSION)
    parsed = forms.parse_id(provider_id, "AI provider")
    form = await page.form()
    values = _values(form)
    row = await service.get_provider(page.session, scope, parsed)
    changes = _data(values)
    changes.pop("kind", None)
    if (row.base_url or "") == values["base_url"]:
        # Only a changed URL is checked again: renaming must not hinge on a DNS lookup.
        changes.pop("base_url", None)
    elif not values["base_url"]:
        changes["base_url"] = None
    changes["clear_api_key"] = form.get("clear_api_key") is not None
    data, errors = forms.validate(schemas.AiProviderUpdate, changes)
    if data is None or errors:
        return await _edit_page(page, parsed, values=values, errors=errors, status=422)
    try:
        await service.update_provider(page.session, scope, page.actor, parsed, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        return await _edit_page(page, parsed, values=values, errors=_error(exc), status=exc.status_code)
    page.flash("The provider was saved.")
    return page.redirect(f"{BASE}/{parsed}")


@router.post(BASE + "/{provider_id}/test")
async def ai_provider_test_submit(provider_id: str, page: UserPage) -> Response:
    scope = require(page.actor, PERMISSION)
    parsed = forms.parse_id(provider_id, "AI provider")
    result = await service.check_connection(page.session, scope, parsed)
    if result.ok:
        page.flash(f"{result.provider} answered in {result.latency_ms} ms with {result.model}: “{result.reply or ''}”")
    else:
        page.flash(f"{result.provider} did not answer: {result.error}", kind="error")
    return page.redirect(f"{BASE}/{parsed}")


@router.post(BASE + "/{provider_id}/delete")
async def ai_provider_delete_submit(provider_id: str, page: UserPage) -> Response:
    scope = require(page.actor, PERMISSION)
    parsed = forms.parse_id(provider_id, "AI provider")
    await service.delete_provider(page.session, scope, page.actor, parsed)
    page.flash("The provider was removed.")
    return page.redirect(BASE)
