"""Stored vectors, and the queue of articles waiting for one.

Vectors live in the database beside their article, so a rebuilt index (reindex with swap)
gets them back without running the model again, and the index worker always sends the
vector that belongs to the article's current text.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class ArticleEmbedding(SQLModel, table=True):
    __tablename__ = "article_embeddings"

    article_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE", name="fk_article_embeddings_article"),
            primary_key=True,
        )
    )
    #: The model that made the vector (see app/embeddings/assets.py).
    model: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    #: sha256 of the embedded text (app/embeddings/text.py).
    text_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    #: float32 little-endian, 384 values.
    vector: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    embedded_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )


class EmbeddingQueueEntry(SQLModel, table=True):
    """An article that may need a (new) vector. Claimed with a lease, like the outbox."""

    __tablename__ = "embedding_queue"
    __table_args__ = (
        sa.Index("ix_embedding_queue_status_next", "status", "next_attempt_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, index=True))
    status: str = Field(default="pending", sa_column=sa.Column(sa.String(16), nullable=False))
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    claimed_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
