"""Follow-ups that fall due: the owner is told (email now, in-app through one call point), and a flow may start.

A minute-by-minute recurring job finds leads whose ``next_follow_up_at`` has passed and whose due
time has not been notified; each is claimed with a conditional update before anything is sent, so a
retried or concurrent sweep never notifies twice. Moving the follow-up to a new time re-arms it.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from frontdesk.leads import pipeline, repository
from frontdesk.leads.models import Lead
from frontdesk.users.models import User

log = structlog.get_logger("frontdesk.leads.followups")

BATCH = 200
# The flow event a due follow-up fires, once the flows domain lists it (frontdesk.flows.events.EVENTS).
FLOW_EVENT = "lead_follow_up_due"


async def notify_owner(session: AsyncSession, lead: Lead, owner: User, *, subject: str, text: str, link: str) -> None:
    """In the app, in the browser and by mail, as the owner's notification preferences say."""
    from frontdesk.notifications.service import notify

    await notify(
        session,
        organization_id=lead.organization_id,
        user_ids=[owner.id],
        kind="lead_followup_due",
        title=subject,
        body=lead.need or "",
        link=f"/app/leads/{lead.id}",
        data={"lead_id": str(lead.id)},
        email_text=text,
        mail_kind="lead_follow_up",
    )


async def start_flow(session: AsyncSession, lead: Lead) -> bool:
    """Fire the follow-up flow event when the flows domain knows it; False when it does not (yet)."""
    from frontdesk.flows import events

    if FLOW_EVENT not in events.EVENTS:
        return False
    await events.fire(
        session,
        lead.organization_id,
        FLOW_EVENT,
        contact_id=lead.contact_id,
        conversation_id=lead.conversation_id,
        data={"lead_id": str(lead.id), "status": lead.status, "owner_id": str(lead.owner_id or "")},
    )
    return True


def _message(lead: Lead, link: str) -> tuple[str, str]:
    who = lead.name or lead.email or lead.phone or "a lead"
    subject = f"Follow up with {who}"
    lines: list[Any] = [
        f"It is time to follow up with {who}.",
        "",
        *(
            f"{label}: {value}"
            for label, value in (
                ("Email", lead.email),
                ("Phone", lead.phone),
                ("Company", lead.company),
                ("Need", lead.need),
                ("Status", lead.status),
            )
            if value
        ),
        "",
        f"Open the lead: {link}",
    ]
    return subject, "\n".join(str(line) for line in lines)


async def notify_due(runtime: Runtime) -> int:
    """Notify every follow-up due now; returns how many were notified."""
    notified = 0
    while True:
        async with transaction(runtime.sessionmaker) as session:
            now = runtime.clock.now()
            due = await repository.due_follow_ups(session, now, BATCH)
            for lead in due:
                assert lead.next_follow_up_at is not None
                if not await repository.mark_notified(session, lead.id, lead.next_follow_up_at):
                    continue
                await _notify(session, runtime, lead)
                notified += 1
        if len(due) < BATCH:
            return notified


async def _notify(session: AsyncSession, runtime: Runtime, lead: Lead) -> None:
    settings = await pipeline.settings_for(session, lead.organization_id)
    owner = await session.get(User, lead.owner_id) if lead.owner_id else None
    if owner is not None and owner.is_active:
        link = f"{runtime.settings.public_url.rstrip('/')}/app/leads/{lead.id}"
        subject, text = _message(lead, link)
        await notify_owner(session, lead, owner, subject=subject, text=text, link=link)
    if settings.follow_up_flow_event:
        await start_flow(session, lead)
    log.info("lead_follow_up_due", lead_id=str(lead.id), owner=str(lead.owner_id) if lead.owner_id else None)
