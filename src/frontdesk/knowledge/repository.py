"""All of the knowledge base's SQL. Writes to articles go through here so the search index and the
organization's revision counter change in the same transaction as the article."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.knowledge.models import Article, KnowledgeCollection, KnowledgeImport, KnowledgeRevision
from frontdesk.knowledge.retriever import retriever_for

# ---------------------------------------------------------------- revision


async def bump_revision(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """One atomic upsert: concurrent writers each add one, and the first creates the row."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(KnowledgeRevision).values(organization_id=organization_id, revision=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[KnowledgeRevision.organization_id],
        set_={"revision": KnowledgeRevision.revision + 1},
    )
    await session.execute(stmt)


async def revision(session: AsyncSession, organization_id: uuid.UUID) -> str:
    """Changes whenever any article of the organization is created, changed, moved or deleted."""
    value = await session.scalar(
        select(KnowledgeRevision.revision).where(KnowledgeRevision.organization_id == organization_id)
    )
    return f"{organization_id.hex[:8]}-{value or 0}"


# ---------------------------------------------------------------- collections


def collections_query(org_ids: Iterable[uuid.UUID], *, q: str | None = None) -> Select[Any]:
    stmt = select(KnowledgeCollection).where(KnowledgeCollection.organization_id.in_(list(org_ids)))
    if q:
        stmt = stmt.where(func.lower(KnowledgeCollection.name).contains(q.lower(), autoescape=True))
    return stmt.order_by(KnowledgeCollection.name, KnowledgeCollection.id)


async def get_collection(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], collection_id: uuid.UUID
) -> KnowledgeCollection | None:
    return await session.scalar(
        select(KnowledgeCollection).where(
            KnowledgeCollection.id == collection_id, KnowledgeCollection.organization_id.in_(list(org_ids))
        )
    )


async def collection_by_name(
    session: AsyncSession, organization_id: uuid.UUID, name: str
) -> KnowledgeCollection | None:
    return await session.scalar(
        select(KnowledgeCollection).where(
            KnowledgeCollection.organization_id == organization_id, KnowledgeCollection.name == name
        )
    )


async def article_counts(session: AsyncSession, collection_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not collection_ids:
        return {}
    rows = await session.execute(
        select(Article.collection_id, func.count())
        .where(Article.collection_id.in_(list(collection_ids)))
        .group_by(Article.collection_id)
    )
    return {cid: int(n) for cid, n in rows.all()}


async def delete_collection(session: AsyncSession, collection: KnowledgeCollection) -> None:
    # Through SQL, not the ORM's cascade: the articles (and their index rows) go by ON DELETE CASCADE.
    await session.execute(
        delete(KnowledgeCollection)
        .where(KnowledgeCollection.id == collection.id)
        .execution_options(synchronize_session=False)
    )
    await bump_revision(session, collection.organization_id)


# ---------------------------------------------------------------- articles


def articles_query(
    org_ids: Iterable[uuid.UUID],
    *,
    collection_id: uuid.UUID | None = None,
    tag: str | None = None,
    q: str | None = None,
) -> Select[Any]:
    stmt = select(Article).where(Article.organization_id.in_(list(org_ids)))
    if collection_id is not None:
        stmt = stmt.where(Article.collection_id == collection_id)
    if q:
        needle = q.lower()
        stmt = stmt.where(
            or_(
                func.lower(Article.title).contains(needle, autoescape=True),
                func.lower(Article.body).contains(needle, autoescape=True),
            )
        )
    if tag:
        # JSON containment differs by dialect; a tag list is small, so match its JSON text, quoted.
        from sqlalchemy import String, cast

        stmt = stmt.where(cast(Article.tags, String).contains(_json_string(tag), autoescape=True))
    return stmt.order_by(Article.updated_at.desc(), Article.id)


def _json_string(value: str) -> str:
    import json

    return json.dumps(value)


async def get_article(session: AsyncSession, org_ids: Iterable[uuid.UUID], article_id: uuid.UUID) -> Article | None:
    return await session.scalar(
        select(Article).where(Article.id == article_id, Article.organization_id.in_(list(org_ids)))
    )


async def articles_by_ids(
    session: AsyncSession, organization_id: uuid.UUID, article_ids: Sequence[uuid.UUID]
) -> list[Article]:
    if not article_ids:
        return []
    return list(
        await session.scalars(
            select(Article).where(Article.organization_id == organization_id, Article.id.in_(list(article_ids)))
        )
    )


async def articles_for(
    session: AsyncSession, organization_id: uuid.UUID, collection_ids: Sequence[uuid.UUID] | None
) -> Sequence[Article]:
    """Every article of the organization (in these collections, if given), oldest first."""
    stmt = select(Article).where(Article.organization_id == organization_id)
    if collection_ids is not None:
        if not collection_ids:
            return []
        stmt = stmt.where(Article.collection_id.in_(list(collection_ids)))
    return list(await session.scalars(stmt.order_by(Article.created_at, Article.id)))


async def save_article(session: AsyncSession, article: Article) -> Article:
    """Insert or update ``article`` with its index entry and the revision bump, in one transaction."""
    session.add(article)
    await session.flush()
    await retriever_for(session).index(session, article)
    await bump_revision(session, article.organization_id)
    return article


async def delete_article(session: AsyncSession, article: Article) -> None:
    # The index row goes with it (the SQLite trigger, or PostgreSQL's ON DELETE CASCADE).
    await session.execute(delete(Article).where(Article.id == article.id).execution_options(synchronize_session=False))
    session.expunge(article)
    await bump_revision(session, article.organization_id)


# ---------------------------------------------------------------- imports


def imports_query(org_ids: Iterable[uuid.UUID]) -> Select[Any]:
    return (
        select(KnowledgeImport)
        .where(KnowledgeImport.organization_id.in_(list(org_ids)))
        .order_by(KnowledgeImport.created_at.desc(), KnowledgeImport.id.desc())
    )


async def get_import(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], import_id: uuid.UUID
) -> KnowledgeImport | None:
    return await session.scalar(
        select(KnowledgeImport).where(
            KnowledgeImport.id == import_id, KnowledgeImport.organization_id.in_(list(org_ids))
        )
    )
