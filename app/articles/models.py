"""The article table."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, integer_max, utcnow


class Article(SQLModel, table=True):
    __tablename__ = "articles"
    __table_args__ = (
        sa.Index("ix_articles_published_at_id", "published_at", "id"),
        sa.Index("ix_articles_source", "source"),
        sa.Index("ix_articles_section", "section"),
        sa.Index("ix_articles_content_hash", "content_hash"),
        # Ids are never reused after a delete, so an id always names one article.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    url: str | None = Field(default=None, sa_column=sa.Column(sa.String(2048), unique=True))
    external_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(512), unique=True))
    title: str = Field(sa_column=sa.Column(sa.String(1000), nullable=False))
    summary: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    authors: list[str] = Field(default_factory=list, sa_column=sa.Column(JSONType, nullable=False))
    source: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    section: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    language: str = Field(default="en", sa_column=sa.Column(sa.String(2), nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=sa.Column(JSONType, nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    #: Where `published_at` came from (app.articles.schemas.DateSource); null without a date,
    #: and on articles stored before sources were recorded.
    published_at_source: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    #: When the publisher last changed the article, when the client or the page says so.
    modified_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    content_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    image_caption: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    credit: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    related_titles: list[str] = Field(
        default_factory=list, sa_column=sa.Column(JSONType, nullable=False, server_default="[]")
    )
    #: The first stored article with the same content, when this one repeats it under another URL.
    duplicate_of: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="SET NULL", name="fk_articles_duplicate_of"),
            index=True,
        ),
    )
    #: The near-duplicate story the article belongs to: the id of the article that started it
    #: (app/stories/clustering.py). None until the article is clustered.
    cluster_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, index=True))
    #: How many articles the cluster holds, this one included.
    cluster_size: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))


#: The largest id an article can have (its id column's range); a larger one names no article.
MAX_ARTICLE_ID = integer_max(sa.inspect(Article).columns["id"].type)
