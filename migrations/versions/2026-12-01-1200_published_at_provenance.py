"""Publication date provenance: where published_at came from, and modified_at, on articles and
their revisions.

Articles already stored keep a null published_at_source: where their dates came from was not
recorded. Their search documents gain the new fields at the next write or reindex.

Revision ID: 5c2e9a41d7b3
Revises: 3b8f1d2e6a47
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "5c2e9a41d7b3"
down_revision: str | None = "3b8f1d2e6a47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("articles", "article_revisions")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("published_at_source", sa.String(16), nullable=True))
            batch.add_column(
                sa.Column("modified_at", app.db.UTCDateTime(timezone=True), nullable=True)
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("modified_at")
            batch.drop_column("published_at_source")
