"""The index worker holding an outbox entry's lease.

Revision ID: 5c1e0a7b9d21
Revises: 46dfd46291d8
Create Date: 2026-12-01 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e0a7b9d21"
down_revision: str | None = "46dfd46291d8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("search_outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("search_outbox") as batch:
        batch.drop_column("claimed_by")
