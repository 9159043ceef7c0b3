"""Agent presence jobs: once a minute, close the shifts whose heartbeats stopped."""

from __future__ import annotations

from frontdesk.agents import service
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, next_minute, recurring

END_STALE_SHIFTS = "agents.end_stale_shifts"


@recurring(END_STALE_SHIFTS, next_minute)
async def end_stale_shifts(ctx: JobContext) -> None:
    async with transaction(ctx.runtime.sessionmaker) as session:
        await service.end_stale_shifts(session)
