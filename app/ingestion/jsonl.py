"""JSON Lines uploads: one article object per line, in our article API's field names.

A bad line does not stop the file: each line yields its number and either the article or
the `ParseError` saying what is wrong, so an importer can report every broken line.
Field rules are shared with CSV uploads (`article_from_fields`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from app.articles.schemas import DateSource
from app.ingestion.parsed import EntityHint, ParsedArticle, ParseError


def parse_jsonl(lines: Iterable[str]) -> Iterator[tuple[int, ParsedArticle | ParseError]]:
    """(line number from 1, article or error) for every non-blank line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, ParseError(f"line {number} is not JSON: {error.msg}")
            continue
        if not isinstance(data, dict):
            yield number, ParseError(f"line {number} is not a JSON object")
            continue
        try:
            yield number, article_from_fields(data)
        except ParseError as error:
            yield number, ParseError(f"line {number}: {error}")


def article_from_fields(data: Mapping[str, Any]) -> ParsedArticle:
    """An article from API-named fields; lists may also come as "a; b" or "a, b" strings."""
    title = " ".join(_text(data, "title").split())
    body = _text(data, "body").strip()
    published_at = parse_published_at(_text(data, "published_at"))
    if not title:
        raise ParseError("title is missing or blank")
    if not body:
        raise ParseError("body is missing or blank")
    return ParsedArticle(
        title=title,
        body=body,
        summary=_optional(data, "summary"),
        url=_optional(data, "url"),
        external_id=_optional(data, "external_id"),
        source=_optional(data, "source"),
        section=_optional(data, "section"),
        # Files may say "EN"; the API takes the lower-case code only.
        language=(_optional(data, "language") or "").lower() or None,
        image_caption=_optional(data, "image_caption"),
        credit=_optional(data, "credit"),
        authors=_list(data.get("authors"), separator=";"),
        tags=_list(data.get("tags"), separator=","),
        related_titles=_list(data.get("related_titles"), separator=";"),
        published_at=published_at,
        published_at_source=_date_source(data, published_at),
        modified_at=parse_published_at(_text(data, "modified_at"), name="modified_at"),
        entities=_entities(data.get("entities")),
    )


def _date_source(data: Mapping[str, Any], published_at: datetime | None) -> DateSource | None:
    """The record's own published_at_source, else `client`: the file is the client's word."""
    stated = _optional(data, "published_at_source")
    if stated is None:
        return DateSource.client if published_at is not None else None
    if published_at is None:
        raise ParseError("published_at_source is given without a published_at")
    try:
        return DateSource(stated)
    except ValueError:
        known = ", ".join(source.value for source in DateSource)
        raise ParseError(f"published_at_source {stated!r} is not one of {known}") from None


def parse_published_at(raw: str, *, name: str = "published_at") -> datetime | None:
    """ISO 8601; a value without a UTC offset keeps only its day, since the zone is unknown."""
    if not raw.strip():
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError as error:
        raise ParseError(f"{name} {raw!r} is not an ISO 8601 date") from error
    if parsed.tzinfo is None:
        return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
    return parsed.astimezone(UTC)


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParseError(f"{key} must be a string")
    return value


def _optional(data: Mapping[str, Any], key: str) -> str | None:
    return _text(data, key).strip() or None


def _list(value: Any, *, separator: str) -> list[str]:
    if value is None:
        return []
    items = value.split(separator) if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ParseError("list fields must be a list of strings or a separated string")
    return [" ".join(item.split()) for item in items if item.strip()]


def _entities(value: Any) -> list[EntityHint]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError("entities must be a list of {name, type} objects")
    hints: list[EntityHint] = []
    for item in value:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("type"), str)
            and item["name"].strip()
        ):
            raise ParseError("entities must be a list of {name, type} objects")
        hints.append(EntityHint(name=item["name"].strip(), type=item["type"].strip()))
    return hints
