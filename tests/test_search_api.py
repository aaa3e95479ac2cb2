"""GET/POST /search against a real Meilisearch: keywords, dates, filters, sorts, facets,
highlights, fields, pagination and bad input."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import sync_index

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

LONG_BODY = " ".join(f"word{n}" for n in range(3000)) + " the closing sentence mentions harbour."

ARTICLES: list[dict[str, Any]] = [
    {
        "title": "Harbour bridge reopens after repairs",
        "body": "The harbour bridge reopened on Friday. Traffic flowed across the bridge again.",
        "source": "Gazette",
        "section": "city",
        "tags": ["transport", "bridges"],
        "published_at": "2024-03-01T08:00:00+00:00",
    },
    {
        "title": "Bridge club wins national title",
        "body": "The card players of the harbour district won the bridge championship.",
        "source": "Herald",
        "section": "sport",
        "tags": ["cards"],
        "published_at": "2024-03-02T12:30:00+00:00",
    },
    {
        "title": "Council votes on new ferry",
        "body": "A ferry across the harbour will replace the old bridge crossing at night.",
        "source": "Gazette",
        "section": "city",
        "tags": ["transport"],
        "published_at": "2024-03-03T23:59:59+00:00",
    },
    {
        "title": "Grain prices fall",
        "body": "Wheat and maize fell on the exchange as harvest forecasts improved.",
        "source": "Wire",
        "section": "business",
        "language": "en",
        "tags": ["commodities"],
        "published_at": "2024-04-10T09:00:00+00:00",
    },
    {
        "title": "Le pont rouvre",
        "body": "Le pont du port a rouvert vendredi.",
        "source": "Gazette",
        "section": "city",
        "language": "fr",
        "tags": ["transport"],
        "published_at": "2024-03-01T09:00:00+00:00",
    },
    {
        "title": "Undated archive note",
        "body": "An old note about the harbour with no known date.",
        "source": "Archive",
        "tags": [],
        "published_at": None,
    },
    {
        "title": "Long read on the waterfront",
        "body": LONG_BODY,
        "source": "Herald",
        "section": "features",
        "tags": ["longread"],
        "published_at": "2024-02-15T10:00:00+00:00",
    },
]


@pytest.fixture
def seeded(search_client: TestClient) -> TestClient:
    for n, article in enumerate(ARTICLES, start=1):
        response = search_client.post("/articles", json={**article, "url": f"https://ex.org/{n}"})
        assert response.status_code == 201
        assert response.json()["id"] == n
    sync_index(search_client)
    return search_client


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/search", params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def hit_ids(result: dict[str, Any]) -> list[int]:
    return [hit["id"] for hit in result["hits"]]


def test_keyword_with_typo(seeded: TestClient) -> None:
    assert sorted(hit_ids(search(seeded, q="ferri"))) == [3]
    assert sorted(hit_ids(search(seeded, q="grian"))) == [4]


def test_exact_phrase(seeded: TestClient) -> None:
    assert hit_ids(search(seeded, q='"harbour bridge"')) == [1]
    # Unquoted, articles with both words rank first and those with one word follow.
    loose = search(seeded, q="harbour bridge")
    assert set(hit_ids(loose)[:3]) == {1, 2, 3}
    assert loose["total"] == 5


def test_excluded_word(seeded: TestClient) -> None:
    assert sorted(hit_ids(search(seeded, q="bridge -ferry"))) == [1, 2]
    assert sorted(hit_ids(search(seeded, q="bridge -club -ferry"))) == [1]


def test_zero_results_is_200(seeded: TestClient) -> None:
    result = search(seeded, q="zeppelin")
    assert (result["total"], result["hits"]) == (0, [])


def test_date_range_edges_are_inclusive(seeded: TestClient) -> None:
    assert sorted(hit_ids(search(seeded, **{"from": "2024-03-01", "to": "2024-03-01"}))) == [1, 5]
    assert hit_ids(search(seeded, **{"from": "2024-03-03", "to": "2024-03-03"})) == [3]
    at_the_second = {"from": "2024-03-02T12:30:00Z", "to": "2024-03-02T14:30:00+02:00"}
    assert hit_ids(search(seeded, **at_the_second)) == [2]
    just_after = {"from": "2024-03-02T12:30:01Z"}
    assert 2 not in hit_ids(search(seeded, **just_after, per_page=100))
    # An offset moves the window: 2024-03-04T01:00+02:00 is 2024-03-03T23:00Z.
    assert hit_ids(search(seeded, to="2024-03-04T01:00:00+02:00", **{"from": "2024-03-03"})) == []


def test_filters(seeded: TestClient) -> None:
    assert sorted(hit_ids(search(seeded, source="Gazette"))) == [1, 3, 5]
    assert sorted(hit_ids(search(seeded, source=["Gazette", "Wire"]))) == [1, 3, 4, 5]
    assert sorted(hit_ids(search(seeded, tag="transport", language="en"))) == [1, 3]
    assert sorted(hit_ids(search(seeded, section="sport"))) == [2]
    assert sorted(hit_ids(search(seeded, language="fr"))) == [5]


def test_sorts(seeded: TestClient) -> None:
    assert hit_ids(search(seeded)) == [4, 3, 2, 5, 1, 7, 6]
    assert hit_ids(search(seeded, sort="oldest")) == [7, 1, 5, 2, 3, 4, 6]
    relevance = search(seeded, q="harbour bridge")
    assert relevance["query"]["sort"] == "relevance"
    assert hit_ids(relevance)[0] == 1
    # Both words first (newest first), then one-word matches, undated last.
    assert hit_ids(search(seeded, q="harbour bridge", sort="newest")) == [3, 2, 1, 7, 6]


def test_pagination_with_exact_totals(seeded: TestClient) -> None:
    first = search(seeded, per_page=3, page=1)
    third = search(seeded, per_page=3, page=3)
    assert (first["total"], first["page"], first["per_page"], hit_ids(first)) == (
        7,
        1,
        3,
        [4, 3, 2],
    )
    assert hit_ids(third) == [6]
    assert first["next"] is None


def test_facets_match_database_counts(seeded: TestClient) -> None:
    result = search(seeded, facets=["source", "section", "language", "month", "tag"])
    facets = result["facets"]
    for source in ("Gazette", "Herald", "Wire", "Archive"):
        listing = seeded.get("/articles", params={"source": source, "count": True}).json()
        assert facets["source"][source] == listing["count"]
    assert facets["section"] == {"city": 3, "sport": 1, "business": 1, "features": 1}
    assert facets["language"] == {"en": 6, "fr": 1}
    assert facets["month"] == {"2024-02": 1, "2024-03": 4, "2024-04": 1}
    assert facets["tag"]["transport"] == 3
    filtered = search(seeded, source="Gazette", facets="section")["facets"]
    assert filtered == {"section": {"city": 3}}


def test_highlights_with_custom_tags_and_match_positions(seeded: TestClient) -> None:
    result = search(
        seeded, q="ferry", highlight=True, highlight_pre_tag="[[", highlight_post_tag="]]"
    )
    [hit] = result["hits"]
    assert hit["_highlights"]["title"] == "Council votes on new [[ferry]]"
    assert "[[ferry]]" in hit["_highlights"]["body"]
    assert hit["_matches_position"]["title"] == [{"start": 21, "length": 5}]


def test_body_snippet_is_cropped_but_full_text_is_returned(seeded: TestClient) -> None:
    [hit] = search(seeded, q='"closing sentence"', highlight=True)["hits"]
    assert hit["body"] == LONG_BODY
    snippet = hit["_highlights"]["body"]
    assert snippet.startswith("…")
    assert snippet.endswith("the <mark>closing sentence</mark> mentions harbour.")
    assert len(snippet.split()) < 60


def test_fields_selection(seeded: TestClient) -> None:
    result = search(seeded, q="grain", fields="title,published_at")
    assert result["hits"] == [
        {"id": 4, "title": "Grain prices fall", "published_at": "2024-04-10T09:00:00+00:00"}
    ]


def test_response_echoes_what_was_applied(seeded: TestClient) -> None:
    result = search(seeded, q="bridge", source="Gazette", **{"from": "2024-03-01"})
    assert result["query"] == {
        "q": "bridge",
        "filters": {"from": "2024-03-01T00:00:00+00:00", "source": ["Gazette"]},
        "sort": "relevance",
        "warnings": [],
    }
    assert isinstance(result["processing_time_ms"], int)


def test_post_search_equals_get(seeded: TestClient) -> None:
    body = {"q": "bridge", "source": ["Gazette"], "facets": ["section"], "from": "2024-01-01"}
    posted = seeded.post("/search", json=body)
    assert posted.status_code == 200
    got = search(seeded, q="bridge", source="Gazette", facets="section", **{"from": "2024-01-01"})
    posted_json = posted.json()
    posted_json.pop("processing_time_ms")
    got.pop("processing_time_ms")
    assert posted_json == got


def test_update_and_delete_are_reflected(seeded: TestClient) -> None:
    seeded.patch("/articles/4", json={"title": "Grain prices rebound"})
    seeded.delete("/articles/3")
    sync_index(seeded)
    assert hit_ids(search(seeded, q="rebound")) == [4]
    assert hit_ids(search(seeded, q="ferry")) == []
    assert search(seeded)["total"] == 6


@pytest.mark.parametrize(
    "value",
    [
        'x" OR source != "y',
        'Gazette" OR source = "Herald',
        "x') OR (id > 0",
        "Gazette OR Herald",
        "] OR [",
        "\\",
        'Gazette\\" OR id > 0 OR source = \\"',
    ],
)
def test_filter_injection_never_widens_the_query(seeded: TestClient, value: str) -> None:
    for name in ("source", "tag", "section", "entity", "any_entity"):
        result = search(seeded, **{name: value})
        assert result["total"] == 0, (name, value)


def test_values_with_quotes_and_operators_match_literally(search_client: TestClient) -> None:
    odd = ['Ed\'s "Daily" = [News]', "OR", "a\\b"]
    for n, source in enumerate(odd, start=1):
        search_client.post(
            "/articles", json={"title": f"t{n}", "body": "b", "source": source, "tags": [source]}
        )
    sync_index(search_client)
    for n, source in enumerate(odd, start=1):
        assert hit_ids(search(search_client, source=source)) == [n]
        assert hit_ids(search(search_client, tag=source)) == [n]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"sort": "sideways"}, ["query", "sort"]),
        ({"per_page": 101}, ["query", "per_page"]),
        ({"per_page": 0}, ["query", "per_page"]),
        ({"page": 0}, ["query", "page"]),
        ({"from": "2024-03-05", "to": "2024-03-01"}, ["query", "from"]),
        ({"from": "yesterday"}, ["query", "from"]),
        ({"to": "2024-02-30"}, ["query", "to"]),
        ({"from": "2024-03-01T10:00:00"}, ["query", "from"]),
        ({"facets": "colour"}, ["query", "facets", 0]),
        ({"fields": "title,colour"}, ["query", "fields"]),
        ({"entity_type": "planet"}, ["query", "entity_type", 0]),
        ({"cursor": "*", "q": "bridge"}, ["query", "cursor"]),
        ({"cursor": "garbage", "sort": "newest"}, ["query", "cursor"]),
        ({"q": "x" * 1001}, ["query", "q"]),
        ({"page": 2000, "per_page": 100}, ["query", "page"]),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(
    search_client: TestClient, params: dict[str, Any], loc: list[Any]
) -> None:
    response = search_client.get("/search", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == loc


def test_post_errors_name_the_body_field(search_client: TestClient) -> None:
    response = search_client.post("/search", json={"from": "2024-03-05", "to": "2024-03-01"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "from"]


def test_search_before_anything_is_indexed_is_empty(search_client: TestClient) -> None:
    assert search(search_client, q="anything")["total"] == 0


def test_duplicates_are_hidden_unless_asked_for(search_client: TestClient) -> None:
    for n in (1, 2):
        search_client.post(
            "/articles",
            json={"title": "Twin story", "body": "Same words.", "url": f"https://ex.org/{n}"},
        )
    sync_index(search_client)
    assert hit_ids(search(search_client, q="twin")) == [1]
    assert sorted(hit_ids(search(search_client, q="twin", include_duplicates=True))) == [1, 2]
    search_client.delete("/articles/1")
    sync_index(search_client)
    assert hit_ids(search(search_client, q="twin")) == [2]
