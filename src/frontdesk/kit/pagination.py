"""Two ways to page: cursors for timelines that grow while read, pages for admin lists."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from frontdesk.kit.clock import as_utc
from frontdesk.kit.errors import BadRequest

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int
    pages: int


class CursorPage(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `after` to read what comes next; null when nothing more exists yet."
    )


class PageParams(BaseModel):
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(25, ge=1, le=200)


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([as_utc(created_at).isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return as_utc(datetime.fromisoformat(stamp)), uuid.UUID(row_id)
    except (ValueError, TypeError, OverflowError) as exc:
        raise BadRequest("The cursor is not one this server issued.", code="invalid_cursor") from exc


async def paginate(session: AsyncSession, stmt: Select[Any], params: PageParams) -> tuple[list[Any], int]:
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = await session.scalars(stmt.limit(params.per_page).offset((params.page - 1) * params.per_page))
    return list(rows), int(total)


def page_of(items: list[T], total: int, params: PageParams) -> Page[T]:
    pages = (total + params.per_page - 1) // params.per_page
    return Page[T](items=items, page=params.page, per_page=params.per_page, total=total, pages=pages)


async def after_cursor(
    session: AsyncSession,
    stmt: Select[Any],
    created_col: InstrumentedAttribute[Any],
    id_col: InstrumentedAttribute[Any],
    *,
    after: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    """Oldest first, strictly after the cursor; the cursor of the last row returned comes back."""
    if after:
        stamp, row_id = decode_cursor(after)
        stmt = stmt.where(tuple_(created_col, id_col) > tuple_(stamp, row_id))
    rows = list(await session.scalars(stmt.order_by(created_col, id_col).limit(limit)))
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if rows else after
    return rows, cursor
