"""Starting executions and handing them a contact's reply: shared by triggers, the API and jumps."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.flows.engine import ACTIVE, schedule_run
from frontdesk.flows.models import Flow, FlowExecution, FlowVersion
from frontdesk.kit.errors import Conflict


class AlreadyRunning(Conflict):
    code = "flow_already_running"


async def active_for(session: AsyncSession, flow_id: uuid.UUID, contact_id: uuid.UUID) -> FlowExecution | None:
    return await session.scalar(
        select(FlowExecution)
        .where(
            FlowExecution.flow_id == flow_id,
            FlowExecution.contact_id == contact_id,
            FlowExecution.status.in_(ACTIVE),
            FlowExecution.version_id.is_not(None),
        )
        .limit(1)
    )


async def start(
    session: AsyncSession,
    flow: Flow,
    *,
    contact_id: uuid.UUID | None,
    conversation_id: uuid.UUID | None,
    trigger: dict[str, Any],
    depth: int = 0,
    state: dict[str, Any] | None = None,
    test_graph: dict[str, Any] | None = None,
    message_text: str | None = None,
) -> FlowExecution:
    """Create an execution at the start node and book its first run (after the caller commits)."""
    runtime = session.info["runtime"]
    now = runtime.clock.now()
    version: FlowVersion | None = None
    if test_graph is None:
        if flow.published_version_id is None:
            raise Conflict("The flow has no published version yet.", code="flow_not_published")
        version = await session.get(FlowVersion, flow.published_version_id)
        if version is None:
            raise Conflict("The flow has no published version yet.", code="flow_not_published")
        if contact_id is not None and not flow.allow_concurrent:
            running = await active_for(session, flow.id, contact_id)
            if running is not None:
                raise AlreadyRunning("This contact is already in this flow.", details={"execution_id": str(running.id)})
    graph = version.graph if version is not None else test_graph or {}
    initial = dict(state or {})
    if message_text is not None:
        initial["__message"] = message_text[:4000]
    ex = FlowExecution(
        organization_id=flow.organization_id,
        flow_id=flow.id,
        version_id=version.id if version is not None else None,
        version_number=version.number if version is not None else 0,
        test_graph=test_graph,
        contact_id=contact_id,
        conversation_id=conversation_id,
        status="running",
        current_node=graph.get("start"),
        state=initial,
        trigger=trigger,
        depth=depth,
        transcript=[],
        created_at=now,
        updated_at=now,
    )
    session.add(ex)
    await session.flush()
    schedule_run(session, ex, tag="start")
    return ex


async def give_input(session: AsyncSession, ex: FlowExecution, text: str) -> None:
    """The contact answered the question ``ex`` waits on: keep the answer and book the run."""
    runtime = session.info["runtime"]
    if ex.status != "waiting" or ex.waiting_for != "input":
        raise Conflict("This execution is not waiting for an answer.", code="not_waiting_for_input")
    state = dict(ex.state or {})
    state["__message"] = text[:4000]
    ex.state = state
    ex.pending_input = text[:4000]
    ex.status = "running"
    ex.updated_at = runtime.clock.now()
    if ex.test_graph is not None:
        transcript = list(ex.transcript or [])
        transcript.append({"from": "contact", "text": text[:4000], "at": ex.updated_at.isoformat()})
        ex.transcript = transcript[-200:]
    schedule_run(session, ex, tag="input")
