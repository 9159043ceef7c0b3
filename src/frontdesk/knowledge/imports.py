"""Bulk import: an upload becomes a ``knowledge_imports`` row holding the parsed rows, and the job
``knowledge.import`` turns them into articles in batches, recording progress and a per-row report.

Each batch commits its articles together with the new ``done`` count, and only if ``done`` is still
what the batch started from: a job that runs again (a retry, a reclaimed lease) resumes after the
last committed batch and never writes a row twice.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.kit.errors import NotFound, ValidationFailed
from frontdesk.kit.jobs import enqueue
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.knowledge import parsing, repository, service
from frontdesk.knowledge.models import Article, KnowledgeCollection, KnowledgeImport

JOB = "knowledge.import"
MAX_ATTEMPTS = 5
BATCH = 100
MAX_REPORTED_ERRORS = 1_000


def batch_size(total: int) -> int:
    """Rows per transaction: 100, more for big imports (every batch re-reads the stored rows), at most 500."""
    return max(BATCH, min(total // 40, 500))


def _now(session: AsyncSession) -> datetime:
    now: datetime = session.info["runtime"].clock.now()
    return now


async def start_import(
    session: AsyncSession,
    scope: OrgScope,
    *,
    filename: str,
    data: bytes,
    collection_id: uuid.UUID | None,
    fmt: str | None = None,
    by: str = "",
) -> KnowledgeImport:
    """Parse the upload and queue its processing; a file that cannot be read at all is refused here."""
    if collection_id is not None:
        collection_id = (await service.get_collection(session, scope, collection_id)).id
    name = service.clean_text(filename or "upload")[:300] or "upload"
    kind = parsing.format_of(name, fmt)
    rows = parsing.parse(name, data, kind)
    errors = [_error(r, r.get("_field"), r["_error"]) for r in rows if "_error" in r]
    good = [r for r in rows if "_error" not in r]
    imp = KnowledgeImport(
        organization_id=scope.organization_id,
        collection_id=collection_id,
        filename=name,
        format=kind,
        status="pending",
        total=len(good),
        done=0,
        failed_count=len(errors),
        errors=errors[:MAX_REPORTED_ERRORS],
        rows=good,
        created_by=by[:320],
        created_at=_now(session),
    )
    if not good:
        imp.status, imp.finished_at = "done", imp.created_at
    session.add(imp)
    await session.flush()
    if good:
        enqueue(
            session, JOB, {"import_id": str(imp.id)}, organization_id=scope.organization_id, max_attempts=MAX_ATTEMPTS
        )
    return imp


async def get_import(session: AsyncSession, scope: OrgScope, import_id: uuid.UUID) -> KnowledgeImport:
    imp = await repository.get_import(session, scope.ids, import_id)
    if imp is None:
        raise NotFound("No such import.", code="import_not_found")
    return imp


async def list_imports(
    session: AsyncSession, scope: OrgScope, *, paging: PageParams
) -> tuple[list[KnowledgeImport], int]:
    return await paginate(session, repository.imports_query(scope.ids), paging)


# ---------------------------------------------------------------- the job's work


def _error(row: dict[str, Any], field: str | None, message: str) -> dict[str, Any]:
    return {"file": row.get("_file"), "row": int(row.get("_row") or 0), "field": field, "message": message}


def _text(row: dict[str, Any], field: str) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationFailed(f"{field} must be text.", details={"field": field})
    return str(value)


def _list(row: dict[str, Any], field: str, separators: str) -> list[str] | None:
    value = row.get(field)
    if value is None:
        return None
    if isinstance(value, str):
        return [part for part in re.split(separators, value) if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    raise ValidationFailed(f"{field} must be a list of text.", details={"field": field})


def fields_of(row: dict[str, Any]) -> dict[str, Any]:
    """The row's article fields, cleaned by the same rules as the API; raises on the first bad one."""
    fields: dict[str, Any] = {}
    title = _text(row, "title")
    if title is None or not title.strip():
        raise ValidationFailed("A title is required.", details={"field": "title"})
    fields["title"] = service.clean_title(title)
    body = _text(row, "body")
    fields["body"] = service.clean_body(body or "")
    tags = _list(row, "tags", r"[,;|\n]")
    fields["tags"] = service.clean_tags(tags or [])
    questions = _list(row, "example_questions", r"[|\n]")
    fields["example_questions"] = service.clean_questions(questions or [])
    fields["source_url"] = service.clean_source_url(_text(row, "source_url"))
    return fields


