"""`newsarchive export`: every article matching a query into an NDJSON or CSV file, with a
progress bar, resumable with --resume. Runs the API's export (app/search/export.py)
in-process against Meilisearch, and the database for entity names."""

from __future__ import annotations

import asyncio
import enum
import gzip
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from app.search.export_formats import CURSOR_FIELD, ExportFormat

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.engine import Engine

    from app.search.backend import SearchBackend
    from app.search.export import ExportPlan
    from app.search.export_formats import RecordWriter
    from app.search.research_schemas import ExportParams

# Imported by every `newsarchive` process: the database, Meilisearch, pydantic and rich wait
# until the command runs.


class Sort(enum.StrEnum):
    newest = "newest"
    oldest = "oldest"


class ExportFailed(Exception):
    """What the user is told, with exit status 1."""


def _format_for(output: Path, given: ExportFormat | None) -> ExportFormat:
    if given is not None:
        return given
    suffixes = [s.lower() for s in output.suffixes if s.lower() != ".gz"]
    return ExportFormat.csv if suffixes[-1:] == [".csv"] else ExportFormat.ndjson


def resume_position(
    path: Path, export_format: ExportFormat, columns: list[str]
) -> tuple[int, int, str | None]:
    """(bytes to keep, records kept, `_cursor` of the last complete record) of a partial
    export: anything after the last complete record (a line cut short) is to be dropped.
    ExportFailed if the file is not an export of this shape."""
    keep, records, cursor = 0, 0, None
    with path.open("rb") as handle:
        if export_format is ExportFormat.ndjson:
            for line in handle:
                if not line.endswith(b"\n"):
                    break
                cursor = _ndjson_cursor(line, path)
                keep += len(line)
                records += 1
            return keep, records, cursor
        return _csv_resume_position(handle, path, columns)


def _ndjson_cursor(line: bytes, path: Path) -> str:
    import orjson

    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ExportFailed(f"{path}: a line is not JSON; is it an NDJSON export?") from exc
    if not isinstance(record, dict) or not isinstance(record.get(CURSOR_FIELD), str):
        raise ExportFailed(f"{path}: a line has no {CURSOR_FIELD}; is it an unfinished export?")
    cursor: str = record[CURSOR_FIELD]
    return cursor


def _csv_resume_position(
    handle: BinaryIO, path: Path, columns: list[str]
) -> tuple[int, int, str | None]:
    import csv

    consumed = 0

    def lines() -> Any:
        nonlocal consumed
        for line in handle:
            consumed += len(line)
            yield line.decode("utf-8", errors="replace")

    reader = csv.reader(lines(), strict=True)
    keep, records, cursor = 0, 0, None
    try:
        header = next(reader, None)
        if header is None:
            return 0, 0, None
        if header != columns:
            raise ExportFailed(
                f"{path} has columns {','.join(header)}; this export writes {','.join(columns)}"
                " (use the same --fields)"
            )
        keep = consumed
        for row in reader:
            handle.seek(consumed - 2)
            complete = handle.read(2) == b"\r\n"
            handle.seek(consumed)
            if not complete or len(row) != len(columns) or not row[-1]:
                break
            keep, records, cursor = consumed, records + 1, row[-1]
    except csv.Error:
        pass  # a quoted field cut short at the end of the file
    return keep, records, cursor


def _resolve_entities(engine: Engine, values: Sequence[str]) -> tuple[list[str], list[str]]:
    from sqlmodel import Session

    from app.entities import service as entity_service

    if not values:
        return [], []
    with Session(engine) as session:
        return entity_service.resolve_for_search(session, values)


def _open_output(path: Path, *, append_at: int | None, compress: bool) -> BinaryIO:
    if compress:
        return gzip.open(path, "wb")  # type: ignore[return-value]
    if append_at is None:
        return path.open("wb")
    handle = path.open("r+b")
    handle.truncate(append_at)
    handle.seek(append_at)
    return handle


async def _write(
    backend: SearchBackend,
    export_plan: ExportPlan,
    writer: RecordWriter,
    output: BinaryIO,
    *,
    with_header: bool,
    advance: Any,
) -> str | None:
    """Write every page; return None when complete, else the reason it stopped."""
    from app.search import export

    if with_header:
        output.write(writer.header())
    async for page in export.pages(backend, export_plan):
        if isinstance(page, export.Interrupted):
            return page.error.detail
        output.write(writer.records(page))
        output.flush()
        advance(len(page))
    return None


