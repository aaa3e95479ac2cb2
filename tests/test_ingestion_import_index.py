"""`newsarchive import --index`: the import sends what it stores to Meilisearch itself."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Settings, get_settings
from app.ingestion.indexing import embeds_during_import, tail_runs
from app.search.client import SearchClient, build_client
from app.search.meili_process import MeiliProcess
from tests.test_faults import free_port
from tests.test_ingestion_import_cli import (
    cli_settings,  # noqa: F401 - a fixture used below
    jsonl_article,
    outbox_article_ids,
    run_import,
    stored,
    write_jsonl,
)


@pytest.fixture
def index_settings(
    search_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """The command's environment: the test database, the session's Meilisearch, a fresh index."""
    assert search_settings.MEILI_URL is not None and search_settings.MEILI_MASTER_KEY is not None
    monkeypatch.setenv("DATABASE_URL", search_settings.DATABASE_URL)
    monkeypatch.setenv("DATA_DIR", str(search_settings.DATA_DIR))
    monkeypatch.setenv("MEILI_URL", search_settings.MEILI_URL)
    monkeypatch.setenv("MEILI_MASTER_KEY", search_settings.MEILI_MASTER_KEY.get_secret_value())
    monkeypatch.setenv("MEILI_INDEX", search_settings.MEILI_INDEX)
    monkeypatch.setenv("LOG_FORMAT", "console")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield search_settings
    get_settings.cache_clear()


def received_batches(client: SearchClient, uid: str) -> list[int]:
    """How many documents each of the index's document tasks received, smallest first."""
    tasks = client.get_tasks({"indexUids": [uid], "types": ["documentAdditionOrUpdate"]})
    assert all(task.status == "succeeded" for task in tasks.results)
    return sorted((task.details or {})["receivedDocuments"] for task in tasks.results)


def test_every_imported_article_is_searchable_when_the_command_ends(
    index_settings: Settings, meili_client: SearchClient, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(6)])
    result = run_import(path, "--index")
    assert result.exit_code == 0, result.output
    assert "Every imported article is searchable." in result.output
    found = meili_client.index(index_settings.MEILI_INDEX).search("harbour board meeting")
    assert found["estimatedTotalHits"] == 6
    assert outbox_article_ids(index_settings) == []


def test_without_index_the_articles_stay_queued(
    index_settings: Settings, meili_client: SearchClient, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(3)])
    result = run_import(path)
    assert result.exit_code == 0, result.output
    assert "Every imported article is searchable." not in result.output
    assert len(outbox_article_ids(index_settings)) == 3
    assert received_batches(meili_client, index_settings.MEILI_INDEX) == []


def test_batches_are_at_most_the_batch_size(
    index_settings: Settings, meili_client: SearchClient, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(5)])
    result = run_import(path, "--index", "--index-batch-size", "2", "--fill-seconds", "0")
    assert result.exit_code == 0, result.output
    assert received_batches(meili_client, index_settings.MEILI_INDEX) == [1, 2, 2]


def test_a_partial_batch_waits_to_fill_and_is_sent_when_the_import_ends(
    index_settings: Settings, meili_client: SearchClient, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(5)])
    result = run_import(path, "--index", "--index-batch-size", "100", "--fill-seconds", "600")
    assert result.exit_code == 0, result.output
    assert received_batches(meili_client, index_settings.MEILI_INDEX) == [5]


def test_unreachable_meilisearch_leaves_every_article_stored_and_queued(
    index_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MEILI_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("MEILI_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(3)])
    result = run_import(path, "--index", "--fill-seconds", "0")
    assert result.exit_code == 1, result.output
    assert "Meilisearch is unreachable" in result.output
    assert "Import summary" in result.output
    assert len(stored(index_settings)) == 3
    assert len(outbox_article_ids(index_settings)) == 3


def test_without_meili_url_a_local_meilisearch_is_started(
    cli_settings: Settings,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for name in ("MEILI_URL", "MEILI_MASTER_KEY"):
        # Set, then unset: the teardown then also removes what the local Meilisearch exports.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(3)])
    result = run_import(path, "--index")
    assert result.exit_code == 0, result.output
    assert outbox_article_ids(cli_settings) == []
    # The local Meilisearch keeps its data under DATA_DIR, where `serve` starts it again.
    with (
        MeiliProcess(data_dir=cli_settings.DATA_DIR / "meilisearch") as meili,
        build_client(meili.url, meili.master_key) as client,
    ):
        stats = client.index(cli_settings.MEILI_INDEX).get_stats()
    assert stats.number_of_documents == 3


def test_a_one_thread_model_embeds_during_the_import_however_many_processes_extract() -> None:
    cores = len(os.sched_getaffinity(0))
    assert embeds_during_import(cores, 1) is True
    assert embeds_during_import(cores + 1, 1) is True
    # A run of several threads only on cores the processes leave idle.
    assert embeds_during_import(1, 2) is (cores - 1 >= 2)
    assert embeds_during_import(cores, 2) is False
    assert embeds_during_import(1, 0) is False  # 0: one thread per core, none left


def test_what_is_left_after_the_import_is_embedded_on_every_core() -> None:
    cores = len(os.sched_getaffinity(0))
    assert tail_runs(1) == cores
    assert tail_runs(2) == max(1, cores // 2)
    assert tail_runs(cores + 1) == 1
    assert tail_runs(0) == 1  # one run already takes every core
