"""Runs executions node by node.

Each step is its own short transaction on a row locked for update, so a restart loses at most the
step in flight (the job that runs it is leased and retried, and a step only commits with its effects).
A ``webhook_action`` renders its request inside one transaction, calls the remote outside any
transaction, and records the outcome in the next, after checking the execution has not moved on.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact, ContactAttribute
from frontdesk.conversations.models import Conversation
from frontdesk.flows import graph as graphs
from frontdesk.flows.models import Flow, FlowExecution, FlowStep, FlowVersion
from frontdesk.flows.nodes import NodeBase, NodeContext, NodeFailed, NodeResult
from frontdesk.kit import jobs
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import FrontdeskError
from frontdesk.kit.runtime import Runtime

log = structlog.get_logger("frontdesk.flows")

ACTIVE = ("running", "waiting")
MAX_JUMP_DEPTH = 8


def _json_safe(value: Any, limit: int = 4000) -> Any:
    """Step logs keep small, JSON-able snapshots; anything big is cut, never stored whole."""
    import json

    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        return {"repr": repr(value)[:limit]}
    if len(text) > limit:
        return {"truncated": text[:limit]}
    return json.loads(text)


async def graph_of(session: AsyncSession, ex: FlowExecution) -> graphs.Graph | None:
    if ex.test_graph is not None:
        graph, _ = graphs.parse(ex.test_graph)
        return graph
    if ex.version_id is None:
        return None
    version = await session.get(FlowVersion, ex.version_id)
    if version is None:
        return None
    return graphs.cached(str(version.id), version.graph)


async def contact_values(session: AsyncSession, contact: Contact | None, test_attrs: dict[str, Any]) -> dict[str, Any]:
    if contact is None:
        return {"name": "Test contact", "first_name": "Test", "attribute": dict(test_attrs)}
    rows = await session.scalars(select(ContactAttribute).where(ContactAttribute.contact_id == contact.id))
    from frontdesk.contacts.attributes import value_of

    attrs: dict[str, Any] = {}
    for row in rows:
        value = value_of(row)
        attrs[row.key] = value.isoformat() if hasattr(value, "isoformat") else value
    attrs.update(test_attrs)
    name = contact.name or ""
    return {
        "id": str(contact.id),
        "name": name,
        "first_name": name.split()[0] if name.split() else "",
        "email": contact.email,
        "phone": contact.phone,
        "attribute": attrs,
    }


async def time_values(
    session: AsyncSession, ex: FlowExecution, conv: Conversation | None, now: datetime
) -> dict[str, Any]:
    from frontdesk.inboxes import hours
    from frontdesk.inboxes.models import Inbox
    from frontdesk.orgs.models import Organization

    inbox = await session.get(Inbox, conv.inbox_id) if conv is not None else None
    zone_name = inbox.timezone if inbox is not None else None
    if zone_name is None:
        org = await session.get(Organization, ex.organization_id)
        zone_name = org.timezone if org is not None else "UTC"
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    open_now = hours.is_open(inbox.business_hours, inbox.timezone, now) if inbox is not None else True
    return {
        "hour": local.hour,
        "minute": local.minute,
        "time": local.strftime("%H:%M"),
        "weekday": local.strftime("%A").lower(),
        "weekday_number": local.isoweekday(),
        "date": local.date().isoformat(),
        "business_hours": open_now,
    }


async def build_context(session: AsyncSession, runtime: Runtime, ex: FlowExecution) -> NodeContext:
    contact = await session.get(Contact, ex.contact_id) if ex.contact_id else None
    if ex.conversation_id is None and contact is not None:
        # Started before the contact had a conversation (new_contact, a schedule): use the newest one now.
        from frontdesk.flows.executions import latest_conversation

        ex.conversation_id = await latest_conversation(session, contact.id)
    conv = await session.get(Conversation, ex.conversation_id) if ex.conversation_id else None
    now = runtime.clock.now()
    state = dict(ex.state or {})
    values: dict[str, Any] = {
        "contact": await contact_values(
            session, contact, state.get("__attributes", {}) if ex.test_graph is not None else {}
        ),
        "state": {k: v for k, v in state.items() if not k.startswith("__")},
        "message": {"text": state.get("__message", "")},
        "flow": {"id": str(ex.flow_id), "version": ex.version_number, "test": ex.test_graph is not None},
        "trigger": (ex.trigger or {}).get("data", {}),
        "now": now.isoformat(),
        "time": await time_values(session, ex, conv, now),
    }
    return NodeContext(
        session=session,
        runtime=runtime,
        execution=ex,
        contact=contact,
        conversation=conv,
        values=values,
        test=ex.test_graph is not None,
    )


async def _locked(session: AsyncSession, execution_id: uuid.UUID) -> FlowExecution | None:
    return await session.scalar(select(FlowExecution).where(FlowExecution.id == execution_id).with_for_update())


def schedule_run(session: AsyncSession, ex: FlowExecution, *, due_at: datetime | None = None, tag: str = "") -> None:
    """Book the job that moves ``ex`` on; keyed by its step count so a duplicate is dropped."""
    jobs.enqueue(
        session,
        "flows.run",
        {"execution_id": str(ex.id)},
        due_at=due_at,
        organization_id=ex.organization_id,
        dedupe_key=f"flows.run:{ex.id}:{ex.steps}:{tag}",
    )


async def finish(session: AsyncSession, ex: FlowExecution, status: str, *, error: str | None = None) -> None:
    now = session.info["runtime"].clock.now()
    ex.status = status
    ex.error = error[:2000] if error else None
    ex.waiting_for = None
    ex.wait_until = None
    ex.pending_input = None
    ex.finished_at = now
    ex.updated_at = now
    if ex.test_graph is None and ex.contact_id is not None and status in ("completed", "failed"):
        from frontdesk.flows import events

        await events.fire(
            session,
            ex.organization_id,
            "flow_completed" if status == "completed" else "flow_failed",
            contact_id=ex.contact_id,
            conversation_id=ex.conversation_id,
            data={"flow_id": str(ex.flow_id), "execution_id": str(ex.id), "error": error, "depth": ex.depth + 1},
        )
    if ex.test_graph is None and status == "failed":
        await _tell_editors(session, ex, error or "")


async def _tell_editors(session: AsyncSession, ex: FlowExecution, error: str) -> None:
    """The people who edit flows (owners and admins) hear that one failed, by their preferences."""
    from frontdesk.flows.models import Flow
    from frontdesk.notifications.service import notify

    flow = await session.get(Flow, ex.flow_id)
    await notify(
        session,
        organization_id=ex.organization_id,
        user_ids=None,
        roles=("owner", "admin"),
        kind="flow_failed",
        title=f"The flow {flow.name if flow else ''!s} failed".replace("  ", " "),
        body=error[:300],
        link=f"/app/flows/{ex.flow_id}/executions/{ex.id}",
        data={"flow_id": str(ex.flow_id), "execution_id": str(ex.id)},
    )


async def step(ctx: NodeContext, node: NodeBase, graph: graphs.Graph) -> bool:
    """Run one node and move the execution on; True when the caller should run the next step now."""
    ex = ctx.execution
    session = ctx.session
    started = time.perf_counter()
    snapshot = {"input": ctx.input} if ctx.input is not None else {}
    result: NodeResult | None = None
    error: str | None = None
    try:
        result = await node.run(ctx)
    except NodeFailed as exc:
        error = str(exc)
    except FrontdeskError as exc:
        error = exc.message
    except Exception as exc:
        log.exception("flow_node_crashed", execution_id=str(ex.id), node=node.id, type=node.type)
        error = f"internal error in {node.type}: {type(exc).__name__}"
    duration = (time.perf_counter() - started) * 1000
    ex.steps += 1
    ex.updated_at = ctx.now
    port = result.port if result is not None else "failure"
    session.add(
        FlowStep(
            organization_id=ex.organization_id,
            execution_id=ex.id,
            seq=ex.steps,
            node_id=node.id,
            node_type=node.type,
            input=_json_safe(snapshot),
            output=_json_safe(result.output if result is not None else {}),
            port=port,
            error=error,
            duration_ms=round(duration, 3),
            created_at=ctx.now,
        )
    )
    if ctx.input is not None or ex.waiting_for is not None:
        ex.pending_input = None
        ex.waiting_for = None
        ex.wait_until = None
    if result is None:
        target = graph.next(node.id, "failure")
        if target is None:
            await finish(session, ex, "failed", error=f"{node.id} ({node.type}): {error}")
            return False
        ex.current_node = target
        return True
    if result.wait:
        ex.status = "waiting"
        ex.waiting_for = result.wait
        ex.wait_until = result.wait_until
        if result.wait == "time":
            schedule_run(session, ex, due_at=result.wait_until, tag="wait")
        return False
    if result.end:
        await finish(session, ex, "completed")
        return False
    if result.jump_node:
        ex.current_node = result.jump_node
        return True
    if result.jump_flow is not None:
        await _jump_to_flow(ctx, result.jump_flow)
        return False
    target = graph.next(node.id, port) if port else None
    if target is None:
        if port not in ("next", "true", "false", None):
            # An exit such as "invalid" or "failure" with nothing connected: the node did not succeed.
            await finish(
                session, ex, "failed", error=f"{node.id} ({node.type}) took its {port!r} exit, which leads nowhere"
            )
        else:
            await finish(session, ex, "completed")
        return False
    ex.current_node = target
    return True


async def _jump_to_flow(ctx: NodeContext, flow_id: uuid.UUID) -> None:
    from frontdesk.flows import starter

    ex = ctx.execution
    if ex.depth + 1 > MAX_JUMP_DEPTH:
        await finish(ctx.session, ex, "failed", error=f"more than {MAX_JUMP_DEPTH} jumps between flows (a cycle?)")
        return
    flow = await ctx.session.get(Flow, flow_id)
    if flow is None or flow.organization_id != ex.organization_id or flow.published_version_id is None:
        await finish(ctx.session, ex, "failed", error="the jump's target flow does not exist or is not published")
        return
    await finish(ctx.session, ex, "completed")
    state = {k: v for k, v in (ex.state or {}).items()}
    await starter.start(
        ctx.session,
        flow,
        contact_id=ex.contact_id,
        conversation_id=ex.conversation_id,
        trigger={"kind": "jump", "from_execution": str(ex.id)},
        depth=ex.depth + 1,
        state=state,
        test_graph=None,
    )


async def run(runtime: Runtime, execution_id: uuid.UUID) -> str:
    """Advance an execution until it waits or finishes; returns its status.

    Consecutive steps share one transaction (their effects commit together), up to a node that calls
    out (its request runs between two transactions) or a wait; the step limit bounds both.
    """
    limit = runtime.settings.flows_max_steps
    for _ in range(limit + 1):
        io_request: tuple[NodeBase, dict[str, Any], int] | None = None
        async with transaction(runtime.sessionmaker) as session:
            ex = await _locked(session, execution_id)
            if ex is None:
                return "missing"
            if ex.status == "waiting" and ex.waiting_for == "time" and _due(ex, runtime):
                ex.status = "running"  # the wait's job: its time has come
            if ex.status != "running":
                return ex.status
            ctx: NodeContext | None = None
            while io_request is None:
                graph = await graph_of(session, ex)
                node = graph.nodes.get(ex.current_node or "") if graph is not None else None
                if graph is None or node is None:
                    await finish(session, ex, "failed", error="the flow version or its node no longer exists")
                    return ex.status
                if ex.state.get("__run_steps", 0) >= limit:
                    await finish(
                        session, ex, "failed", error=f"step limit of {limit} reached without waiting (a loop?)"
                    )
                    return ex.status
                if ctx is None:
                    ctx = await build_context(session, runtime, ex)
                    if ex.waiting_for == "input":
                        ctx.input = ex.pending_input or ""
                if getattr(node, "io", False):
                    io_request = (node, node.prepare(ctx.values), ex.steps)  # type: ignore[attr-defined]
                    break
                _count_step(ex)
                more = await step(ctx, node, graph)
                ctx.input = None
                if not more:
                    _reset_count(ex)
                    return ex.status
        assert io_request is not None
        node, request, mark = io_request
        outcome = await node.perform(request, allow_private=runtime.settings.flows_allow_private_targets)  # type: ignore[attr-defined]
        async with transaction(runtime.sessionmaker) as session:
            ex = await _locked(session, execution_id)
            if ex is None or ex.status != "running" or ex.steps != mark or ex.current_node != node.id:
                return ex.status if ex is not None else "missing"
            graph = await graph_of(session, ex)
            assert graph is not None
            ctx = await build_context(session, runtime, ex)
            ctx.values["__io"] = outcome
            _count_step(ex)
            more = await step(ctx, node, graph)
            if not more:
                _reset_count(ex)
                return ex.status
    return "running"


def _due(ex: FlowExecution, runtime: Runtime) -> bool:
    return ex.wait_until is None or ex.wait_until <= runtime.clock.now()


def _count_step(ex: FlowExecution) -> None:
    state = dict(ex.state or {})
    state["__run_steps"] = int(state.get("__run_steps", 0)) + 1
    ex.state = state


def _reset_count(ex: FlowExecution) -> None:
    state = dict(ex.state or {})
    state.pop("__run_steps", None)
    ex.state = state
