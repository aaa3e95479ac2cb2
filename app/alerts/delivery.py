"""Deliver matches to their saved search's webhook: retries with exponential backoff up to a
cap, then failed; every attempt is logged.

Due deliveries are claimed with a lease (as the outbox and the match queue are), so several
processes can deliver side by side, and sent a few at a time from a thread pool: a receiver
that hangs holds one thread until the timeout, not the others.
"""

import concurrent.futures
import logging
from dataclasses import dataclass
from datetime import timedelta

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.alerts.models import AlertMatch, DeliveryAttempt, DeliveryStatus, SavedSearch
from app.alerts.webhook import EVENT, Outcome, WebhookSender
from app.db import utcnow

logger = logging.getLogger(__name__)


def idempotency_key(search: SavedSearch, article_id: int) -> str:
    """The same for every attempt at one (saved search, article) pair, and unique to it."""
    return f"{search.uid}:{article_id}"


def payload(search: SavedSearch, match: AlertMatch) -> bytes:
    """The JSON body of a delivery, from what was stored when the article matched."""
    assert search.id is not None
    return orjson.dumps(
        {
            "event": EVENT,
            "idempotency_key": idempotency_key(search, match.article_id),
            "saved_search": {"id": search.id, "name": search.name},
            "article": {
                "id": match.article_id,
                "title": match.title,
                "url": match.url,
                "source": match.source,
                "published_at": match.published_at.isoformat() if match.published_at else None,
                "api_path": f"/articles/{match.article_id}",
            },
            "why": match.why,
            "matched_at": match.matched_at.isoformat(),
        }
    )


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Wait before the next attempt after `attempts` failed ones: base, 2×, 4×, ... capped."""
    return float(min(cap, base * 2 ** min(attempts - 1, 30)))


@dataclass(frozen=True)
class _Job:
    match_id: int
    attempt: int
    url: str
    secret: str
    body: bytes
    key: str


class Deliverer:
    def __init__(
        self,
        *,
        engine: Engine,
        sender: WebhookSender,
        max_attempts: int,
        retry_base_seconds: float,
        retry_max_seconds: float,
        concurrency: int = 4,
    ) -> None:
        self.engine = engine
        self.sender = sender
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self.retry_max_seconds = retry_max_seconds
        self.concurrency = concurrency
        #: A claimed delivery is left alone this long: well past any attempt's own deadline.
        self.lease = timedelta(seconds=sender.timeout * 2 + 60)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="alert-delivery"
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run_once(self) -> int:
        """Attempt every due delivery claimed now (a few per thread); return how many."""
        jobs = self._claim(self.concurrency * 4)
        if not jobs:
            return 0
        futures = {self._pool.submit(self._send, job): job for job in jobs}
        for future in concurrent.futures.as_completed(futures):
            job = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # a bug must not strand the claimed delivery
                logger.exception("webhook delivery error", extra={"match_id": job.match_id})
                outcome = Outcome(status_code=None, error=f"internal error: {exc}", duration_ms=0)
            self._record(job, outcome)
        return len(jobs)

    def _send(self, job: _Job) -> Outcome:
        return self.sender.send(
            url=job.url, secret=job.secret, body=job.body, idempotency_key=job.key
        )

    def _claim(self, limit: int) -> list[_Job]:
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session:
            query = (
                select(AlertMatch)
                .where(
                    col(AlertMatch.delivery_status) == DeliveryStatus.pending.value,
                    col(AlertMatch.next_attempt_at) <= now,
                )
                .order_by(col(AlertMatch.next_attempt_at), col(AlertMatch.id))
                .limit(limit)
            )
            if self.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            matches = list(session.exec(query).all())
            if not matches:
                session.commit()
                return []
            session.execute(
                sa.update(AlertMatch)
                .where(col(AlertMatch.id).in_([m.id for m in matches]))
                .values(next_attempt_at=now + self.lease)
            )
            searches = {
                s.id: s
                for s in session.exec(
                    select(SavedSearch).where(
                        col(SavedSearch.id).in_({m.saved_search_id for m in matches})
                    )
                ).all()
            }
            jobs = []
            for match in matches:
                assert match.id is not None
                search = searches.get(match.saved_search_id)
                if search is None or not search.webhook_url or not search.webhook_secret:
                    match.delivery_status = DeliveryStatus.cancelled.value
                    match.next_attempt_at = None
                    session.add(match)
                    continue
                jobs.append(
                    _Job(
                        match_id=match.id,
                        attempt=match.attempts + 1,
                        url=search.webhook_url,
                        secret=search.webhook_secret,
                        body=payload(search, match),
                        key=idempotency_key(search, match.article_id),
                    )
                )
            session.commit()
            return jobs

    def _record(self, job: _Job, outcome: Outcome) -> None:
        now = utcnow()
        if outcome.delivered:
            status, next_at, result = DeliveryStatus.delivered, None, "delivered"
        elif job.attempt >= self.max_attempts:
            status, next_at, result = DeliveryStatus.failed, None, "failed"
        else:
            wait = backoff_seconds(
                job.attempt, base=self.retry_base_seconds, cap=self.retry_max_seconds
            )
            status, next_at, result = (
                DeliveryStatus.pending,
                now + timedelta(seconds=wait),
                "retrying",
            )
        with Session(self.engine) as session:
            updated = session.execute(
                sa.update(AlertMatch)
                .where(
                    col(AlertMatch.id) == job.match_id,
                    col(AlertMatch.delivery_status) == DeliveryStatus.pending.value,
                )
                .values(
                    delivery_status=status.value,
                    attempts=job.attempt,
                    next_attempt_at=next_at,
                    delivered_at=now if outcome.delivered else None,
                    last_status_code=outcome.status_code,
                    last_error=outcome.error,
                )
            )
            if updated.rowcount:  # type: ignore[attr-defined]
                session.add(
                    DeliveryAttempt(
                        match_id=job.match_id,
                        attempt=job.attempt,
                        at=now,
                        duration_ms=outcome.duration_ms,
                        status_code=outcome.status_code,
                        error=outcome.error,
                        outcome=result,
                    )
                )
            session.commit()
        log = logger.info if outcome.delivered else logger.warning
        log(
            "webhook delivery",
            extra={
                "match_id": job.match_id,
                "attempt": job.attempt,
                "outcome": result,
                "status_code": outcome.status_code,
                "error": outcome.error,
                "duration_ms": outcome.duration_ms,
            },
        )


def due(engine: Engine) -> int:
    """Deliveries waiting for an attempt (due now or later)."""
    with Session(engine) as session:
        return int(
            session.exec(
                select(sa.func.count()).where(
                    col(AlertMatch.delivery_status) == DeliveryStatus.pending.value
                )
            ).one()
        )


def retry_failed(session: Session, saved_search_id: int) -> int:
    """Give a search's failed deliveries a fresh set of attempts; return how many."""
    result = session.execute(
        sa.update(AlertMatch)
        .where(
            col(AlertMatch.saved_search_id) == saved_search_id,
            col(AlertMatch.delivery_status) == DeliveryStatus.failed.value,
        )
        .values(delivery_status=DeliveryStatus.pending.value, attempts=0, next_attempt_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
