"""add entities

Revision ID: 136f60a1252a
Revises: ee58eb25ac88
Create Date: 2026-11-25 11:43:11.842138
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "136f60a1252a"
down_revision: str | None = "ee58eb25ac88"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("within_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["within_id"], ["entities.id"], name="fk_entities_within_id", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug", name="uq_entities_slug"),
    )
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.create_index("ix_entities_type", ["type"], unique=False)
        batch_op.create_index("ix_entities_within_id", ["within_id"], unique=False)

    op.create_table(
        "article_entities",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("first_position", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("published_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_entities_article_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name="fk_article_entities_entity_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", "entity_id"),
    )
    with op.batch_alter_table("article_entities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_entities_entity_published",
            ["entity_id", "published_at", "article_id"],
            unique=False,
        )

    op.create_table(
        "entity_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=500), nullable=False),
        sa.Column("normalised", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name="fk_entity_aliases_entity_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("normalised", name="uq_entity_aliases_normalised"),
    )
    with op.batch_alter_table("entity_aliases", schema=None) as batch_op:
        batch_op.create_index("ix_entity_aliases_entity_id", ["entity_id"], unique=False)
        batch_op.create_index(
            "ix_entity_aliases_normalised_prefix",
            ["normalised"],
            unique=False,
            postgresql_ops={"normalised": "varchar_pattern_ops"},
        )

    op.create_table(
        "entity_redirects",
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name="fk_entity_redirects_entity_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("slug"),
    )
    with op.batch_alter_table("entity_redirects", schema=None) as batch_op:
        batch_op.create_index("ix_entity_redirects_entity_id", ["entity_id"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes; dependants go first.
    op.drop_table("entity_redirects")
    op.drop_table("entity_aliases")
    op.drop_table("article_entities")
    op.drop_table("entities")
