"""The embedding worker: claims queued articles, runs the model, stores the vectors and
queues the articles for indexing again, so the index worker sends them with their vector.

Several workers may run at once, on several machines: they claim disjoint batches (on
PostgreSQL with `FOR UPDATE SKIP LOCKED`) under a lease, as index workers claim outbox
entries. An article whose vector still fits its text is dropped without running the model.
A batch the model cannot embed is retried with backoff and parked as failed after
MAX_ATTEMPTS; a model that cannot be loaded leaves the queue untouched.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app import outbox
from app.articles.models import Article
from app.db import utcnow
from app.embeddings.models import ArticleEmbedding, EmbeddingQueueEntry
from app.embeddings.provider import EmbeddingProvider, EmbeddingsUnavailable
from app.embeddings.queue import FAILED, PENDING
from app.embeddings.text import article_text, text_hash
from app.embeddings.vectors import encode
from app.polling import IdleBackoff
from app.search.sync import backoff_seconds, new_worker_id

if TYPE_CHECKING:
    from app.embeddings.model import Vectors

logger = logging.getLogger(__name__)

#: Long enough for a batch on a slow core (about 20 articles a second).
LEASE: Final = timedelta(minutes=5)
MAX_ATTEMPTS: Final = 5


class EmbedSync:
    """Moves embedding-queue entries into stored vectors."""

    def __init__(
        self,
        *,
        engine: Engine,
        provider: EmbeddingProvider,
        batch_size: int = 32,
        lease: timedelta = LEASE,
    ) -> None:
        self.engine = engine
        self.provider = provider
        self.batch_size = batch_size
        self.lease = lease
        self.worker_id = new_worker_id()
        self.vectors_made = 0
        #: When set, only entries up to this id are claimed (see `drain`'s `only_queued`).
        self.last_entry_id: int | None = None
        #: Model runs at once in `drain`, each in its own thread under its own worker id:
        #: an import's last articles, once its extraction processes are done, get every core.
        self.runs = 1

    def sibling(self) -> "EmbedSync":
        """Another worker on the same queue and model, claiming its own batches."""
        return EmbedSync(
            engine=self.engine,
            provider=self.provider,
            batch_size=self.batch_size,
            lease=self.lease,
        )

    def _due(self, now: datetime) -> list[sa.ColumnElement[bool]]:
        """What makes an entry ready to claim."""
        due = [
            col(EmbeddingQueueEntry.status) == PENDING,
            col(EmbeddingQueueEntry.next_attempt_at) <= now,
        ]
        if self.last_entry_id is not None:
            due.append(col(EmbeddingQueueEntry.id) <= self.last_entry_id)
        return due

    def run_once(self) -> int:
        """Process one batch; return how many queue entries it completed (`vectors_made`
        counts the vectors). Raises EmbeddingsUnavailable (entries released) when the model
        can't be had."""
        entries = self._claim()
        if not entries:
            return 0
        try:
            embedder = self.provider.get()
        except EmbeddingsUnavailable:
            self._release(entries)
            raise
        try:
            todo = self._texts(entries, embedder.model_id)
            vectors = embedder.embed([text for _, text in todo]) if todo else None
            self.vectors_made += self._store(entries, todo, vectors, embedder.model_id)
        except Exception as exc:
            self._record_failure(entries, exc)
            raise
        return len(entries)

    def _claim(self) -> list[EmbeddingQueueEntry]:
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session:
            query = (
                select(EmbeddingQueueEntry)
                .where(*self._due(now))
                .order_by(col(EmbeddingQueueEntry.id))
                .limit(self.batch_size)
            )
            if self.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = [entry.id for entry in session.exec(query).all()]
            if not ids:
                session.commit()
                return []
            # Only rows still free are taken: on SQLite (no row locks) another worker may
            # have read the same rows, and writes are serialised, so one of the two wins each.
            session.execute(
                sa.update(EmbeddingQueueEntry)
                .where(col(EmbeddingQueueEntry.id).in_(ids), *self._due(now))
                .values(next_attempt_at=now + self.lease, claimed_by=self.worker_id)
            )
            session.commit()
            return list(
                session.exec(
                    select(EmbeddingQueueEntry).where(
                        col(EmbeddingQueueEntry.id).in_(ids),
                        col(EmbeddingQueueEntry.claimed_by) == self.worker_id,
                    )
                ).all()
            )

    def _texts(
        self, entries: Sequence[EmbeddingQueueEntry], model_id: str
    ) -> list[tuple[int, str]]:
        """(article id, text) of the claimed articles whose vector is missing or stale."""
        ids = sorted({e.article_id for e in entries})
        with Session(self.engine) as session:
            articles = session.exec(
                select(Article.id, Article.title, Article.summary, Article.body).where(
                    col(Article.id).in_(ids)
                )
            ).all()
            stored = dict(
                session.exec(
                    select(ArticleEmbedding.article_id, ArticleEmbedding.text_hash).where(
                        col(ArticleEmbedding.article_id).in_(ids),
                        col(ArticleEmbedding.model) == model_id,
                    )
                ).all()
            )
        todo: list[tuple[int, str]] = []
        for article_id, title, summary, body in articles:
            assert article_id is not None
            text = article_text(title, summary, body)
            if stored.get(article_id) != text_hash(text):
                todo.append((article_id, text))
        return todo

    def _store(
        self,
        entries: Sequence[EmbeddingQueueEntry],
        todo: Sequence[tuple[int, str]],
        vectors: "Vectors | None",
        model_id: str,
    ) -> int:
        """The batch's vectors, their articles' outbox rows and the end of its queue entries,
        in one transaction of a few statements whatever the batch size."""
        with Session(self.engine) as session:
            ids = [article_id for article_id, _ in todo]
            # Articles deleted meanwhile get no vector (their row would break the foreign key).
            alive = set(session.exec(select(Article.id).where(col(Article.id).in_(ids))).all())
            existing = set(
                session.exec(
                    select(ArticleEmbedding.article_id).where(
                        col(ArticleEmbedding.article_id).in_(ids)
                    )
                ).all()
            )
            now = utcnow()
            rows: list[dict[str, Any]] = [
                {
                    "article_id": article_id,
                    "model": model_id,
                    "text_hash": text_hash(text),
                    "vector": encode(vector),
                    "embedded_at": now,
                }
                for (article_id, text), vector in zip(
                    todo, vectors if vectors is not None else [], strict=True
                )
                if article_id in alive
            ]
            new = [row for row in rows if row["article_id"] not in existing]
            replaced = [row for row in rows if row["article_id"] in existing]
            if new:
                session.execute(sa.insert(ArticleEmbedding), new)
            if replaced:
                # By primary key: one executemany.
                session.execute(sa.update(ArticleEmbedding), replaced)
            outbox.enqueue_upserts(session=session, article_ids=[row["article_id"] for row in rows])
            session.execute(
                sa.delete(EmbeddingQueueEntry).where(
                    col(EmbeddingQueueEntry.id).in_([e.id for e in entries]),
                    col(EmbeddingQueueEntry.claimed_by) == self.worker_id,
                )
            )
            session.commit()
        if rows:
            logger.info("embedded", extra={"articles": len(rows), "entries": len(entries)})
        return len(rows)

    def _release(self, entries: Sequence[EmbeddingQueueEntry]) -> None:
        with Session(self.engine) as session:
            session.execute(
                sa.update(EmbeddingQueueEntry)
                .where(
                    col(EmbeddingQueueEntry.id).in_([e.id for e in entries]),
                    col(EmbeddingQueueEntry.claimed_by) == self.worker_id,
                )
                .values(next_attempt_at=utcnow(), claimed_by=None)
            )
            session.commit()

    def _record_failure(self, entries: Sequence[EmbeddingQueueEntry], exc: Exception) -> None:
        with Session(self.engine) as session:
            for claimed in entries:
                entry = session.get(EmbeddingQueueEntry, claimed.id)
                if entry is None or entry.claimed_by != self.worker_id:
                    continue
                entry.attempts += 1
                entry.error = f"{type(exc).__name__}: {exc}"[:2000]
                entry.claimed_by = None
                if entry.attempts >= MAX_ATTEMPTS:
                    entry.status = FAILED
                entry.next_attempt_at = utcnow() + timedelta(
                    seconds=backoff_seconds(entry.attempts)
                )
                session.add(entry)
            session.commit()
        logger.warning("embedding failed", extra={"error_type": type(exc).__name__})

    def ready(self) -> int:
        with Session(self.engine) as session:
            return int(
                session.execute(sa.select(sa.func.count()).where(*self._due(utcnow()))).scalar_one()
            )


