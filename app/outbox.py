"""The indexing outbox: a row per pending change, committed with the change itself.

Writers call `enqueue_*` inside their transaction; the sync worker (app.search.sync) drains
the table. Because both commit together, a change that is stored is always indexed eventually,
even if Meilisearch is down when it happens.
"""

import enum
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from app.db import UTCDateTime, utcnow


class OutboxOp(enum.StrEnum):
    upsert = "upsert"
    delete = "delete"


class OutboxStatus(enum.StrEnum):
    pending = "pending"
    failed = "failed"


class OutboxEntry(SQLModel, table=True):
    __tablename__ = "search_outbox"
    __table_args__ = (sa.Index("ix_search_outbox_status_next", "status", "next_attempt_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, index=True))
    op: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    status: str = Field(
        default=OutboxStatus.pending.value, sa_column=sa.Column(sa.String(16), nullable=False)
    )
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    #: The worker holding the entry's lease (`next_attempt_at`), while it sends it.
    claimed_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    error_code: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class SyncState(SQLModel, table=True):
    """One row per index: when it last took a batch successfully."""

    __tablename__ = "search_sync_state"

    index_name: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    last_synced_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))


#: Set in `session.info` when a session queued index work, so the request can wake the worker.
QUEUED_KEY = "search_outbox_queued"


def enqueue_upsert(*, session: Session, article_id: int) -> None:
    session.add(OutboxEntry(article_id=article_id, op=OutboxOp.upsert.value))
    session.info[QUEUED_KEY] = True


def enqueue_upserts(*, session: Session, article_ids: Sequence[int]) -> None:
    """`enqueue_upsert` for many articles in one statement."""
    if not article_ids:
        return
    now = utcnow()
    session.execute(
        sa.insert(OutboxEntry),
        [
            {
                "article_id": article_id,
                "op": OutboxOp.upsert.value,
                "status": OutboxStatus.pending.value,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            for article_id in article_ids
        ],
    )
    session.info[QUEUED_KEY] = True


def enqueue_delete(*, session: Session, article_id: int) -> None:
    session.add(OutboxEntry(article_id=article_id, op=OutboxOp.delete.value))
    session.info[QUEUED_KEY] = True