def export_articles(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="File to write (.ndjson/.jsonl or .csv; a .gz suffix compresses it).",
            dir_okay=False,
        ),
    ],
    q: Annotated[str | None, typer.Option("--q", "-q", help="Keywords, as in /search.")] = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Published on or after (date, or datetime with offset)."),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Published on or before (a date: all that day).")
    ] = None,
    entity: Annotated[list[str] | None, typer.Option(help="Every one must match.")] = None,
    any_entity: Annotated[list[str] | None, typer.Option(help="At least one must match.")] = None,
    entity_type: Annotated[list[str] | None, typer.Option(help="person, place, ...")] = None,
    include_places_within: Annotated[bool, typer.Option()] = False,
    source: Annotated[list[str] | None, typer.Option()] = None,
    section: Annotated[list[str] | None, typer.Option()] = None,
    language: Annotated[list[str] | None, typer.Option()] = None,
    tag: Annotated[list[str] | None, typer.Option()] = None,
    published_at_source: Annotated[
        list[str] | None, typer.Option(help="client, feed, html_meta, url or text; any of them.")
    ] = None,
    include_duplicates: Annotated[bool, typer.Option()] = False,
    sort: Annotated[Sort, typer.Option(help="newest or oldest first.")] = Sort.newest,
    fields: Annotated[
        str | None, typer.Option(help="Comma-separated fields to export (default all).")
    ] = None,
    export_format: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="ndjson or csv (default: from the file name)."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            help="Continue an interrupted export into the same file, after its last complete "
            "article (same query and --fields)."
        ),
    ] = False,
    after: Annotated[
        str | None, typer.Option(help="Start after this `_cursor` (from an earlier export).")
    ] = None,
) -> None:
    """Export every article matching the query (the /search/export parameters) to a file."""
    from pydantic import ValidationError

    from app.search.cli import _console
    from app.search.research_schemas import ExportParams

    console = _console()
    chosen_format = _format_for(output, export_format)
    compress = output.suffix.lower() == ".gz"
    given: dict[str, Any] = {
        "q": q,
        "from": from_,
        "to": to,
        "entity": entity,
        "any_entity": any_entity,
        "entity_type": entity_type,
        "include_places_within": include_places_within,
        "source": source,
        "section": section,
        "language": language,
        "tag": tag,
        "published_at_source": published_at_source,
        "include_duplicates": include_duplicates,
        "sort": sort.value,
        "fields": fields,
        "format": chosen_format.value,
        "after": after,
    }
    try:
        params = ExportParams.model_validate(
            {key: value for key, value in given.items() if value not in (None, [], False)}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "options"
        console.print(f"[red]--{where.replace('_', '-')}: {first['msg']}")
        raise typer.Exit(2) from exc
    if resume and compress:
        console.print("[red]--resume needs an uncompressed file (.ndjson or .csv)")
        raise typer.Exit(2)
    if resume and after:
        console.print("[red]--resume takes its position from the file; leave out --after")
        raise typer.Exit(2)
    try:
        _run(params, output, console, resume=resume and output.exists(), compress=compress)
    except ExportFailed as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from exc


def _run(
    params: ExportParams, output: Path, console: Console, *, resume: bool, compress: bool
) -> None:
    from functools import partial

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from app.errors import ApiError, InvalidParameter
    from app.ingestion.terminal import RateColumn
    from app.search import export
    from app.search.cli import _backend
    from app.search.export_formats import RecordWriter

    with _backend(worker=False) as (_settings, backend):
        resolver = partial(_resolve_entities, backend.sync.engine)
        try:
            export_plan = export.plan(
                index_uid=backend.index_uid,
                params=params,
                where="options",
                resolve_entities=resolver,
            )
        except InvalidParameter as exc:
            [error] = exc.errors
            raise ExportFailed(f"--{str(error.loc[-1]).replace('_', '-')}: {error.msg}") from exc
        except ApiError as exc:
            raise ExportFailed(exc.detail) from exc
        writer = RecordWriter(params.format, export_plan.fields)
        kept_bytes, kept = None, 0
        if resume:
            kept_bytes, kept, cursor = resume_position(output, params.format, writer.columns)
            if cursor is not None:
                export_plan = export.plan(
                    index_uid=backend.index_uid,
                    params=params.model_copy(update={"after": cursor}),
                    where="options",
                    resolve_entities=resolver,
                )
        columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
        with (
            _open_output(output, append_at=kept_bytes, compress=compress) as handle,
            Progress(*columns, RateColumn(), TimeRemainingColumn(), console=console) as bar,
        ):
            job = bar.add_task("exporting", total=None, completed=kept)

            async def write_all() -> str | None:
                try:
                    await export.start(backend, export_plan)
                except ApiError as exc:
                    return exc.detail
                bar.update(job, total=export_plan.total)
                return await _write(
                    backend,
                    export_plan,
                    writer,
                    handle,
                    with_header=not kept_bytes,
                    advance=lambda n: bar.update(job, advance=n),
                )

            try:
                stopped = asyncio.run(write_all())
            except KeyboardInterrupt:
                stopped = "interrupted"
            done = int(bar.tasks[0].completed)
    if stopped is not None:
        then = (
            "run the same command with --resume to continue"
            if not compress
            else "a compressed file can't be resumed"
        )
        raise ExportFailed(f"Stopped after {done:,} articles in {output} ({stopped}); {then}.")
    console.print(f"exported {done:,} articles to {output}")
