"""The queue of newly indexed articles waiting to be matched against saved searches.

The index worker calls `enqueue_indexed` inside the transaction that completes an article's
outbox entry (app/search/sync.py), so an article is queued exactly when it became searchable,
and a crash before matching loses nothing. Matchers claim entries with a lease, as index
workers claim outbox entries: `FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite a claimed
batch is invisible to others until the lease runs out.
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.alerts.models import AlertQueueEntry, SavedSearch
from app.db import utcnow

#: How long a claimed batch stays invisible to other matchers.
LEASE = timedelta(minutes=2)


def enqueue_indexed(session: Session, article_ids: Sequence[int]) -> None:
    """Queue freshly indexed articles for matching, in the caller's transaction; nothing when
    no saved search is active (an archive without alerts pays one indexed look-up a batch)."""
    if not article_ids:
        return
    any_active = session.exec(
        select(SavedSearch.id).where(col(SavedSearch.active).is_(True)).limit(1)
    ).first()
    if any_active is None:
        return
    now = utcnow()
    session.execute(
        sa.insert(AlertQueueEntry),
        [{"article_id": i, "created_at": now, "claimed_until": now} for i in article_ids],
    )


def claim(engine: Engine, limit: int) -> list[AlertQueueEntry]:
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        query = (
            select(AlertQueueEntry)
            .where(col(AlertQueueEntry.claimed_until) <= now)
            .order_by(col(AlertQueueEntry.id))
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        entries = list(session.exec(query).all())
        if entries:
            session.execute(
                sa.update(AlertQueueEntry)
                .where(col(AlertQueueEntry.id).in_([e.id for e in entries]))
                .values(claimed_until=now + LEASE)
            )
        session.commit()
        return entries


def release(engine: Engine, entries: Sequence[AlertQueueEntry]) -> None:
    """Give claimed entries back at once (matching could not run)."""
    with Session(engine) as session:
        session.execute(
            sa.update(AlertQueueEntry)
            .where(col(AlertQueueEntry.id).in_([e.id for e in entries]))
            .values(claimed_until=utcnow())
        )
        session.commit()


def delete(session: Session, entries: Sequence[AlertQueueEntry]) -> None:
    """Remove matched entries, in the transaction that stores their matches."""
    session.execute(
        sa.delete(AlertQueueEntry).where(col(AlertQueueEntry.id).in_([e.id for e in entries]))
    )


def waiting(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(sa.func.count()).select_from(AlertQueueEntry)).one())
