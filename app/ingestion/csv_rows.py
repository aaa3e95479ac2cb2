"""CSV uploads: a header row naming our article API's fields, then one article per row.

List columns hold separated strings ("Ann Lee; Bo Chan" for authors, "a, b" for tags);
`entities` is not a CSV column. Rows behave like JSON Lines: each yields its line number
and the article or the error, so one bad row does not hide the others.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from app.ingestion.jsonl import article_from_fields
from app.ingestion.parsed import ParsedArticle, ParseError

REQUIRED_COLUMNS = frozenset({"title", "body"})


def parse_csv_rows(lines: Iterable[str]) -> Iterator[tuple[int, ParsedArticle | ParseError]]:
    """(line number of the row's start, article or error); a bad header is one error at line 1."""
    reader = csv.DictReader(iter(lines))
    columns = {name.strip() for name in reader.fieldnames or []}
    missing = REQUIRED_COLUMNS - columns
    if missing:
        yield 1, ParseError(f"the header lacks column(s): {', '.join(sorted(missing))}")
        return
    line = reader.line_num + 1
    try:
        for row in reader:
            fields = {
                key.strip(): value
                for key, value in row.items()
                if key is not None and key.strip() != "entities"
            }
            try:
                yield line, article_from_fields(fields)
            except ParseError as error:
                yield line, ParseError(f"line {line}: {error}")
            line = reader.line_num + 1
    except csv.Error as error:
        yield line, ParseError(f"line {line} is not valid CSV: {error}")
