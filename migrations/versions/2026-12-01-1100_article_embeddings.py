"""Article embeddings and the queue of articles waiting for one.

Revision ID: 5e0c9a7b3d21
Revises: 5c2e9a41d7b3
Create Date: 2026-12-01 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "5e0c9a7b3d21"
down_revision: str | None = "5c2e9a41d7b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_embeddings",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("embedded_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_embeddings_article",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_table(
        "embedding_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_embedding_queue_article_id", "embedding_queue", ["article_id"], unique=False
    )
    op.create_index(
        "ix_embedding_queue_status_next",
        "embedding_queue",
        ["status", "next_attempt_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_embedding_queue_status_next", table_name="embedding_queue")
    op.drop_index("ix_embedding_queue_article_id", table_name="embedding_queue")
    op.drop_table("embedding_queue")
    op.drop_table("article_embeddings")
