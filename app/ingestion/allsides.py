"""AllSides articles (the Article-Bias-Prediction JSON files), one JSON object per file.

Rules:

* date: `YYYY-MM-DD` read as midnight UTC; empty, unreadable or placeholder dates (a
  year before `MIN_YEAR`, e.g. "0001-11-30") are None, never replaced by a guess.
* authors: the comma-separated string split into names; job titles and desk names
  ("Cnn Contributor", "Sun-Times Staff") are dropped, suffixes such as "Jr." stay
  attached to the preceding name.
* body: `content_original` with whole lines of page furniture removed (copyright and
  reprint notices, share bars, "ADVERTISEMENT", "7 years ago" stamps); each removed line
  is listed in `removed`.
* topic: kept as a tag, as the dataset spells it ("white_house").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from app.articles.schemas import DateSource
from app.ingestion.parsed import ParsedArticle, ParseError

MIN_YEAR = 1900

_ROLE = re.compile(
    r"\b(?:contributor|reporter|correspondent|staff|writer|editor(?:-at-large)?|spokes\w*"
    r"|editorial board|covering|breaking news)\b",
    re.IGNORECASE,
)
_SUFFIX = re.compile(r"^(?:jr|sr|ii|iii|iv|phd|md)\.?$", re.IGNORECASE)
_BOILERPLATE = re.compile(
    r"^(?:(?:©\s*|copyright\s+)+(?:\d{4}|by)\b.*|.*click here for reprint permission\.?"
    r"|share this article\b.*|advertisement|advertisements|photo|video"
    r"|\d+ (?:years?|months?|weeks?|days?|hours?|minutes?) ago"
    r"|read or share this story:.*|follow @\w+|get breaking news alerts\b.*)$",
    re.IGNORECASE,
)


def iter_allsides(directory: Path) -> Iterator[ParsedArticle]:
    """Every usable article of `*.json` in `directory`, files in name order."""
    for path in sorted(directory.glob("*.json")):
        try:
            yield parse_allsides_file(path)
        except ParseError:
            continue


def parse_allsides_file(path: Path) -> ParsedArticle:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ParseError(f"{path.name} is not readable JSON: {error}") from error
    if not isinstance(data, dict):
        raise ParseError(f"{path.name} does not hold a JSON object")
    return parse_allsides(data)


def parse_allsides(data: Mapping[str, Any]) -> ParsedArticle:
    title = " ".join(_text(data, "title").split())
    if not title:
        raise ParseError("the article has no title")
    body, removed = _clean_body(_text(data, "content_original"))
    if not body:
        raise ParseError("the article has no content_original text")
    article_id = _text(data, "ID").strip()
    topic = _text(data, "topic").strip()
    published_at = parse_allsides_date(_text(data, "date"))
    return ParsedArticle(
        title=title,
        body=body,
        url=_text(data, "url").strip() or None,
        external_id=f"allsides:{article_id}" if article_id else None,
        authors=parse_authors(_text(data, "authors")),
        source=_text(data, "source").strip() or None,
        language="en",
        tags=[topic] if topic else [],
        published_at=published_at,
        published_at_source=DateSource.feed if published_at is not None else None,
        removed=removed,
        extra={key: data[key] for key in ("ID", "topic", "source_url", "bias_text") if key in data},
    )


def parse_allsides_date(raw: str) -> datetime | None:
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    if day.year < MIN_YEAR:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_authors(raw: str) -> list[str]:
    names: list[str] = []
    for part in raw.split(","):
        name = " ".join(part.split())
        if not name:
            continue
        if _SUFFIX.match(name) and names:
            names[-1] = f"{names[-1]} {name}"
        elif not _ROLE.search(name) and name not in names:
            names.append(name)
    return names


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _clean_body(text: str) -> tuple[str, list[str]]:
    paragraphs: list[str] = []
    removed: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        if _BOILERPLATE.match(line):
            removed.append(line)
        else:
            paragraphs.append(line)
    return "\n\n".join(paragraphs), removed
