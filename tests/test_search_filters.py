from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from meilisearch.index import Index

from app.search.client import SearchClient, build_client, wait_for_success
from app.search.filters import (
    Cursor,
    Order,
    SearchFilters,
    cursor_clause,
    filter_clauses,
    filter_expression,
    keyset_sort,
    quote,
    timestamp,
)
from app.search.index_settings import ensure_index
from tests.meili_plugin import MeiliServer

# ---------------------------------------------------------------- expression builder


def test_quote_escapes_backslashes_then_quotes() -> None:
    assert quote("plain") == '"plain"'
    assert quote('say "hi"') == r'"say \"hi\""'
    assert quote("a\\b") == r'"a\\b"'
    assert quote("end\\") == r'"end\\"'
    assert quote('\\"') == r'"\\\""'
    assert quote("it's (OR) [x]") == '"it\'s (OR) [x]"'


def test_quote_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        quote(1)  # type: ignore[arg-type]


def test_no_parameters_hide_duplicates_only() -> None:
    assert filter_clauses(SearchFilters()) == ["duplicate_of IS NULL"]
    assert filter_expression(SearchFilters(include_duplicates=True)) is None


def test_full_expression() -> None:
    filters = SearchFilters(
        published_from=datetime(2024, 1, 1, tzinfo=UTC),
        published_to=datetime(2024, 1, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        all_entities=["org-un", "place-fr"],
        any_entities=["person-a", "person-b"],
        entity_types=["person"],
        sources=["bbc"],
        sections=["world"],
        languages=["en"],
        tags=["Politics"],
    )
    assert filter_clauses(filters) == [
        "published_at >= 1704067200",
        "published_at <= 1706745599",
        'entity_slugs = "org-un"',
        'entity_slugs = "place-fr"',
        'entity_slugs IN ["person-a", "person-b"]',
        'entity_types IN ["person"]',
        'source IN ["bbc"]',
        'section IN ["world"]',
        'language IN ["en"]',
        'tags IN ["Politics"]',
        "duplicate_of IS NULL",
    ]
    assert filter_expression(filters) == " AND ".join(filter_clauses(filters))


def test_dates_are_converted_in_their_own_zone() -> None:
    paris_noon = datetime(2024, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert timestamp(paris_noon) == timestamp(datetime(2024, 6, 1, 10, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        timestamp(datetime(2024, 6, 1))


def test_inverted_date_range_is_refused() -> None:
    with pytest.raises(ValueError, match="after"):
        filter_clauses(
            SearchFilters(
                published_from=datetime(2024, 2, 1, tzinfo=UTC),
                published_to=datetime(2024, 1, 1, tzinfo=UTC),
            )
        )


def test_lists_are_deduplicated_and_a_bare_string_is_refused() -> None:
    filters = SearchFilters(sources=["a", "b", "a"], include_duplicates=True)
    assert filter_clauses(filters) == ['source IN ["a", "b"]']
    with pytest.raises(TypeError):
        filter_clauses(SearchFilters(tags="politics"))


def test_blank_values_are_refused() -> None:
    # Meilisearch does not index empty strings as facet values ("" and "  " normalise
    # to nothing), so such a filter could only ever match nothing; say so instead.
    for blank in ["", "  "]:
        with pytest.raises(ValueError, match="blank"):
            filter_clauses(SearchFilters(sources=["bbc", blank]))


def test_cursor_clauses() -> None:
    assert keyset_sort(Order.NEWEST) == ["published_at:desc", "id:desc"]
    assert keyset_sort(Order.OLDEST) == ["published_at:asc", "id:asc"]
    assert cursor_clause(Cursor(100, 7), Order.NEWEST) == (
        "(published_at < 100 OR (published_at = 100 AND id < 7) OR published_at IS NULL)"
    )
    assert cursor_clause(Cursor(100, 7), Order.OLDEST) == (
        "(published_at > 100 OR (published_at = 100 AND id > 7) OR published_at IS NULL)"
    )
    assert cursor_clause(Cursor(None, 7), Order.NEWEST) == "(published_at IS NULL AND id < 7)"
    with pytest.raises(TypeError):
        cursor_clause(Cursor(True, 7), Order.NEWEST)


# ------------------------------------------------------------- against a real index

# Distinct even after Meilisearch's facet normalisation (trim, NFKD, lowercase).
AWKWARD = [
    'say "hi"',
    "it's",
    "back\\slash",
    "trailing\\",
    '\\"',
    "\\n not a newline",
    "real\nnewline",
    "OR",
    "a OR b",
    "x = y",
    "x != y",
    "[bracket]",
    "(paren)",
    "1 TO 5",
    "a, b",
    "NULL",
    "Zürich",
    "東京",
    "crab 🦀",
]
PLAIN_ID = 1000  # a document with ordinary values: an injection that widens finds it

INJECTIONS = [
    'x" OR source != "y',
    'x") OR (id > 0',
    'x" OR id EXISTS OR "',
    "x' OR id > 0 OR source = 'y",
    'x\\" OR id > 0 OR source = "',
    'x\\\\" OR id > 0 OR source = "',
    '"] OR id > 0 OR source IN ["',
    'x" OR duplicate_of IS NOT NULL OR "',
    "\\",
]


def _awkward_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = [
        {
            "id": i,
            "title": f"doc {i}",
            "source": value,
            "tags": [value, "common"],
            "entity_slugs": [value, "common-entity"],
            "published_at": 1_700_000_000 + i,
            "duplicate_of": None,
        }
        for i, value in enumerate(AWKWARD)
    ]
    docs.append(
        {
            "id": PLAIN_ID,
            "title": "plain",
            "source": "y",
            "tags": ["x", "y"],
            "entity_slugs": ["x"],
            "published_at": 1_700_000_000,
            "duplicate_of": None,
        }
    )
    return docs


@pytest.fixture(scope="module")
def awkward_index(meili_server: MeiliServer) -> Iterator[Index]:
    """One read-only index shared by this module's many parametrised cases."""
    uid = f"test_{uuid.uuid4().hex}"
    with build_client(meili_server.url, meili_server.master_key, timeout=10.0) as client:
        ensure_index(client, uid)
        index = client.index(uid)
        wait_for_success(client, index.add_documents(_awkward_docs()).task_uid)
        yield index
        wait_for_success(client, client.delete_index(uid).task_uid)


def _only(field: str, values: list[str]) -> SearchFilters:
    kwargs: dict[str, Any] = {field: values}
    return SearchFilters(**kwargs)


def _ids(index: Index, filter_: str | list[str] | None, **params: Any) -> list[int]:
    result = index.search("", {"filter": filter_, "limit": 1000, **params})
    return sorted(hit["id"] for hit in result["hits"])


@pytest.mark.parametrize("value", AWKWARD)
@pytest.mark.parametrize("field", ["sources", "tags", "all_entities", "any_entities"])
def test_each_awkward_value_matches_exactly_its_document(
    awkward_index: Index, field: str, value: str
) -> None:
    expression = filter_expression(_only(field, [value]))
    assert _ids(awkward_index, expression) == [AWKWARD.index(value)]


def test_value_list_with_awkward_members(awkward_index: Index) -> None:
    picked = ["a, b", 'say "hi"', "trailing\\", "[bracket]"]
    expression = filter_expression(SearchFilters(sources=picked))
    assert _ids(awkward_index, expression) == sorted(AWKWARD.index(v) for v in picked)


@pytest.mark.parametrize("attack", INJECTIONS)
@pytest.mark.parametrize("field", ["sources", "tags", "all_entities", "any_entities"])
def test_injection_attempts_match_nothing(awkward_index: Index, field: str, attack: str) -> None:
    expression = filter_expression(_only(field, [attack]))
    assert _ids(awkward_index, expression) == []
    # Next to a legitimate value, the attack still adds nothing.
    widened = filter_expression(_only(field, ["OR", attack]))
    expected = [AWKWARD.index("OR")] if field != "all_entities" else []
    assert _ids(awkward_index, widened) == expected


def test_naive_quoting_would_be_injectable(awkward_index: Index) -> None:
    """Control: the attacks above are real, so 'matches nothing' above means something."""
    naive = 'source = "{}"'.format('x" OR source != "y')
    assert _ids(awkward_index, naive) == list(range(len(AWKWARD)))  # all but source "y"


# ---------------------------------------------------------------- dates, duplicates

DAY = 86_400
T0 = 1_704_067_200  # 2024-01-01T00:00:00Z


def _load(client: SearchClient, uid: str, docs: list[dict[str, Any]]) -> Index:
    ensure_index(client, uid)
    index = client.index(uid)
    base = {"title": "t", "duplicate_of": None, "published_at": None}
    wait_for_success(client, index.add_documents([{**base, **d} for d in docs]).task_uid)
    return index


def test_date_bounds_are_inclusive_and_duplicates_hidden(
    meili_client: SearchClient, meili_index_uid: str
) -> None:
    index = _load(
        meili_client,
        meili_index_uid,
        [
            {"id": 1, "published_at": T0 - 1},
            {"id": 2, "published_at": T0},
            {"id": 3, "published_at": T0 + DAY},
            {"id": 4, "published_at": T0 + DAY + 1},
            {"id": 5, "published_at": T0 + 10, "duplicate_of": 2},
            {"id": 6},
        ],
    )
    jan_1 = datetime(2024, 1, 1, tzinfo=UTC)
    window = SearchFilters(published_from=jan_1, published_to=jan_1 + timedelta(days=1))
    assert _ids(index, filter_expression(window)) == [2, 3]
    with_duplicates = SearchFilters(
        published_from=jan_1, published_to=jan_1 + timedelta(days=1), include_duplicates=True
    )
    assert _ids(index, filter_expression(with_duplicates)) == [2, 3, 5]
    assert _ids(index, filter_expression(SearchFilters())) == [1, 2, 3, 4, 6]


# ---------------------------------------------------------------------- keyset walk

WALK_DOCS = [
    {"id": 1, "published_at": T0 + 30},
    {"id": 2, "published_at": T0 + 10},
    {"id": 3, "published_at": T0 + 20},
    {"id": 4, "published_at": T0 + 20},  # same second as 3: id breaks the tie
    {"id": 5},
    {"id": 6, "published_at": T0 + 20},
    {"id": 7, "published_at": T0 + 40, "duplicate_of": 1},
    {"id": 8},
    {"id": 9, "published_at": T0 + 5},
]


def _walk(index: Index, order: Order, page_size: int) -> list[int]:
    seen: list[int] = []
    cursor: Cursor | None = None
    for _ in range(len(WALK_DOCS) + 2):
        result = index.search(
            "",
            {
                "filter": filter_expression(SearchFilters(), cursor=cursor, order=order),
                "sort": keyset_sort(order),
                "limit": page_size,
            },
        )
        hits = result["hits"]
        if not hits:
            return seen
        seen.extend(hit["id"] for hit in hits)
        cursor = Cursor(hits[-1]["published_at"], hits[-1]["id"])
    raise AssertionError(f"walk did not end: {seen}")


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_keyset_walk_visits_everything_once_in_order_with_undated_last(
    meili_client: SearchClient, meili_index_uid: str, page_size: int
) -> None:
    index = _load(meili_client, meili_index_uid, WALK_DOCS)
    assert _walk(index, Order.NEWEST, page_size) == [1, 6, 4, 3, 2, 9, 8, 5]
    assert _walk(index, Order.OLDEST, page_size) == [9, 2, 3, 4, 6, 1, 5, 8]
