"""Entity search against a real Meilisearch: names, aliases and canonical names resolve to
entities, places contain cities, and facets count what the database counts."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import sync_index
from tests.test_search_api import search

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ARTICLES: list[dict[str, Any]] = [
    {
        "title": "Farmers in the U.S. expect a record harvest",
        "body": "U.S. farmers expect a record wheat harvest this year, the Agriculture Department "
        "said on Monday, as exports to Japan rose.",
        "published_at": "2024-03-01T08:00:00+00:00",
    },
    {
        "title": "America and Canada sign dairy deal",
        "body": "America and Canada agreed on Tuesday to open their dairy markets, officials said.",
        "published_at": "2024-03-15T12:00:00+00:00",
    },
    {
        "title": "Talks resume in Washington",
        "body": "Officials in Washington said on Wednesday that talks with China on tariffs would "
        "resume next week.",
        "published_at": "2024-04-02T09:30:00+00:00",
    },
    {
        "title": "Armenia and Azerbaijan swap prisoners",
        "body": "Armenia and Azerbaijan exchanged prisoners on Friday. Armenian Prime Minister "
        "Nikol Pashinyan welcomed the exchange, and Pashinyan said talks would continue.",
        "published_at": "2024-04-20T16:00:00+00:00",
    },
    {
        "title": "Brazil cuts coffee export tax",
        "body": "Brazil cut its coffee export tax on Thursday, the finance ministry in Brasilia "
        "said, lifting hopes in Colombia.",
        "published_at": "2024-05-02T10:00:00+00:00",
    },
]


@pytest.fixture
def seeded(search_client: TestClient) -> TestClient:
    for n, article in enumerate(ARTICLES, start=1):
        response = search_client.post("/articles", json={**article, "url": f"https://ex.org/{n}"})
        assert response.status_code == 201, response.text
        assert response.json()["id"] == n
    sync_index(search_client)
    return search_client


def hit_ids(result: dict[str, Any]) -> list[int]:
    return sorted(hit["id"] for hit in result["hits"])


@pytest.mark.parametrize("value", ["United States", "united-states", "U.S.", "us", "America"])
def test_the_united_states_by_any_name_and_washington_within_it(
    seeded: TestClient, value: str
) -> None:
    assert hit_ids(search(seeded, entity=value)) == [1, 2]
    within = search(seeded, entity=value, include_places_within=True)
    assert hit_ids(within) == [1, 2, 3]
    assert within["query"]["filters"]["entity"] == ["united-states"]
    assert within["query"]["warnings"] == []


def test_names_and_aliases_ignore_case_and_accents(seeded: TestClient) -> None:
    assert hit_ids(search(seeded, entity="pashinyan")) == [4]
    assert hit_ids(search(seeded, entity="NIKOL PASHINYAN")) == [4]
    assert hit_ids(search(seeded, entity="Brasília")) == [5]
    assert hit_ids(search(seeded, entity="Brazil", include_places_within=True)) == [5]


def test_armenia_is_a_place_never_a_person(seeded: TestClient) -> None:
    [hit] = search(seeded, entity="Armenia")["hits"]
    assert hit["entities"] == [
        {"slug": "armenia", "name": "Armenia", "type": "place"},
        {"slug": "azerbaijan", "name": "Azerbaijan", "type": "place"},
        {"slug": "nikol-pashinyan", "name": "Nikol Pashinyan", "type": "person"},
    ]
    people = search(seeded, entity_type="person", facets="entity")
    assert hit_ids(people) == [4]
    assert "armenia" in people["facets"]["entity"]
    assert seeded.get("/entities", params={"type": "person"}).json()["data"] == [
        {"slug": "nikol-pashinyan", "name": "Nikol Pashinyan", "type": "person", "article_count": 1}
    ]


def test_entity_type_filter(seeded: TestClient) -> None:
    assert hit_ids(search(seeded, entity_type="organization")) == [1]
    assert hit_ids(search(seeded, entity_type=["organization", "person"])) == [1, 4]
    assert hit_ids(search(seeded, entity_type="event")) == []


def test_entity_facet_counts_equal_the_database_counts(seeded: TestClient) -> None:
    facets = search(seeded, facets="entity")["facets"]["entity"]
    listed = seeded.get("/entities", params={"limit": 100}).json()["data"]
    stored = {e["slug"]: e["article_count"] for e in listed if e["article_count"]}
    assert facets == stored
    assert facets["united-states"] == 2
    assert search(seeded, facets="entity_type")["facets"]["entity_type"] == {
        "organization": 1,
        "person": 1,
        "place": 5,
    }


def test_entity_needs_every_value_and_any_entity_one(seeded: TestClient) -> None:
    assert hit_ids(search(seeded, entity=["Japan", "Canada"])) == []
    assert hit_ids(search(seeded, entity=["United States", "Japan"])) == [1]
    assert hit_ids(search(seeded, any_entity=["Japan", "Canada"])) == [1, 2]
    assert hit_ids(search(seeded, any_entity="Japan,China")) == [1, 3]
    both = search(seeded, entity="United States", any_entity=["Canada", "China"])
    assert hit_ids(both) == [2]


def test_unknown_values_warn_and_match_nothing(seeded: TestClient) -> None:
    result = search(seeded, entity="Atlantis")
    assert result["total"] == 0
    assert result["query"]["warnings"] == [
        "entity 'Atlantis' matches no known entity; it matches no article"
    ]
    mixed = search(seeded, any_entity=["Atlantis", "Japan"])
    assert hit_ids(mixed) == [1]
    assert mixed["query"]["warnings"] == [
        "entity 'Atlantis' matches no known entity; it matches no article"
    ]
    posted = seeded.post("/search", json={"entity": ["Japan", "Lemuria"]})
    assert posted.json()["total"] == 0
    assert posted.json()["query"]["warnings"] == [
        "entity 'Lemuria' matches no known entity; it matches no article"
    ]


def test_renames_aliases_and_merges_reach_the_index(seeded: TestClient) -> None:
    seeded.patch("/entities/department-of-agriculture", json={"name": "USDA"})
    seeded.post("/entities/japan/aliases", json={"alias": "Nippon"})
    merged = seeded.post("/entities/merge", json={"into": "colombia", "merge": "brasilia"})
    assert merged.status_code == 200
    sync_index(seeded)

    [first] = search(seeded, entity="usda", fields="entities")["hits"]
    assert first["entities"][1] == {
        "slug": "department-of-agriculture",
        "name": "USDA",
        "type": "organization",
    }
    assert hit_ids(search(seeded, entity="Nippon")) == [1]
    assert hit_ids(search(seeded, q="Nippon")) == [1]
    assert hit_ids(search(seeded, entity="Brasilia")) == [5]
    assert search(seeded, facets="entity")["facets"]["entity"].get("brasilia") is None
