"""Jobs of this domain, named ``assistant.<verb>``."""

from __future__ import annotations

import importlib
import uuid

from frontdesk.assistant import replies
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, handler_for, job_handler


@job_handler("assistant.reply")
async def reply(ctx: JobContext) -> None:
    # Idempotent: ``reply_to`` marks the customer's message answered in the same transaction.
    async with transaction(ctx.runtime.sessionmaker) as session:
        await replies.reply_to(session, ctx.runtime, uuid.UUID(ctx.payload["message_id"]))


async def _draft(ctx: JobContext) -> None:
    copilot = importlib.import_module("frontdesk.assistant.copilot")
    async with transaction(ctx.runtime.sessionmaker) as session:
        await copilot.draft_for(
            session, ctx.runtime, uuid.UUID(ctx.payload["conversation_id"]), uuid.UUID(ctx.payload["message_id"])
        )


# The copilot module may register its own drafting job; this one is the fallback that calls draft_for.
if handler_for("assistant.draft") is None:
    job_handler("assistant.draft")(_draft)
