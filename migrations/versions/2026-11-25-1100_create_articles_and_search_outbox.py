"""create articles and search outbox

Revision ID: e862eae5fd30
Revises:
Create Date: 2026-11-25 11:00:33.694547
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "e862eae5fd30"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("external_id", sa.String(length=512), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "authors",
            app.db.JSONType,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("section", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column(
            "tags",
            app.db.JSONType,
            nullable=False,
        ),
        sa.Column("published_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("external_id"),
        sa.UniqueConstraint("url"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index("ix_articles_content_hash", ["content_hash"], unique=False)
        batch_op.create_index("ix_articles_published_at_id", ["published_at", "id"], unique=False)
        batch_op.create_index("ix_articles_section", ["section"], unique=False)
        batch_op.create_index("ix_articles_source", ["source"], unique=False)

    op.create_table(
        "search_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_search_outbox_article_id"), ["article_id"], unique=False
        )
        batch_op.create_index(
            "ix_search_outbox_status_next", ["status", "next_attempt_at", "id"], unique=False
        )

    op.create_table(
        "search_sync_state",
        sa.Column("index_name", sa.String(length=200), nullable=False),
        sa.Column("last_synced_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("index_name"),
    )


def downgrade() -> None:
    op.drop_table("search_sync_state")
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_search_outbox_status_next")
        batch_op.drop_index(batch_op.f("ix_search_outbox_article_id"))

    op.drop_table("search_outbox")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_source")
        batch_op.drop_index("ix_articles_section")
        batch_op.drop_index("ix_articles_published_at_id")
        batch_op.drop_index("ix_articles_content_hash")

    op.drop_table("articles")
