"""The playground's batch runs, as jobs (``assistant.playground_batch``)."""

from __future__ import annotations

import uuid

from frontdesk.assistant import playground
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, job_handler


@job_handler(playground.BATCH_JOB)
async def run_playground_batch(ctx: JobContext) -> None:
    # Each case commits on its own: the report fills in as the run goes, and a retried job resumes.
    run_id = uuid.UUID(ctx.payload["run_id"])
    more = True
    while more:
        async with transaction(ctx.runtime.sessionmaker) as session:
            more = await playground.advance_run(session, run_id)
