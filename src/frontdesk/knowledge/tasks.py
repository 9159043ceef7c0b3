"""Jobs of this domain, named ``knowledge.<verb>``."""

from __future__ import annotations

import uuid

import structlog

from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, PermanentJobError, job_handler
from frontdesk.knowledge import imports

log = structlog.get_logger("frontdesk.knowledge")

MAX_BATCHES_PER_RUN = 10_000


@job_handler(imports.JOB)
async def run_import(ctx: JobContext) -> None:
    """Idempotent: resumes after the last committed batch (see ``imports.process_batch``).

    One batch per transaction keeps SQLite's single write lock short, so live requests interleave
    with a long import, and the progress the UI polls moves batch by batch.
    """
    import_id = uuid.UUID(str(ctx.payload["import_id"]))
    try:
        for _ in range(MAX_BATCHES_PER_RUN):
            async with transaction(ctx.runtime.sessionmaker) as session:
                more = await imports.process_batch(session, import_id)
            if not more:
                return
    except imports.BatchTaken:
        # Another run holds this import and carries it on; this one has nothing left to do.
        log.info("knowledge_import_batch_taken", import_id=str(import_id))
    except Exception as exc:
        if ctx.attempt < imports.MAX_ATTEMPTS:
            raise
        async with transaction(ctx.runtime.sessionmaker) as session:
            await imports.mark_failed(session, import_id, f"The import stopped: {exc!r}")
        raise PermanentJobError(repr(exc)) from exc
