"""Running Alembic from code, printing each step so an operator sees progress."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head", *, verbose: bool = True) -> None:
    """Blocking; callers inside an event loop use :func:`upgrade_async`."""
    logger = logging.getLogger("alembic.runtime.migration")
    handler: logging.Handler | None = None
    if verbose:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("  migrate: %(message)s"))
        # One line per revision applied is the progress an operator needs; the rest is Alembic chatter.
        handler.addFilter(lambda record: record.getMessage().startswith("Running"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        # env.py runs its own event loop; a thread keeps that legal when our caller already has one.
        errors: list[BaseException] = []

        def run() -> None:
            try:
                command.upgrade(alembic_config(database_url), revision)
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=run, name="alembic")
        worker.start()
        worker.join()
        if errors:
            raise errors[0]
    finally:
        if handler is not None:
            logger.removeHandler(handler)


async def upgrade_async(database_url: str, revision: str = "head", *, verbose: bool = False) -> None:
    await asyncio.to_thread(upgrade, database_url, revision, verbose=verbose)


def current_heads() -> list[str]:
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
