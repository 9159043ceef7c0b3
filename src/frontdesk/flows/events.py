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
)


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
