"""What `newsarchive import` shows: a progress bar while the importer runs, then the summary
and broken-record tables; and the --report file."""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from pathlib import Path

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

from app.ingestion.importer import FileStats, Importer, ImportOptions, ImportReport
from app.ingestion.indexing import ImportIndexing
from app.ingestion.sources import InputFile, count_records

logger = logging.getLogger(__name__)

#: How often the import logs its progress when the terminal can't show a bar.
PROGRESS_LOG_SECONDS = 10.0
#: Above this many files the summary has a row per folder instead of per file.
MAX_FILE_ROWS = 30
#: Broken records listed on the terminal; --report writes them all.
MAX_BROKEN_ROWS = 50


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} docs/s" if speed else "- docs/s", style="progress.data.speed")


def run(
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
    log_progress = _ProgressLog(total) if not err.is_terminal else None
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("importing", total=total)

        def advance(label: str, done: int) -> None:
            progress.update(task, advance=done, description=_short(label))
            if log_progress is not None:
                log_progress.advance(label, done)

        importer = Importer(engine=engine, options=options, on_progress=advance)
        result = importer.run(files)
        progress.update(task, description="done" if not result.interrupted else "interrupted")
    return result


class _ProgressLog:
    """Progress as a log line every PROGRESS_LOG_SECONDS, where no bar can be drawn (output
    to a file or a pipe: a scheduled job, a container's log)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.started = self.last = time.monotonic()

    def advance(self, label: str, done: int) -> None:
        self.done += done
        now = time.monotonic()
        if now - self.last < PROGRESS_LOG_SECONDS:
            return
        self.last = now
        logger.info(
            "import progress",
            extra={
                "records_done": self.done,
                "records_total": self.total,
                "records_per_second": round(self.done / (now - self.started), 1),
                "file": label,
            },
        )


def finish_indexing(indexing: ImportIndexing, queued: int, err: Console) -> int:
    """Send what `--index` has not sent yet, with a progress bar; return how many were sent."""
    columns = (
        TextColumn("[bold]{task.description}", justify="left"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("indexing the rest", total=queued or None)
        sent = indexing.finish(on_batch=lambda done: progress.update(task, advance=done))
        progress.update(task, description="searchable", total=sent, completed=sent)
    return sent


def _short(label: str, width: int = 32) -> str:
    return label if len(label) <= width else "…" + label[-(width - 1) :]


def _groups(result: ImportReport, files: list[InputFile]) -> dict[str, FileStats]:
    if len(files) <= MAX_FILE_ROWS:
        return result.files
    grouped: dict[str, FileStats] = defaultdict(FileStats)
    for label, stats in result.files.items():
        grouped[str(Path(label).parent) + "/"].add(stats)
    return dict(grouped)


def print_summary(
    out: Console, result: ImportReport, files: list[InputFile], *, limited: bool, indexed: bool
) -> None:
    """The per-file table and totals. `indexed`: the import sends its articles to Meilisearch
    itself (--index), so its own last line says whether they are searchable."""
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
    if stored and not indexed:
        out.print(
            f"{stored:,} articles queued for indexing; a running `newsarchive serve` or "
            "`newsarchive worker` makes them searchable."
        )


def print_broken(out: Console, result: ImportReport, report: Path | None) -> None:
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


def write_report(path: Path, result: ImportReport) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for broken in result.broken:
            record = {"file": broken.file, "record": broken.record, "reason": broken.reason}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
