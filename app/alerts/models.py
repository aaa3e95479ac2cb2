"""The saved-search tables: the searches, the queue of newly indexed articles waiting to be
matched, one row per (saved search, article) match with its delivery state, and every delivery
attempt."""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"
    #: The webhook was removed (or the search deleted its webhook) before delivery.
    cancelled = "cancelled"


class SavedSearch(SQLModel, table=True):
    __tablename__ = "saved_searches"
    # Ids are never reused, so an id (and an idempotency key) always names one search.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    #: Random, per search: the stable part of idempotency keys and Atom ids.
    uid: str = Field(sa_column=sa.Column(sa.String(32), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    #: The /search parameters as given (by alias, defaults left out).
    params: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    webhook_url: str | None = Field(default=None, sa_column=sa.Column(sa.String(2048)))
    #: Kept as given: signing needs it. Never shown back, only a hint.
    webhook_secret: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    feed_enabled: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    #: SHA-256 of the feed token; the token itself is shown once.
    feed_token_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))
    created_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )


class AlertQueueEntry(SQLModel, table=True):
    """An article the index worker has just indexed, waiting to be matched. Written in the
    transaction that completes the article's outbox entry, so a crash between indexing and
    matching loses nothing."""

    __tablename__ = "alert_queue"
    __table_args__ = (sa.Index("ix_alert_queue_claimable", "claimed_until", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    #: A matcher's lease: other matchers leave the entry alone until then.
    claimed_until: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )


class AlertMatch(SQLModel, table=True):
    """An article that matched a saved search: once per pair, whatever re-indexing follows.

    The article is copied as it was when it matched, so the webhook body is the same on every
    retry and the feed keeps what was announced.
    """

    __tablename__ = "alert_matches"
    __table_args__ = (
        sa.UniqueConstraint(
            "saved_search_id", "article_id", name="uq_alert_matches_search_article"
        ),
        sa.Index("ix_alert_matches_search_id", "saved_search_id", "id"),
        sa.Index("ix_alert_matches_due", "delivery_status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    saved_search_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("saved_searches.id", ondelete="CASCADE", name="fk_alert_matches_search"),
            nullable=False,
        )
    )
    article_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    matched_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    title: str = Field(sa_column=sa.Column(sa.String(1000), nullable=False))
    url: str | None = Field(default=None, sa_column=sa.Column(sa.String(2048)))
    source: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    published_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    #: Why it matched: {"terms": [...], "highlights": {field: text}, "filters": {...}}.
    why: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    #: None when the search had no webhook when the article matched.
    delivery_status: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    next_attempt_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    delivered_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    last_status_code: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))


class DeliveryAttempt(SQLModel, table=True):
    """One try at delivering a match to a webhook, whatever its outcome."""

    __tablename__ = "alert_delivery_attempts"
    __table_args__ = (sa.Index("ix_alert_delivery_attempts_match_id", "match_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("alert_matches.id", ondelete="CASCADE", name="fk_alert_attempts_match"),
            nullable=False,
        )
    )
    attempt: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False))
    duration_ms: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    status_code: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    #: delivered, retrying or failed (no attempts left).
    outcome: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
