"""Search parameters to a Meilisearch ``filter`` expression: the one place user values
are put into filter syntax, so the one place they are escaped.

Escaping (Meilisearch's filter-parser, crates/filter-parser/src/value.rs): inside a
double-quoted value a backslash makes the parser skip the next character when looking
for the closing quote; the value is then unescaped twice, first ``\\"`` to ``"``, then
Rust-style backslash escapes (``\\\\`` to ``\\``; a stray ``\\n`` would become a
newline). Doubling every backslash and then escaping every double quote survives both
passes for any string. Everything else (quotes of the other kind, ``OR``, ``=``, brackets,
parentheses, commas, newlines, any Unicode) needs no escaping inside double quotes.

Matching is exact up to Meilisearch's own facet normalisation: values are trimmed,
NFKD-normalised and lowercased on both sides, so ``"BBC"`` also matches ``"bbc "``.

Keyset cursors: newest-first walks sort ``published_at:desc, id:desc``; Meilisearch
puts documents whose sort field is null after all others in either direction, so the
walk covers every dated article in date order, then the undated ones by id. The cursor
predicate below follows that same order, so walking is gap- and repeat-free at any
depth (unlike offset paging, which ``maxTotalHits`` caps). A strict order also needs
the ``words`` ranking rule to be constant, i.e. ``matchingStrategy: "all"`` when a query
is given. Documents must always carry ``published_at`` and ``duplicate_of`` (null when
unknown), as app/search/documents.py does: ``IS NULL`` does not match a missing key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Order(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"


@dataclass(frozen=True)
class Cursor:
    """Position after the last hit of a page: its ``published_at`` and ``id``."""

    published_at: int | None
    id: int


@dataclass(frozen=True)
class SearchFilters:
    """Filterable search parameters; empty lists and ``None`` mean "no constraint"."""

    published_from: datetime | None = None
    published_to: datetime | None = None
    all_entities: Sequence[str] = ()
    any_entities: Sequence[str] = ()
    entity_types: Sequence[str] = ()
    sources: Sequence[str] = ()
    sections: Sequence[str] = ()
    languages: Sequence[str] = ()
    tags: Sequence[str] = ()
    published_at_sources: Sequence[str] = ()
    include_duplicates: bool = False
    #: A place entity also matches articles that mention places inside it (its cities).
    include_places_within: bool = False


def quote(value: str) -> str:
    """``value`` as a double-quoted filter literal that always means exactly ``value``."""
    if not isinstance(value, str):
        raise TypeError(f"filter values must be str, got {type(value).__name__}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _int(value: int) -> str:
    # bool is an int subclass; a True slipping in as a timestamp is a bug upstream.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected int, got {type(value).__name__}")
    return str(value)


def timestamp(moment: datetime) -> int:
    """Unix seconds, as stored in ``published_at``; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware: {moment.isoformat()}")
    return math.floor(moment.timestamp())


def _in(attribute: str, values: Sequence[str]) -> str:
    return f"{attribute} IN [{', '.join(quote(v) for v in values)}]"


def _distinct(attribute: str, values: Sequence[str]) -> list[str]:
    if isinstance(values, str):
        # A bare string would be iterated character by character.
        raise TypeError(f"{attribute}: expected a sequence of strings, got a single str")
    if any(isinstance(v, str) and not v.strip() for v in values):
        # Meilisearch trims facet values and does not index empty ones: such a filter
        # could never match, which callers should hear about rather than get [] hits.
        raise ValueError(f"{attribute}: blank filter value")
    return list(dict.fromkeys(values))


def keyset_sort(order: Order) -> list[str]:
    """The ``sort`` a keyset walk uses; :func:`cursor_clause` assumes exactly this."""
    direction = "desc" if order is Order.NEWEST else "asc"
    return [f"published_at:{direction}", f"id:{direction}"]


def cursor_clause(cursor: Cursor, order: Order) -> str:
    """Everything strictly after ``cursor`` in the :func:`keyset_sort` order."""
    after = "<" if order is Order.NEWEST else ">"
    last_id = _int(cursor.id)
    if cursor.published_at is None:
        # Undated articles come last in either order; only they can still follow.
        return f"(published_at IS NULL AND id {after} {last_id})"
    at = _int(cursor.published_at)
    return (
        f"(published_at {after} {at} OR (published_at = {at} AND id {after} {last_id})"
        " OR published_at IS NULL)"
    )


def filter_clauses(
    filters: SearchFilters,
    *,
    cursor: Cursor | None = None,
    order: Order = Order.NEWEST,
) -> list[str]:
    """Clauses that must all hold; each is self-contained (parenthesised if needed)."""
    clauses: list[str] = []
    start = timestamp(filters.published_from) if filters.published_from else None
    end = timestamp(filters.published_to) if filters.published_to else None
    if start is not None and end is not None and start > end:
        raise ValueError("published_from is after published_to")
    if start is not None:
        clauses.append(f"published_at >= {start}")
    if end is not None:
        clauses.append(f"published_at <= {end}")

    all_entities = _distinct("all_entities", filters.all_entities)
    for slug in all_entities:
        if filters.include_places_within:
            clauses.append(f"(entity_slugs = {quote(slug)} OR entity_within = {quote(slug)})")
        else:
            clauses.append(f"entity_slugs = {quote(slug)}")
    any_entities = _distinct("any_entities", filters.any_entities)
    if any_entities and filters.include_places_within:
        clauses.append(
            f"({_in('entity_slugs', any_entities)} OR {_in('entity_within', any_entities)})"
        )
    elif any_entities:
        clauses.append(_in("entity_slugs", any_entities))
    for name, attribute, values in (
        ("entity_types", "entity_types", filters.entity_types),
        ("sources", "source", filters.sources),
        ("sections", "section", filters.sections),
        ("languages", "language", filters.languages),
        ("tags", "tags", filters.tags),
        ("published_at_sources", "published_at_source", filters.published_at_sources),
    ):
        if distinct := _distinct(name, values):
            clauses.append(_in(attribute, distinct))

    if not filters.include_duplicates:
        clauses.append("duplicate_of IS NULL")
    if cursor is not None:
        clauses.append(cursor_clause(cursor, order))
    return clauses


def filter_expression(
    filters: SearchFilters,
    *,
    cursor: Cursor | None = None,
    order: Order = Order.NEWEST,
) -> str | None:
    """The clauses joined with AND, as a Meilisearch ``filter`` string (None if empty)."""
    clauses = filter_clauses(filters, cursor=cursor, order=order)
    return " AND ".join(clauses) if clauses else None
