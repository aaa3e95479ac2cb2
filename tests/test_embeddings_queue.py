"""The embedding queue on SQLite and PostgreSQL: writes never embed, workers share the queue
without embedding an article twice, failures back off, backfills queue what lacks a vector."""

import threading
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import make_engine, utcnow
from app.embeddings import queue
from app.embeddings.models import ArticleEmbedding, EmbeddingQueueEntry
from app.embeddings.provider import EmbeddingProvider, EmbeddingsUnavailable
from app.embeddings.text import article_text, text_hash
from app.embeddings.worker import MAX_ATTEMPTS, EmbedSync, drain
from app.outbox import OutboxEntry

#: Where the database makes no difference to what is tested.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Entities are not what is tested here; spaCy would only slow every write down."""
    return settings.model_copy(update={"ENTITY_EXTRACTION_ENABLED": False})


@pytest.fixture
def engine(settings: Settings) -> Engine:
    return make_engine(settings)


@pytest.fixture(scope="module")
def provider() -> EmbeddingProvider:
    return EmbeddingProvider(enabled=True)


def post(client: TestClient, count: int) -> list[int]:
    ids = []
    for n in range(count):
        response = client.post(
            "/articles",
            json={
                "title": f"Story {n}",
                "body": f"Body number {n} about topic {n}.",
                "url": f"https://ex.org/{n}",
            },
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def enqueue(engine: Engine, ids: list[int]) -> None:
    """Queue the articles for embedding, as indexing them does."""
    with Session(engine) as session:
        queue.enqueue_indexed(session, ids)
        session.commit()


def queue_ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return list(session.exec(select(EmbeddingQueueEntry.article_id)).all())


@sqlite_only
def test_a_write_embeds_nothing(client: TestClient, engine: Engine) -> None:
    post(client, 2)
    assert queue_ids(engine) == []
    assert client.app.state.search is None  # type: ignore[attr-defined]


def test_workers_share_the_queue_and_embed_each_article_once(
    client: TestClient, engine: Engine, provider: EmbeddingProvider
) -> None:
    ids = post(client, 12)
    enqueue(engine, ids)
    first = EmbedSync(engine=engine, provider=provider, batch_size=5)
    second = EmbedSync(engine=engine, provider=provider, batch_size=5)
    claimed_a = {e.article_id for e in first._claim()}
    claimed_b = {e.article_id for e in second._claim()}
    assert len(claimed_a) == len(claimed_b) == 5
    assert claimed_a.isdisjoint(claimed_b)
    first._release(list(_entries(engine)))
    second._release(list(_entries(engine)))

    workers = [EmbedSync(engine=engine, provider=provider, batch_size=3) for _ in range(3)]
    errors: list[BaseException] = []

    def run(worker: EmbedSync) -> None:
        try:
            drain(worker, timeout=60)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert errors == []
    assert sum(w.vectors_made for w in workers) == len(ids)
    assert queue_ids(engine) == []
    with Session(engine) as session:
        stored = session.exec(select(ArticleEmbedding.article_id)).all()
        requeued = session.exec(
            select(OutboxEntry.article_id).where(col(OutboxEntry.article_id).in_(ids))
        ).all()
    assert sorted(stored) == ids
    # Each new vector goes to the index through the outbox (after each article's own write).
    assert sorted(requeued) == sorted(ids * 2)


def _entries(engine: Engine) -> Sequence[EmbeddingQueueEntry]:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(EmbeddingQueueEntry)).all()


@sqlite_only
def test_a_fitting_vector_is_not_made_again(
    client: TestClient, engine: Engine, provider: EmbeddingProvider
) -> None:
    ids = post(client, 2)
    worker = EmbedSync(engine=engine, provider=provider)
    enqueue(engine, ids)
    assert drain(worker) == 2
    enqueue(engine, ids)
    assert drain(worker) == 0
    assert queue_ids(engine) == []
    client.patch(f"/articles/{ids[0]}", json={"body": "A new body entirely."})
    enqueue(engine, ids)
    assert drain(worker) == 1


def test_a_deleted_article_gets_no_vector(
    client: TestClient, engine: Engine, provider: EmbeddingProvider
) -> None:
    [kept, deleted] = post(client, 2)
    enqueue(engine, [kept, deleted])
    assert client.delete(f"/articles/{deleted}").status_code == 204
    assert drain(EmbedSync(engine=engine, provider=provider)) == 1
    with Session(engine) as session:
        assert session.exec(select(ArticleEmbedding.article_id)).all() == [kept]


class _FailingModel:
    model_id = "failing@0"

    def embed(self, texts: Sequence[str], batch_size: int = 8) -> Any:
        raise RuntimeError("the model broke")


class _FailingProvider(EmbeddingProvider):
    """Provokes what a real model rarely does: failing on a batch after loading."""

    def get(self) -> Any:
        return _FailingModel()


@sqlite_only
def test_a_failing_batch_backs_off_then_is_parked(client: TestClient, engine: Engine) -> None:
    [article] = post(client, 1)
    enqueue(engine, [article])
    worker = EmbedSync(engine=engine, provider=_FailingProvider(enabled=True))
    with pytest.raises(RuntimeError, match="the model broke"):
        worker.run_once()
    [entry] = _entries(engine)
    assert (entry.attempts, entry.status, entry.claimed_by) == (1, "pending", None)
    assert entry.error == "RuntimeError: the model broke"
    assert entry.next_attempt_at > utcnow()
    assert worker.run_once() == 0  # backing off: not ready
    for _ in range(MAX_ATTEMPTS - 1):
        with Session(engine) as session:
            row = session.get(EmbeddingQueueEntry, entry.id)
            assert row is not None
            row.next_attempt_at = utcnow()
            session.add(row)
            session.commit()
        with pytest.raises(RuntimeError):
            worker.run_once()
    assert queue.lag(engine).failed == 1
    assert queue.lag(engine).pending == 0


