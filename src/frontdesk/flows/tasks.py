"""Jobs of this domain, named ``flows.<verb>``."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from sqlalchemy import select

from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, enqueue, job_handler, next_minute, recurring

log = structlog.get_logger("frontdesk.flows")

SCHEDULE_BATCH = 500


@job_handler("flows.run")
async def run_execution(ctx: JobContext) -> None:
    """Advance one execution until it waits or ends; safe to run twice (the row is locked per step)."""
    from frontdesk.flows import engine

    await engine.run(ctx.runtime, uuid.UUID(ctx.payload["execution_id"]))


@recurring("flows.schedules", next_minute)
async def book_schedules(ctx: JobContext) -> None:
    """Each due schedule fires once for its latest missed slot, and its next run is set from now.

    After downtime a trigger therefore runs once to catch up, never once per missed slot.
    """
    from frontdesk.flows import repository
    from frontdesk.flows.triggers import schedule as schedules

    now = ctx.runtime.clock.now()
    async with transaction(ctx.runtime.sessionmaker) as session:
        for trig in await repository.due_schedules(session, now):
            slot = trig.next_run_at
            assert slot is not None
            try:
                trig.next_run_at = schedules.parse(trig.config).next_after(now)
            except ValueError:
                trig.next_run_at = None
            enqueue(
                session,
                "flows.fire_schedule",
                {"trigger_id": str(trig.id), "slot": slot.isoformat()},
                organization_id=trig.organization_id,
                dedupe_key=f"flows.schedule:{trig.id}:{slot.isoformat()}",
            )


@job_handler("flows.fire_schedule")
async def fire_schedule(ctx: JobContext) -> None:
    """Start the trigger's flow for every contact in its segment, in batches; contacts already in it are skipped."""
    from frontdesk.contacts import repository as contacts_repository
    from frontdesk.contacts.service import parse_filters
    from frontdesk.flows.executions import latest_conversation
    from frontdesk.flows.models import Flow, FlowExecution, FlowTrigger
    from frontdesk.flows.triggers.service import fire_into, record_firing

    runtime = ctx.runtime
    trigger_id = uuid.UUID(ctx.payload["trigger_id"])
    slot = ctx.payload["slot"]
    limit = runtime.settings.flows_schedule_max_contacts
    offset = 0
    while offset < limit:
        async with transaction(runtime.sessionmaker) as session:
            trig = await session.get(FlowTrigger, trigger_id)
            if trig is None or not trig.active:
                return
            flow = await session.get(Flow, trig.flow_id)
            if flow is None or flow.published_version_id is None:
                await record_firing(
                    session, trig, contact_id=None, execution=None, outcome="skipped", detail="flow not published"
                )
                return
            stmt = contacts_repository.search(
                [trig.organization_id], q=None, attribute_filters=parse_filters(trig.config.get("segment") or [])
            )
            contacts = list(await session.scalars(stmt.limit(min(SCHEDULE_BATCH, limit - offset)).offset(offset)))
            if not contacts:
                return
            # Idempotent across retries: a contact this slot already started is not started twice.
            done = set(
                await session.scalars(
                    select(FlowExecution.contact_id).where(
                        FlowExecution.flow_id == flow.id,
                        FlowExecution.contact_id.in_([c.id for c in contacts]),
                        FlowExecution.trigger["slot"].as_string() == slot,
                    )
                )
            )
            for contact in contacts:
                if contact.id in done or contact.blocked:
                    continue
                ex = await fire_into(
                    session,
                    trig,
                    flow,
                    contact_id=contact.id,
                    conversation_id=await latest_conversation(session, contact.id),
                    data={"slot": slot},
                )
                if ex is not None:
                    ex.trigger = {**ex.trigger, "slot": slot}
        offset += len(contacts)
        if len(contacts) < SCHEDULE_BATCH:
            return


__all__ = ["timedelta"]
