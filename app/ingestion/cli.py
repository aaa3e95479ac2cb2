"""`newsarchive import`: files and folders of articles into the database, with progress."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.ingestion.formats import Format

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.engine import Engine

    from app.config import Settings
    from app.ingestion.indexing import ImportIndexing

# Every `newsarchive` process imports this module to build the command line (an extraction
# worker of the importer too, when it starts), so the importer, the database and rich are
# imported only when the command runs.

EXIT_INTERRUPTED = 130
EXIT_NOT_INDEXED = 1
#: `--index`: Meilisearch indexes a few large batches for far less CPU and memory than many
#: small ones (measured on Reuters-21578, see README); a bulk import's articles become
#: searchable in batches, within about two minutes of being stored, and all of them by the end.
DEFAULT_INDEX_BATCH_SIZE = 10_000
DEFAULT_FILL_SECONDS = 120.0


def _csv_map(values: list[str]) -> dict[str, str]:
    from app.ingestion.sources import CSV_FIELDS

    mapping: dict[str, str] = {}
    for value in values:
        name, sep, column = value.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise typer.BadParameter(f"{value!r} is not field=column", param_hint="--csv-map")
        if name not in CSV_FIELDS:
            known = ", ".join(sorted(CSV_FIELDS))
            raise typer.BadParameter(
                f"{name!r} is not an article field ({known})", param_hint="--csv-map"
            )
        mapping[name] = column
    return mapping


def _published_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(
            f"{value!r} is not ISO 8601", param_hint="--published-at"
        ) from error
    if parsed.tzinfo is None:
        raise typer.BadParameter(
            f"{value!r} has no timezone offset (e.g. +00:00)", param_hint="--published-at"
        )
    return parsed


def import_articles(
    paths: Annotated[
        list[Path], typer.Argument(help="Files and folders to import.", show_default=False)
    ],
    format: Annotated[
        Format,
        typer.Option(
            "--format", "-f", help="Input format; auto tells by extension or folder shape."
        ),
    ] = Format.auto,
    csv_map: Annotated[
        list[str],
        typer.Option(
            "--csv-map", help="field=column for CSV headers with other names (repeatable)."
        ),
    ] = [],  # noqa: B006 - typer needs a list default
    source: Annotated[str | None, typer.Option(help="Publisher name for every article.")] = None,
    url: Annotated[str | None, typer.Option(help="URL of a single .txt or .html article.")] = None,
    published_at: Annotated[
        str | None,
        typer.Option(help="ISO 8601 with offset, for a single .txt or .html article."),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Skip records whose url or external_id is already stored.")
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option(
            min=1,
            max=10_000,
            help="Records read, looked up and written together (new articles: one transaction).",
        ),
    ] = 64,
    processes: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Processes for entity extraction (this one and N-1 workers)."
        ),
    ] = 1,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many records.")] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Write every broken record to this file as JSON Lines."),
    ] = None,
    index: Annotated[
        bool,
        typer.Option(
            "--index/--no-index",
            help="Send the articles to Meilisearch while importing and end when all are "
            "searchable (starts a local Meilisearch when MEILI_URL is unset, as serve does).",
        ),
    ] = False,
    index_batch_size: Annotated[
        int,
        typer.Option(min=1, max=10_000, help="With --index: articles per Meilisearch batch."),
    ] = DEFAULT_INDEX_BATCH_SIZE,
    fill_seconds: Annotated[
        float,
        typer.Option(min=0, help="With --index: how long a partial batch waits for more articles."),
    ] = DEFAULT_FILL_SECONDS,
    embed: Annotated[
        bool,
        typer.Option(
            "--embed/--no-embed",
            help="With --index: also give the articles their vectors for semantic search, "
            "once they are keyword-searchable (when EMBEDDINGS_ENABLED).",
        ),
    ] = True,
) -> None:
    """Import articles from files into the database (not over HTTP).

    Formats: Reuters-21578 SGML (a folder of reut2-*.sgm or one .sgm), AllSides JSON folders,
    BBC News section folders, JSON Lines, a JSON array, CSV with a header, raw page text
    (.txt) and HTML pages. Articles are queued for indexing: a running server or
    `newsarchive worker` indexes them, or this command itself with --index.
    """
    from rich.console import Console

    from app import migrate as migrations
    from app.config import get_settings
    from app.db import make_engine
    from app.ingestion import terminal
    from app.ingestion.importer import ImportOptions
    from app.ingestion.indexing import embeds_during_import
    from app.ingestion.sources import ImportSetupError, discover
    from app.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    err = Console(stderr=True)
    try:
        files = discover(paths, format)
    except ImportSetupError as error:
        raise typer.BadParameter(str(error), param_hint="PATHS") from error
    if not files:
        raise typer.BadParameter("no files to import were found", param_hint="PATHS")
    single_text = len(files) == 1 and files[0].format in (Format.txt, Format.html)
    if (url or published_at) and not single_text:
        raise typer.BadParameter(
            "--url and --published-at apply to one .txt or .html file", param_hint="--url"
        )
    options = ImportOptions(
        format=format,
        csv_map=_csv_map(csv_map),
        source=source,
        url=url,
        published_at=_published_at(published_at),
        resume=resume,
        batch_size=batch_size,
        processes=processes,
        limit=limit,
        max_body_chars=settings.MAX_BODY_CHARS,
        extract=settings.ENTITY_EXTRACTION_ENABLED,
    )
    migrations.upgrade(settings.DATABASE_URL)
    engine = make_engine(settings)
    not_indexed: str | None = None
    try:
        with _indexing(settings, engine, index_batch_size, fill_seconds, err, on=index) as indexing:
            embedding = indexing is not None and embed and indexing.embed_sync is not None
            if indexing is not None and embedding:
                # The model can start on the articles as soon as they are stored.
                options = replace(options, queue_embeddings=True)
                indexing.start_embedding(
                    during_import=embeds_during_import(processes, settings.EMBEDDING_THREADS)
                )
            result = terminal.run(files, options, engine, err)
            if indexing is not None and not result.interrupted:
                if embedding:
                    not_indexed = _finish_embedding(indexing, engine, settings.MEILI_INDEX, err)
                else:
                    not_indexed = _finish_indexing(indexing, engine, settings.MEILI_INDEX, err)
    finally:
        engine.dispose()
    out = Console()
    terminal.print_summary(out, result, files, limited=limit is not None, indexed=index)
    terminal.print_broken(out, result, report)
    if report is not None:
        terminal.write_report(report, result)
    if result.interrupted:
        err.print(
            "[yellow]Interrupted.[/] Every article counted above is stored and queued for "
            "indexing; run again with --resume to continue."
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    if not_indexed is not None:
        err.print(not_indexed)
        raise typer.Exit(EXIT_NOT_INDEXED)
    if index:
        err.print("Every imported article is searchable.")


@contextmanager
def _indexing(
    settings: Settings,
    engine: Engine,
    batch_size: int,
    fill_seconds: float,
    err: Console,
    *,
    on: bool,
) -> Iterator[ImportIndexing | None]:
    """With --index, the index sync thread of this import (and a local Meilisearch if needed)."""
    if not on:
        yield None
        return
    from app.cli import local_meilisearch
    from app.ingestion.indexing import ImportIndexing
    from app.search.backend import build_backend
    from app.search.meili_process import MeiliProcessError

    try:
        with local_meilisearch(settings) as search_settings:
            backend = build_backend(
                search_settings.model_copy(update={"SYNC_WORKER_ENABLED": False}), engine
            )
            assert backend is not None  # local_meilisearch always gives a URL
            indexing = ImportIndexing(
                backend.sync, batch_size=batch_size, fill_seconds=fill_seconds
            )
            indexing.embed_sync = backend.embed_sync
            indexing.start()
            try:
                yield indexing
            finally:
                indexing.stop()
                backend.close()
    except MeiliProcessError as error:
        err.print(f"[red]Could not start a local Meilisearch:[/] {error}")
        raise typer.Exit(EXIT_NOT_INDEXED) from error


def _finish_embedding(
    indexing: ImportIndexing, engine: Engine, index_uid: str, err: Console
) -> str | None:
    """Embed the imported articles while sending them (with their vectors as they are made)
    to the index; None when all went well, else what stays queued and why."""
    from app.embeddings.cli import run_with_progress
    from app.embeddings.provider import EmbeddingsUnavailable
    from app.search.sync import MeilisearchUnavailable

    assert indexing.embed_sync is not None
    # From here on the outbox is sent as the vectors are made, not in batches that fill.
    indexing.stop()
    try:
        run_with_progress(indexing.embed_sync, indexing.sync, err)
    except EmbeddingsUnavailable as error:
        keyword = _finish_indexing(indexing, engine, index_uid, err)
        return keyword or (
            f"[yellow]Every article is searchable by keyword, but none got a vector:[/] {error}. "
            "Run `newsarchive embed` once the model is available."
        )
    except MeilisearchUnavailable as error:
        return (
            f"[red]Meilisearch is unreachable[/] ({error}): the vectors are stored and queued; "
            "`newsarchive worker` or a server sends them once it is back."
        )
    return _left_behind(engine, index_uid)


def _finish_indexing(
    indexing: ImportIndexing, engine: Engine, index_uid: str, err: Console
) -> str | None:
    """Send the rest; None when everything is in the index, else what stays queued and why."""
    from app.ingestion import terminal
    from app.search.sync import MeilisearchUnavailable, lag

    try:
        terminal.finish_indexing(indexing, lag(engine, index_uid).pending, err)
    except MeilisearchUnavailable as error:
        return (
            f"[red]Meilisearch is unreachable[/] ({error}): every imported article is stored "
            "and stays queued; `newsarchive worker` or a server sends it once it is back."
        )
    return _left_behind(engine, index_uid)


def _left_behind(engine: Engine, index_uid: str) -> str | None:
    """None when the outbox is empty, else how many updates wait and failed."""
    from app.search.sync import lag

    left = lag(engine, index_uid)
    if left.pending or left.failed:
        return (
            f"[yellow]{left.pending:,} index updates wait for a retry and {left.failed:,} "
            "failed:[/] see `newsarchive stats`."
        )
    return None
