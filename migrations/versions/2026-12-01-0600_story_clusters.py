"""Near-duplicate story clusters: cluster_id and cluster_size on articles, the LSH band store.

Articles already stored get no cluster here (computing one needs every text): run
`newsarchive clusters rebuild` once after upgrading.

Revision ID: 7a3d52c1e8f0
Revises: df12aa54043d
Create Date: 2026-12-01 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3d52c1e8f0"
down_revision: str | None = "df12aa54043d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("cluster_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("cluster_size", sa.Integer, nullable=True))
        batch.create_index("ix_articles_cluster_id", ["cluster_id"])
    op.create_table(
        "story_bands",
        sa.Column("band_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE", name="fk_story_bands_article_id"),
            primary_key=True,
            autoincrement=False,
        ),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_story_bands_article_id", "story_bands", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_story_bands_article_id", table_name="story_bands")
    op.drop_table("story_bands")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_cluster_id")
        batch.drop_column("cluster_size")
        batch.drop_column("cluster_id")
