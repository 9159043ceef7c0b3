"""Tables of this domain.

The search index tables (``knowledge_search`` and, on SQLite, FTS5's shadow tables) are deliberately
not here: an FTS5 virtual table and a ``tsvector`` column cannot be described portably by SQLAlchemy
metadata. The migration creates them per dialect, ``fts_sqlite.py``/``fts_postgres.py`` keep them
current in the same transaction as the article, and their name prefix is listed in
``Base.metadata.info["unmanaged_table_prefixes"]`` so schema comparison (``tests/test_migrations.py``,
``alembic revision --autogenerate``) skips them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.clock import utcnow
from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin

# Tables owned by the migration, not by the models (see the module docstring). A prefix: FTS5 creates
# ``knowledge_search_data``, ``_idx``, ``_content``, ``_docsize`` and ``_config`` beside it.
SEARCH_TABLE = "knowledge_search"
Base.metadata.info.setdefault("unmanaged_table_prefixes", set()).add(SEARCH_TABLE)


class KnowledgeCollection(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "knowledge_collections"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Article(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "knowledge_articles"
    __table_args__ = (
        Index("ix_knowledge_articles_org_collection", "organization_id", "collection_id"),
        Index("ix_knowledge_articles_org_updated", "organization_id", "updated_at"),
    )

    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("knowledge_collections.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    example_questions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who last wrote it, as the audit log names them (a person's email or an API key's name).
    updated_by: Mapped[str] = mapped_column(String(320), default="")


class KnowledgeRevision(Base, TenantMixin):
    """One counter per organization, bumped in the same transaction as any article change.

    Caches (the assistant's in-memory index) compare it instead of scanning articles; a timestamp
    would not do, since two changes can share one (a frozen clock, a coarse one).
    """

    __tablename__ = "knowledge_revisions"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    revision: Mapped[int] = mapped_column(default=0)


class KnowledgeImport(Base, IdMixin, TimestampMixin, TenantMixin):
    """An uploaded file, parsed into rows at upload and turned into articles by ``knowledge.import``."""

    __tablename__ = "knowledge_imports"
    __table_args__ = (Index("ix_knowledge_imports_org_created", "organization_id", "created_at"),)

    collection_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("knowledge_collections.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)
    # [{"file", "row", "field", "message"}], capped at imports.MAX_REPORTED_ERRORS.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # The parsed rows still to process; emptied when the import finishes.
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    finished_at: Mapped[datetime | None]
    failure: Mapped[str | None] = mapped_column(Text)
