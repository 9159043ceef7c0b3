"""Lead exports: a row that tracks the file, a job that writes it in batches, a download when done.

Why a job and not a streaming response: an export of 100,000 leads takes seconds, and a person
wants to see how far it is and to come back for the file. The job reads leads in keyset-paginated
batches (never all at once), writes each batch to disk through a streaming writer, and saves its
progress after every batch; the page polls that progress and offers the download. A job whose
process dies is claimed again and starts the file over, so a half-written file is never served.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed
from frontdesk.kit.jobs import enqueue
from frontdesk.kit.pagination import Page, PageParams, page_of, paginate
from frontdesk.kit.runtime import Runtime
from frontdesk.leads import pipeline, repository, schemas
from frontdesk.leads.models import Lead, LeadExport
from frontdesk.leads.repository import LeadFilter
from frontdesk.leads.writers import Column, CsvWriter, XlsxWriter, open_writer
from frontdesk.orgs.models import Organization
from frontdesk.users.models import User

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def folder(runtime: Runtime, organization_id: uuid.UUID) -> Path:
    return Path(runtime.settings.data_dir) / "leads" / str(organization_id)


def file_path(runtime: Runtime, row: LeadExport) -> Path:
    return folder(runtime, row.organization_id) / f"{row.id}.{row.format}"


def to_schema(row: LeadExport) -> schemas.Export:
    progress = 1.0 if row.status == DONE else (row.done_rows / row.total_rows if row.total_rows else 0.0)
    return schemas.Export(
        id=row.id,
        kind=row.kind,
        format=row.format,
        status=row.status,
        total_rows=row.total_rows,
        done_rows=row.done_rows,
        progress=round(min(progress, 1.0), 4),
        filename=row.filename,
        size_bytes=row.size_bytes,
        error=row.error,
        report_date=row.report_date,
        created_at=row.created_at,
        finished_at=row.finished_at,
        emailed_at=row.emailed_at,
        download_url=f"/api/v1/lead-exports/{row.id}/download" if row.status == DONE else None,
    )


def filters_of(data: schemas.ExportCreate) -> LeadFilter:
    return LeadFilter(
        statuses=list(data.statuses),
        owner_id=data.owner_id,
        source=data.source,
        q=data.q,
        created_from=data.created_from,
        created_to=data.created_to,
    )


async def create_export(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.ExportCreate
) -> LeadExport:
    if data.created_from and data.created_to and data.created_from >= data.created_to:
        raise ValidationFailed("created_from must be before created_to.", code="date_range_invalid")
    now = session.info["runtime"].clock.now()
    row = LeadExport(
        organization_id=scope.organization_id,
        kind="export",
        format=data.format,
        filters=filters_of(data).as_dict(),
        status=PENDING,
        filename=f"leads-{now:%Y-%m-%d-%H%M%S}.{data.format}",
        created_by=subject.user_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    enqueue(session, "leads.export", {"export_id": str(row.id)}, organization_id=scope.organization_id)
    return row


async def get_export(session: AsyncSession, scope: OrgScope, export_id: uuid.UUID) -> LeadExport:
    row = await repository.get_export(session, scope.ids, export_id)
    if row is None:
        raise NotFound("No such export.", code="export_not_found")
    return row


async def list_exports(session: AsyncSession, scope: OrgScope, kind: str, paging: PageParams) -> Page[schemas.Export]:
    rows, total = await paginate(session, repository.exports(scope.ids, kind), paging)
    return page_of([to_schema(r) for r in rows], total, paging)


async def download(session: AsyncSession, scope: OrgScope, export_id: uuid.UUID) -> tuple[Path, LeadExport]:
    row = await get_export(session, scope, export_id)
    if row.status != DONE:
        raise Conflict("The file is not ready yet.", code="export_not_ready", details={"status": row.status})
    path = file_path(session.info["runtime"], row)
    if not _ready(path):
        raise NotFound("The file has been removed.", code="export_file_missing")
    return path, row


# ---------------------------------------------------------------- writing (runs in a job)

Progress = Callable[[int, int], Awaitable[None]]


async def _owner_names(session: AsyncSession, ids: set[uuid.UUID], cache: dict[uuid.UUID, str]) -> None:
    missing = [i for i in ids if i not in cache]
    if missing:
        rows = await session.execute(select(User.id, User.name, User.email).where(User.id.in_(missing)))
        for uid, name, email in rows.all():
            cache[uid] = name or email
        # Cap the cache: an organization has few owners, but never let it grow without bound.
        if len(cache) > 10_000:
            cache.clear()


async def write_leads(
    runtime: Runtime,
    organization_id: uuid.UUID,
    filters: LeadFilter,
    fmt: str,
    path: Path,
    *,
    progress: Progress | None = None,
    columns: tuple[Column, ...] | None = None,
    before: list[list[Any]] | None = None,
    title: str = "Leads",
) -> int:
    """Write every lead matching ``filters`` to ``path``; returns the row count.

    Reads through the runtime's read sessions, one short transaction per batch, so a long export
    never holds a transaction (or SQLite's write lock) open.
    """
    batch_size = max(runtime.settings.lead_export_batch_size, 1)
    async with runtime.read_sessionmaker() as session:
        org = await session.get(Organization, organization_id)
        zone = pipeline.zone_of(org)
        stmt = repository.listing([organization_id], filters)
        total = await repository.count(session, stmt)
        settings = await pipeline.settings_for(session, organization_id)
    labels = {str(s["key"]): str(s.get("label") or s["key"]) for s in settings.statuses or []}
    kwargs: dict[str, Any] = {} if fmt == "csv" else {"before": before, "title": title}
    writer = await asyncio.to_thread(_open, fmt, path, zone, kwargs)
    names: dict[uuid.UUID, str] = {}
    written = 0
    after: tuple[datetime, uuid.UUID] | None = None
    table = Lead.__table__
    try:
        if progress is not None:
            await progress(0, total)
        while True:
            async with runtime.read_sessionmaker() as session:
                # Plain rows, not ORM objects: an export needs values, and skips the identity map's cost.
                query = select(table)
                if stmt.whereclause is not None:
                    query = query.where(stmt.whereclause)
                if after is not None:
                    query = query.where(tuple_(table.c.created_at, table.c.id) > tuple_(after[0], after[1]))
                rows = (
                    (await session.execute(query.order_by(table.c.created_at, table.c.id).limit(batch_size)))
                    .mappings()
                    .all()
                )
                await _owner_names(session, {r["owner_id"] for r in rows if r["owner_id"]}, names)
            if not rows:
                break
            items = []
            for r in rows:
                item = dict(r)
                item["owner"] = names.get(r["owner_id"]) if r["owner_id"] else None
                item["status"] = labels.get(r["status"], r["status"])
                items.append(item)
            # Formatting and compressing are CPU work: off the event loop, so the server keeps answering.
            await asyncio.to_thread(_write_all, writer, items)
            written += len(rows)
            last = rows[-1]
            after = (last["created_at"], last["id"])
            if progress is not None:
                await progress(written, max(total, written))
            if len(rows) < batch_size:
                break
        await asyncio.to_thread(writer.close)
    except BaseException:
        _discard(writer, path)
        raise
    return written


def _open(fmt: str, path: Path, zone: Any, kwargs: dict[str, Any]) -> CsvWriter | XlsxWriter:
    path.parent.mkdir(parents=True, exist_ok=True)
    return open_writer(fmt, path, zone, **kwargs)


def _write_all(writer: CsvWriter | XlsxWriter, items: list[dict[str, Any]]) -> None:
    for item in items:
        writer.write(item)


def _discard(writer: CsvWriter | XlsxWriter, path: Path) -> None:
    writer.abort()
    with contextlib.suppress(OSError):
        path.unlink()


def _finish(part: Path, final: Path) -> int:
    part.replace(final)
    return final.stat().st_size


def _ready(path: Path) -> bool:
    return path.exists()


async def run_export(runtime: Runtime, export_id: uuid.UUID) -> None:
    """The ``leads.export`` job: idempotent (a finished export is left alone; a crashed one restarts)."""
    async with transaction(runtime.sessionmaker) as session:
        row = await session.get(LeadExport, export_id)
        if row is None or row.status in (DONE, FAILED):
            return
        row.status, row.done_rows, row.error = RUNNING, 0, None
        organization_id, fmt, raw_filters = row.organization_id, row.format, dict(row.filters or {})
        final = file_path(runtime, row)

    async def progress(done: int, total: int) -> None:
        async with transaction(runtime.sessionmaker) as s:
            await repository.set_export_progress(s, export_id, done_rows=done, total_rows=total)

    part = final.with_suffix(final.suffix + ".part")
    try:
        count = await write_leads(
            runtime, organization_id, LeadFilter.from_dict(raw_filters), fmt, part, progress=progress
        )
        size = _finish(part, final)
    except Exception as exc:
        async with transaction(runtime.sessionmaker) as session:
            await repository.set_export_progress(
                session,
                export_id,
                status=FAILED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=runtime.clock.now(),
            )
        raise
    async with transaction(runtime.sessionmaker) as session:
        await repository.set_export_progress(
            session,
            export_id,
            status=DONE,
            done_rows=count,
            total_rows=count,
            size_bytes=size,
            finished_at=runtime.clock.now(),
        )


async def purge_old_files(runtime: Runtime) -> int:
    """Delete exports and reports older than their keep settings, rows and files; returns how many."""
    now = runtime.clock.now()
    cutoffs = {
        "export": now - timedelta(days=runtime.settings.lead_export_keep_days),
        "report": now - timedelta(days=runtime.settings.lead_report_keep_days),
    }
    removed = 0
    for kind, cutoff in cutoffs.items():
        async with transaction(runtime.sessionmaker) as session:
            rows = list(
                await session.scalars(
                    select(LeadExport).where(LeadExport.kind == kind, LeadExport.created_at < cutoff).limit(1000)
                )
            )
            for row in rows:
                _remove(file_path(runtime, row))
            if rows:
                await session.execute(delete(LeadExport).where(LeadExport.id.in_([r.id for r in rows])))
            removed += len(rows)
    return removed


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