@sqlite_only
def test_an_unavailable_model_leaves_the_queue_as_it_was(
    client: TestClient, engine: Engine, tmp_path: Any
) -> None:
    [article] = post(client, 1)
    enqueue(engine, [article])
    worker = EmbedSync(
        engine=engine, provider=EmbeddingProvider(enabled=True, model_path=tmp_path / "none")
    )
    with pytest.raises(EmbeddingsUnavailable):
        worker.run_once()
    [entry] = _entries(engine)
    assert (entry.attempts, entry.claimed_by, entry.status) == (0, None, "pending")
    assert queue.lag(engine).pending == 1


def test_backfill_queues_articles_without_a_vector_once(
    client: TestClient, engine: Engine, provider: EmbeddingProvider
) -> None:
    ids = post(client, 3)
    model_id = provider.get().model_id
    assert queue.enqueue_backfill(engine, model_id=model_id) == 3
    assert queue.enqueue_backfill(engine, model_id=model_id) == 0  # already waiting
    drain(EmbedSync(engine=engine, provider=provider))
    assert queue.vector_count(engine) == 3
    assert queue.enqueue_backfill(engine, model_id=model_id) == 0
    assert queue.enqueue_backfill(engine, model_id="another@1") == 3
    drain(EmbedSync(engine=engine, provider=provider))
    assert queue.enqueue_backfill(engine, model_id=model_id, everything=True) == 3
    assert sorted(queue_ids(engine)) == ids


def test_an_article_waiting_unclaimed_is_not_queued_twice(
    client: TestClient, engine: Engine, provider: EmbeddingProvider
) -> None:
    ids = post(client, 3)
    with Session(engine) as session:
        queue.enqueue_indexed(session, ids)
        queue.enqueue_indexed(session, [ids[0], ids[0]])
        session.commit()
    assert sorted(queue_ids(engine)) == ids
    worker = EmbedSync(engine=engine, provider=provider, batch_size=1)
    [claimed] = worker._claim()
    assert claimed.article_id == ids[0]
    # In flight: its text may have been read before this change, so it is queued again.
    enqueue(engine, ids)
    assert sorted(queue_ids(engine)) == sorted([*ids, ids[0]])
    worker._release([claimed])
    assert drain(worker) == 3
    assert queue_ids(engine) == []


@sqlite_only
def test_drain_of_what_is_queued_leaves_later_entries_for_the_next(
    client: TestClient, engine: Engine, provider: EmbeddingProvider
) -> None:
    ids = post(client, 4)
    enqueue(engine, ids[:3])
    worker = EmbedSync(engine=engine, provider=provider, batch_size=2)

    def queue_the_last_one(_done: int) -> None:
        enqueue(engine, ids[3:])

    assert drain(worker, on_batch=queue_the_last_one, only_queued=True) == 3
    assert queue_ids(engine) == [ids[3]]
    assert worker.last_entry_id is None
    assert drain(worker) == 1
    assert queue.vector_count(engine) == 4


@sqlite_only
def test_drain_runs_the_model_in_several_threads_each_article_once(
    client: TestClient, engine: Engine, provider: EmbeddingProvider
) -> None:
    ids = post(client, 12)
    enqueue(engine, ids)
    worker = EmbedSync(engine=engine, provider=provider, batch_size=2)
    worker.runs = 3
    # Each run's first batch waits here for the other two: only three at once get past.
    together = threading.Barrier(3, timeout=60)
    first_batches: set[int] = set()
    done: list[int] = []

    def on_batch(entries: int) -> None:
        done.append(entries)
        thread = threading.get_ident()
        if thread not in first_batches:
            first_batches.add(thread)
            together.wait()

    assert drain(worker, on_batch=on_batch, only_queued=True) == 12
    assert len(first_batches) == 3
    assert worker.vectors_made == 12
    assert sum(done) == 12
    assert queue_ids(engine) == []
    with Session(engine) as session:
        stored = session.exec(select(ArticleEmbedding.article_id)).all()
    assert sorted(stored) == ids
    assert worker.last_entry_id is None


@sqlite_only
def test_a_changed_text_replaces_its_vector_and_queues_one_index_update(
    client: TestClient, engine: Engine, provider: EmbeddingProvider
) -> None:
    ids = post(client, 3)
    worker = EmbedSync(engine=engine, provider=provider)
    enqueue(engine, ids)
    assert drain(worker) == 3
    with Session(engine) as session:
        before = {row.article_id: row for row in session.exec(select(ArticleEmbedding)).all()}
    assert client.patch(f"/articles/{ids[1]}", json={"body": "Another body."}).status_code == 200
    with Session(engine) as session:
        session.execute(sa.delete(OutboxEntry))
        queue.enqueue_indexed(session, ids)
        session.commit()
    assert drain(worker) == 1
    with Session(engine) as session:
        after = {row.article_id: row for row in session.exec(select(ArticleEmbedding)).all()}
        requeued = session.exec(select(OutboxEntry.article_id)).all()
    assert requeued == [ids[1]]
    assert sorted(after) == ids
    assert after[ids[1]].text_hash == text_hash(article_text("Story 1", None, "Another body."))
    assert after[ids[1]].vector != before[ids[1]].vector
    for unchanged in (ids[0], ids[2]):
        assert (after[unchanged].text_hash, after[unchanged].vector) == (
            before[unchanged].text_hash,
            before[unchanged].vector,
        )
