"""Domain events that start flows (the Flows issue's event triggers).

Other domains call :func:`fire` inside their own transaction when something a flow may react to
happens; the flows domain turns matching event triggers into executions.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

EVENTS = (
    "new_contact",
    "message_received",
    "conversation_resolved",
    "opt_in",
    "opt_out",
    "flow_completed",
    "flow_failed",
    "lead_captured",
    "meeting_booked",
    "lead_follow_up_due",
)

#: ``flow_completed`` starting a flow that completes and fires again must stop somewhere.
MAX_EVENT_DEPTH = 5


async def fire(
    session: AsyncSession,
    organization_id: uuid.UUID,
    event: str,
    *,
    contact_id: uuid.UUID | None = None,
    conversation_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record that ``event`` happened; matching event triggers start their flows after commit."""
    if event not in EVENTS:
        raise ValueError(f"unknown flow event {event!r}")
    if contact_id is None:
        return  # every flow runs for a contact
    from frontdesk.flows import conditions, repository
    from frontdesk.flows.triggers.service import fire_into, record_firing

    data = dict(data or {})
    depth = int(data.get("depth") or 0)
    triggers = [
        (t, f)
        for t, f in await repository.active_triggers(session, organization_id, "event")
        if t.config.get("event") == event
    ]
    if not triggers:
        return
    values = {"data": data, "event": event, "trigger": data}
    for trig, flow in triggers:
        rules = conditions.RuleSet.model_validate(trig.config.get("conditions") or {})
        if not conditions.evaluate(rules, values):
            continue
        if depth >= MAX_EVENT_DEPTH:
            await record_firing(
                session,
                trig,
                contact_id=contact_id,
                execution=None,
                outcome="skipped",
                detail=f"more than {MAX_EVENT_DEPTH} flows started each other through events",
            )
            continue
        if str(data.get("flow_id")) == str(flow.id) and event in ("flow_completed", "flow_failed"):
            await record_firing(
                session,
                trig,
                contact_id=contact_id,
                execution=None,
                outcome="skipped",
                detail="a flow does not restart itself on its own completion",
            )
            continue
        if flow.published_version_id is None:
            await record_firing(
                session, trig, contact_id=contact_id, execution=None, outcome="skipped", detail="flow not published"
            )
            continue
        await fire_into(
            session,
            trig,
            flow,
            contact_id=contact_id,
            conversation_id=conversation_id,
            data={k: v for k, v in data.items() if k != "depth"},
            depth=depth,
            message_text=str(data.get("text")) if data.get("text") is not None else None,
        )
