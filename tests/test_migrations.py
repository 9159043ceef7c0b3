"""The migrations build exactly the schema the models describe, on both dialects."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from frontdesk.kit.db import create_engine
from frontdesk.kit.migrate import current_heads
from frontdesk.models import Base


def _managed(name: str | None, type_: str, parent_names: object) -> bool:
    """Tables a migration creates on purpose outside the models (a domain lists their name prefixes in
    ``Base.metadata.info["unmanaged_table_prefixes"]``: the knowledge base's full-text index)."""
    prefixes = tuple(Base.metadata.info.get("unmanaged_table_prefixes", ()))
    return not (type_ == "table" and name is not None and bool(prefixes) and name.startswith(prefixes))


async def test_migrated_schema_matches_models(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:

            def diff(sync_conn):  # type: ignore[no-untyped-def]
                opts = {"compare_type": False, "include_name": _managed}
                ctx = MigrationContext.configure(sync_conn, opts=opts)
                return compare_metadata(ctx, Base.metadata), ctx.get_current_heads()

            changes, heads = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    assert list(heads) == current_heads()
    assert changes == [], f"models and migrations differ: {changes}"


def test_single_head() -> None:
    assert len(current_heads()) == 1, "two migrations claim the same parent: merge them"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sqlite_runs_in_wal_with_foreign_keys(db_url: str) -> None:
    from sqlalchemy import text

    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()
