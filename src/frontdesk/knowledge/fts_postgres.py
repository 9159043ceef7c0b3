"""PostgreSQL full-text retrieval: a weighted ``tsvector`` per article, a GIN index, ``ts_rank``.

``knowledge_search`` (migration 0003) has one row per article: its organization and collection (so
the GIN match is narrowed by tenant before ranking), the plain text of the body for ``ts_headline``
snippets, and the document: example questions and title weighted A, tags B, body D. It is written
here in the caller's transaction and goes with its article by ``ON DELETE CASCADE``.

The query is built from cleaned terms (``retriever.terms``) with ``to_tsquery`` over ``'term' | ...``;
every term is letters and digits only, so no user text is ever parsed as tsquery syntax. Snippets are
computed for the returned rows only: ``ts_headline`` re-parses the text and is the costly part.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Uuid

from frontdesk.knowledge.models import Article
from frontdesk.knowledge.retriever import Hit, merge_stages
from frontdesk.knowledge.text import lead, plain

CONFIG = "english"
HEADLINE = "StartSel=\x02, StopSel=\x03, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=1"

# Only module constants are formatted into the SQL; every value is a bound parameter.
_INDEX = text(
    "INSERT INTO knowledge_search (article_id, organization_id, collection_id, plain, document) "  # noqa: S608
    "VALUES (:id, :org, :collection, :plain, "
    f"setweight(to_tsvector('{CONFIG}', :title), 'A') || setweight(to_tsvector('{CONFIG}', :questions), 'A') "
    f"|| setweight(to_tsvector('{CONFIG}', :tags), 'B') || setweight(to_tsvector('{CONFIG}', :plain), 'D')) "
    "ON CONFLICT (article_id) DO UPDATE SET organization_id = excluded.organization_id, "
    "collection_id = excluded.collection_id, plain = excluded.plain, document = excluded.document"
).bindparams(bindparam("id", type_=Uuid()), bindparam("org", type_=Uuid()), bindparam("collection", type_=Uuid()))

# Ranking reads only the index table; articles and snippets are joined for the winners alone.
_STAGE = (
    "WITH best AS (SELECT s.article_id, s.plain, ts_rank(s.document, to_tsquery('{config}', :q)) AS rank "
    "FROM knowledge_search AS s WHERE s.organization_id = :org {collections} "
    "AND s.document @@ to_tsquery('{config}', :q) ORDER BY rank DESC, s.article_id LIMIT :limit) "
    "SELECT best.rank, best.plain, a.id, a.collection_id, a.title, a.body, a.tags, a.source_url, "
    "a.example_questions, ts_headline('{config}', best.plain, to_tsquery('{config}', :words), '{headline}') "
    "AS snippet FROM best JOIN knowledge_articles AS a ON a.id = best.article_id WHERE a.organization_id = :org"
)


def tsquery(words: Sequence[str], *, stage: int = 0) -> str:
    """Stage 1: in the title, questions or tags (weights A and B); 2: in the body only; 0: anywhere."""
    quoted = ["'" + w.replace("'", "") + "'" for w in words]
    fields = " | ".join(q + ":AB" for q in quoted)
    anywhere = " | ".join(quoted)
    if stage == 1:
        return fields
    if stage == 2:
        return f"({anywhere}) & !({fields})"
    return anywhere


class PostgresRetriever:
    async def index(self, session: AsyncSession, article: Article) -> None:
        body = plain(article.body or "")
        await session.execute(
            _INDEX,
            {
                "id": article.id,
                "org": article.organization_id,
                "collection": article.collection_id,
                "title": article.title,
                "questions": "\n".join(article.example_questions or []),
                "tags": " ".join(article.tags or []),
                "plain": body,
            },
        )

    async def _stage(
        self,
        session: AsyncSession,
        organization_id: uuid.UUID,
        query: str,
        words: Sequence[str],
        collection_ids: Sequence[uuid.UUID] | None,
        limit: int,
    ) -> list[Any]:
        sql = _STAGE.format(
            config=CONFIG,
            headline=HEADLINE,
            collections="" if collection_ids is None else "AND s.collection_id = ANY(:collections)",
        )
        stmt = text(sql).bindparams(bindparam("org", type_=Uuid()))
        params: dict[str, object] = {"q": query, "words": tsquery(words), "org": organization_id, "limit": limit}
        if collection_ids is not None:
            stmt = stmt.bindparams(bindparam("collections", type_=ARRAY(Uuid())))
            params["collections"] = list(collection_ids)
        return list(await session.execute(stmt, params))

    async def search(
        self,
        session: AsyncSession,
        organization_id: uuid.UUID,
        terms: Sequence[str],
        *,
        collection_ids: Sequence[uuid.UUID] | None,
        limit: int,
    ) -> list[Hit]:
        # Two stages (see retriever.merge_stages): ts_rank over long bodies is what costs.
        first = await self._stage(session, organization_id, tsquery(terms, stage=1), terms, collection_ids, limit)
        second: list[Any] = []
        if len(first) < limit:
            query = tsquery(terms, stage=2)
            second = await self._stage(session, organization_id, query, terms, collection_ids, limit - len(first))
        scores = merge_stages([(r.id, float(r.rank)) for r in first], [(r.id, float(r.rank)) for r in second])
        hits: list[Hit] = []
        for row in [*first, *second]:
            snippet = (row.snippet or "").replace("\x02", "").replace("\x03", "").strip()
            hits.append(
                Hit(
                    article_id=row.id,
                    collection_id=row.collection_id,
                    title=row.title,
                    snippet=snippet or lead(row.plain or ""),
                    body=row.body,
                    score=scores[row.id],
                    tags=list(row.tags or []),
                    example_questions=list(row.example_questions or []),
                    source_url=row.source_url,
                )
            )
        hits.sort(key=lambda h: (-h.score, str(h.article_id)))
        return hits
