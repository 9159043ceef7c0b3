"""Conversation jobs."""

from __future__ import annotations

import uuid

from frontdesk.conversations import service
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, job_handler


@job_handler("conversations.wake")
async def wake_conversation(ctx: JobContext) -> None:
    # Idempotent by construction: ``wake`` does nothing unless the conversation is still snoozed
    # and its snooze has run out.
    async with transaction(ctx.runtime.sessionmaker) as session:
        await service.wake(session, uuid.UUID(ctx.payload["conversation_id"]))
