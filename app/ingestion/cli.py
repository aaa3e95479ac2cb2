"""`newsarchive import`: files and folders of articles into the database, with progress."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import Engine

from app import migrate as migrations
from app.config import get_settings
from app.db import make_engine
from app.ingestion.importer import (
    CSV_FIELDS,
    FileStats,
    Format,
    Importer,
    ImportOptions,
    ImportReport,
    ImportSetupError,
    InputFile,
    count_records,
    discover,
)
from app.logs import configure_logging

logger = logging.getLogger(__name__)

#: Above this many files the summary has a row per folder instead of per file.
MAX_FILE_ROWS = 30
#: Broken records listed on the terminal; --report writes them all.
MAX_BROKEN_ROWS = 50
EXIT_INTERRUPTED = 130


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} docs/s" if speed else "- docs/s", style="progress.data.speed")


def _csv_map(values: list[str]) -> dict[str, str]:
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
        result = _run(files, options, engine, err)
    finally:
        engine.dispose()
    out = Console()
    _print_summary(out, result, files, limited=limit is not None)
    _print_broken(out, result, report)
    if report is not None:
        _write_report(report, result)
    if result.interrupted:
        err.print(
            "[yellow]Interrupted.[/] Every article counted above is stored and queued for "
            "indexing; run again with --resume to continue."
        )
        raise typer.Exit(EXIT_INTERRUPTED)


def _run(
    files: list[InputFile], options: ImportOptions, engine: Engine, err: Console
) -> ImportReport:
    total = sum(count_records(file) for file in files)
    if options.limit is not None:
        total = min(total, options.limit)
    columns = (
        TextColumn("[bold]{task.description}", justify="left"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("importing", total=total)

        def advance(label: str, done: int) -> None:
            progress.update(task, advance=done, description=_short(label))

        importer = Importer(engine=engine, options=options, on_progress=advance)
        result = importer.run(files)
        progress.update(task, description="done" if not result.interrupted else "interrupted")
    return result


def _short(label: str, width: int = 32) -> str:
    return label if len(label) <= width else "…" + label[-(width - 1) :]


def _groups(result: ImportReport, files: list[InputFile]) -> dict[str, FileStats]:
    if len(files) <= MAX_FILE_ROWS:
        return result.files
    grouped: dict[str, FileStats] = defaultdict(FileStats)
    for label, stats in result.files.items():
        grouped[str(Path(label).parent) + "/"].add(stats)
    return dict(grouped)


def _print_summary(
    out: Console, result: ImportReport, files: list[InputFile], *, limited: bool
) -> None:
    table = Table(title="Import summary", title_justify="left")
    table.add_column("File" if len(files) <= MAX_FILE_ROWS else "Folder")
    for name in ("Records", "Created", "Updated", "Unchanged", "Duplicates", "Skipped", "Errors"):
        table.add_column(name, justify="right")

    def row(name: str, stats: FileStats, style: str | None = None) -> None:
        values = (
            stats.records,
            stats.created,
            stats.updated,
            stats.unchanged,
            stats.duplicates,
            stats.skipped,
            stats.errors,
        )
        table.add_row(name, *(f"{value:,}" for value in values), style=style)

    # Files a --limit or an interruption never reached are left out.
    stopped_early = result.interrupted or limited
    for name, stats in _groups(result, files).items():
        if stats.records or not stopped_early:
            row(name, stats)
    total = result.total
    row("total", total, style="bold")
    out.print(table)
    rate = total.records / result.seconds if result.seconds else 0.0
    out.print(f"{total.records:,} records in {result.seconds:,.1f} s ({rate:,.1f} docs/s)")
    stored = total.created + total.updated
    if stored:
        out.print(
            f"{stored:,} articles queued for indexing; a running `newsarchive serve` makes "
            "them searchable."
        )


def _print_broken(out: Console, result: ImportReport, report: Path | None) -> None:
    if not result.broken:
        return
    table = Table(title=f"Broken records ({len(result.broken):,})", title_justify="left")
    for name in ("File", "Record", "Reason"):
        table.add_column(name, overflow="fold")
    for broken in result.broken[:MAX_BROKEN_ROWS]:
        table.add_row(broken.file, broken.record, broken.reason)
    out.print(table)
    hidden = len(result.broken) - MAX_BROKEN_ROWS
    if hidden > 0:
        where = f"all of them are in {report}" if report else "--report FILE lists them all"
        out.print(f"… and {hidden:,} more; {where}.")


def _write_report(path: Path, result: ImportReport) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for broken in result.broken:
            record = {"file": broken.file, "record": broken.record, "reason": broken.reason}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
