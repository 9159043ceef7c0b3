"""Collections and articles: validation, tenancy and the rules around them. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.knowledge import repository, retriever
from frontdesk.knowledge.models import Article, KnowledgeCollection
from frontdesk.knowledge.schemas import (
    MAX_QUESTIONS,
    MAX_TAGS,
    ArticleCreate,
    ArticleUpdate,
    CollectionCreate,
    CollectionUpdate,
)

MAX_TAG_LENGTH = 60
MAX_QUESTION_LENGTH = 500


def _now(session: AsyncSession) -> datetime:
    now: datetime = session.info["runtime"].clock.now()
    return now


# ---------------------------------------------------------------- field rules (shared with imports)


def clean_text(value: str) -> str:
    # PostgreSQL cannot store NUL; files uploaded for import may carry them.
    return value.replace("\x00", "").strip()


def clean_title(value: str) -> str:
    title = " ".join(clean_text(value).split())
    if not title:
        raise ValidationFailed("The title cannot be empty.", code="invalid_title", details={"field": "title"})
    if len(title) > 300:
        raise ValidationFailed(
            "The title is longer than 300 characters.", code="invalid_title", details={"field": "title"}
        )
    return title


def clean_tags(values: Sequence[str]) -> list[str]:
    tags: list[str] = []
    seen: set[str] = set()
    for raw in values:
        tag = " ".join(clean_text(str(raw)).split())
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationFailed(
                f"A tag is longer than {MAX_TAG_LENGTH} characters.", code="invalid_tags", details={"field": "tags"}
            )
        if tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(f"At most {MAX_TAGS} tags.", code="invalid_tags", details={"field": "tags"})
    return tags


def clean_questions(values: Sequence[str]) -> list[str]:
    questions: list[str] = []
    seen: set[str] = set()
    for raw in values:
        question = " ".join(clean_text(str(raw)).split())
        if not question:
            continue
        if len(question) > MAX_QUESTION_LENGTH:
            raise ValidationFailed(
                f"An example question is longer than {MAX_QUESTION_LENGTH} characters.",
                code="invalid_example_questions",
                details={"field": "example_questions"},
            )
        if question.lower() not in seen:
            seen.add(question.lower())
            questions.append(question)
    if len(questions) > MAX_QUESTIONS:
        raise ValidationFailed(
            f"At most {MAX_QUESTIONS} example questions.",
            code="invalid_example_questions",
            details={"field": "example_questions"},
        )
    return questions


def clean_source_url(value: str | None) -> str | None:
    if value is None or not clean_text(value):
        return None
    url = clean_text(value)
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc or len(url) > 2000:
        # Shown as a link in the inbox and the widget: only web addresses, never javascript: and kin.
        raise ValidationFailed(
            "The source URL must be an http(s) address.", code="invalid_source_url", details={"field": "source_url"}
        )
    return url


def clean_body(value: str) -> str:
    body = value.replace("\x00", "")
    if len(body) > 100_000:
        raise ValidationFailed(
            "The body is longer than 100,000 characters.", code="invalid_body", details={"field": "body"}
        )
    return body


# ---------------------------------------------------------------- collections


async def list_collections(
    session: AsyncSession, scope: OrgScope, *, paging: PageParams, q: str | None = None
) -> tuple[list[KnowledgeCollection], int]:
    return await paginate(session, repository.collections_query(scope.ids, q=q), paging)


async def all_collections(session: AsyncSession, scope: OrgScope) -> list[KnowledgeCollection]:
    return list(await session.scalars(repository.collections_query(scope.ids)))


async def article_counts(session: AsyncSession, collections: Sequence[KnowledgeCollection]) -> dict[uuid.UUID, int]:
    return await repository.article_counts(session, [c.id for c in collections])


async def get_collection(session: AsyncSession, scope: OrgScope, collection_id: uuid.UUID) -> KnowledgeCollection:
    collection = await repository.get_collection(session, scope.ids, collection_id)
    if collection is None:
        raise NotFound("No such collection.", code="collection_not_found")
    return collection


def _clean_name(name: str) -> str:
    cleaned = " ".join(clean_text(name).split())
    if not cleaned:
        raise ValidationFailed("The name cannot be empty.", code="invalid_name", details={"field": "name"})
    return cleaned


async def _unique_name(session: AsyncSession, organization_id: uuid.UUID, name: str, *, but: uuid.UUID | None) -> None:
    existing = await repository.collection_by_name(session, organization_id, name)
    if existing is not None and existing.id != but:
        raise Conflict(f"A collection named {name!r} exists already.", code="collection_exists")


async def create_collection(session: AsyncSession, scope: OrgScope, data: CollectionCreate) -> KnowledgeCollection:
    name = _clean_name(data.name)
    await _unique_name(session, scope.organization_id, name, but=None)
    now = _now(session)
    collection = KnowledgeCollection(
        organization_id=scope.organization_id,
        name=name,
        description=clean_text(data.description),
        created_at=now,
        updated_at=now,
    )
    session.add(collection)
    await session.flush()
    return collection


async def update_collection(
    session: AsyncSession, scope: OrgScope, collection_id: uuid.UUID, data: CollectionUpdate
) -> KnowledgeCollection:
    collection = await get_collection(session, scope, collection_id)
    values = data.model_dump(exclude_unset=True)
    if values.get("name") is not None:
        name = _clean_name(values["name"])
        await _unique_name(session, scope.organization_id, name, but=collection.id)
        collection.name = name
    if values.get("description") is not None:
        collection.description = clean_text(values["description"])
    collection.updated_at = _now(session)
    await session.flush()
    return collection


async def delete_collection(session: AsyncSession, scope: OrgScope, collection_id: uuid.UUID) -> None:
    """Its articles go with it."""
    collection = await get_collection(session, scope, collection_id)
    await repository.delete_collection(session, collection)
    session.expunge(collection)


# ---------------------------------------------------------------- articles


async def list_articles(
    session: AsyncSession,
    scope: OrgScope,
    *,
    paging: PageParams,
    collection_id: uuid.UUID | None = None,
    tag: str | None = None,
    q: str | None = None,
) -> tuple[list[Article], int]:
    stmt = repository.articles_query(scope.ids, collection_id=collection_id, tag=tag, q=q)
    return await paginate(session, stmt, paging)


async def get_article(session: AsyncSession, scope: OrgScope, article_id: uuid.UUID) -> Article:
    article = await repository.get_article(session, scope.ids, article_id)
    if article is None:
        raise NotFound("No such article.", code="article_not_found")
    return article


async def create_article(
    session: AsyncSession, scope: OrgScope, data: ArticleCreate, *, by: str = "", article_id: uuid.UUID | None = None
) -> Article:
    collection = await get_collection(session, scope, data.collection_id)
    now = _now(session)
    article = Article(
        organization_id=scope.organization_id,
        collection_id=collection.id,
        title=clean_title(data.title),
        body=clean_body(data.body),
        tags=clean_tags(data.tags),
        source_url=clean_source_url(data.source_url),
        example_questions=clean_questions(data.example_questions),
        created_at=now,
        updated_at=now,
        updated_by=by[:320],
    )
    if article_id is not None:
        article.id = article_id
    return await repository.save_article(session, article)


async def update_article(
    session: AsyncSession, scope: OrgScope, article_id: uuid.UUID, data: ArticleUpdate, *, by: str = ""
) -> Article:
    article = await get_article(session, scope, article_id)
    values: dict[str, Any] = data.model_dump(exclude_unset=True)
    for field in ("collection_id", "title", "body", "tags", "example_questions"):
        if field in values and values[field] is None:
            raise ValidationFailed(f"{field} cannot be null; leave it out to keep it.", code="null_not_allowed")
    if "collection_id" in values:
        article.collection_id = (await get_collection(session, scope, values["collection_id"])).id
    if "title" in values:
        article.title = clean_title(values["title"])
    if "body" in values:
        article.body = clean_body(values["body"])
    if "tags" in values:
        article.tags = clean_tags(values["tags"])
    if "example_questions" in values:
        article.example_questions = clean_questions(values["example_questions"])
    if "source_url" in values:
        article.source_url = clean_source_url(values["source_url"])
    article.updated_at = _now(session)
    article.updated_by = by[:320]
    return await repository.save_article(session, article)


async def delete_article(session: AsyncSession, scope: OrgScope, article_id: uuid.UUID) -> None:
    article = await get_article(session, scope, article_id)
    await repository.delete_article(session, article)


async def search_articles(
    session: AsyncSession,
    scope: OrgScope,
    query: str,
    *,
    collection_ids: Sequence[uuid.UUID] | None = None,
    limit: int = 10,
) -> list[retriever.Hit]:
    if collection_ids:
        # Naming another organization's collection answers 404, as everywhere.
        for collection_id in dict.fromkeys(collection_ids):
            await get_collection(session, scope, collection_id)
    return await retriever.search(session, scope.organization_id, query, collection_ids=collection_ids, limit=limit)
