"""SQL about flows, versions, executions, steps and triggers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.flows.models import (
    Flow,
    FlowExecution,
    FlowStep,
    FlowTemplate,
    FlowTrigger,
    FlowTriggerFiring,
    FlowVersion,
)


async def list_flows(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[Flow]:
    return list(
        await session.scalars(
            select(Flow).where(Flow.organization_id.in_(list(org_ids))).order_by(Flow.created_at, Flow.id)
        )
    )


async def get_flow(session: AsyncSession, org_ids: Iterable[uuid.UUID], flow_id: uuid.UUID) -> Flow | None:
    return await session.scalar(select(Flow).where(Flow.id == flow_id, Flow.organization_id.in_(list(org_ids))))


async def versions(session: AsyncSession, flow_id: uuid.UUID) -> list[FlowVersion]:
    return list(
        await session.scalars(
            select(FlowVersion).where(FlowVersion.flow_id == flow_id).order_by(FlowVersion.number.desc())
        )
    )


async def version(session: AsyncSession, flow_id: uuid.UUID, number: int) -> FlowVersion | None:
    return await session.scalar(select(FlowVersion).where(FlowVersion.flow_id == flow_id, FlowVersion.number == number))


async def templates(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> list[FlowTemplate]:
    return list(
        await session.scalars(
            select(FlowTemplate)
            .where(FlowTemplate.organization_id.in_(list(org_ids)))
            .order_by(FlowTemplate.created_at)
        )
    )


async def template(session: AsyncSession, org_ids: Iterable[uuid.UUID], template_id: uuid.UUID) -> FlowTemplate | None:
    return await session.scalar(
        select(FlowTemplate).where(FlowTemplate.id == template_id, FlowTemplate.organization_id.in_(list(org_ids)))
    )


def executions(
    org_ids: Iterable[uuid.UUID],
    *,
    flow_id: uuid.UUID | None,
    contact_id: uuid.UUID | None,
    status: str | None,
) -> Select[Any]:
    stmt = select(FlowExecution).where(FlowExecution.organization_id.in_(list(org_ids)))
    if flow_id is not None:
        stmt = stmt.where(FlowExecution.flow_id == flow_id)
    if contact_id is not None:
        stmt = stmt.where(FlowExecution.contact_id == contact_id)
    if status is not None:
        stmt = stmt.where(FlowExecution.status == status)
    return stmt.order_by(FlowExecution.created_at.desc(), FlowExecution.id.desc())


async def execution(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], execution_id: uuid.UUID
) -> FlowExecution | None:
    return await session.scalar(
        select(FlowExecution).where(FlowExecution.id == execution_id, FlowExecution.organization_id.in_(list(org_ids)))
    )


async def steps(session: AsyncSession, execution_id: uuid.UUID, limit: int = 500) -> list[FlowStep]:
    return list(
        await session.scalars(
            select(FlowStep).where(FlowStep.execution_id == execution_id).order_by(FlowStep.seq).limit(limit)
        )
    )


async def waiting_for_input(
    session: AsyncSession, organization_id: uuid.UUID, contact_id: uuid.UUID, conversation_id: uuid.UUID
) -> FlowExecution | None:
    """The newest execution asking this contact a question in this conversation (or in none)."""
    return await session.scalar(
        select(FlowExecution)
        .where(
            FlowExecution.contact_id == contact_id,
            FlowExecution.waiting_for == "input",
            FlowExecution.status == "waiting",
            FlowExecution.organization_id == organization_id,
            (FlowExecution.conversation_id == conversation_id) | FlowExecution.conversation_id.is_(None),
        )
        .order_by(FlowExecution.updated_at.desc())
        .limit(1)
    )


async def status_counts(session: AsyncSession, flow_id: uuid.UUID) -> list[tuple[int, str, int]]:
    rows = await session.execute(
        select(FlowExecution.version_number, FlowExecution.status, func.count())
        .where(FlowExecution.flow_id == flow_id, FlowExecution.version_id.is_not(None))
        .group_by(FlowExecution.version_number, FlowExecution.status)
    )
    return [(int(v), str(s), int(c)) for v, s, c in rows.all()]


async def dropped_at(session: AsyncSession, flow_id: uuid.UUID) -> list[tuple[str | None, int]]:
    """Where executions stopped without completing: still waiting there, cancelled there or failed there."""
    rows = await session.execute(
        select(FlowExecution.current_node, func.count())
        .where(
            FlowExecution.flow_id == flow_id,
            FlowExecution.version_id.is_not(None),
            FlowExecution.status.in_(("waiting", "cancelled", "failed")),
        )
        .group_by(FlowExecution.current_node)
    )
    return [(n, int(c)) for n, c in rows.all()]


async def node_counts(session: AsyncSession, flow_id: uuid.UUID) -> list[tuple[str, int, int]]:
    rows = await session.execute(
        select(FlowStep.node_id, func.count(), func.count(FlowStep.error))
        .join(FlowExecution, FlowExecution.id == FlowStep.execution_id)
        .where(FlowExecution.flow_id == flow_id, FlowExecution.version_id.is_not(None))
        .group_by(FlowStep.node_id)
    )
    return [(str(n), int(c), int(e)) for n, c, e in rows.all()]


def triggers(org_ids: Iterable[uuid.UUID], *, flow_id: uuid.UUID | None, kind: str | None) -> Select[Any]:
    stmt = select(FlowTrigger).where(FlowTrigger.organization_id.in_(list(org_ids)))
    if flow_id is not None:
        stmt = stmt.where(FlowTrigger.flow_id == flow_id)
    if kind is not None:
        stmt = stmt.where(FlowTrigger.kind == kind)
    return stmt.order_by(FlowTrigger.priority.desc(), FlowTrigger.created_at, FlowTrigger.id)


async def trigger(session: AsyncSession, org_ids: Iterable[uuid.UUID], trigger_id: uuid.UUID) -> FlowTrigger | None:
    return await session.scalar(
        select(FlowTrigger).where(FlowTrigger.id == trigger_id, FlowTrigger.organization_id.in_(list(org_ids)))
    )


async def active_triggers(
    session: AsyncSession, organization_id: uuid.UUID, kind: str
) -> list[tuple[FlowTrigger, Flow]]:
    rows = await session.execute(
        select(FlowTrigger, Flow)
        .join(Flow, Flow.id == FlowTrigger.flow_id)
        .where(FlowTrigger.organization_id == organization_id, FlowTrigger.kind == kind, FlowTrigger.active.is_(True))
        .order_by(FlowTrigger.created_at, FlowTrigger.id)
    )
    return [(t, f) for t, f in rows.all()]


async def keyword_fingerprint(session: AsyncSession, organization_id: uuid.UUID) -> tuple[Any, ...]:
    row = (
        await session.execute(
            select(func.count(), func.max(FlowTrigger.updated_at), func.max(Flow.updated_at))
            .join(Flow, Flow.id == FlowTrigger.flow_id)
            .where(
                FlowTrigger.organization_id == organization_id,
                FlowTrigger.kind == "keyword",
                FlowTrigger.active.is_(True),
            )
        )
    ).one()
    return tuple(row)


def firings(org_ids: Iterable[uuid.UUID], trigger_id: uuid.UUID) -> Select[Any]:
    return (
        select(FlowTriggerFiring)
        .where(FlowTriggerFiring.trigger_id == trigger_id, FlowTriggerFiring.organization_id.in_(list(org_ids)))
        .order_by(FlowTriggerFiring.created_at.desc(), FlowTriggerFiring.id.desc())
    )


async def due_schedules(session: AsyncSession, now: Any, limit: int = 200) -> list[FlowTrigger]:
    return list(
        await session.scalars(
            select(FlowTrigger)
            .where(
                FlowTrigger.kind == "schedule",
                FlowTrigger.active.is_(True),
                FlowTrigger.next_run_at.is_not(None),
                FlowTrigger.next_run_at <= now,
            )
            .order_by(FlowTrigger.next_run_at)
            .limit(limit)
        )
    )
