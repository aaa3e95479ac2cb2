"""The first half of `newsarchive import`: which files to read, in which format, and their
records (one article's worth of input each, or why there is none), read by the pure parsers
of this package one at a time."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.articles.schemas import ArticleCreate
from app.entities.names import resolve
from app.entities.types import EntityType
from app.ingestion.allsides import parse_allsides_file
from app.ingestion.bbc import parse_bbc_file
from app.ingestion.csv_rows import parse_csv_rows
from app.ingestion.formats import Format as Format
from app.ingestion.html import parse_html
from app.ingestion.jsonl import article_from_fields, parse_jsonl
from app.ingestion.parsed import EntityHint, ParsedArticle, ParseError
from app.ingestion.raw_text import parse_raw_text
from app.ingestion.reuters import parse_reuters_file, to_parsed_article

#: File formats recognised by extension when a file (or a mixed folder) is given.
EXTENSIONS: dict[str, Format] = {
    ".sgm": Format.reuters,
    ".jsonl": Format.jsonl,
    ".ndjson": Format.jsonl,
    ".json": Format.json,
    ".csv": Format.csv,
    ".txt": Format.txt,
    ".html": Format.html,
    ".htm": Format.html,
}
#: Article fields a CSV column may be mapped to with --csv-map.
CSV_FIELDS = frozenset(ArticleCreate.model_fields) | {"entities"}


class ImportSetupError(Exception):
    """The command cannot start: a missing path, an unknown format, contradicting options."""


@dataclass(frozen=True)
class InputFile:
    path: Path
    format: Format
    #: How the file is named in progress, summary and errors.
    label: str


@dataclass(frozen=True)
class Record:
    """One article's worth of input: the parsed article, or why there is none."""

    file: str
    #: Where in the file: "NEWID 17", "line 3"; empty when the file is the record.
    locator: str
    article: ParsedArticle | None = None
    error: str | None = None


# --- finding the files ---------------------------------------------------------------------


def discover(paths: Sequence[Path], fmt: Format = Format.auto) -> list[InputFile]:
    """The files to read, each with its format; directories are expanded in name order."""
    found: list[InputFile] = []
    for path in paths:
        if not path.exists():
            raise ImportSetupError(f"{path} does not exist")
        if path.is_dir():
            found.extend(_directory(path, fmt))
        else:
            found.append(InputFile(path, _file_format(path, fmt), str(path)))
    return found


def _label(root: Path, path: Path) -> str:
    """The path from the folder that was named: "reuters21578/reut2-000.sgm"."""
    return str(Path(root.resolve().name) / path.relative_to(root))


def _directory(root: Path, fmt: Format) -> list[InputFile]:
    def files(pattern: str, as_format: Format) -> list[InputFile]:
        return [
            InputFile(p, as_format, _label(root, p))
            for p in sorted(root.glob(pattern))
            if p.is_file()
        ]

    shape = fmt if fmt is not Format.auto else _directory_shape(root)
    if shape is Format.reuters:
        return files("reut2-*.sgm", Format.reuters) or files("*.sgm", Format.reuters)
    if shape is Format.allsides:
        return files("jsons/*.json", Format.allsides) or files("*.json", Format.allsides)
    if shape is Format.bbc:
        return files("*/*.txt", Format.bbc)
    if fmt is not Format.auto:
        return [f for f in _walk(root) if f.path.suffix.lower() in _suffixes(fmt)]
    # A folder of mixed files: every file whose extension we know, in name order.
    return [
        InputFile(f.path, EXTENSIONS[f.path.suffix.lower()], f.label)
        for f in _walk(root)
        if f.path.suffix.lower() in EXTENSIONS
    ]


def _walk(root: Path) -> list[InputFile]:
    return [
        InputFile(p, Format.auto, _label(root, p))
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]


def _suffixes(fmt: Format) -> set[str]:
    return {suffix for suffix, known in EXTENSIONS.items() if known is fmt}


def _directory_shape(root: Path) -> Format | None:
    """Reuters (reut2-*.sgm), AllSides (JSON objects with content_original) or BBC (section
    folders of .txt files), recognised by what the folder holds."""
    if any(root.glob("*.sgm")):
        return Format.reuters
    sample = next(iter(sorted(root.glob("jsons/*.json")) or sorted(root.glob("*.json"))), None)
    if sample is not None and _is_allsides(sample):
        return Format.allsides
    if any(root.glob("*/*.txt")) and not any(root.glob("*/*/*")):
        return Format.bbc
    return None


