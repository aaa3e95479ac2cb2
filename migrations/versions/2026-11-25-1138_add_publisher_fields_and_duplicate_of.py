"""add publisher fields and duplicate_of

Revision ID: ee58eb25ac88
Revises: 2fa3a29f044e
Create Date: 2026-11-25 11:38:12.892424
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "ee58eb25ac88"
down_revision: str | None = "2fa3a29f044e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("image_caption", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("credit", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "related_titles",
                app.db.JSONType,
                server_default="[]",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_articles_duplicate_of"), ["duplicate_of"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_articles_duplicate_of", "articles", ["duplicate_of"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_constraint("fk_articles_duplicate_of", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_articles_duplicate_of"))
        batch_op.drop_column("duplicate_of")
        batch_op.drop_column("related_titles")
        batch_op.drop_column("credit")
        batch_op.drop_column("image_caption")
