"""The LSH band store: one row per (band key, article), so finding an article's candidate
near-duplicates is one indexed look-up of its band keys, whatever the archive's size."""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class StoryBand(SQLModel, table=True):
    __tablename__ = "story_bands"
    __table_args__ = (
        sa.Index("ix_story_bands_article_id", "article_id"),
        # The primary key is the only index looked up by key: no separate rowid b-tree.
        {"sqlite_with_rowid": False},
    )

    band_key: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    article_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE", name="fk_story_bands_article_id"),
            primary_key=True,
            autoincrement=False,
        )
    )
