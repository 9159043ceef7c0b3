"""What the assistant knows: the organization's articles, matched by the local index over FTS candidates.

Full-text search (``knowledge.retriever``) finds articles sharing the question's words; the local index
(``local_index``) matches paraphrases against example questions and gives the calibrated confidence.
Both are merged: an article either finds gets a place, ranked by the index score.

Indexes are cached per process, keyed by the organization's knowledge ``revision`` (bumped in the same
transaction as any article change), so a changed article is seen by the next question, on every process.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant.local_index import CALIBRATION_MIDPOINT, LocalIndex, Match, confidence

MAX_CACHED_ORGS = 64
AMBIGUITY_GAP = 0.03
_cache: OrderedDict[tuple[uuid.UUID, tuple[str, ...] | None], tuple[str, LocalIndex]] = OrderedDict()
_locks: dict[tuple[uuid.UUID, tuple[str, ...] | None], asyncio.Lock] = {}


@dataclass
class Source:
    article_id: str
    title: str
    body: str
    score: float
    confidence: float
    source_url: str | None = None


@dataclass
class SearchResult:
    query: str
    confidence: float
    sources: list[Source]
    # The two best articles are both good matches and nearly tied: ask which one the customer means.
    ambiguous: bool = False


def _key(
    organization_id: uuid.UUID, collection_ids: Sequence[uuid.UUID] | None
) -> tuple[uuid.UUID, tuple[str, ...] | None]:
    return organization_id, None if collection_ids is None else tuple(sorted(str(c) for c in collection_ids))


async def index_for(
    session: AsyncSession, organization_id: uuid.UUID, collection_ids: Sequence[uuid.UUID] | None
) -> LocalIndex:
    from frontdesk.knowledge import repository

    key = _key(organization_id, collection_ids)
    revision = await repository.revision(session, organization_id)
    cached = _cache.get(key)
    if cached is not None and cached[0] == revision:
        _cache.move_to_end(key)
        return cached[1]
    lock = _locks.setdefault(key, asyncio.Lock())
    async with lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == revision:
            return cached[1]
        articles = await repository.articles_for(session, organization_id, collection_ids)
        rows = [(str(a.id), a.title, a.body or "", list(a.example_questions or [])) for a in articles]
        # Building is CPU work (a second or two for thousands of articles): off the event loop.
        index = await asyncio.to_thread(LocalIndex.build, rows)
        _cache[key] = (revision, index)
        _cache.move_to_end(key)
        while len(_cache) > MAX_CACHED_ORGS:
            _cache.popitem(last=False)
        return index


async def search(
    session: AsyncSession,
    organization_id: uuid.UUID,
    query: str,
    *,
    collection_ids: Sequence[uuid.UUID] | None = None,
    limit: int = 3,
) -> SearchResult:
    from frontdesk.knowledge import retriever

    index = await index_for(session, organization_id, collection_ids)
    matches: list[Match] = index.search(query, limit=max(limit, 3))
    conf = confidence(matches)
    seen = {m.article_id for m in matches}
    hits = await retriever.search(session, organization_id, query, collection_ids=collection_ids, limit=limit)
    bodies = {str(h.article_id): h for h in hits}
    position = {aid: n for n, aid in enumerate(index.article_ids)}
    sources = []
    for m in matches[:limit]:
        hit = bodies.get(m.article_id)
        n = position[m.article_id]
        sources.append(
            Source(
                article_id=m.article_id,
                title=m.title,
                body=hit.body if hit else index.bodies[n],
                score=round(m.score, 4),
                confidence=0.0,
                source_url=hit.source_url if hit else None,
            )
        )
    # What FTS found that the example questions did not: offered after, never ranked above.
    for hit in hits:
        if str(hit.article_id) not in seen and len(sources) < limit:
            sources.append(Source(str(hit.article_id), hit.title, hit.body, 0.0, 0.0, hit.source_url))
    if sources:
        sources[0].confidence = round(conf, 4)
    ambiguous = (
        len(matches) > 1
        and matches[1].score >= CALIBRATION_MIDPOINT
        and matches[0].score - matches[1].score < AMBIGUITY_GAP
    )
    return SearchResult(query=query, confidence=round(conf, 4), sources=sources, ambiguous=ambiguous)
