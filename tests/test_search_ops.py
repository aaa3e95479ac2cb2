"""Operating the index against a real Meilisearch: outages, the worker, reindex, deep cursors."""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.articles import service as article_service
from app.articles.models import Article
from app.articles.schemas import ArticleCreate
from app.cli import app as cli
from app.config import Settings, get_settings
from app.main import create_app
from app.search.client import SearchClient
from app.search.reindex import reindex
from tests.conftest import auth_headers, index_sync, sync_index
from tests.meili_plugin import MeiliServer
from tests.test_articles_api import make_article

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def index_ids(meili_client: SearchClient, uid: str) -> list[int]:
    documents = meili_client.index(uid).get_documents({"fields": ["id"], "limit": 10_000})
    return sorted(int(d.id) for d in documents.results)


def db_ids(client: TestClient) -> list[int]:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return sorted(i for i in session.exec(select(Article.id)).all() if i is not None)


def wait_until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def searched(client: TestClient, q: str) -> int:
    response = client.get("/search", params={"q": q})
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def test_writes_become_searchable_through_the_in_process_worker(
    search_settings: Settings, write_key: str
) -> None:
    settings = search_settings.model_copy(update={"SYNC_WORKER_ENABLED": True})
    with TestClient(create_app(settings), headers=auth_headers(write_key)) as client:
        client.post("/articles", json=make_article(1, title="Lighthouse keeper retires"))
        wait_until(lambda: searched(client, "lighthouse") == 1)
        client.delete("/articles/1")
        wait_until(lambda: searched(client, "lighthouse") == 0)


def test_meilisearch_outage_loses_no_write(
    search_settings: Settings,
    meili_server: MeiliServer,
    meili_client: SearchClient,
    write_key: str,
) -> None:
    if meili_server.process is None:
        pytest.skip("needs a Meilisearch started by the tests (MEILI_URL was given)")
    settings = search_settings.model_copy(update={"SYNC_WORKER_ENABLED": True})
    with TestClient(create_app(settings), headers=auth_headers(write_key)) as client:
        client.post("/articles", json=make_article(1))
        wait_until(lambda: client.get("/ready").json()["index"]["pending"] == 0)
        meili_server.process.kill()
        try:
            for n in range(2, 12):
                assert client.post("/articles", json=make_article(n)).status_code == 201
            assert (
                client.patch("/articles/1", json={"title": "Edited while down"}).status_code == 200
            )
            assert client.delete("/articles/2").status_code == 204
            ready = client.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["meilisearch"] == {"ok": False, "error": "unreachable"}
            assert ready.json()["index"]["pending"] == 12
            assert ready.json()["index"]["oldest_pending_age_seconds"] >= 0
            outage = client.get("/search", params={"q": "story"})
            assert outage.status_code == 503
            assert outage.headers["retry-after"] == "5"
            assert outage.headers["content-type"] == "application/problem+json"
            assert meili_server.master_key not in outage.text
            assert str(meili_server.process.port) not in outage.text
        finally:
            meili_server.process.start()
        wait_until(lambda: client.get("/ready").json()["index"]["pending"] == 0, timeout=30)
        ready = client.get("/ready").json()
        assert ready["status"] == "ok"
        assert ready["index"]["failed"] == 0
        assert ready["index"]["last_synced_at"] is not None
        assert index_ids(meili_client, settings.MEILI_INDEX) == db_ids(client) == [1, *range(3, 12)]
        [hit] = client.get("/search", params={"q": "edited"}).json()["hits"]
        assert hit["id"] == 1


def test_search_when_meilisearch_is_unreachable_is_503(settings: Settings) -> None:
    unreachable = settings.model_copy(
        update={
            "MEILI_URL": "http://127.0.0.1:9",
            "MEILI_MASTER_KEY": SecretStr("s3cret-key-value"),
        }
    )
    with TestClient(create_app(unreachable)) as client:
        for response in (client.get("/search", params={"q": "x"}), client.post("/search", json={})):
            assert response.status_code == 503
            assert response.headers["retry-after"] == "5"
            assert (
                response.json()["detail"] == "Search is temporarily unavailable; try again shortly."
            )
            assert "s3cret" not in response.text
            assert "127.0.0.1" not in response.text


def test_search_without_meilisearch_configured_is_503(client: TestClient) -> None:
    response = client.get("/search", params={"q": "x"})
    assert response.status_code == 503
    assert "MEILI_URL" in response.json()["detail"]


