"""Drain the indexing outbox into Meilisearch.

Each entry says "article N changed"; the worker sends the article's current state (or a delete
when it is gone), waits for Meilisearch's task to reach a final status, and only then removes
the entry. A task that fails is retried with backoff and, after SYNC_MAX_ATTEMPTS, parked as
failed with Meilisearch's error code. An unreachable Meilisearch is not the entries' fault: they
are left untouched, so everything is indexed once it is back, however long it was away.

Several workers may run at once: they claim disjoint batches (on PostgreSQL with `FOR UPDATE
SKIP LOCKED`), and a claimed batch is leased to its worker, which renews the lease while the
batch is in flight. A batch whose worker died comes back when its lease runs out (LEASE); a
batch whose worker lost the database mid-flight comes back as soon as that worker reaches the
database again. Sending an article twice is harmless, because what is sent is always the
article as stored now.
"""

import itertools
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
import sqlalchemy as sa
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchTimeoutError,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app import metrics
from app.articles.models import Article
from app.db import utcnow
from app.entities.types import DocumentEntity
from app.outbox import OutboxEntry, OutboxStatus, SyncState
from app.search.client import MeiliTaskError, SearchClient
from app.search.documents import article_to_document
from app.search.index_settings import EMBEDDER, IndexPrimaryKeyMismatch, ensure_index

logger = logging.getLogger(__name__)

#: How long a claimed batch stays invisible to other workers unless its worker renews it.
LEASE = timedelta(seconds=30)
#: How often a worker renews the lease of the batch it is sending.
LEASE_RENEWAL = timedelta(seconds=10)
#: How often `drain` looks whether other workers' batches in flight are done.
OTHERS_POLL_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 300.0
TASK_TIMEOUT_MS = 120_000
TASK_POLL_MS = 10
#: Articles read from the database at a time while a batch streams to Meilisearch.
DOCUMENT_PAGE_SIZE = 200
#: Most bytes of documents in one request: half Meilisearch's default payload limit (100 MB),
#: whatever the batch size and the articles' length.
MAX_BATCH_BYTES = 50_000_000

#: Looks up the entities of articles for their search documents (filled by the entities domain).
EntityLoader = Callable[[Session, Sequence[int]], dict[int, list[DocumentEntity]]]
#: The stored vector of each article that has one fitting its text, else None (filled by the
#: embeddings domain); a document is sent with exactly that vector, or with none.
VectorLoader = Callable[[Session, Sequence[Article]], dict[int, list[float] | None]]
#: Told, inside the transaction that completes their entries, which articles were just indexed
#: (not deleted): what follows indexing (saved-search alerts) is then queued durably with it.
AfterIndex = Callable[[Session, Sequence[int]], None]


def no_entities(_session: Session, _ids: Sequence[int]) -> dict[int, list[DocumentEntity]]:
    return {}


class MeilisearchUnavailable(Exception):
    """Meilisearch could not be reached; nothing was changed."""


class TaskFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Lag:
    """How far the index is behind the database."""

    pending: int
    failed: int
    oldest_pending_at: datetime | None
    last_synced_at: datetime | None
    #: Pending entries a worker is sending now (its lease is current).
    in_flight: int = 0
    #: Pending entries whose worker's lease ran out: it died or lost the database.
    lease_expired: int = 0


def new_worker_id() -> str:
    """Names a worker in the outbox rows it claims: host, process and a random tag."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter, capped, so a bad batch doesn't hammer Meilisearch."""
    base: float = min(MAX_BACKOFF_SECONDS, 2.0 ** min(attempts, 16))
    return base * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security


