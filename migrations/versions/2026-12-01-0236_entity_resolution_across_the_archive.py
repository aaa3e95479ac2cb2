"""entity resolution across the archive

Revision ID: 46dfd46291d8
Revises: 136f60a1252a
Create Date: 2026-12-01 02:36:30.222987
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "46dfd46291d8"
down_revision: str | None = "136f60a1252a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "entity_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity_slug", sa.String(length=200), nullable=False),
        sa.Column("other_slug", sa.String(length=200), nullable=True),
        sa.Column(
            "detail",
            app.db.JSONType,
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("entity_audit", schema=None) as batch_op:
        batch_op.create_index("ix_entity_audit_entity_slug", ["entity_slug"], unique=False)

    op.create_table(
        "entity_blocked_forms",
        sa.Column("normalised", sa.String(length=500), nullable=False),
        sa.Column("form", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("normalised"),
    )
    op.create_table(
        "entity_distinct_pairs",
        sa.Column("first", sa.String(length=200), nullable=False),
        sa.Column("second", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("first", "second"),
    )
    op.create_table(
        "entity_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("into_slug", sa.String(length=200), nullable=False),
        sa.Column("merged_slug", sa.String(length=200), nullable=False),
        sa.Column("merged_name", sa.String(length=500), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column(
            "evidence",
            app.db.JSONType,
            nullable=False,
        ),
        sa.Column(
            "undo",
            app.db.JSONType,
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("undone_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("entity_merges", schema=None) as batch_op:
        batch_op.create_index("ix_entity_merges_into_slug", ["into_slug"], unique=False)
        batch_op.create_index("ix_entity_merges_merged_slug", ["merged_slug"], unique=False)

    op.create_table(
        "entity_surface_forms",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("normalised", sa.String(length=500), nullable=False),
        sa.Column("form", sa.String(length=500), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("in_context", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name="fk_entity_surface_forms_entity",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entity_id", "normalised"),
    )
    with op.batch_alter_table("entity_surface_forms", schema=None) as batch_op:
        batch_op.create_index("ix_entity_surface_forms_normalised", ["normalised"], unique=False)

    op.create_table(
        "entity_type_votes",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name="fk_entity_type_votes_entity", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("entity_id", "type"),
    )
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_entities_slug_prefix",
            ["slug"],
            unique=False,
            postgresql_ops={"slug": "varchar_pattern_ops"},
        )
        batch_op.add_column(
            sa.Column(
                "type_source", sa.String(length=16), server_default="evidence", nullable=False
            )
        )


def downgrade() -> None:

    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.drop_column("type_source")
        batch_op.drop_index("ix_entities_slug_prefix")

    op.drop_table("entity_type_votes")
    with op.batch_alter_table("entity_surface_forms", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_surface_forms_normalised")

    op.drop_table("entity_surface_forms")
    with op.batch_alter_table("entity_merges", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_merges_merged_slug")
        batch_op.drop_index("ix_entity_merges_into_slug")

    op.drop_table("entity_merges")
    op.drop_table("entity_distinct_pairs")
    op.drop_table("entity_blocked_forms")
    with op.batch_alter_table("entity_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_audit_entity_slug")

    op.drop_table("entity_audit")
