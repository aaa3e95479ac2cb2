"""Export records as NDJSON or CSV bytes, optionally gzipped. Pure: no I/O.

A record is a search hit (public field names) plus `_cursor`, the position to pass back as
`after` to continue an export after that record.

CSV follows RFC 4180: a header row, CRLF line ends, fields holding a comma, a quote, CR or
LF in double quotes with quotes doubled; UTF-8 without a byte-order mark. A list field
(authors, tags, related_titles, entities) is its values joined by `|`; a `|` or `\\` inside
a value is written `\\|` or `\\\\`, so splitting on unescaped `|` gives the values back.
`entities` lists entity slugs (NDJSON keeps slug, name and type). null is an empty field.
"""

import csv
import enum
import io
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

CURSOR_FIELD = "_cursor"
LIST_SEPARATOR = "|"


class ExportFormat(enum.StrEnum):
    ndjson = "ndjson"
    csv = "csv"


MEDIA_TYPES = {
    ExportFormat.ndjson: "application/x-ndjson",
    ExportFormat.csv: "text/csv; charset=utf-8; header=present",
}


def _escape_list_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(LIST_SEPARATOR, "\\" + LIST_SEPARATOR)


def csv_cell(value: Any) -> str:
    """One field's CSV text."""
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(
            _escape_list_value(item["slug"] if isinstance(item, dict) else str(item))
            for item in value
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def split_list_cell(cell: str) -> list[str]:
    """The values of a CSV list field (the inverse of the joining in `csv_cell`)."""
    if not cell:
        return []
    values: list[str] = []
    current: list[str] = []
    escaped = False
    for char in cell:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == LIST_SEPARATOR:
            values.append("".join(current))
            current = []
        else:
            current.append(char)
    values.append("".join(current))
    return values


class RecordWriter:
    """Turns batches of records into bytes of one format; `header()` first, for CSV."""

    def __init__(self, export_format: ExportFormat, fields: Sequence[str]) -> None:
        self.format = export_format
        self.columns = [*fields, CURSOR_FIELD]
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\r\n")

    def header(self) -> bytes:
        if self.format is not ExportFormat.csv:
            return b""
        return self._csv_rows([self.columns])

    def records(self, records: Iterable[dict[str, Any]]) -> bytes:
        if self.format is ExportFormat.ndjson:
            return b"".join(orjson.dumps(record) + b"\n" for record in records)
        return self._csv_rows(
            [csv_cell(record.get(column)) for column in self.columns] for record in records
        )

    def _csv_rows(self, rows: Iterable[Sequence[str]]) -> bytes:
        self._csv.writerows(rows)
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode()


class Gzip:
    """A gzip stream written a chunk at a time; each chunk is flushed so the client can read
    every complete record it has received (an interrupted download keeps what arrived)."""

    def __init__(self, level: int = 6) -> None:
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, 31)

    def chunk(self, data: bytes) -> bytes:
        return self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)

    def end(self) -> bytes:
        return self._compressor.flush(zlib.Z_FINISH)
