"""Engines and sessions.

A request gets one session; the dependency commits when the handler returns and rolls back when it
raises. Services only ``flush``. Work that must follow a commit (waking the sweeper, publishing an
event) is registered with :func:`on_commit` and runs only if the commit succeeded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from frontdesk.kit.errors import FrontdeskError

AfterCommit = Callable[[], Awaitable[None] | None]


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10, reads: bool = False) -> AsyncEngine:
    """``reads``: on SQLite, an engine whose transactions start deferred, for requests that only read.

    Writers take SQLite's one write lock at BEGIN (below); readers must not, or every page view would
    queue behind every write. In WAL mode a deferred reader sees a consistent snapshot and never waits.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": 30}, poolclass=NullPool if _memory(url) else None
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        # aiosqlite's implicit BEGIN is deferred, so two writers deadlock on upgrade; take the write
        # lock at BEGIN instead and let busy_timeout queue writers.
        event.listen(engine.sync_engine, "begin", _sqlite_begin_deferred if reads else _sqlite_begin_immediate)
        return engine
    return create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _memory(url: str) -> bool:
    return ":memory:" in url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_deferred(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


BeforeCommit = Callable[[AsyncSession], Awaitable[object]]


def before_commit(session: AsyncSession, callback: BeforeCommit) -> None:
    """Run ``callback(session)`` inside the transaction, just before it commits (once per registration)."""
    session.info.setdefault("before_commit", []).append(callback)


async def run_before_commit(session: AsyncSession) -> None:
    # Callbacks may register more (an event that emits another), so drain until empty.
    while callbacks := session.info.pop("before_commit", []):
        for callback in callbacks:
            await callback(session)


def on_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` after the surrounding transaction commits, and never if it rolls back."""
    session.info.setdefault("after_commit", []).append(callback)


async def run_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
    for callback in callbacks:
        result = callback()
        if result is not None:
            await result


@asynccontextmanager
async def transaction(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work outside a request: commit on success, roll back on error, then hooks."""
    async with sessionmaker() as session:
        try:
            yield session
            await run_before_commit(session)
            await session.commit()
        except FrontdeskError as exc:
            if not exc.keep_changes:
                await _abandon(session)
                raise
            await run_before_commit(session)
            await session.commit()
            await run_after_commit(session)
            raise
        except BaseException:
            await _abandon(session)
            raise
    await run_after_commit(session)


async def _abandon(session: AsyncSession) -> None:
    await session.rollback()
    session.info.pop("after_commit", None)
    session.info.pop("before_commit", None)
