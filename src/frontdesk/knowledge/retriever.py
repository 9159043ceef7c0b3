"""Retrieval over the knowledge base, behind one interface for both database backends.

:func:`search` is what the rest of Frontdesk calls (the assistant's ``search_knowledge`` tool, the
offline model, the knowledge page). It picks the implementation from the session's dialect:
SQLite FTS5 ranked with bm25 (``fts_sqlite.py``) or PostgreSQL full-text search ranked with
``ts_rank`` (``fts_postgres.py``). Both index the same fields with the same weights: example
questions and title weigh most (the assistant matches customer questions against them), then tags,
then the body.

A user's words never reach either query language as syntax: :func:`terms` keeps only runs of
letters and digits, so quotes, ``AND``, ``*``, ``NEAR``, colons and emoji cannot raise or change the
meaning of a query. The terms are OR-ed and the ranking sorts it out; an empty query finds nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.knowledge.models import Article

MAX_TERMS = 32
MAX_TERM_LENGTH = 64
MAX_LIMIT = 50

# Words that match nearly every article: dropped from a query unless nothing else is left. Kept short
# on purpose; the rankers' IDF deals with the rest.
_STOPWORDS = (
    "a an and are as at be but by can could did do does for from had has have how i if in into is it its "
    "me my of on or our so than that the their them then there these they this to was we were what when where "
    "which who why will with would you your"
)
STOPWORDS = frozenset(_STOPWORDS.split())
_WORD = re.compile(r"[^\W_]+")
K = TypeVar("K")


@dataclass(frozen=True)
class Hit:
    article_id: uuid.UUID
    collection_id: uuid.UUID
    title: str
    snippet: str  # plain text around the matched words (no markup), from the body
    body: str  # the article's Markdown
    score: float  # higher is better, comparable within one query only
    tags: list[str]
    example_questions: list[str]
    source_url: str | None


class Retriever(Protocol):
    """One full-text backend: keeps its index current and answers ranked queries."""

    async def index(self, session: AsyncSession, article: Article) -> None:
        """Add or replace the article's entry, in the caller's transaction."""

    async def search(
        self,
        session: AsyncSession,
        organization_id: uuid.UUID,
        terms: Sequence[str],
        *,
        collection_ids: Sequence[uuid.UUID] | None,
        limit: int,
    ) -> list[Hit]:
        """The best ``limit`` articles of the organization for any of ``terms`` (already cleaned)."""


def terms(query: str) -> list[str]:
    """The query's searchable words, lower-cased and de-duplicated, syntax and stopwords removed."""
    words: list[str] = []
    for match in _WORD.finditer(query[:10_000].lower()):
        word = match.group()[:MAX_TERM_LENGTH]
        if word not in words:
            words.append(word)
    content = [w for w in words if w not in STOPWORDS]
    return (content or words)[:MAX_TERMS]


def merge_stages(first: Sequence[tuple[K, float]], second: Sequence[tuple[K, float]]) -> dict[K, float]:
    """One score scale (higher is better) over both stages: every body-only match below every field match.

    Both backends rank in two stages: first the words in the title, example questions and tags (short
    fields: cheap to rank, and the strongest evidence), then, only if that did not fill the answer,
    body-only matches (long text: what makes ranking cost). A body-only row's score is scaled into the
    range below the weakest field match, so each stage keeps its order.
    """
    scores = dict(first)
    if second:
        raw = [score for _, score in second]
        ceiling = min(scores.values()) / 2 if scores else max(raw)
        top = max(raw) or 1.0
        scores.update({key: score / top * ceiling for key, score in second})
    return scores


def retriever_for(session: AsyncSession) -> Retriever:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from frontdesk.knowledge.fts_postgres import PostgresRetriever

        return PostgresRetriever()
    from frontdesk.knowledge.fts_sqlite import Fts5Retriever

    return Fts5Retriever()


async def search(
    session: AsyncSession,
    organization_id: uuid.UUID,
    query: str,
    *,
    collection_ids: Sequence[uuid.UUID] | None = None,
    limit: int = 5,
) -> list[Hit]:
    """Articles of one organization matching ``query``, best first.

    ``collection_ids``: only these collections (an empty list finds nothing); ``None``: all of them.
    The caller has already checked that the subject may read ``organization_id``.
    """
    words = terms(query)
    if not words or limit <= 0 or (collection_ids is not None and not collection_ids):
        return []
    return await retriever_for(session).search(
        session,
        organization_id,
        words,
        collection_ids=None if collection_ids is None else list(dict.fromkeys(collection_ids)),
        limit=min(limit, MAX_LIMIT),
    )
