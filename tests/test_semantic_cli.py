"""`newsarchive import --index` embeds unless --no-embed; `newsarchive embed` backfills."""

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.articles.models import Article
from app.cli import app
from app.config import Settings
from app.db import make_engine
from app.embeddings import queue
from app.embeddings.backfill import VectorSender, embed_and_send
from app.embeddings.models import ArticleEmbedding, EmbeddingQueueEntry
from app.ingestion.importer import Importer, ImportOptions
from app.ingestion.indexing import ImportIndexing, tail_runs
from app.ingestion.sources import discover
from app.search.backend import SearchBackend, build_backend
from app.search.client import SearchClient
from tests.test_ingestion_import_cli import (
    jsonl_article,
    outbox_article_ids,
    run_import,
    write_jsonl,
)
from tests.test_ingestion_import_index import index_settings  # noqa: F401 - a fixture

pytestmark = [
    pytest.mark.embeddings,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def vectors_in_index(client: SearchClient, uid: str) -> dict[int, bool]:
    documents = client.http.post(
        f"indexes/{uid}/documents/fetch", {"retrieveVectors": True, "limit": 100}
    )["results"]
    return {d["id"]: bool(d["_vectors"]["text"]["embeddings"]) for d in documents}


def stored_vectors(settings: Settings) -> list[int]:
    engine = make_engine(settings)
    with Session(engine) as session:
        ids = sorted(session.exec(select(ArticleEmbedding.article_id)).all())
    engine.dispose()
    return ids


def test_embed_backfills_and_import_index_embeds_unless_told_not_to(
    index_settings: Settings,  # noqa: F811 - the fixture imported above
    meili_client: SearchClient,
    tmp_path: Path,
) -> None:
    uid = index_settings.MEILI_INDEX
    # Stored only: no vector, not even indexed.
    first = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(3)])
    assert run_import(first).exit_code == 0
    backfill = CliRunner().invoke(app, ["embed"])
    assert backfill.exit_code == 0, backfill.output
    assert "3 articles queued for embedding" in backfill.output
    assert "3 vectors made; every vector is in the index." in backfill.output
    assert vectors_in_index(meili_client, uid) == {1: True, 2: True, 3: True}
    assert stored_vectors(index_settings) == [1, 2, 3]

    # Keyword-searchable at once; their vectors wait in the queue for any worker.
    second = write_jsonl(tmp_path / "b.jsonl", [jsonl_article(n) for n in range(3, 5)])
    result = run_import(second, "--index", "--fill-seconds", "0", "--no-embed")
    assert result.exit_code == 0, result.output
    in_index = vectors_in_index(meili_client, uid)
    assert (in_index[4], in_index[5]) == (False, False)
    assert queue.lag(make_engine(index_settings)).pending == 2

    third = write_jsonl(tmp_path / "c.jsonl", [jsonl_article(5)])
    result = run_import(third, "--index", "--fill-seconds", "0")
    assert result.exit_code == 0, result.output
    assert "embedding" in result.output
    assert set(vectors_in_index(meili_client, uid).values()) == {True}
    assert stored_vectors(index_settings) == [1, 2, 3, 4, 5, 6]
    assert queue.lag(make_engine(index_settings)).pending == 0

    stats = CliRunner().invoke(app, ["stats"])
    assert stats.exit_code == 0, stats.output
    assert re.search(r"articles w/ vector\W+6\b", stats.output), stats.output
    assert re.search(r"pending embeddings\W+0\b", stats.output), stats.output


def test_embed_refuses_when_embeddings_are_off(
    index_settings: Settings,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.config import get_settings

    monkeypatch.setenv("EMBEDDINGS_ENABLED", "false")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["embed"])
    assert result.exit_code == 2
    assert "Embeddings are turned off" in result.output


def imported_ids(settings: Settings, path: Path, *, queue_embeddings: bool) -> list[int]:
    engine = make_engine(settings)
    options = ImportOptions(extract=False, queue_embeddings=queue_embeddings)
    report = Importer(engine=engine, options=options).run(discover([path]))
    assert report.total.created == len(path.read_text().splitlines())
    with Session(engine) as session:
        ids = sorted(i for i in session.exec(select(Article.id)).all() if i is not None)
    engine.dispose()
    return ids


def queued(settings: Settings) -> list[int]:
    engine = make_engine(settings)
    with Session(engine) as session:
        ids = sorted(session.exec(select(EmbeddingQueueEntry.article_id)).all())
    engine.dispose()
    return ids


def test_an_import_that_embeds_queues_each_new_article_as_it_is_stored(
    index_settings: Settings,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    plain = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(2)])
    assert imported_ids(index_settings, plain, queue_embeddings=False) == [1, 2]
    assert queued(index_settings) == []
    embedded = write_jsonl(tmp_path / "b.jsonl", [jsonl_article(n) for n in range(2, 5)])
    assert imported_ids(index_settings, embedded, queue_embeddings=True) == [1, 2, 3, 4, 5]
    assert queued(index_settings) == [3, 4, 5]


