"""`newsarchive import --index` embeds unless --no-embed; `newsarchive embed` backfills."""

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import app
from app.config import Settings
from app.db import make_engine
from app.embeddings import queue
from app.embeddings.models import ArticleEmbedding
from app.search.client import SearchClient
from tests.test_ingestion_import_cli import jsonl_article, run_import, write_jsonl
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