def drain(
    sync: EmbedSync,
    *,
    timeout: float | None = None,
    on_batch: Callable[[int], None] | None = None,
    only_queued: bool = False,
) -> int:
    """Embed until nothing is ready (backfills, imports, tests); return how many vectors were
    made. `on_batch` is told how many queue entries each batch completed (from `sync.runs`
    threads at once).

    With `only_queued`, entries queued after the call began are left for later: while vectors
    are sent as they are made, the index worker queues every article it sends again, and
    those entries (whose vector fits, most likely) are not the work this call reports on.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    made_before = sync.vectors_made
    others = [sync.sibling() for _ in range(sync.runs - 1)]
    limit = last_entry_id(sync.engine) if only_queued else None
    errors: list[BaseException] = []
    failed = threading.Event()

    def run(one: EmbedSync) -> None:
        one.last_entry_id = limit
        try:
            while not failed.is_set():
                done = one.run_once()
                if done == 0 and one.ready() == 0:
                    return
                if on_batch is not None and done:
                    on_batch(done)
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError("embedding queue not drained in time")
        except BaseException as exc:
            # Ctrl-C or a fault: the other runs stop after their batch in hand.
            errors.append(exc)
            failed.set()
        finally:
            one.last_entry_id = None

    threads = [
        threading.Thread(target=run, args=(other,), name=f"embed-{n}", daemon=True)
        for n, other in enumerate(others, start=2)
    ]
    for thread in threads:
        thread.start()
    run(sync)
    for thread in threads:
        thread.join()
    sync.vectors_made += sum(other.vectors_made for other in others)
    if errors:
        raise errors[0]
    return sync.vectors_made - made_before


def last_entry_id(engine: Engine) -> int:
    """The id of the newest queue entry (0 when the queue is empty)."""
    with Session(engine) as session:
        newest = session.execute(sa.select(sa.func.max(EmbeddingQueueEntry.id))).scalar_one()
    return int(newest or 0)


class EmbedWorker:
    """Runs EmbedSync in a background thread until stopped.

    With `load_first` the thread loads the model before it looks for work: an import that
    embeds gets it loaded while its extraction workers load spaCy, not when the first
    articles are already waiting.
    """

    def __init__(
        self,
        sync: EmbedSync,
        *,
        poll_seconds: float = 1.0,
        load_first: bool = False,
        idle_max_seconds: float | None = None,
    ) -> None:
        self.sync = sync
        self.poll_seconds = poll_seconds
        self.load_first = load_first
        self.idle = IdleBackoff(poll_seconds, idle_max_seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="embed", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        if self.load_first:
            # A failure is remembered by the provider and met again by the first batch.
            with contextlib.suppress(EmbeddingsUnavailable):
                self.sync.provider.get()
        while not self._stop.is_set():
            try:
                done = self.sync.run_once()
            except EmbeddingsUnavailable:
                self._stop.wait(60.0)
                continue
            except Exception:
                logger.exception("embedding worker error")
                self._stop.wait(1.0)
                continue
            if done == 0:
                self._stop.wait(self.idle.idle())
            else:
                self.idle.reset()