class IndexSync:
    """Moves outbox entries into one Meilisearch index."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: SearchClient,
        index_uid: str,
        batch_size: int = 500,
        max_attempts: int = 10,
        entity_loader: EntityLoader = no_entities,
        lease: timedelta = LEASE,
        lease_renewal: timedelta = LEASE_RENEWAL,
        after_index: AfterIndex | None = None,
        vector_loader: VectorLoader | None = None,
    ) -> None:
        self.engine = engine
        self.vector_loader = vector_loader
        self.client = client
        self.index_uid = index_uid
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.entity_loader = entity_loader
        self.lease = lease
        self.lease_renewal = lease_renewal
        self.worker_id = new_worker_id()
        self.after_index = after_index
        self._index_ready = False
        #: The batch this worker claimed and has not yet completed or released.
        self._held: list[OutboxEntry] = []
        self._lease_renewed_at = 0.0

    def run_once(self) -> int:
        """Process one batch; return how many entries were completed.

        Raises MeilisearchUnavailable when Meilisearch can't be reached (entries released).
        A batch left half-done by another error (the database went away) is released first
        thing at the next call, so it waits for the database, not for its lease.
        """
        if self._held:
            self._release(self._held)
            self._held = []
        entries = self._claim()
        if not entries:
            return 0
        self._held = entries
        self._lease_renewed_at = time.monotonic()
        done = self._process(entries)
        self._held = []
        return done

    def _process(self, entries: list[OutboxEntry]) -> int:
        try:
            self._ensure_index()
            sent_versions = self._send(entries)
        except MeilisearchUnavailable:
            self._release(entries)
            raise
        except TaskFailed as failure:
            if len(entries) == 1:
                self._record_failure(entries, failure)
                return 0
            # Find the bad apple: resend one article at a time so good ones still get through.
            return self._send_individually(entries)
        return self._complete_unless_changed(entries, sent_versions)

    def ready(self) -> tuple[int, datetime | None]:
        """How many entries are ready to send (at most one batch's worth), and when the
        oldest of them was queued."""
        with Session(self.engine) as session:
            due = (
                select(OutboxEntry.created_at)
                .where(
                    col(OutboxEntry.status) == OutboxStatus.pending.value,
                    col(OutboxEntry.next_attempt_at) <= utcnow(),
                )
                .order_by(col(OutboxEntry.id))
                .limit(self.batch_size)
                .subquery()
            )
            count, oldest = session.execute(
                sa.select(sa.func.count(), sa.func.min(due.c.created_at))
            ).one()
        return int(count), _as_aware(oldest)

    def _ensure_index(self) -> None:
        if self._index_ready:
            return
        try:
            ensure_index(self.client, self.index_uid, embeddings=self.vector_loader is not None)
        except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
            raise MeilisearchUnavailable(str(exc)) from exc
        except MeiliTaskError as exc:
            raise TaskFailed(exc.code, exc.message) from exc
        except IndexPrimaryKeyMismatch as exc:
            raise TaskFailed("index_primary_key_mismatch", str(exc)) from exc
        except MeilisearchApiError as exc:
            raise TaskFailed(exc.code or "meilisearch_api_error", exc.message) from exc
        self._index_ready = True

    def _send_individually(self, entries: list[OutboxEntry]) -> int:
        done = 0
        by_article: dict[int, list[OutboxEntry]] = {}
        for entry in entries:
            by_article.setdefault(entry.article_id, []).append(entry)
        for group in by_article.values():
            try:
                sent_versions = self._send(group)
            except TaskFailed as failure:
                self._record_failure(group, failure)
                continue
            done += self._complete_unless_changed(group, sent_versions)
        return done

    def _claim(self) -> list[OutboxEntry]:
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session:
            query = (
                select(OutboxEntry)
                .where(
                    col(OutboxEntry.status) == OutboxStatus.pending.value,
                    col(OutboxEntry.next_attempt_at) <= now,
                )
                .order_by(col(OutboxEntry.id))
                .limit(self.batch_size)
            )
            if self.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            entries = list(session.exec(query).all())
            if entries:
                session.execute(
                    sa.update(OutboxEntry)
                    .where(col(OutboxEntry.id).in_([e.id for e in entries]))
                    .values(next_attempt_at=now + self.lease, claimed_by=self.worker_id)
                )
            session.commit()
            return entries

    def _send(self, entries: Sequence[OutboxEntry]) -> dict[int, datetime | None]:
        """Send the current state of the entries' articles; return the versions sent (None for
        an article that is gone).

        Documents are read and sent a page at a time in one streamed request: the sender's
        memory stays the same whatever the batch size, and Meilisearch gets one task. A
        request stops at MAX_BATCH_BYTES; articles it did not reach are left out of the
        result, and their entries go back to the queue.
        """
        article_ids = sorted({entry.article_id for entry in entries})
        sent: dict[int, datetime | None] = {}
        gone: set[int] = set()
        try:
            tasks = []
            with Session(self.engine) as session:
                lines = self._document_lines(session, article_ids, sent, gone)
                first = next(lines, None)
                if first is not None:
                    tasks.append(
                        self.client.add_documents_stream(
                            self.index_uid, itertools.chain([first], lines), primary_key="id"
                        )
                    )
            if gone:
                # Ids are integers from our database, safe to put in a filter as they are.
                id_list = ", ".join(str(i) for i in sorted(gone))
                index = self.client.index(self.index_uid)
                tasks.append(index.delete_documents(filter=f"id IN [{id_list}]").task_uid)
            for task_uid in tasks:
                self._wait(task_uid)
            return sent | dict.fromkeys(gone)
        except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
            raise MeilisearchUnavailable(str(exc)) from exc
        except MeilisearchApiError as exc:
            if exc.code == "index_not_found":
                self._index_ready = False
            raise TaskFailed(exc.code or "meilisearch_api_error", exc.message) from exc

    def _document_lines(
        self,
        session: Session,
        article_ids: Sequence[int],
        sent: dict[int, datetime | None],
        gone: set[int],
    ) -> Iterator[bytes]:
        """The articles as NDJSON, a page at a time, up to MAX_BATCH_BYTES; each one sent is
        noted in `sent` with its version, each one looked up and missing in `gone`."""
        size = 0
        for start in range(0, len(article_ids), DOCUMENT_PAGE_SIZE):
            self._renew_lease_if_due()
            page = article_ids[start : start + DOCUMENT_PAGE_SIZE]
            articles = session.exec(select(Article).where(col(Article.id).in_(page))).all()
            gone.update(set(page) - {article.id for article in articles})
            entities = self.entity_loader(session, [a.id for a in articles if a.id is not None])
            vectors = self.vector_loader(session, articles) if self.vector_loader else {}
            lines = []
            full = False
            for article in articles:
                assert article.id is not None
                document = article_to_document(article, entities.get(article.id, []))
                document["_vectors"] = {EMBEDDER: vectors.get(article.id)}
                line = orjson.dumps(document, option=orjson.OPT_APPEND_NEWLINE)
                if sent and size + len(line) > MAX_BATCH_BYTES:
                    full = True
                    break
                size += len(line)
                sent[article.id] = article.updated_at
                lines.append(line)
            session.expunge_all()
            if lines:
                # One write per page, not per document.
                yield b"".join(lines)
            if full:
                return

    def _wait(self, task_uid: int) -> None:
        started = time.monotonic()
        deadline = started + TASK_TIMEOUT_MS / 1000
        while True:
            task = self.client.get_task(task_uid)
            if task.status not in ("enqueued", "processing"):
                break
            if time.monotonic() > deadline:
                raise MeilisearchTimeoutError(f"task {task_uid} not done in {TASK_TIMEOUT_MS} ms")
            self._renew_lease_if_due()
            time.sleep(TASK_POLL_MS / 1000)
        metrics.observe_meili_task(time.monotonic() - started, task.status)
        if task.status != "succeeded":
            error = task.error or {}
            raise TaskFailed(
                str(error.get("code", f"task_{task.status}")),
                str(error.get("message", f"task {task_uid} ended {task.status}")),
            )

    def _complete_unless_changed(
        self, entries: Sequence[OutboxEntry], sent_versions: dict[int, datetime | None]
    ) -> int:
        """Complete the entries whose article is still as sent.

        Another worker may have sent a newer version between our read and our task; if the
        article moved on since we read it, our entry stays queued so the newest state wins.
        """
        with Session(self.engine) as session:
            rows = session.exec(
                select(Article.id, Article.updated_at).where(col(Article.id).in_(sent_versions))
            ).all()
        current: dict[int, datetime | None] = dict.fromkeys(sent_versions)
        current.update({article_id: updated for article_id, updated in rows if article_id})
        stale = {i for i, version in sent_versions.items() if current[i] != version}
        # Not sent at all (the request was full): back to the queue, as the stale ones.
        stale |= {e.article_id for e in entries if e.article_id not in sent_versions}
        fresh = [e for e in entries if e.article_id not in stale]
        if stale:
            self._release([e for e in entries if e.article_id in stale])
        if fresh:
            indexed = sorted(
                {e.article_id for e in fresh if sent_versions[e.article_id] is not None}
            )
            self._complete(fresh, indexed)
        return len(fresh)

    def _complete(self, entries: Sequence[OutboxEntry], indexed: Sequence[int]) -> None:
        with Session(self.engine) as session:
            session.execute(
                sa.delete(OutboxEntry).where(col(OutboxEntry.id).in_([e.id for e in entries]))
            )
            if self.after_index is not None and indexed:
                self.after_index(session, indexed)
            state = session.get(SyncState, self.index_uid) or SyncState(index_name=self.index_uid)
            state.last_synced_at = utcnow()
            session.add(state)
            session.commit()
        logger.info("indexed", extra={"entries": len(entries), "index": self.index_uid})

    def _renew_lease_if_due(self) -> None:
        """Keep the batch in flight leased to this worker, so no other worker takes it while
        a long batch is still being sent; a worker that died stops renewing."""
        if not self._held:
            return
        if time.monotonic() - self._lease_renewed_at < self.lease_renewal.total_seconds():
            return
        self._lease_renewed_at = time.monotonic()
        try:
            with Session(self.engine) as session:
                session.execute(
                    sa.update(OutboxEntry)
                    .where(
                        col(OutboxEntry.id).in_([e.id for e in self._held]),
                        col(OutboxEntry.claimed_by) == self.worker_id,
                    )
                    .values(next_attempt_at=utcnow() + self.lease)
                )
                session.commit()
        except SQLAlchemyError as exc:
            # The send goes on; the batch is released when the database is back.
            logger.warning("outbox lease not renewed", extra={"error_type": type(exc).__name__})

    def _release(self, entries: Sequence[OutboxEntry]) -> None:
        """Back to the queue at once: only the entries this worker still holds (another
        worker may have taken them after the lease ran out)."""
        with Session(self.engine) as session:
            session.execute(
                sa.update(OutboxEntry)
                .where(
                    col(OutboxEntry.id).in_([e.id for e in entries]),
                    col(OutboxEntry.claimed_by) == self.worker_id,
                )
                .values(next_attempt_at=utcnow(), claimed_by=None)
            )
            session.commit()

    def _record_failure(self, entries: Sequence[OutboxEntry], failure: TaskFailed) -> None:
        with Session(self.engine) as session:
            for claimed in entries:
                entry = session.get(OutboxEntry, claimed.id)
                if entry is None:
                    continue
                entry.attempts += 1
                entry.error_code = failure.code[:100]
                entry.error = failure.message[:2000]
                entry.claimed_by = None
                if entry.attempts >= self.max_attempts:
                    entry.status = OutboxStatus.failed.value
                entry.next_attempt_at = utcnow() + timedelta(
                    seconds=backoff_seconds(entry.attempts)
                )
                session.add(entry)
            session.commit()
        logger.warning(
            "indexing failed",
            extra={
                "article_ids": [e.article_id for e in entries],
                "error_code": failure.code,
                "index": self.index_uid,
            },
        )


def lag(engine: Engine, index_uid: str) -> Lag:
    with Session(engine) as session:
        pending_query = select(sa.func.count(), sa.func.min(OutboxEntry.created_at)).where(
            col(OutboxEntry.status) == OutboxStatus.pending.value
        )
        pending, oldest = session.exec(pending_query).one()
        failed = session.exec(
            select(sa.func.count()).where(col(OutboxEntry.status) == OutboxStatus.failed.value)
        ).one()
        now = utcnow()
        claimed = col(OutboxEntry.claimed_by).is_not(None)
        leased = col(OutboxEntry.next_attempt_at) > now
        in_flight, expired = session.execute(
            sa.select(
                sa.func.count().filter(leased),
                sa.func.count().filter(sa.not_(leased)),
            ).where(col(OutboxEntry.status) == OutboxStatus.pending.value, claimed)
        ).one()
        state = session.get(SyncState, index_uid)
        # min() of a TypeDecorator column comes back raw on some backends.
        oldest_at = _as_aware(oldest)
        return Lag(
            pending=pending,
            failed=failed,
            oldest_pending_at=oldest_at,
            last_synced_at=state.last_synced_at if state else None,
            in_flight=int(in_flight),
            lease_expired=int(expired),
        )


def _as_aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


def retry_failed(engine: Engine) -> int:
    """Put every failed entry back in the queue; return how many."""
    with Session(engine) as session:
        result = session.execute(
            sa.update(OutboxEntry)
            .where(col(OutboxEntry.status) == OutboxStatus.failed.value)
            .values(status=OutboxStatus.pending.value, attempts=0, next_attempt_at=utcnow())
        )
        session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]


def drain(
    sync: IndexSync,
    *,
    timeout: float | None = 60.0,
    on_batch: Callable[[int], None] | None = None,
    wait_for_others: bool = False,
) -> int:
    """Run until no entry is ready to send (for tests and one-shot commands); return how many
    entries were completed. A failed batch does not end it early: its entries wait for their
    retry and are not ready meanwhile, while the others still go.

    With `wait_for_others`, also wait while other workers (other importers, a server) have
    batches in flight: they complete them, or their lease runs out and this call sends them.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    sent = 0
    while True:
        done = sync.run_once()
        sent += done
        if done and on_batch is not None:
            on_batch(done)
        if done == 0 and sync.ready()[0] == 0:
            if not wait_for_others or lag(sync.engine, sync.index_uid).in_flight == 0:
                return sent
            time.sleep(OTHERS_POLL_SECONDS)
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError("outbox not drained in time")
