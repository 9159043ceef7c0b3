"""Executions through the API: start, test-run the draft, list, inspect, answer, resume, cancel."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.flows import graph as graphs
from frontdesk.flows import repository, schemas, starter
from frontdesk.flows.engine import finish, schedule_run
from frontdesk.flows.models import FlowExecution
from frontdesk.flows.service import get_flow
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed
from frontdesk.kit.pagination import PageParams, paginate


def to_schema(ex: FlowExecution) -> schemas.Execution:
    out = schemas.Execution.model_validate(ex)
    out.test = ex.test_graph is not None
    out.state = {k: v for k, v in (ex.state or {}).items() if not k.startswith("__") or k == "__attributes"}
    return out


async def detail(session: AsyncSession, ex: FlowExecution) -> schemas.ExecutionDetail:
    base = to_schema(ex).model_dump()
    steps = [schemas.Step.model_validate(s) for s in await repository.steps(session, ex.id)]
    return schemas.ExecutionDetail(**base, step_log=steps, transcript=list(ex.transcript or []))


async def get_execution(session: AsyncSession, scope: OrgScope, execution_id: uuid.UUID) -> FlowExecution:
    ex = await repository.execution(session, scope.ids, execution_id)
    if ex is None:
        raise NotFound("No such execution.", code="execution_not_found")
    return ex


async def list_executions(
    session: AsyncSession,
    scope: OrgScope,
    *,
    flow_id: uuid.UUID | None,
    contact_id: uuid.UUID | None,
    status: str | None,
    paging: PageParams,
) -> tuple[list[FlowExecution], int]:
    stmt = repository.executions(scope.ids, flow_id=flow_id, contact_id=contact_id, status=status)
    return await paginate(session, stmt, paging)


async def start_execution(
    session: AsyncSession, scope: OrgScope, flow_id: uuid.UUID, data: schemas.ExecutionStart
) -> FlowExecution:
    """Put a contact into the published flow by hand (or from an integration)."""
    from frontdesk.contacts.models import Contact
    from frontdesk.conversations.models import Conversation

    flow = await get_flow(session, scope, flow_id)
    contact = await session.get(Contact, data.contact_id)
    if contact is None or contact.organization_id != scope.organization_id:
        raise NotFound("No such contact.", code="contact_not_found")
    conv_id = data.conversation_id
    if conv_id is not None:
        conv = await session.get(Conversation, conv_id)
        if conv is None or conv.organization_id != scope.organization_id or conv.contact_id != contact.id:
            raise NotFound("No such conversation for this contact.", code="conversation_not_found")
    else:
        conv_id = await latest_conversation(session, contact.id)
    state = {k: v for k, v in data.state.items() if not k.startswith("__")}
    return await starter.start(
        session, flow, contact_id=contact.id, conversation_id=conv_id, trigger={"kind": "api"}, state=state
    )


async def latest_conversation(session: AsyncSession, contact_id: uuid.UUID) -> uuid.UUID | None:
    from sqlalchemy import select

    from frontdesk.conversations.models import Conversation

    return await session.scalar(
        select(Conversation.id)
        .where(Conversation.contact_id == contact_id)
        .order_by(Conversation.last_activity_at.desc().nulls_last(), Conversation.created_at.desc())
        .limit(1)
    )


async def test_run(
    session: AsyncSession, scope: OrgScope, flow_id: uuid.UUID, data: schemas.TestRunStart
) -> FlowExecution:
    """Run the draft as it is now, with no contact and no channel: what it says lands in the transcript."""
    flow = await get_flow(session, scope, flow_id)
    graph, issues = graphs.parse(flow.draft or {})
    if graph is None:
        raise ValidationFailed(
            "Fix the flow's problems before a test run.",
            code="flow_invalid",
            details={"issues": [i.as_dict() for i in issues]},
        )
    state: dict[str, Any] = {k: v for k, v in data.state.items() if not k.startswith("__")}
    state["__attributes"] = dict(data.attributes)
    ex = await starter.start(
        session,
        flow,
        contact_id=None,
        conversation_id=None,
        trigger={"kind": "test"},
        state=state,
        test_graph=copy.deepcopy(flow.draft),
        message_text=data.message,
    )
    if data.message:
        ex.transcript = [{"from": "contact", "text": data.message, "at": ex.created_at.isoformat()}]
    return ex


async def send_input(session: AsyncSession, scope: OrgScope, execution_id: uuid.UUID, text: str) -> FlowExecution:
    ex = await get_execution(session, scope, execution_id)
    if ex.test_graph is None and ex.conversation_id is not None:
        # A real conversation: store the reply as the contact's message, so the inbox shows it too.
        from frontdesk.conversations.models import Conversation
        from frontdesk.messages.service import add_message

        conv = await session.get(Conversation, ex.conversation_id)
        if conv is not None:
            await add_message(
                session, conv, direction="in", sender_type="contact", sender_id=ex.contact_id, content=text
            )
    await starter.give_input(session, ex, text)
    return ex


async def resume(session: AsyncSession, scope: OrgScope, execution_id: uuid.UUID) -> FlowExecution:
    """Wake a wait now, continue after a paused handoff, or retry the node a failed execution stopped at."""
    ex = await get_execution(session, scope, execution_id)
    now = session.info["runtime"].clock.now()
    if ex.status == "waiting" and ex.waiting_for in ("time", "human"):
        ex.status = "running"
    elif ex.status == "failed":
        ex.status, ex.error, ex.finished_at = "running", None, None
        state = dict(ex.state or {})
        state.pop("__run_steps", None)
        ex.state = state
    elif ex.status == "waiting" and ex.waiting_for == "input":
        raise Conflict("This execution waits for an answer: send input instead.", code="waiting_for_input")
    else:
        raise Conflict(f"A {ex.status} execution cannot be resumed.", code="not_resumable")
    ex.updated_at = now
    schedule_run(session, ex, tag="resume")
    return ex


async def cancel(session: AsyncSession, scope: OrgScope, execution_id: uuid.UUID) -> FlowExecution:
    ex = await get_execution(session, scope, execution_id)
    if ex.status not in ("running", "waiting"):
        raise Conflict(f"A {ex.status} execution cannot be cancelled.", code="not_cancellable")
    await finish(session, ex, "cancelled", error="cancelled by a person")
    return ex
