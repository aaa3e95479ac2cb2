"""Recompute every story cluster from the stored texts (`newsarchive clusters rebuild`).

Clears the band store and every article's cluster, then clusters the archive in id order,
a batch per transaction, exactly as writes do. At the end, every article whose cluster or
size differs from before is queued for re-indexing (in slices, one transaction each).
Writes made while it runs are clustered against what is rebuilt so far; run it when the
archive is quiet for clusters as complete as a fresh import's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import outbox
from app.stories import clustering

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RebuildResult:
    articles: int
    clusters: int
    #: Clusters of two articles or more.
    stories_with_copies: int
    requeued: int
    seconds: float


def rebuild(
    *,
    engine: Engine,
    config: clustering.ClusterConfig | None = None,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> RebuildResult:
    config = config or clustering.current_config()
    started = time.monotonic()
    articles = clustering.ARTICLES
    with Session(engine) as session:
        before = {
            row.id: (row.cluster_id, row.cluster_size)
            for row in session.execute(
                sa.select(articles.c.id, articles.c.cluster_id, articles.c.cluster_size)
            )
        }
        session.execute(sa.delete(clustering.BANDS))
        session.execute(sa.update(articles).values(cluster_id=None, cluster_size=None))
        session.commit()
    total, done, last_id = len(before), 0, 0
    while config.enabled:
        with Session(engine) as session:
            rows = session.execute(
                sa.select(
                    articles.c.id,
                    articles.c.title,
                    articles.c.summary,
                    articles.c.body,
                    articles.c.published_at,
                    articles.c.source,
                )
                .where(articles.c.id > last_id)
                .order_by(articles.c.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            texts = [
                clustering.StoryText(
                    article_id=row.id,
                    title=row.title,
                    summary=row.summary,
                    body=row.body,
                    published_at=row.published_at,
                    source=row.source,
                )
                for row in rows
            ]
            clustering.assign(session=session, texts=texts, config=config, requeue=False)
            session.commit()
        last_id = rows[-1].id
        done += len(rows)
        if progress:
            progress(done, total)
    return _requeue_changed(engine, before, started)


def _requeue_changed(
    engine: Engine, before: dict[int, tuple[int | None, int | None]], started: float
) -> RebuildResult:
    articles = clustering.ARTICLES
    with Session(engine) as session:
        after = {
            row.id: (row.cluster_id, row.cluster_size)
            for row in session.execute(
                sa.select(articles.c.id, articles.c.cluster_id, articles.c.cluster_size)
            )
        }
    changed = [article_id for article_id, now in after.items() if before.get(article_id) != now]
    for start in range(0, len(changed), clustering.SLICE):
        with Session(engine) as session:
            for article_id in changed[start : start + clustering.SLICE]:
                outbox.enqueue_upsert(session=session, article_id=article_id)
            session.commit()
    sizes = {cluster_id: size for cluster_id, size in after.values() if cluster_id is not None}
    return RebuildResult(
        articles=len(after),
        clusters=len(sizes),
        stories_with_copies=sum(1 for size in sizes.values() if size is not None and size > 1),
        requeued=len(changed),
        seconds=time.monotonic() - started,
    )
