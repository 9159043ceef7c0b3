"""The knowledge base pages: collections, the article list with search, the editor, import and export.

Everything works without JavaScript; ``static/js/knowledge-import.js`` only keeps an import's
progress bar and error report current by polling the JSON API while the job runs.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Response
from starlette.datastructures import UploadFile

from frontdesk.authz.service import require
from frontdesk.kit.errors import FrontdeskError, PayloadTooLarge
from frontdesk.kit.pagination import PageParams
from frontdesk.knowledge import imports, parsing, service
from frontdesk.knowledge.models import Article, KnowledgeCollection
from frontdesk.knowledge.schemas import ArticleCreate, ArticleUpdate, CollectionCreate, CollectionUpdate
from frontdesk.web import forms
from frontdesk.web.dependencies import Page, PageRoute, UserPage
from frontdesk.web.settings import sections_for

router = APIRouter(route_class=PageRoute, include_in_schema=False)

HOME = "/app/knowledge"
PER_PAGE = 25
LABELS = {
    "collection_id": "Collection",
    "title": "Title",
    "body": "Body",
    "tags": "Tags",
    "source_url": "Source URL",
    "example_questions": "Example questions",
    "name": "Name",
    "description": "Description",
    "file": "File",
}


def _render(page: Page, template: str, *, status_code: int = 200, **context: Any) -> Response:
    return page.render(
        template, status_code=status_code, sections=sections_for(page), current=HOME, labels=LABELS, **context
    )


def _field_error(exc: FrontdeskError) -> dict[str, str]:
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    return {str(field) if field in LABELS else "__all__": exc.message}


def _optional_id(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


# ---------------------------------------------------------------- the main page


async def _home(
    page: Page,
    *,
    collection_errors: dict[str, str] | None = None,
    collection_values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    scope = require(page.actor, "knowledge.read")
    params = page.request.query_params
    collections = await service.all_collections(page.session, scope)
    counts = await service.article_counts(page.session, collections)
    selected = _optional_id(params.get("collection"))
    current = next((c for c in collections if c.id == selected), None)
    q = (params.get("q") or "").strip()[:200]
    try:
        number = max(1, min(int(params.get("page") or 1), 100_000))
    except ValueError:
        number = 1
    hits: list[Any] = []
    articles: list[Article] = []
    pager: dict[str, Any] = {"pages": 1}
    if q:
        # Ranked as the assistant ranks, so people see what the assistant would find.
        hits = await service.search_articles(
            page.session, scope, q, collection_ids=[current.id] if current else None, limit=50
        )
    else:
        paging = PageParams(page=number, per_page=PER_PAGE)
        articles, total = await service.list_articles(
            page.session, scope, paging=paging, collection_id=current.id if current else None
        )
        pager = _pager(paging, total, {"collection": str(current.id)} if current else {})
    names = {c.id: c.name for c in collections}
    return _render(
        page,
        "knowledge/index.html",
        status_code=status,
        collections=collections,
        counts=counts,
        total_articles=sum(counts.values()),
        current_collection=current,
        q=q,
        hits=hits,
        articles=articles,
        names=names,
        pager=pager,
        collection_errors=collection_errors or {},
        collection_values=collection_values or {"name": "", "description": ""},
    )


def _pager(paging: PageParams, total: int, params: dict[str, str]) -> dict[str, Any]:
    pages = max(1, (total + paging.per_page - 1) // paging.per_page)

    def link(n: int) -> str:
        return f"{HOME}?{urlencode({**params, 'page': n})}"

    return {
        "page": paging.page,
        "pages": pages,
        "total": total,
        "prev": link(paging.page - 1) if paging.page > 1 else "",
        "next": link(paging.page + 1) if paging.page < pages else "",
    }


@router.get("/app/knowledge")
async def knowledge_page(page: UserPage) -> Response:
    return await _home(page)


# ---------------------------------------------------------------- collections


@router.post("/app/knowledge/collections")
async def collection_create_submit(page: UserPage) -> Response:
    scope = require(page.actor, "knowledge.manage")
    form = await page.form()
    values = {"name": forms.text(form, "name", limit=300), "description": forms.text(form, "description", limit=3000)}
    data, errors = forms.validate(CollectionCreate, values)
    if data is None:
        return await _home(page, collection_errors=errors, collection_values=values, status=422)
    try:
        row = await service.create_collection(page.session, scope, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        errors = {"name": exc.message} if exc.code == "collection_exists" else _field_error(exc)
        return await _home(page, collection_errors=errors, collection_values=values, status=exc.status_code)
    page.flash(f"The collection {row.name} was added.")
    return page.redirect(f"{HOME}?collection={row.id}")


@router.post("/app/knowledge/collections/{collection_id}")
async def collection_update_submit(collection_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "knowledge.manage")
    parsed = forms.parse_id(collection_id, "collection")
    form = await page.form()
    values = {"name": forms.text(form, "name", limit=300), "description": forms.text(form, "description", limit=3000)}
    data, errors = forms.validate(CollectionUpdate, values)
    if data is None:
        return await _home(page, collection_errors=errors, status=422)
    try:
        row = await service.update_collection(page.session, scope, parsed, data)
    except FrontdeskError as exc:
        await page.session.rollback()
        if exc.status_code == 404:
            raise
        return await _home(page, collection_errors={"name": exc.message}, status=exc.status_code)
    page.flash(f"The collection {row.name} was saved.")
    return page.redirect(f"{HOME}?collection={row.id}")


@router.post("/app/knowledge/collections/{collection_id}/delete")
async def collection_delete_submit(collection_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "knowledge.manage")
    parsed = forms.parse_id(collection_id, "collection")
    await service.delete_collection(page.session, scope, parsed)
    page.flash("The collection and its articles were deleted.")
    return page.redirect(HOME)


# ---------------------------------------------------------------- the article editor


def _article_values(article: Article | None, collection: str = "") -> dict[str, str]:
    if article is None:
        return {
            "collection_id": collection,
            "title": "",
            "body": "",
            "tags": "",
            "source_url": "",
            "example_questions": "",
        }
    return {
        "collection_id": str(article.collection_id),
        "title": article.title,
        "body": article.body,
        "tags": ", ".join(article.tags or []),
        "source_url": article.source_url or "",
        "example_questions": "\n".join(article.example_questions or []),
    }


async def _editor(
    page: Page,
    *,
    article: Article | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    scope = require(page.actor, "knowledge.read")
    collections: list[KnowledgeCollection] = await service.all_collections(page.session, scope)
    return _render(
        page,
        "knowledge/article.html",
        status_code=status,
        article=article,
        collections=collections,
        values=values,
        errors=errors or {},
        can_edit=page.can("knowledge.manage"),
    )


def _form_values(form: Any) -> dict[str, str]:
    return {
        "collection_id": forms.text(form, "collection_id", limit=60),
        "title": forms.text(form, "title", limit=400),
        "body": forms.text(form, "body", strip=False, limit=110_000),
        "tags": forms.text(form, "tags", limit=3000),
        "source_url": forms.text(form, "source_url", limit=2100),
        "example_questions": forms.text(form, "example_questions", strip=False, limit=120_000),
    }


def _payload(values: dict[str, str]) -> dict[str, Any]:
    return {
        "collection_id": values["collection_id"] or None,
        "title": values["title"],
        "body": values["body"],
        "tags": [t for t in values["tags"].replace(";", ",").split(",") if t.strip()],
        "source_url": values["source_url"] or None,
        "example_questions": [q for q in values["example_questions"].splitlines() if q.strip()],
    }


@router.get("/app/knowledge/articles/new")
async def article_new_page(page: UserPage) -> Response:
    require(page.actor, "knowledge.manage")
    collection = _optional_id(page.request.query_params.get("collection"))
    return await _editor(page, article=None, values=_article_values(None, str(collection) if collection else ""))


@router.post("/app/knowledge/articles")
async def article_create_submit(page: UserPage) -> Response:
    scope = require(page.actor, "knowledge.manage")
    values = _form_values(await page.form())
    data, errors = forms.validate(ArticleCreate, _payload(values))
    if data is None:
        return await _editor(page, article=None, values=values, errors=errors, status=422)
    try:
        row = await service.create_article(page.session, scope, data, by=page.actor.label)
    except FrontdeskError as exc:
        await page.session.rollback()
        errors = {"collection_id": exc.message} if exc.code == "collection_not_found" else _field_error(exc)
        return await _editor(page, article=None, values=values, errors=errors, status=exc.status_code)
    page.flash(f"{row.title} was added.")
    return page.redirect(f"/app/knowledge/articles/{row.id}")


@router.get("/app/knowledge/articles/{article_id}")
async def article_page(article_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "knowledge.read")
    row = await service.get_article(page.session, scope, forms.parse_id(article_id, "article"))
    return await _editor(page, article=row, values=_article_values(row))


@router.post("/app/knowledge/articles/{article_id}")
async def article_update_submit(article_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "knowledge.manage")
    row = await service.get_article(page.session, scope, forms.parse_id(article_id, "article"))
    values = _form_values(await page.form())
    data, errors = forms.validate(ArticleUpdate, _payload(values))
    if data is None:
        return await _editor(page, article=row, values=values, errors=errors, status=422)
    try:
        row = await service.update_article(page.session, scope, row.id, data, by=page.actor.label)
    except FrontdeskError as exc:
        await page.session.rollback()
        row = await service.get_article(page.session, scope, forms.parse_id(article_id, "article"))
        errors = {"collection_id": exc.message} if exc.code == "collection_not_found" else _field_error(exc)
        return await _editor(page, article=row, values=values, errors=errors, status=exc.status_code)
    page.flash(f"{row.title} was saved.")
    return page.redirect(f"/app/knowledge/articles/{row.id}")


@router.post("/app/knowledge/articles/{article_id}/delete")
async def article_delete_submit(article_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "knowledge.manage")
    row = await service.get_article(page.session, scope, forms.parse_id(article_id, "article"))
    collection = row.collection_id
    await service.delete_article(page.session, scope, row.id)
    page.flash("The article was deleted.")
    return page.redirect(f"{HOME}?collection={collection}")


# ---------------------------------------------------------------- import


async def _imports_page(page: Page, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    scope = require(page.actor, "knowledge.read")
    collections = await service.all_collections(page.session, scope)
    recent, _ = await imports.list_imports(page.session, scope, paging=PageParams(page=1, per_page=20))
    return _render(
        page,
        "knowledge/imports.html",
        status_code=status,
        collections=collections,
        recent=recent,
        errors=errors or {},
        selected=page.request.query_params.get("collection", ""),
        max_mb=parsing.MAX_UPLOAD_BYTES // (1024 * 1024),
    )


@router.get("/app/knowledge/imports")
async def imports_page(page: UserPage) -> Response:
    return await _imports_page(page)


@router.post("/app/knowledge/imports")
async def import_submit(page: UserPage) -> Response:
    scope = require(page.actor, "knowledge.manage")
    form = await page.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _imports_page(page, errors={"file": "Choose a file to import."}, status=422)
    collection_id = _optional_id(forms.text(form, "collection_id", limit=60))
    try:
        data = await upload.read(parsing.MAX_UPLOAD_BYTES + 1)
        if len(data) > parsing.MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(f"Import files are limited to {parsing.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        row = await imports.start_import(
            page.session, scope, filename=upload.filename, data=data, collection_id=collection_id, by=page.actor.label
        )
    except FrontdeskError as exc:
        await page.session.rollback()
        message = exc.message if exc.code != "collection_not_found" else "Choose one of your collections."
        return await _imports_page(page, errors={"file": message}, status=exc.status_code)
    return page.redirect(f"/app/knowledge/imports/{row.id}")


@router.get("/app/knowledge/imports/{import_id}")
async def import_page(import_id: str, page: UserPage) -> Response:
    scope = require(page.actor, "knowledge.read")
    row = await imports.get_import(page.session, scope, forms.parse_id(import_id, "import"))
    return _render(page, "knowledge/import.html", imp=row)
