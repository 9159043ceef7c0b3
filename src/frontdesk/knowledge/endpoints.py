"""The knowledge base API: collections, articles, search, imports and exports."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile, status

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.kit.errors import PayloadTooLarge
from frontdesk.kit.pagination import Page, PageParams, page_of
from frontdesk.knowledge import exporting, imports, parsing, schemas, service

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])


# ---------------------------------------------------------------- collections


@router.get("/collections", response_model=Page[schemas.Collection], summary="Collections, by name")
async def list_collections(
    session: Session,
    subject: Subject,
    paging: Annotated[PageParams, Depends()],
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
) -> Page[schemas.Collection]:
    rows, total = await service.list_collections(session, require(subject, "knowledge.read"), paging=paging, q=q)
    counts = await service.article_counts(session, rows)
    items = [
        schemas.Collection.model_validate(r).model_copy(update={"article_count": counts.get(r.id, 0)}) for r in rows
    ]
    return page_of(items, total, paging)


@router.post(
    "/collections", response_model=schemas.Collection, status_code=status.HTTP_201_CREATED, summary="Add a collection"
)
async def create_collection(data: schemas.CollectionCreate, session: Session, subject: Subject) -> schemas.Collection:
    row = await service.create_collection(session, require(subject, "knowledge.manage"), data)
    return schemas.Collection.model_validate(row)


@router.get("/collections/{collection_id}", response_model=schemas.Collection, summary="One collection")
async def get_collection(collection_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Collection:
    row = await service.get_collection(session, require(subject, "knowledge.read"), collection_id)
    counts = await service.article_counts(session, [row])
    return schemas.Collection.model_validate(row).model_copy(update={"article_count": counts.get(row.id, 0)})


@router.patch("/collections/{collection_id}", response_model=schemas.Collection, summary="Rename or describe")
async def update_collection(
    collection_id: uuid.UUID, data: schemas.CollectionUpdate, session: Session, subject: Subject
) -> schemas.Collection:
    row = await service.update_collection(session, require(subject, "knowledge.manage"), collection_id, data)
    return schemas.Collection.model_validate(row)


@router.delete(
    "/collections/{collection_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a collection and all of its articles",
)
async def delete_collection(collection_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_collection(session, require(subject, "knowledge.manage"), collection_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- articles


@router.get("/articles", response_model=Page[schemas.Article], summary="Articles, last changed first")
async def list_articles(
    session: Session,
    subject: Subject,
    paging: Annotated[PageParams, Depends()],
    collection_id: uuid.UUID | None = None,
    tag: Annotated[str | None, Query(max_length=60)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the title or body.")] = None,
) -> Page[schemas.Article]:
    rows, total = await service.list_articles(
        session, require(subject, "knowledge.read"), paging=paging, collection_id=collection_id, tag=tag, q=q
    )
    return page_of([schemas.Article.model_validate(r) for r in rows], total, paging)


@router.post("/articles", response_model=schemas.Article, status_code=status.HTTP_201_CREATED, summary="Add an article")
async def create_article(data: schemas.ArticleCreate, session: Session, subject: Subject) -> schemas.Article:
    row = await service.create_article(session, require(subject, "knowledge.manage"), data, by=subject.label)
    return schemas.Article.model_validate(row)


@router.get("/articles/{article_id}", response_model=schemas.Article, summary="One article")
async def get_article(article_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Article:
    row = await service.get_article(session, require(subject, "knowledge.read"), article_id)
    return schemas.Article.model_validate(row)


@router.patch("/articles/{article_id}", response_model=schemas.Article, summary="Change an article")
async def update_article(
    article_id: uuid.UUID, data: schemas.ArticleUpdate, session: Session, subject: Subject
) -> schemas.Article:
    row = await service.update_article(
        session, require(subject, "knowledge.manage"), article_id, data, by=subject.label
    )
    return schemas.Article.model_validate(row)


@router.delete("/articles/{article_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an article")
async def delete_article(article_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_article(session, require(subject, "knowledge.manage"), article_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- search


@router.get(
    "/search",
    response_model=schemas.SearchResult,
    summary="Ranked full-text search, as the assistant searches (example questions weigh most)",
)
async def search_knowledge(
    session: Session,
    subject: Subject,
    q: Annotated[str, Query(max_length=2000)] = "",
    collection_id: Annotated[list[uuid.UUID] | None, Query(description="Only these collections.")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> schemas.SearchResult:
    hits = await service.search_articles(
        session, require(subject, "knowledge.read"), q, collection_ids=collection_id or None, limit=limit
    )
    return schemas.SearchResult(
        query=q,
        hits=[
            schemas.SearchHit(
                article_id=h.article_id,
                collection_id=h.collection_id,
                title=h.title,
                snippet=h.snippet,
                score=h.score,
                tags=h.tags,
                example_questions=h.example_questions,
                source_url=h.source_url,
            )
            for h in hits
        ],
    )


# ---------------------------------------------------------------- imports and exports


async def read_upload(upload: UploadFile) -> bytes:
    """At most the import limit, read in chunks: a larger upload is refused before it fills memory."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(256 * 1024):
        size += len(chunk)
        if size > parsing.MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(f"Import files are limited to {parsing.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        parts.append(chunk)
    return b"".join(parts)


@router.post(
    "/imports",
    response_model=schemas.Import,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Upload a CSV, JSON, Markdown or zip file; the articles are created in the background",
)
async def create_import(
    session: Session,
    subject: Subject,
    file: Annotated[UploadFile, File(description=".csv, .json, .md or a .zip of them (at most 20 MB).")],
    collection_id: Annotated[
        uuid.UUID | None, Form(description="Where rows without a 'collection' of their own go.")
    ] = None,
    format: Annotated[Literal["csv", "json", "md", "zip"] | None, Form(description="Else from the name.")] = None,
) -> schemas.Import:
    data = await read_upload(file)
    row = await imports.start_import(
        session,
        require(subject, "knowledge.manage"),
        filename=file.filename or "upload",
        data=data,
        collection_id=collection_id,
        fmt=format,
        by=subject.label,
    )
    return schemas.Import.model_validate(row)


@router.get("/imports", response_model=Page[schemas.Import], summary="Imports, newest first")
async def list_imports(
    session: Session, subject: Subject, paging: Annotated[PageParams, Depends()]
) -> Page[schemas.Import]:
    rows, total = await imports.list_imports(session, require(subject, "knowledge.read"), paging=paging)
    return page_of([schemas.Import.model_validate(r) for r in rows], total, paging)


@router.get("/imports/{import_id}", response_model=schemas.Import, summary="An import's progress and error report")
async def get_import(import_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Import:
    row = await imports.get_import(session, require(subject, "knowledge.read"), import_id)
    return schemas.Import.model_validate(row)


@router.get(
    "/export",
    summary="Download a collection, or everything, as JSON or CSV (both re-import)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def export_knowledge(
    session: Session,
    subject: Subject,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    collection_id: uuid.UUID | None = None,
) -> Response:
    scope = require(subject, "knowledge.read")
    if format == "csv":
        body = await exporting.export_csv(session, scope, collection_id)
        media = "text/csv; charset=utf-8"
    else:
        body = await exporting.export_json(session, scope, collection_id)
        media = "application/json"
    stamp = session.info["runtime"].clock.now().strftime("%Y%m%d-%H%M")
    name = f"knowledge-{stamp}.{format}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
