"""Jobs of the WhatsApp channel, named ``whatsapp.<verb>``; the outbox's job is registered from here too."""

from __future__ import annotations

import uuid

import frontdesk.channels.outbox  # noqa: F401  (registers outbox.deliver)
from frontdesk.channels.whatsapp.intake import PROCESS_JOB
from frontdesk.channels.whatsapp.service import process_delivery
from frontdesk.kit.jobs import JobContext, job_handler


@job_handler(PROCESS_JOB)
async def process(ctx: JobContext) -> None:
    await process_delivery(ctx.runtime, uuid.UUID(str(ctx.payload["delivery_id"])))