def _is_allsides(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and "content_original" in data


def _file_format(path: Path, fmt: Format) -> Format:
    if fmt is not Format.auto:
        return fmt
    known = EXTENSIONS.get(path.suffix.lower())
    if known is None:
        shown = ", ".join(sorted(EXTENSIONS))
        raise ImportSetupError(
            f"{path}: cannot tell the format from the extension (known: {shown}); give --format"
        )
    if known is Format.json and _is_allsides(path):
        return Format.allsides
    return known


# --- reading records -----------------------------------------------------------------------


def count_records(file: InputFile) -> int:
    """A quick count for the progress bar: exact for most formats, an estimate for CSV."""
    if file.format is Format.reuters:
        return file.path.read_text(encoding="latin-1").count("<REUTERS ")
    if file.format is Format.jsonl:
        with file.path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    if file.format is Format.csv:
        with file.path.open("rb") as handle:
            return max(0, sum(1 for line in handle if line.strip()) - 1)
    if file.format is Format.json:
        try:
            data = json.loads(file.path.read_bytes())
        except ValueError:
            return 1
        return len(data) if isinstance(data, list) else 1
    return 1


def read_records(
    file: InputFile, *, url: str | None = None, csv_map: Mapping[str, str] | None = None
) -> Iterator[Record]:
    """The file's records in order; `url` is a single .txt or .html file's, `csv_map` maps
    article fields to CSV columns (--csv-map)."""
    label = file.label
    try:
        if file.format is Format.reuters:
            yield from _reuters(file.path, label)
        elif file.format is Format.allsides:
            yield _whole_file(label, lambda: parse_allsides_file(file.path))
        elif file.format is Format.bbc:
            yield _whole_file(label, lambda: parse_bbc_file(file.path))
        elif file.format is Format.txt:
            yield _whole_file(label, lambda: parse_raw_text(_read_text(file.path)))
        elif file.format is Format.html:
            yield _whole_file(label, lambda: parse_html(_read_text(file.path), url=url))
        elif file.format is Format.jsonl:
            with file.path.open(encoding="utf-8", errors="strict", newline="") as handle:
                yield from _numbered(label, parse_jsonl(_utf8_lines(handle)))
        elif file.format is Format.csv:
            with file.path.open(encoding="utf-8-sig", errors="strict", newline="") as handle:
                yield from _csv(label, handle, csv_map or {})
        elif file.format is Format.json:
            yield from _json(file.path, label)
        else:
            raise ImportSetupError(f"{label}: no reader for format {file.format}")
    except UnicodeDecodeError as error:
        yield Record(label, "", error=f"not valid UTF-8 (byte offset {error.start} of a line)")
    except OSError as error:
        yield Record(label, "", error=f"cannot be read: {error.strerror or error}")


def _reuters(path: Path, label: str) -> Iterator[Record]:
    records, broken = parse_reuters_file(path)
    found: list[tuple[int, Record]] = []
    for item in broken:
        where = f"NEWID {item.newid}" if item.newid is not None else f"record {item.index + 1}"
        found.append((item.newid or 0, Record(label, where, error=item.reason)))
    for record in records:
        article = to_parsed_article(record)
        article.entities = [
            EntityHint(name=_reuters_name(hint["name"], hint["type"]), type=hint["type"])
            for hint in article.entities
        ]
        found.append((record.newid, Record(label, f"NEWID {record.newid}", article=article)))
    # NEWIDs rise through a file: this is the order the records were written in.
    found.sort(key=lambda pair: pair[0])
    yield from (found_record for _newid, found_record in found)


def _reuters_name(code: str, kind: str) -> str:
    """A readable name for an annotator's code: "usa" is the United States, "james-baker"
    James Baker, "nyse" NYSE. The codes stay as tags; the names become client entities."""
    known = resolve(code, EntityType(kind)).name
    if known != code:
        return known
    if kind == EntityType.ORGANIZATION and "-" not in code and len(code) <= 5:
        return code.upper()
    return code.replace("-", " ").title()


def _whole_file(label: str, parse: Callable[[], ParsedArticle]) -> Record:
    try:
        return Record(label, "", article=parse())
    except ParseError as error:
        return Record(label, "", error=str(error))


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = raw[error.start : error.start + 1].hex()
        raise ParseError(f"not valid UTF-8: byte 0x{bad} at byte offset {error.start}") from error


def _utf8_lines(handle: Iterable[str]) -> Iterator[str]:
    for number, line in enumerate(handle, start=1):
        yield line.removeprefix("\ufeff") if number == 1 else line


def _numbered(
    label: str, results: Iterable[tuple[int, ParsedArticle | ParseError]]
) -> Iterator[Record]:
    for line, result in results:
        if isinstance(result, ParseError):
            yield Record(label, f"line {line}", error=str(result))
        else:
            yield Record(label, f"line {line}", article=result)


def _csv(label: str, handle: Iterator[str], mapping: Mapping[str, str]) -> Iterator[Record]:
    if not mapping:
        yield from _numbered(label, parse_csv_rows(handle))
        return
    header = next(handle, "")
    columns = [column.strip() for column in next(csv.reader([header]), [])]
    missing = sorted(set(mapping.values()) - set(columns))
    if missing:
        yield Record(
            label,
            "line 1",
            error=f"--csv-map names column(s) the header lacks: {', '.join(missing)}",
        )
        return
    field_of = {column: name for name, column in mapping.items()}
    # A column already named like a mapped field would shadow the mapping; it is set aside.
    renamed = [
        field_of.get(column, f"_unmapped_{column}" if column in mapping else column)
        for column in columns
    ]
    out = io.StringIO()
    csv.writer(out).writerow(renamed)
    lines = iter([out.getvalue()])
    yield from _numbered(label, parse_csv_rows(_chain(lines, handle)))


def _chain(first: Iterator[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _json(path: Path, label: str) -> Iterator[Record]:
    try:
        data = json.loads(path.read_bytes())
    except UnicodeDecodeError as error:
        yield Record(label, "", error=f"not valid UTF-8: byte offset {error.start}")
        return
    except json.JSONDecodeError as error:
        yield Record(label, "", error=f"not JSON: {error.msg} (line {error.lineno})")
        return
    items = data if isinstance(data, list) else [data]
    for number, item in enumerate(items):
        where = f"item {number}" if isinstance(data, list) else ""
        if not isinstance(item, dict):
            yield Record(label, where, error="not a JSON object")
            continue
        try:
            yield Record(label, where, article=article_from_fields(item))
        except ParseError as error:
            yield Record(label, where, error=str(error))