async def _collection_for(
    session: AsyncSession, imp: KnowledgeImport, row: dict[str, Any], cache: dict[str, KnowledgeCollection]
) -> uuid.UUID | None:
    name = _text(row, "collection")
    if name is None or not service.clean_text(name):
        return imp.collection_id
    cleaned = " ".join(service.clean_text(name).split())[:200]
    if cleaned not in cache:
        found = await repository.collection_by_name(session, imp.organization_id, cleaned)
        if found is None:
            now = _now(session)
            found = KnowledgeCollection(
                organization_id=imp.organization_id, name=cleaned, description="", created_at=now, updated_at=now
            )
            session.add(found)
            await session.flush()
        cache[cleaned] = found
    return cache[cleaned].id


async def _existing(session: AsyncSession, imp: KnowledgeImport, row: dict[str, Any]) -> Article | None:
    raw = row.get("id")
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        article_id = uuid.UUID(raw.strip())
    except ValueError:
        return None
    # Only this organization's article is updated; another's id (or a stale one) makes a new article.
    return await repository.get_article(session, {imp.organization_id}, article_id)


async def process_batch(session: AsyncSession, import_id: uuid.UUID) -> bool:
    """Process the next batch of an import; True while rows remain."""
    imp = await session.get(KnowledgeImport, import_id)
    if imp is None or imp.status in ("done", "failed"):
        return False
    start = imp.done
    rows: Sequence[dict[str, Any]] = (imp.rows or [])[start : start + batch_size(imp.total)]
    now = _now(session)
    created = updated = failed = 0
    errors: list[dict[str, Any]] = []
    cache: dict[str, KnowledgeCollection] = {}
    for row in rows:
        try:
            fields = fields_of(row)
            existing = await _existing(session, imp, row)
            collection_id = await _collection_for(session, imp, row, cache)
        except ValidationFailed as exc:
            failed += 1
            errors.append(_error(row, exc.details.get("field"), exc.message))
            continue
        if existing is not None:
            article = existing
            if collection_id is not None:
                article.collection_id = collection_id
            updated += 1
        elif collection_id is None:
            failed += 1
            errors.append(_error(row, "collection", "Choose a collection for the import or name one in the row."))
            continue
        else:
            article = Article(organization_id=imp.organization_id, collection_id=collection_id, created_at=now)
            created += 1
        for key, value in fields.items():
            setattr(article, key, value)
        article.updated_at, article.updated_by = now, imp.created_by
        await repository.save_article(session, article)
    end = start + len(rows)
    finished = end >= imp.total
    values: dict[str, Any] = {
        "done": end,
        "status": "done" if finished else "running",
        "created_count": imp.created_count + created,
        "updated_count": imp.updated_count + updated,
        "failed_count": imp.failed_count + failed,
        "errors": (list(imp.errors or []) + errors)[:MAX_REPORTED_ERRORS],
    }
    if finished:
        values |= {"finished_at": now, "rows": []}
    result = await session.execute(
        update(KnowledgeImport)
        .where(KnowledgeImport.id == import_id, KnowledgeImport.done == start)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        # Someone else committed this batch first: ours must not count twice.
        raise BatchTaken(str(import_id))
    return not finished


class BatchTaken(Exception):
    """Another run of the same import committed the batch this run was writing."""


async def mark_failed(session: AsyncSession, import_id: uuid.UUID, reason: str) -> None:
    await session.execute(
        update(KnowledgeImport)
        .where(KnowledgeImport.id == import_id, KnowledgeImport.status.in_(("pending", "running")))
        .values(status="failed", failure=reason[:2000], finished_at=_now(session))
        .execution_options(synchronize_session=False)
    )
