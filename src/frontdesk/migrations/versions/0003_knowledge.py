"""knowledge: collections, articles, imports, the revision counter and the full-text index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 00:50:00

The full-text index is created here per dialect and is not described by the models (see
``frontdesk/knowledge/models.py``): an FTS5 virtual table with a delete trigger on SQLite, a table
with a weighted ``tsvector`` and a GIN index on PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import frontdesk.kit.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "knowledge_collections",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_knowledge_collections_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_collections")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_knowledge_collections_organization_id_name")),
    )
    with op.batch_alter_table("knowledge_collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_collections_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "knowledge_revisions",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_knowledge_revisions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_knowledge_revisions")),
    )
    with op.batch_alter_table("knowledge_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_revisions_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "knowledge_articles",
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("example_questions", _json(), nullable=False),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["knowledge_collections.id"],
            name=op.f("fk_knowledge_articles_collection_id_knowledge_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_knowledge_articles_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_articles")),
    )
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_articles_collection_id"), ["collection_id"], unique=False)
        batch_op.create_index(
            "ix_knowledge_articles_org_collection", ["organization_id", "collection_id"], unique=False
        )
        batch_op.create_index("ix_knowledge_articles_org_updated", ["organization_id", "updated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_knowledge_articles_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "knowledge_imports",
        sa.Column("collection_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("updated_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("errors", _json(), nullable=False),
        sa.Column("rows", _json(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("finished_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["knowledge_collections.id"],
            name=op.f("fk_knowledge_imports_collection_id_knowledge_collections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_knowledge_imports_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_imports")),
    )
    with op.batch_alter_table("knowledge_imports", schema=None) as batch_op:
        batch_op.create_index("ix_knowledge_imports_org_created", ["organization_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_knowledge_imports_organization_id"), ["organization_id"], unique=False)

    # ---- the full-text index (not in the models; see frontdesk/knowledge/fts_*.py)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE knowledge_search ("
            " article_id uuid PRIMARY KEY REFERENCES knowledge_articles (id) ON DELETE CASCADE,"
            " organization_id uuid NOT NULL,"
            " collection_id uuid NOT NULL,"
            " plain text NOT NULL,"
            " document tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX ix_knowledge_search_document ON knowledge_search USING gin (document)")
        op.execute("CREATE INDEX ix_knowledge_search_org ON knowledge_search (organization_id, collection_id)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE knowledge_search USING fts5("
            "article_id UNINDEXED, keys, title, questions, tags, body, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        # Deletes of any origin (an article, its collection's cascade, its organization's) clear the index.
        op.execute(
            "CREATE TRIGGER knowledge_search_article_deleted AFTER DELETE ON knowledge_articles BEGIN "
            "DELETE FROM knowledge_search WHERE knowledge_search MATCH 'keys : \"a' || lower(old.id) || '\"'; "
            "END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS knowledge_search")
    else:
        op.execute("DROP TRIGGER IF EXISTS knowledge_search_article_deleted")
        op.execute("DROP TABLE IF EXISTS knowledge_search")
    with op.batch_alter_table("knowledge_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_imports_organization_id"))
        batch_op.drop_index("ix_knowledge_imports_org_created")
    op.drop_table("knowledge_imports")
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_articles_organization_id"))
        batch_op.drop_index("ix_knowledge_articles_org_updated")
        batch_op.drop_index("ix_knowledge_articles_org_collection")
        batch_op.drop_index(batch_op.f("ix_knowledge_articles_collection_id"))
    op.drop_table("knowledge_articles")
    with op.batch_alter_table("knowledge_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_revisions_organization_id"))
    op.drop_table("knowledge_revisions")
    with op.batch_alter_table("knowledge_collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_collections_organization_id"))
    op.drop_table("knowledge_collections")
