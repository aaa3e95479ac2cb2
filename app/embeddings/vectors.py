"""Vectors for search documents: the stored vector of each article whose text it still fits.

An article edited since its vector was made is sent with no vector (it stays keyword-
searchable) until the embedding worker has made the new one: never a stale vector.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from app.articles.models import Article
from app.embeddings.models import ArticleEmbedding
from app.embeddings.text import article_text, text_hash


def encode(vector: Any) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def decode(blob: bytes) -> list[float]:
    values: list[float] = np.frombuffer(blob, dtype="<f4").tolist()
    return values


def load_vectors(session: Session, articles: Sequence[Article]) -> dict[int, list[float] | None]:
    """Article id -> its current vector, or None when it has none that fits its text."""
    ids = [a.id for a in articles if a.id is not None]
    rows = session.exec(
        select(ArticleEmbedding).where(col(ArticleEmbedding.article_id).in_(ids))
    ).all()
    stored = {row.article_id: row for row in rows}
    vectors: dict[int, list[float] | None] = {}
    for article in articles:
        assert article.id is not None
        row = stored.get(article.id)
        fits = row is not None and row.text_hash == text_hash(
            article_text(article.title, article.summary, article.body)
        )
        vectors[article.id] = decode(row.vector) if fits and row is not None else None
    return vectors
