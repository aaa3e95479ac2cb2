"""The outbox reaches a real Meilisearch: upserts, deletes, outages and failed tasks."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from meilisearch.errors import MeilisearchApiError
from sqlmodel import Session, select

from app.outbox import OutboxEntry
from app.search.client import SearchClient
from app.search.sync import MeilisearchUnavailable
from tests.conftest import index_sync, sync_index
from tests.test_articles_api import ARTICLE, make_article


def outbox(client: TestClient) -> list[OutboxEntry]:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return list(session.exec(select(OutboxEntry).order_by(OutboxEntry.id)).all())  # type: ignore[arg-type]


def document(meili_client: SearchClient, index_uid: str, article_id: int) -> dict[str, Any] | None:
    try:
        return dict(meili_client.index(index_uid).get_document(article_id))
    except MeilisearchApiError as exc:
        assert exc.code == "document_not_found"
        return None


def test_write_records_outbox_in_same_transaction(search_client: TestClient) -> None:
    search_client.post("/articles", json=ARTICLE)
    search_client.post("/articles", json=ARTICLE)  # unchanged: no new work
    search_client.patch("/articles/1", json={"section": "transport"})
    search_client.delete("/articles/1")
    assert [(e.article_id, e.op) for e in outbox(search_client)] == [
        (1, "upsert"),
        (1, "upsert"),
        (1, "delete"),
    ]


def test_failed_write_records_no_outbox_row(search_client: TestClient) -> None:
    search_client.post("/articles", json=make_article(1))
    search_client.post("/articles", json=make_article(2))
    sync_index(search_client)
    response = search_client.patch("/articles/2", json={"url": "https://example.org/news/1"})
    assert response.status_code == 409
    assert outbox(search_client) == []


def test_upsert_update_and_delete_reach_the_index(
    search_client: TestClient, meili_client: SearchClient, meili_index_uid: str
) -> None:
    search_client.post("/articles", json=ARTICLE)
    assert len(outbox(search_client)) == 1
    sync_index(search_client)
    assert outbox(search_client) == []
    doc = document(meili_client, meili_index_uid, 1)
    assert doc is not None
    assert (doc["title"], doc["published_at"], doc["month"]) == (
        ARTICLE["title"],
        1715931000,
        "2024-05",
    )
    search_client.patch("/articles/1", json={"title": "Bridge reopens at last"})
    sync_index(search_client)
    assert document(meili_client, meili_index_uid, 1)["title"] == "Bridge reopens at last"  # type: ignore[index]
    search_client.delete("/articles/1")
    sync_index(search_client)
    assert document(meili_client, meili_index_uid, 1) is None
    assert outbox(search_client) == []


def test_unreachable_meilisearch_leaves_the_outbox_untouched(search_client: TestClient) -> None:
    search_client.post("/articles", json=ARTICLE)
    sync = index_sync(search_client)
    real_client = sync.client
    from app.search.client import build_client

    sync.client = build_client("http://127.0.0.1:9", "key", timeout=1.0)  # nothing listens on 9
    try:
        with pytest.raises(MeilisearchUnavailable):
            sync.run_once()
    finally:
        sync.client = real_client
    [entry] = outbox(search_client)
    assert (entry.attempts, entry.status, entry.error_code) == (0, "pending", None)
    sync_index(search_client)
    assert outbox(search_client) == []


def test_failed_task_is_recorded_with_meilisearch_code_and_parked(
    search_client: TestClient, meili_client: SearchClient, meili_index_uid: str
) -> None:
    # An index that already exists with another primary key rejects our documents.
    meili_client.wait_for_task(meili_client.delete_index(meili_index_uid).task_uid)
    task = meili_client.create_index(meili_index_uid, {"primaryKey": "uid"})
    meili_client.wait_for_task(task.task_uid)
    search_client.post("/articles", json=ARTICLE)
    sync = index_sync(search_client)
    sync._index_ready = False  # it was prepared at start-up, before the index was replaced
    sync.max_attempts = 2
    assert sync.run_once() == 0
    [entry] = outbox(search_client)
    assert (entry.attempts, entry.status, entry.error_code) == (
        1,
        "pending",
        "index_primary_key_mismatch",
    )
    with Session(search_client.app.state.engine) as session:  # type: ignore[attr-defined]
        stored = session.get(OutboxEntry, entry.id)
        assert stored is not None
        stored.next_attempt_at = stored.created_at  # skip the backoff wait
        session.add(stored)
        session.commit()
    assert sync.run_once() == 0
    [entry] = outbox(search_client)
    assert (entry.attempts, entry.status) == (2, "failed")
    ready = search_client.get("/ready").json()
    assert ready["index"]["failed"] == 1
    assert ready["index"]["pending"] == 0


def test_metrics_report_outbox_backlog_and_task_latency(search_client: TestClient) -> None:
    search_client.post("/articles", json=make_article(1))
    search_client.post("/articles", json=make_article(2))
    assert "newsarchive_outbox_pending 2.0" in search_client.get("/metrics").text
    sync_index(search_client)
    text = search_client.get("/metrics").text
    assert "newsarchive_outbox_pending 0.0" in text
    assert 'newsarchive_meili_task_duration_seconds_count{status="succeeded"}' in text


def test_a_batch_streams_page_by_page_as_one_task(
    search_client: TestClient,
    meili_client: SearchClient,
    meili_index_uid: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(1, 6):
        search_client.post("/articles", json=make_article(n))
    search_client.delete("/articles/3")
    sync = index_sync(search_client)
    pages: list[list[int]] = []
    load_entities = sync.entity_loader

    def loader(session: Session, ids: Any) -> Any:
        pages.append(list(ids))
        return load_entities(session, ids)

    monkeypatch.setattr("app.search.sync.DOCUMENT_PAGE_SIZE", 2)
    monkeypatch.setattr(sync, "entity_loader", loader)
    assert sync.run_once() == 6
    # Read two articles at a time (3 is gone), sent as one document task, then one delete.
    assert pages == [[1, 2], [4], [5]]
    tasks = meili_client.get_tasks({"indexUids": [meili_index_uid]}).results
    additions = [t for t in tasks if t.type == "documentAdditionOrUpdate"]
    assert [(t.status, (t.details or {})["receivedDocuments"]) for t in additions] == [
        ("succeeded", 4)
    ]
    assert meili_client.index(meili_index_uid).get_stats().number_of_documents == 4
    assert outbox(search_client) == []


def test_a_full_request_leaves_the_articles_it_did_not_reach_queued(
    search_client: TestClient,
    meili_client: SearchClient,
    meili_index_uid: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(1, 5):
        search_client.post("/articles", json=make_article(n))
    search_client.delete("/articles/2")
    # Room for one document per request: the first always goes, however long.
    monkeypatch.setattr("app.search.sync.MAX_BATCH_BYTES", 1)
    sync = index_sync(search_client)
    # Article 1, and both entries of article 2 (created, deleted), found gone on the way.
    assert sync.run_once() == 3
    assert sorted(e.article_id for e in outbox(search_client)) == [3, 4]
    sync_index(search_client)
    assert outbox(search_client) == []
    tasks = meili_client.get_tasks({"indexUids": [meili_index_uid]}).results
    additions = [t for t in tasks if t.type == "documentAdditionOrUpdate"]
    assert sorted((t.details or {})["receivedDocuments"] for t in additions) == [1, 1, 1]
    assert meili_client.index(meili_index_uid).get_stats().number_of_documents == 3
