"""`newsarchive import`: files and folders of articles into the database, with progress."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from app.ingestion.formats import Format

# Every `newsarchive` process imports this module to build the command line (an extraction
# worker of the importer too, when it starts), so the importer, the database and rich are
# imported only when the command runs.

EXIT_INTERRUPTED = 130


def _csv_map(values: list[str]) -> dict[str, str]:
    from app.ingestion.importer import CSV_FIELDS

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
) -> None:
    """Import articles from files into the database (not over HTTP).

    Formats: Reuters-21578 SGML (a folder of reut2-*.sgm or one .sgm), AllSides JSON folders,
    BBC News section folders, JSON Lines, a JSON array, CSV with a header, raw page text
    (.txt) and HTML pages. Articles are queued for indexing; a running server indexes them.
    """
    from rich.console import Console

    from app import migrate as migrations
    from app.config import get_settings
    from app.db import make_engine
    from app.ingestion import terminal
    from app.ingestion.importer import ImportOptions, ImportSetupError, discover
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
    try:
        result = terminal.run(files, options, engine, err)
    finally:
        engine.dispose()
    out = Console()
    terminal.print_summary(out, result, files, limited=limit is not None)
    terminal.print_broken(out, result, report)
    if report is not None:
        terminal.write_report(report, result)
    if result.interrupted:
        err.print(
            "[yellow]Interrupted.[/] Every article counted above is stored and queued for "
            "indexing; run again with --resume to continue."
        )
        raise typer.Exit(EXIT_INTERRUPTED)
