"""Token usage and cost of model calls: recorded per message, summed per conversation and per day, held to budgets.

Costs are integers in millionths of a US dollar, so sums are exact on both databases. Prices are per
million tokens; the table below is a starting point that operators correct with
``FRONTDESK_AI_PRICES`` when vendors change theirs. A model not in the table costs nothing (self-hosted
models, the local model), which is the safe side for budgets only if operators price paid models they add.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant.provider_models import AiOrgSettings
from frontdesk.assistant.usage_models import AiUsage

# USD per million tokens: (input, output).
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
    "gemini-1.5-flash": (0.075, 0.30),
    "gemini-1.5-pro": (1.25, 5.00),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-pro": (1.25, 10.00),
}


def price_for(model: str, overrides: dict[str, list[float]] | None = None) -> tuple[float, float]:
    """Exact name first, then the longest known prefix (``gpt-4o-2024-08-06`` is priced as ``gpt-4o``)."""
    table: dict[str, tuple[float, float]] = dict(PRICES)
    for name, pair in (overrides or {}).items():
        if len(pair) == 2:
            table[name] = (float(pair[0]), float(pair[1]))
    if model in table:
        return table[model]
    prefixes = [name for name in table if model.startswith(name)]
    return table[max(prefixes, key=len)] if prefixes else (0.0, 0.0)


def cost_micros(
    model: str, input_tokens: int, output_tokens: int, overrides: dict[str, list[float]] | None = None
) -> int:
    price_in, price_out = price_for(model, overrides)
    # A price per million tokens is exactly a number of micro-dollars per token.
    return round(input_tokens * price_in + output_tokens * price_out)


def _tokens(usage: Any) -> tuple[int, int, int]:
    if isinstance(usage, dict):
        get = usage.get
    else:

        def get(name: str, default: Any = None) -> Any:
            return getattr(usage, name, default)

    requests = get("requests", 1)
    return int(get("input_tokens", 0) or 0), int(get("output_tokens", 0) or 0), int(requests if requests else 1)


def _runtime(session: AsyncSession) -> Any:
    return session.info["runtime"]


async def record(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    conversation_id: uuid.UUID | None,
    message_id: uuid.UUID | None,
    provider: str,
    model: str,
    usage: Any,
) -> None:
    """Add one usage row (``usage``: a pydantic-ai ``RequestUsage``/``RunUsage`` or a dict). Never commits."""
    runtime = _runtime(session)
    input_tokens, output_tokens, requests = _tokens(usage)
    now = runtime.clock.now()
    session.add(
        AiUsage(
            organization_id=organization_id,
            conversation_id=conversation_id,
            message_id=message_id,
            provider=provider[:80],
            model=(model or "")[:120],
            requests=requests,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_micros=cost_micros(model or "", input_tokens, output_tokens, runtime.settings.ai_prices),
            day=now.date(),
            created_at=now,
        )
    )


async def record_messages(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    conversation_id: uuid.UUID | None,
    message_id: uuid.UUID | None,
    messages: Sequence[Any],
) -> None:
    """Record every model response of a run (``result.new_messages()``), each under the provider that answered.

    With a fallback chain the answering provider is only known per response, so this is the call to
    make after an agent run rather than :func:`record` with the run's total.
    """
    from pydantic_ai.messages import ModelResponse

    for message in messages:
        if isinstance(message, ModelResponse):
            await record(
                session,
                organization_id=organization_id,
                conversation_id=conversation_id,
                message_id=message_id,
                provider=message.provider_name or "local",
                model=message.model_name or "",
                usage=message.usage,
            )


def month_start(day: date) -> date:
    return day.replace(day=1)


async def spent_micros(session: AsyncSession, organization_id: uuid.UUID, *, since: date) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(AiUsage.cost_micros), 0)).where(
            AiUsage.organization_id == organization_id, AiUsage.day >= since
        )
    )
    return int(total or 0)


async def monthly_budget_micros(session: AsyncSession, organization_id: uuid.UUID) -> int | None:
    return await session.scalar(
        select(AiOrgSettings.monthly_budget_micros).where(AiOrgSettings.organization_id == organization_id)
    )


async def budget_exhausted(session: AsyncSession, organization_id: uuid.UUID) -> bool:
    """True once this calendar month's (UTC) cost reaches the organization's budget; no budget, never."""
    budget = await monthly_budget_micros(session, organization_id)
    if budget is None:
        return False
    today = _runtime(session).clock.now().date()
    return await spent_micros(session, organization_id, since=month_start(today)) >= budget


@dataclass(frozen=True)
class UsageTotals:
    requests: int
    input_tokens: int
    output_tokens: int
    cost_micros: int


_SUMS = (
    func.coalesce(func.sum(AiUsage.requests), 0),
    func.coalesce(func.sum(AiUsage.input_tokens), 0),
    func.coalesce(func.sum(AiUsage.output_tokens), 0),
    func.coalesce(func.sum(AiUsage.cost_micros), 0),
)


async def daily(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], *, since: date, until: date
) -> list[dict[str, Any]]:
    """One row per day, provider and model between ``since`` and ``until`` (inclusive), oldest first."""
    rows = await session.execute(
        select(AiUsage.day, AiUsage.provider, AiUsage.model, *_SUMS)
        .where(AiUsage.organization_id.in_(list(org_ids)), AiUsage.day >= since, AiUsage.day <= until)
        .group_by(AiUsage.day, AiUsage.provider, AiUsage.model)
        .order_by(AiUsage.day, AiUsage.provider, AiUsage.model)
    )
    return [
        {
            "day": day,
            "provider": provider,
            "model": model,
            "requests": int(requests),
            "input_tokens": int(input_tokens),
            "output_tokens": int(output_tokens),
            "cost_micros": int(cost),
        }
        for day, provider, model, requests, input_tokens, output_tokens, cost in rows
    ]


async def totals(
    session: AsyncSession,
    org_ids: Iterable[uuid.UUID],
    *,
    conversation_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
    since: date | None = None,
) -> UsageTotals:
    """Sums for a conversation, a message, or the whole organization since a day."""
    stmt = select(*_SUMS).where(AiUsage.organization_id.in_(list(org_ids)))
    if conversation_id is not None:
        stmt = stmt.where(AiUsage.conversation_id == conversation_id)
    if message_id is not None:
        stmt = stmt.where(AiUsage.message_id == message_id)
    if since is not None:
        stmt = stmt.where(AiUsage.day >= since)
    row = (await session.execute(stmt)).one()
    return UsageTotals(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def default_window(today: date, days: int = 30) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today
