"""Alembic environment: async engines on both dialects, URL from Frontdesk's settings."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from frontdesk.kit.db import create_engine
from frontdesk.models import Base

config = context.config
target_metadata = Base.metadata
MIGRATION_LOCK = 7_262_013  # any constant that no other application on the database uses


def _managed(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate leaves alone the tables a migration creates outside the models on purpose
    (``Base.metadata.info["unmanaged_table_prefixes"]``: the knowledge base's full-text index)."""
    prefixes = tuple(target_metadata.info.get("unmanaged_table_prefixes", ()))
    return not (type_ == "table" and name is not None and bool(prefixes) and name.startswith(prefixes))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_managed,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several servers started with --migrate at once: one migrates, the others wait and find
            # nothing left to do. (SQLite's single writer already serialises them.)
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def _online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_online())
