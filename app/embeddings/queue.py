"""Feeding the embedding queue, and how far it is behind.

The index worker queues every article it has just indexed (`enqueue_indexed`, in the
transaction that completes its outbox entries): the article is keyword-searchable at once,
and gets a vector when an embedding worker reaches it. An import that embeds what it stores
queues its new articles with their outbox rows (`enqueue_new`), so the model can start on them
before they reach the index. An article whose text did not change since its vector was made
is dropped by the worker without running the model.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.articles.models import Article
from app.db import utcnow
from app.embeddings.models import ArticleEmbedding, EmbeddingQueueEntry

PENDING = "pending"
FAILED = "failed"
#: Article ids per look-up, well under every backend's limit of bound parameters.
SLICE = 5_000


def enqueue_indexed(session: Session, article_ids: Sequence[int]) -> None:
    """Queue articles for embedding in the caller's transaction, but for those already
    waiting unclaimed: that entry reads the article's text when a worker takes it, so it
    serves this change too, and no second worker embeds the article again meanwhile."""
    wanted = sorted(set(article_ids))
    waiting: set[int] = set()
    for start in range(0, len(wanted), SLICE):
        waiting.update(
            session.execute(
                sa.select(EmbeddingQueueEntry.article_id).where(  # type: ignore[call-overload]
                    col(EmbeddingQueueEntry.article_id).in_(wanted[start : start + SLICE]),
                    col(EmbeddingQueueEntry.status) == PENDING,
                    col(EmbeddingQueueEntry.claimed_by).is_(None),
                )
            ).scalars()
        )
    enqueue_new(session, [i for i in wanted if i not in waiting])


def enqueue_new(session: Session, article_ids: Sequence[int]) -> None:
    """Queue articles no entry can be waiting for yet (stored in the caller's transaction),
    in one statement."""
    if not article_ids:
        return
    now = utcnow()
    session.execute(
        sa.insert(EmbeddingQueueEntry),
        [
            {
                "article_id": i,
                "status": PENDING,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            for i in article_ids
        ],
    )


def enqueue_backfill(
    engine: Engine, *, model_id: str | None = None, everything: bool = False
) -> int:
    """Queue every article without a vector (or with one of another model than `model_id`,
    or every article at all), but for those already waiting; return how many."""
    embedding = sa.orm.aliased(ArticleEmbedding)
    waiting = select(EmbeddingQueueEntry.article_id).where(
        col(EmbeddingQueueEntry.status) == PENDING
    )
    query = (
        sa.select(Article.id)  # type: ignore[call-overload]
        .outerjoin(embedding, embedding.article_id == Article.id)
        .where(col(Article.id).not_in(waiting))
    )
    if not everything:
        missing: sa.ColumnElement[bool] = col(embedding.article_id).is_(None)
        if model_id is not None:
            missing = sa.or_(missing, col(embedding.model) != model_id)
        query = query.where(missing)
    with Session(engine) as session:
        ids = [row[0] for row in session.execute(query.order_by(Article.id))]
        for start in range(0, len(ids), SLICE):
            enqueue_new(session, ids[start : start + SLICE])
            session.flush()
        session.commit()
    return len(ids)


@dataclass(frozen=True)
class EmbeddingLag:
    pending: int
    failed: int
    oldest_pending_at: datetime | None


def lag(engine: Engine) -> EmbeddingLag:
    with Session(engine) as session:
        pending, oldest = session.execute(
            sa.select(sa.func.count(), sa.func.min(EmbeddingQueueEntry.created_at)).where(
                col(EmbeddingQueueEntry.status) == PENDING
            )
        ).one()
        failed = session.execute(
            sa.select(sa.func.count()).where(col(EmbeddingQueueEntry.status) == FAILED)
        ).scalar_one()
    if isinstance(oldest, str):
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=utcnow().tzinfo)
    return EmbeddingLag(pending=int(pending), failed=int(failed), oldest_pending_at=oldest)


def vector_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(
            session.execute(sa.select(sa.func.count()).select_from(ArticleEmbedding)).scalar_one()
        )
