"""Figures the other capabilities record: leads, meetings, bot flows, trigger firings, the assistants'
answers and LLM usage. Registered on import, like the core sources."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.analytics.sources import Figure, source
from frontdesk.assistant.usage_models import AiUsage
from frontdesk.flows.models import FlowExecution, FlowTrigger, FlowTriggerFiring
from frontdesk.leads.models import Lead
from frontdesk.messages.models import Message
from frontdesk.scheduling.models import Booking


def _between(column: Any, start: datetime, end: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (column >= start, column < end)


@source
async def leads(session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime) -> list[Figure]:
    n = await session.scalar(
        select(func.count()).where(Lead.organization_id == org, *_between(Lead.created_at, start, end))
    )
    return [("org", "", "leads_captured", float(n or 0), None)] if n else []


@source
async def meetings(session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime) -> list[Figure]:
    rows = (
        await session.execute(
            select(Booking.agent_id, func.count())
            .where(Booking.organization_id == org, *_between(Booking.created_at, start, end))
            .group_by(Booking.agent_id)
        )
    ).all()
    out: list[Figure] = [("agent", str(a), "meetings_booked", float(n), None) for a, n in rows if a]
    total = sum(n for _, n in rows)
    if total:
        out.append(("org", "", "meetings_booked", float(total), None))
    return out


@source
async def flows(session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime) -> list[Figure]:
    counts: Counter[tuple[str, str, str]] = Counter()
    started = await session.execute(
        select(FlowExecution.flow_id, func.count())
        .where(
            FlowExecution.organization_id == org,
            FlowExecution.test_graph.is_(None),
            *_between(FlowExecution.created_at, start, end),
        )
        .group_by(FlowExecution.flow_id)
    )
    for flow_id, n in started.all():
        counts[("flow", str(flow_id), "flow_started")] += n
        counts[("org", "", "flow_started")] += n
    ended = await session.execute(
        select(FlowExecution.flow_id, FlowExecution.status, func.count())
        .where(
            FlowExecution.organization_id == org,
            FlowExecution.test_graph.is_(None),
            FlowExecution.status.in_(("completed", "failed")),
            *_between(FlowExecution.finished_at, start, end),
        )
        .group_by(FlowExecution.flow_id, FlowExecution.status)
    )
    for flow_id, status, n in ended.all():
        counts[("flow", str(flow_id), f"flow_{status}")] += n
        counts[("org", "", f"flow_{status}")] += n
    fired = await session.execute(
        select(FlowTrigger.flow_id, func.count())
        .select_from(FlowTriggerFiring)
        .join(FlowTrigger, FlowTrigger.id == FlowTriggerFiring.trigger_id)
        .where(
            FlowTriggerFiring.organization_id == org,
            FlowTriggerFiring.outcome == "started",
            *_between(FlowTriggerFiring.created_at, start, end),
        )
        .group_by(FlowTrigger.flow_id)
    )
    for flow_id, n in fired.all():
        counts[("flow", str(flow_id), "trigger_fired")] += n
        counts[("org", "", "trigger_fired")] += n
    return [(d, k, m, float(v), None) for (d, k, m), v in counts.items()]


@source
async def assistants(session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime) -> list[Figure]:
    assistant = Message.ai["assistant_id"].as_string()
    escalated = Message.ai["escalated"].as_boolean()
    rows = await session.execute(
        select(assistant, escalated, func.count())
        .where(
            Message.organization_id == org,
            Message.sender_type == "assistant",
            *_between(Message.created_at, start, end),
        )
        .group_by(assistant, escalated)
    )
    counts: Counter[tuple[str, str, str]] = Counter()
    for key, was_escalated, n in rows.all():
        if not key:
            continue
        counts[("assistant", key, "messages_out")] += n
        if was_escalated:
            counts[("assistant", key, "conversations_escalated")] += n
    return [(d, k, m, float(v), None) for (d, k, m), v in counts.items()]


@source
async def llm_usage(session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime) -> list[Figure]:
    row = (
        await session.execute(
            select(func.sum(AiUsage.input_tokens + AiUsage.output_tokens), func.sum(AiUsage.cost_micros)).where(
                AiUsage.organization_id == org, *_between(AiUsage.created_at, start, end)
            )
        )
    ).one()
    tokens, micros = row
    if not tokens and not micros:
        return []
    return [
        ("org", "", "llm_tokens", float(tokens or 0), None),
        ("org", "", "llm_cost", float(micros or 0) / 1_000_000, None),
    ]