def test_vectors_sent_while_embedding_each_article_embedded_once(
    index_settings: Settings,  # noqa: F811 - the fixture imported above
    meili_client: SearchClient,
    tmp_path: Path,
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(7)])
    ids = imported_ids(index_settings, path, queue_embeddings=True)
    engine = make_engine(index_settings)
    backend = build_backend(
        index_settings.model_copy(
            update={"EMBEDDINGS_ENABLED": True, "SYNC_WORKER_ENABLED": False}
        ),
        engine,
    )
    assert backend is not None and backend.embed_sync is not None
    backend.embed_sync.batch_size = 2
    embedded: list[int] = []
    indexed: list[int] = []
    try:
        made = embed_and_send(
            embed_sync=backend.embed_sync,
            index_sync=backend.sync,
            on_embedded=embedded.append,
            on_indexed=indexed.append,
            send_every=0,
        )
    finally:
        backend.close()
    # Each article once, although indexing queued every article it sent again.
    assert made == backend.embed_sync.vectors_made == 7
    assert sum(embedded) == 7
    assert sum(indexed) == 14  # the keyword documents, then each vector
    assert queued(index_settings) == []
    assert outbox_article_ids(index_settings) == []
    assert stored_vectors(index_settings) == ids
    assert vectors_in_index(meili_client, index_settings.MEILI_INDEX) == dict.fromkeys(ids, True)
    engine.dispose()


def test_the_sender_lets_a_partial_batch_fill_for_its_time(
    index_settings: Settings,  # noqa: F811 - the fixture imported above
    meili_client: SearchClient,
    tmp_path: Path,
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(3)])
    imported_ids(index_settings, path, queue_embeddings=False)
    engine = make_engine(index_settings)
    backend = build_backend(index_settings, engine)
    assert backend is not None
    waiting = VectorSender(backend.sync, fill_seconds=3600)
    waiting.start()
    time.sleep(1.0)
    waiting.stop()
    assert (waiting.batches, outbox_article_ids(index_settings)) == (0, [1, 2, 3])
    sent: list[int] = []
    sender = VectorSender(backend.sync, fill_seconds=0, on_batch=sent.append)
    sender.start()
    deadline = time.monotonic() + 30
    while outbox_article_ids(index_settings) and time.monotonic() < deadline:
        time.sleep(0.1)
    sender.stop()
    backend.close()
    engine.dispose()
    assert (sender.batches, sent) == (1, [3])
    assert outbox_article_ids(index_settings) == []
    found = meili_client.index(index_settings.MEILI_INDEX).search("harbour board meeting")
    assert found["estimatedTotalHits"] == 3


def import_indexing(settings: Settings) -> tuple[Engine, SearchBackend, ImportIndexing]:
    """An engine, a backend that embeds, and an import's indexing on them, as `newsarchive
    import --index` sets them up."""
    engine = make_engine(settings)
    backend = build_backend(
        settings.model_copy(update={"EMBEDDINGS_ENABLED": True, "SYNC_WORKER_ENABLED": False}),
        engine,
    )
    assert backend is not None and backend.embed_sync is not None
    indexing = ImportIndexing(backend.sync, batch_size=10_000, fill_seconds=3600)
    indexing.embed_sync = backend.embed_sync
    return engine, backend, indexing


def test_embedding_during_the_import_embeds_each_article_once_and_sends_every_vector(
    index_settings: Settings,  # noqa: F811 - the fixture imported above
    meili_client: SearchClient,
    tmp_path: Path,
) -> None:
    engine, backend, indexing = import_indexing(index_settings)
    assert backend.embed_sync is not None
    indexing.start()
    indexing.start_embedding(during_import=True)
    try:
        # The model is loaded before anything is stored (while spaCy loads, in an import).
        deadline = time.monotonic() + 60
        while not backend.embed_sync.provider.loaded and time.monotonic() < deadline:
            time.sleep(0.05)
        assert backend.embed_sync.provider.loaded
        assert backend.embed_sync.vectors_made == 0
        path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(4)])
        ids = imported_ids(index_settings, path, queue_embeddings=True)
        while queued(index_settings) and time.monotonic() < deadline:
            time.sleep(0.1)
        indexing.stop_embedding()
        assert stored_vectors(index_settings) == ids
        assert backend.embed_sync.vectors_made == 4
        # Each article waits for the index with its keyword document and its vector's update.
        assert outbox_article_ids(index_settings) == ids
        # What the import does once it is done: nothing is embedded again, all is sent.
        indexing.stop()
        made = embed_and_send(embed_sync=backend.embed_sync, index_sync=backend.sync, send_every=0)
    finally:
        indexing.stop()
        backend.close()
    assert made == 0
    assert backend.embed_sync.vectors_made == 4
    assert queued(index_settings) == []
    assert outbox_article_ids(index_settings) == []
    assert vectors_in_index(meili_client, index_settings.MEILI_INDEX) == dict.fromkeys(ids, True)
    engine.dispose()


def test_what_the_import_leaves_is_embedded_on_every_core_each_article_once(
    index_settings: Settings,  # noqa: F811 - the fixture imported above
    meili_client: SearchClient,
    tmp_path: Path,
) -> None:
    engine, backend, indexing = import_indexing(index_settings)
    assert backend.embed_sync is not None
    backend.embed_sync.batch_size = 2
    indexing.start()
    indexing.start_embedding(during_import=False)
    assert backend.embed_sync.runs == tail_runs(backend.embed_sync.provider.threads)
    try:
        path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(6)])
        ids = imported_ids(index_settings, path, queue_embeddings=True)
        indexing.stop()
        made = embed_and_send(embed_sync=backend.embed_sync, index_sync=backend.sync, send_every=0)
    finally:
        indexing.stop()
        backend.close()
    assert made == backend.embed_sync.vectors_made == 6
    assert stored_vectors(index_settings) == ids
    assert queued(index_settings) == []
    assert outbox_article_ids(index_settings) == []
    assert vectors_in_index(meili_client, index_settings.MEILI_INDEX) == dict.fromkeys(ids, True)
    engine.dispose()
