"""The daily lead report: at a time of the organization's choosing, in its time zone, on a durable schedule.

The schedule is a chain of ``leads.daily_report`` job rows, one per slot, deduplicated by slot: each
run books the next before writing its report, so restarts and any number of workers keep exactly one
chain. Changing the time books a new chain and moves ``report_next_at``; a job whose slot no longer
matches is a leftover of the old chain and does nothing.

A report covers the leads created in the 24 hours before its slot. It is an xlsx file with a summary
sheet and the leads, stored like an export (listed, downloadable) and optionally emailed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import enqueue
from frontdesk.kit.runtime import Runtime
from frontdesk.leads import exports, pipeline, repository
from frontdesk.leads.models import Lead, LeadExport, LeadSettings
from frontdesk.leads.repository import LeadFilter
from frontdesk.mail.service import queue_mail
from frontdesk.orgs.models import Organization


async def book_next(session: AsyncSession, row: LeadSettings, after: datetime) -> datetime | None:
    """Book the report job for the first slot after ``after`` (or stop the schedule when disabled)."""
    if not row.report_enabled:
        row.report_next_at = None
        return None
    org = await session.get(Organization, row.organization_id)
    slot = pipeline.next_report_slot(after, row.report_time, pipeline.zone_of(org))
    row.report_next_at = slot
    try:
        async with session.begin_nested():
            enqueue(
                session,
                "leads.daily_report",
                {"organization_id": str(row.organization_id), "slot": slot.isoformat()},
                due_at=slot,
                organization_id=row.organization_id,
                dedupe_key=f"leads.daily_report:{row.organization_id}:{slot:%Y-%m-%dT%H:%M}",
                max_attempts=5,
            )
            await session.flush()
    except IntegrityError:
        pass  # That slot is booked already: the chain goes on from it.
    return slot


def _window(slot: datetime) -> tuple[datetime, datetime]:
    return slot - timedelta(days=1), slot


async def run_daily(runtime: Runtime, organization_id: uuid.UUID, slot: datetime) -> uuid.UUID | None:
    """The ``leads.daily_report`` job: make the report row and book the next slot in one transaction."""
    async with transaction(runtime.sessionmaker) as session:
        settings = await repository.settings(session, organization_id)
        if settings is None:
            return None
        org = await session.get(Organization, organization_id)
        day = slot.astimezone(pipeline.zone_of(org)).date()
        report = await repository.report_for(session, organization_id, day)
        if report is None:
            stale = not settings.report_enabled or settings.report_next_at is None or settings.report_next_at != slot
            if stale:
                return None
            report = _new_report(organization_id, day, slot, runtime.clock.now(), created_by=None)
            session.add(report)
            await book_next(session, settings, slot)
            await session.flush()
        elif report.status == exports.DONE:
            return report.id
        report_id = report.id
    await run_report(runtime, report_id)
    return report_id


def _new_report(
    organization_id: uuid.UUID, day: date, end: datetime, now: datetime, *, created_by: uuid.UUID | None
) -> LeadExport:
    start, end = _window(end)
    return LeadExport(
        organization_id=organization_id,
        kind="report",
        format="xlsx",
        filters=LeadFilter(created_from=start, created_to=end).as_dict(),
        status=exports.PENDING,
        filename=f"lead-report-{day.isoformat()}.xlsx",
        report_date=day,
        created_by=created_by,
        created_at=now,
    )


async def request_report(session: AsyncSession, scope: OrgScope, subject: AuthSubject) -> LeadExport:
    """A report now, for the 24 hours up to this moment (the same shape as the scheduled one)."""
    runtime: Runtime = session.info["runtime"]
    now = runtime.clock.now()
    org = await session.get(Organization, scope.organization_id)
    day = now.astimezone(pipeline.zone_of(org)).date()
    row = _new_report(scope.organization_id, day, now, now, created_by=subject.user_id)
    row.filename = f"lead-report-{day.isoformat()}-{now:%H%M%S}.xlsx"
    session.add(row)
    await session.flush()
    enqueue(session, "leads.report", {"export_id": str(row.id)}, organization_id=scope.organization_id)
    return row


async def _summary(runtime: Runtime, organization_id: uuid.UUID, filters: LeadFilter) -> tuple[list[list[Any]], str]:
    async with runtime.read_sessionmaker() as session:
        org = await session.get(Organization, organization_id)
        settings = await pipeline.settings_for(session, organization_id)
        labels = {str(s["key"]): str(s.get("label") or s["key"]) for s in settings.statuses or []}
        new_by_source = dict(
            (
                await session.execute(
                    select(Lead.source, func.count())
                    .where(
                        Lead.organization_id == organization_id,
                        Lead.created_at >= filters.created_from,
                        Lead.created_at < filters.created_to,
                    )
                    .group_by(Lead.source)
                )
            ).all()
        )
        by_status = await repository.status_counts(session, [organization_id])
        now = runtime.clock.now()
        overdue = await repository.count(
            session, repository.listing([organization_id], LeadFilter(follow_up_due_before=now))
        )
    zone = pipeline.zone_of(org)
    assert filters.created_from is not None and filters.created_to is not None
    start = filters.created_from.astimezone(zone)
    end = filters.created_to.astimezone(zone)
    new_total = sum(int(n) for n in new_by_source.values())
    rows: list[list[Any]] = [
        ["Daily lead report", org.name if org else ""],
        ["From", start.strftime("%Y-%m-%d %H:%M")],
        ["To", end.strftime("%Y-%m-%d %H:%M")],
        ["Time zone", str(zone)],
        ["New leads", new_total],
        ["Follow-ups due or overdue", overdue],
        [],
        ["New leads by source", ""],
        *[[source, int(n)] for source, n in sorted(new_by_source.items())],
        [],
        ["All leads by status", ""],
        *[[labels.get(key, key), by_status.get(key, 0)] for key in labels],
        *[[key, n] for key, n in by_status.items() if key not in labels],
    ]
    text = "\n".join(
        [
            f"Lead report for {org.name if org else ''}: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} ({zone}).",
            f"New leads: {new_total}",
            *[f"  {source}: {int(n)}" for source, n in sorted(new_by_source.items())],
            f"Follow-ups due or overdue: {overdue}",
            "",
            "Pipeline:",
            *[f"  {labels.get(key, key)}: {by_status.get(key, 0)}" for key in labels],
        ]
    )
    return rows, text


async def run_report(runtime: Runtime, report_id: uuid.UUID) -> None:
    """Write a report's file (``leads.report`` job, and the tail of the daily one); then mail it."""
    async with transaction(runtime.sessionmaker) as session:
        row = await session.get(LeadExport, report_id)
        if row is None or row.status in (exports.DONE, exports.FAILED):
            return
        row.status, row.done_rows, row.error = exports.RUNNING, 0, None
        organization_id = row.organization_id
        filters = LeadFilter.from_dict(dict(row.filters or {}))
        final = exports.file_path(runtime, row)
    summary, text = await _summary(runtime, organization_id, filters)

    async def progress(done: int, total: int) -> None:
        async with transaction(runtime.sessionmaker) as s:
            await repository.set_export_progress(s, report_id, done_rows=done, total_rows=total)

    part = final.with_suffix(final.suffix + ".part")
    try:
        count = await exports.write_leads(
            runtime, organization_id, filters, "xlsx", part, progress=progress, before=summary, title="New leads"
        )
        size = exports._finish(part, final)
    except Exception as exc:
        async with transaction(runtime.sessionmaker) as session:
            await repository.set_export_progress(
                session,
                report_id,
                status=exports.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=runtime.clock.now(),
            )
        raise
    async with transaction(runtime.sessionmaker) as session:
        row = await session.get(LeadExport, report_id)
        assert row is not None
        row.status, row.done_rows, row.total_rows = exports.DONE, count, count
        row.size_bytes, row.finished_at = size, runtime.clock.now()
        settings = await repository.settings(session, organization_id)
        recipients = list(settings.report_recipients or []) if settings is not None else []
        if recipients and row.emailed_at is None:
            link = f"{runtime.settings.public_url.rstrip('/')}/app/leads/reports"
            for to in recipients:
                queue_mail(
                    session,
                    to=to,
                    subject=f"Lead report {row.report_date}",
                    text=f"{text}\n\nDownload the spreadsheet: {link}\n",
                    organization_id=organization_id,
                    kind="lead_report",
                )
            row.emailed_at = runtime.clock.now()
