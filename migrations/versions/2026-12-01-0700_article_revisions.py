"""Article revisions: the versions an update replaced.

Revision ID: 3b8f1d2e6a47
Revises: 7a3d52c1e8f0
Create Date: 2026-12-01 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "3b8f1d2e6a47"
down_revision: str | None = "7a3d52c1e8f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("authors", app.db.JSONType, nullable=False),
        sa.Column("published_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stored_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed", app.db.JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_revisions_article",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article_id", "number", name="uq_article_revisions"),
    )
    op.create_index(
        "ix_article_revisions_article_id", "article_revisions", ["article_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_article_revisions_article_id", table_name="article_revisions")
    op.drop_table("article_revisions")
