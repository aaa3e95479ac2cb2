"""`newsarchive import` ends by saying only what is true of its articles' indexing."""

from pathlib import Path

from app.config import Settings
from tests.test_ingestion_import_cli import jsonl_article, run_import, write_jsonl
from tests.test_ingestion_import_index import index_settings  # noqa: F401 - a fixture used below

QUEUED = "3 articles queued for indexing; a running `newsarchive serve` or `newsarchive worker` makes them searchable."
SEARCHABLE = "Every imported article is searchable."


def test_with_index_it_says_only_that_they_are_searchable(
    index_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(3)])
    result = run_import(path, "--index", "--fill-seconds", "0")
    assert result.exit_code == 0, result.output
    assert SEARCHABLE in result.output
    assert "queued for indexing" not in result.output
    assert "makes them searchable" not in result.output


def test_without_index_it_says_who_makes_them_searchable(
    index_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [jsonl_article(n) for n in range(3)])
    result = run_import(path)
    assert result.exit_code == 0, result.output
    assert QUEUED in " ".join(result.output.split())
    assert SEARCHABLE not in result.output
