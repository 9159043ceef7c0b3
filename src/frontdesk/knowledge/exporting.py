"""Export of one collection or the whole knowledge base, as JSON or CSV, in the shapes import reads.

A JSON export re-imports as is: collections are named per article and ids update the same articles
in the same organization. CSV cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) are written with a leading ``'``, which import removes.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.knowledge import repository, service
from frontdesk.knowledge.text import csv_cell

CSV_COLUMNS = ("id", "collection", "title", "body", "tags", "source_url", "example_questions", "updated_at")
EXPORT_FORMAT = "frontdesk.knowledge/1"


async def _data(
    session: AsyncSession, scope: OrgScope, collection_id: uuid.UUID | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if collection_id is not None:
        collections = [await service.get_collection(session, scope, collection_id)]
    else:
        collections = await service.all_collections(session, scope)
    names = {c.id: c.name for c in collections}
    articles = await repository.articles_for(session, scope.organization_id, list(names))
    return (
        [{"id": str(c.id), "name": c.name, "description": c.description} for c in collections],
        [
            {
                "id": str(a.id),
                "collection_id": str(a.collection_id),
                "collection": names[a.collection_id],
                "title": a.title,
                "body": a.body,
                "tags": list(a.tags or []),
                "source_url": a.source_url,
                "example_questions": list(a.example_questions or []),
                "updated_at": a.updated_at.isoformat(),
            }
            for a in articles
        ],
    )


async def export_json(session: AsyncSession, scope: OrgScope, collection_id: uuid.UUID | None) -> bytes:
    collections, articles = await _data(session, scope, collection_id)
    doc = {"format": EXPORT_FORMAT, "collections": collections, "articles": articles}
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


async def export_csv(session: AsyncSession, scope: OrgScope, collection_id: uuid.UUID | None) -> bytes:
    _, articles = await _data(session, scope, collection_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for a in articles:
        writer.writerow(
            [
                a["id"],
                csv_cell(a["collection"]),
                csv_cell(a["title"]),
                csv_cell(a["body"]),
                csv_cell(" | ".join(a["tags"])),
                a["source_url"] or "",
                csv_cell("\n".join(a["example_questions"])),
                a["updated_at"],
            ]
        )
    # A byte-order mark so spreadsheet programs read the UTF-8 as UTF-8.
    return ("\ufeff" + out.getvalue()).encode()
