"""add saved searches and alerts

Revision ID: df12aa54043d
Revises: 5c1e0a7b9d21
Create Date: 2026-12-01 05:09:38.045706
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "df12aa54043d"
down_revision: str | None = "5c1e0a7b9d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_queue", schema=None) as batch_op:
        batch_op.create_index("ix_alert_queue_claimable", ["claimed_until", "id"], unique=False)

    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "params",
            app.db.JSONType,
            nullable=False,
        ),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("webhook_secret", sa.String(length=200), nullable=True),
        sa.Column("feed_enabled", sa.Boolean(), nullable=False),
        sa.Column("feed_token_hash", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "alert_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saved_search_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("matched_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("published_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "why",
            app.db.JSONType,
            nullable=False,
        ),
        sa.Column("delivery_status", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["saved_search_id"],
            ["saved_searches.id"],
            name="fk_alert_matches_search",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "saved_search_id", "article_id", name="uq_alert_matches_search_article"
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("alert_matches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_matches_due", ["delivery_status", "next_attempt_at"], unique=False
        )
        batch_op.create_index("ix_alert_matches_search_id", ["saved_search_id", "id"], unique=False)

    op.create_table(
        "alert_delivery_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["alert_matches.id"], name="fk_alert_attempts_match", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_delivery_attempts_match_id", ["match_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_delivery_attempts_match_id")

    op.drop_table("alert_delivery_attempts")
    with op.batch_alter_table("alert_matches", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_matches_search_id")
        batch_op.drop_index("ix_alert_matches_due")

    op.drop_table("alert_matches")
    op.drop_table("saved_searches")
    with op.batch_alter_table("alert_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_queue_claimable")

    op.drop_table("alert_queue")
