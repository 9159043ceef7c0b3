"""Jobs of this domain, named ``leads.<verb>`` (and the conversation-log purge, ``conversations.retention_purge``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from frontdesk.conversations import retention
from frontdesk.kit.clock import as_utc
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, job_handler, next_hour, next_minute, recurring
from frontdesk.leads import exports, extraction, followups, reports


@job_handler("leads.export")
async def export_leads(ctx: JobContext) -> None:
    await exports.run_export(ctx.runtime, uuid.UUID(ctx.payload["export_id"]))


@job_handler("leads.report")
async def write_report(ctx: JobContext) -> None:
    await reports.run_report(ctx.runtime, uuid.UUID(ctx.payload["export_id"]))


@job_handler("leads.daily_report")
async def daily_report(ctx: JobContext) -> None:
    slot = as_utc(datetime.fromisoformat(ctx.payload["slot"]))
    await reports.run_daily(ctx.runtime, uuid.UUID(ctx.payload["organization_id"]), slot)


@recurring("leads.followups", next_minute)
async def notify_follow_ups(ctx: JobContext) -> None:
    await followups.notify_due(ctx.runtime)


@recurring("leads.purge_files", next_hour)
async def purge_files(ctx: JobContext) -> None:
    await exports.purge_old_files(ctx.runtime)


@job_handler("leads.extract")
async def extract_lead(ctx: JobContext) -> None:
    """Extraction over a conversation, queued by whoever decides a conversation is worth reading."""
    from frontdesk.leads.service import apply_extraction

    conversation_id = uuid.UUID(ctx.payload["conversation_id"])
    async with transaction(ctx.runtime.sessionmaker) as session:
        from frontdesk.conversations.models import Conversation

        conv = await session.get(Conversation, conversation_id)
        if conv is None:
            return
        found = await extraction.extract(session, conv.organization_id, conv.id)
        await apply_extraction(session, conv, found)


@job_handler("conversations.retention_purge")
async def purge_conversations(ctx: JobContext) -> None:
    await retention.run_purge(ctx.runtime, uuid.UUID(ctx.payload["purge_id"]))