def seed_many(client: TestClient, count: int) -> None:
    """Articles straight through the service (the HTTP layer is tested elsewhere)."""
    base = datetime(2020, 1, 1, tzinfo=UTC)
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        for n in range(count):
            # Several articles share each timestamp and some have none, to exercise ties.
            published = None if n % 50 == 7 else base + timedelta(hours=n // 3)
            data = ArticleCreate(
                title=f"Harbour report {n}",
                body=f"Common harbour text number {n}.",
                external_id=f"bulk-{n}",
                published_at=published,
            )
            # No entity extraction: the walk is about order, and 1,200 texts cost a minute.
            article_service.upsert(session=session, data=data, extract=False)


def walk(client: TestClient, **params: Any) -> list[int]:
    seen: list[int] = []
    cursor = "*"
    while cursor:
        page = client.get("/search", params={**params, "cursor": cursor, "per_page": 100})
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["page"] is None
        assert body["total"] == 1200
        seen += [hit["id"] for hit in body["hits"]]
        cursor = body["next"]
    return seen


def test_cursor_walks_past_the_default_hit_cap(search_client: TestClient) -> None:
    seed_many(search_client, 1200)
    sync_index(search_client)
    expected_newest = db_order(search_client, newest=True)
    assert walk(search_client, sort="newest") == expected_newest
    assert walk(search_client, sort="oldest") == db_order(search_client, newest=False)
    assert walk(search_client, sort="newest", q="harbour") == expected_newest
    assert len(set(expected_newest)) == 1200


def db_order(client: TestClient, *, newest: bool) -> list[int]:
    """The same order from the database listing, walked with its own cursor."""
    ids: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, "sort": "newest" if newest else "oldest"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/articles", params=params).json()
        ids += [article["id"] for article in page["data"]]
        cursor = page["next"]
        if cursor is None:
            return ids


def test_reindex_rebuilds_and_swaps(
    search_client: TestClient, meili_client: SearchClient, search_settings: Settings
) -> None:
    for n in range(1, 6):
        search_client.post("/articles", json=make_article(n))
    sync_index(search_client)
    uid = search_settings.MEILI_INDEX
    index = meili_client.index(uid)
    meili_client.wait_for_task(index.delete_document(2).task_uid)
    meili_client.wait_for_task(index.add_documents([{"id": 999, "title": "stray"}]).task_uid)
    assert index_ids(meili_client, uid) == [1, 3, 4, 5, 999]
    sync = index_sync(search_client)
    progress: list[tuple[int, int]] = []

    def on_progress(done: int, total: int) -> None:
        if not progress:
            # Writes while the rebuild runs: one already copied is edited, one is deleted.
            search_client.patch("/articles/2", json={"title": "Edited during the rebuild"})
            search_client.delete("/articles/1")
        progress.append((done, total))

    result = reindex(
        engine=sync.engine, client=meili_client, index_uid=uid, batch_size=2, progress=on_progress
    )
    assert progress == [(2, 5), (4, 5), (5, 5)]
    assert (result.documents, result.requeued, result.strays_deleted) == (5, 1, 1)
    assert index_ids(meili_client, uid) == [1, 2, 3, 4, 5]
    sync_index(search_client)
    assert index_ids(meili_client, uid) == [2, 3, 4, 5]
    assert meili_client.index(uid).get_document(2).title == "Edited during the rebuild"
    rebuilds = [i.uid for i in meili_client.get_indexes({"limit": 1000})["results"]]
    assert [name for name in rebuilds if name.startswith(f"{uid}_rebuild")] == []


def use_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL)
    monkeypatch.setenv("MEILI_URL", settings.MEILI_URL or "")
    key = settings.MEILI_MASTER_KEY.get_secret_value() if settings.MEILI_MASTER_KEY else ""
    monkeypatch.setenv("MEILI_MASTER_KEY", key)
    monkeypatch.setenv("MEILI_INDEX", settings.MEILI_INDEX)
    get_settings.cache_clear()


def test_cli_worker_reindex_and_stats(
    search_client: TestClient,
    search_settings: Settings,
    meili_client: SearchClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(1, 4):
        search_client.post("/articles", json=make_article(n))
    use_settings(monkeypatch, search_settings)
    runner = CliRunner()
    try:
        stats = runner.invoke(cli, ["stats"])
        assert stats.exit_code == 0, stats.output
        assert "pending index work │ 3" in stats.output
        result = runner.invoke(cli, ["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert index_ids(meili_client, search_settings.MEILI_INDEX) == [1, 2, 3]
        result = runner.invoke(cli, ["reindex"])
        assert result.exit_code == 0, result.output
        assert "indexed 3 articles" in result.output
        stats = runner.invoke(cli, ["stats"])
        assert "indexed documents  │ 3" in stats.output
        assert "articles           │ 3" in stats.output
    finally:
        get_settings.cache_clear()
