"""SQLite FTS5 retrieval, ranked with bm25.

The index is a regular FTS5 table (``knowledge_search``, created by migration 0003) holding a copy of
each article's searchable text. It is neither external-content nor contentless: articles have UUID
keys and SQLite may renumber the implicit rowid of such a table on VACUUM, which would silently
detach an external-content index; and a contentless table cannot produce snippets.

Tenancy lives inside the full-text query as well as in SQL: the ``keys`` column holds the tokens
``o<org>``, ``c<collection>`` and ``a<article>``, so a MATCH only ever visits one organization's rows
(and a delete finds an article's row through the index instead of a scan). The ``keys`` column has
weight zero in bm25. The index is written here, in the caller's transaction; deletes, including the
cascades from a collection or an organization, are done by the ``AFTER DELETE`` trigger on
``knowledge_articles`` that the migration creates.

bm25's document frequencies are computed over the whole table, so other organizations' articles
shift scores slightly (never which rows are returned); scores are comparable within one query only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.knowledge.models import Article
from frontdesk.knowledge.retriever import Hit, merge_stages
from frontdesk.knowledge.text import lead, plain

# Column weights, in table order: article_id, keys, title, questions, tags, body.
WEIGHTS = "0.0, 0.0, 8.0, 10.0, 4.0, 1.0"
BODY_COLUMN = 5


def _keys(article: Article) -> str:
    return f"o{article.organization_id.hex} c{article.collection_id.hex} a{article.id.hex}"


def _phrase(term: str) -> str:
    # Terms are letters and digits only (retriever.terms); quoting makes each a plain string anyway.
    return '"' + term.replace('"', '""') + '"'


FIELDS = "{title questions tags}"


def match_expression(
    organization_id: uuid.UUID,
    words: Sequence[str],
    collection_ids: Sequence[uuid.UUID] | None,
    *,
    stage: int = 1,
) -> str:
    """Stage 1: the words in the title, example questions or tags. Stage 2: in the body only."""
    scope = f'keys : "o{organization_id.hex}"'
    if collection_ids is not None:
        scope += " AND keys : (" + " OR ".join(f'"c{c.hex}"' for c in collection_ids) + ")"
    any_word = "(" + " OR ".join(_phrase(w) for w in words) + ")"
    if stage == 1:
        return f"{scope} AND {FIELDS} : {any_word}"
    return f"{scope} AND body : {any_word} NOT {FIELDS} : {any_word}"


class Fts5Retriever:
    async def index(self, session: AsyncSession, article: Article) -> None:
        await session.execute(
            text("DELETE FROM knowledge_search WHERE knowledge_search MATCH :m"), {"m": f'keys : "a{article.id.hex}"'}
        )
        await session.execute(
            text(
                "INSERT INTO knowledge_search (article_id, keys, title, questions, tags, body) "
                "VALUES (:id, :keys, :title, :questions, :tags, :body)"
            ),
            {
                "id": article.id.hex,
                "keys": _keys(article),
                "title": article.title,
                "questions": "\n".join(article.example_questions or []),
                "tags": " ".join(article.tags or []),
                "body": plain(article.body or ""),
            },
        )

    async def _stage(
        self, session: AsyncSession, organization_id: uuid.UUID, match: str, words: Sequence[str], limit: int
    ) -> list[Any]:
        """The best ``limit`` rows for ``match``, with their articles and snippets, in one statement.

        SQLite computes every output column of every matching row before it sorts, so ranking runs
        alone in the CTE; the CROSS JOINs pin the plan to "for each ranked row, look it up by rowid"
        so that snippets are made for the winners only.
        """
        any_word = f'keys : "o{organization_id.hex}" AND (' + " OR ".join(_phrase(w) for w in words) + ")"
        rows = await session.execute(
            text(
                "WITH ranked AS (SELECT rowid AS rid, "  # noqa: S608
                f"bm25(knowledge_search, {WEIGHTS}) AS rank FROM knowledge_search "
                "WHERE knowledge_search MATCH :ranked ORDER BY rank LIMIT :limit) "
                "SELECT ranked.rank, a.id, a.collection_id, a.title, a.body, a.tags, a.source_url, "
                "a.example_questions, knowledge_search.body AS plain, "
                f"snippet(knowledge_search, {BODY_COLUMN}, '', '', '…', 24) AS snippet "
                "FROM ranked CROSS JOIN knowledge_search CROSS JOIN knowledge_articles AS a "
                "WHERE knowledge_search.rowid = ranked.rid AND knowledge_search MATCH :words "
                "AND a.id = knowledge_search.article_id AND a.organization_id = :org "
                "ORDER BY ranked.rank, a.id"
            ),
            {"ranked": match, "words": any_word, "limit": limit, "org": organization_id.hex},
        )
        return list(rows)

    async def search(
        self,
        session: AsyncSession,
        organization_id: uuid.UUID,
        terms: Sequence[str],
        *,
        collection_ids: Sequence[uuid.UUID] | None,
        limit: int,
    ) -> list[Hit]:
        # Two stages (see retriever.merge_stages): bm25 over long bodies is what costs, so the short
        # fields are ranked first and bodies only when those did not fill the answer.
        first = await self._stage(
            session, organization_id, match_expression(organization_id, terms, collection_ids), terms, limit
        )
        second: list[Any] = []
        if len(first) < limit:
            match = match_expression(organization_id, terms, collection_ids, stage=2)
            second = await self._stage(session, organization_id, match, terms, limit - len(first))
        rows = {_hex(r.id): r for r in [*first, *second]}
        # bm25 is lower-is-better; scores are higher-is-better.
        scores = merge_stages(
            [(_hex(r.id), -float(r.rank)) for r in first], [(_hex(r.id), -float(r.rank)) for r in second]
        )
        wanted = None if collection_ids is None else {c.hex for c in collection_ids}
        hits: list[Hit] = []
        for key, row in rows.items():
            if wanted is not None and _hex(row.collection_id) not in wanted:
                continue
            snippet = row.snippet if row.snippet and row.snippet.strip() else lead(row.plain or "")
            hits.append(
                Hit(
                    article_id=uuid.UUID(key),
                    collection_id=uuid.UUID(_hex(row.collection_id)),
                    title=row.title,
                    snippet=snippet,
                    body=row.body,
                    score=scores[key],
                    tags=_json_list(row.tags),
                    example_questions=_json_list(row.example_questions),
                    source_url=row.source_url,
                )
            )
        hits.sort(key=lambda h: (-h.score, str(h.article_id)))
        return hits


def _hex(value: object) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")


def _json_list(value: object) -> list[str]:
    import json

    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        loaded = json.loads(value)
        return [str(v) for v in loaded] if isinstance(loaded, list) else []
    return []
