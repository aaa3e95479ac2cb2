"""POST /search/counts against a real Meilisearch on SQLite and PostgreSQL: exact totals of
many labelled queries in one request, shared and own fields, totals past the index's
maxTotalHits, bad input."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.search import totals
from app.search.client import build_client, wait_for_success
from app.search.meili_http import MeiliUnreachable
from app.search.research_schemas import MAX_COUNT_QUERIES
from tests.archive_fixture import module_archive

ARTICLES: list[dict[str, Any]] = [
    {
        "title": "Harbour bridge reopens",
        "body": "The harbour bridge reopened after repairs.",
        "source": "Gazette",
        "tags": ["transport"],
        "published_at": "2024-03-01T08:00:00+00:00",
        "entities": [{"name": "Harbour Authority", "type": "organization"}],
    },
    {
        "title": "Harbour ferry timetable",
        "body": "The ferry leaves the harbour every hour.",
        "source": "Herald",
        "tags": ["transport"],
        "published_at": "2024-04-02T12:00:00+00:00",
    },
    {
        "title": "Grain prices fall",
        "body": "Wheat fell on the exchange; the harbour silos are full.",
        "source": "Wire",
        "tags": ["commodities"],
        "published_at": "2024-04-10T09:00:00+00:00",
        "entities": [{"name": "Harbour Authority", "type": "organization"}],
    },
    {
        "title": "Grain prices fall",
        "body": "Wheat fell on the exchange; the harbour silos are full.",
        "source": "Wire",
        "tags": ["commodities"],
        "published_at": "2024-04-10T09:00:00+00:00",
    },
    {"title": "Harbour history", "body": "Notes on the old harbour.", "source": "Archive"},
    {
        "title": "Bridge club wins",
        "body": "Card players won the bridge championship.",
        "source": "Herald",
        "published_at": "2024-05-01T10:00:00+00:00",
    },
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def archive(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    with module_archive(request, request.param, ARTICLES) as client:
        yield client


def counted(response: Any) -> dict[str, int]:
    assert response.status_code == 200, response.text
    return {count["label"]: count["total"] for count in response.json()["counts"]}


def test_totals_of_labelled_queries_in_one_request(archive: TestClient) -> None:
    response = archive.post(
        "/search/counts",
        json={
            "queries": [
                {"label": "everything"},
                {"label": "harbour", "q": "harbour"},
                {"label": "harbour bridge", "q": "harbour bridge"},
                {"label": "authority", "entity": ["Harbour Authority"]},
                {"label": "transport or commodities", "tag": ["transport", "commodities"]},
                {"label": "with duplicates", "q": "grain", "include_duplicates": True},
                {"label": "april", "from": "2024-04-01", "to": "2024-04-30"},
                {"label": "nobody", "entity": ["Nobody Known"]},
            ]
        },
    )
    assert counted(response) == {
        "everything": 5,
        "harbour": 4,
        # Every word must match: "bridge club" has no harbour.
        "harbour bridge": 1,
        "authority": 2,
        "transport or commodities": 3,
        "with duplicates": 2,
        "april": 2,
        "nobody": 0,
    }
    by_label = {count["label"]: count["query"] for count in response.json()["counts"]}
    assert by_label["authority"] == {
        "q": None,
        "filters": {"entity": ["harbour-authority"]},
        "warnings": [],
    }
    assert by_label["nobody"]["warnings"] == [
        "entity 'Nobody Known' matches no known entity; it matches no article"
    ]
    assert [count["label"] for count in response.json()["counts"]][:3] == [
        "everything",
        "harbour",
        "harbour bridge",
    ]


def test_top_level_fields_apply_to_every_query_unless_it_sets_them(archive: TestClient) -> None:
    response = archive.post(
        "/search/counts",
        json={
            "q": "harbour",
            "source": ["Gazette", "Herald"],
            "queries": [
                {"label": "shared"},
                {"label": "own source", "source": ["Wire"]},
                {"label": "own q", "q": "bridge"},
            ],
        },
    )
    assert counted(response) == {"shared": 2, "own source": 1, "own q": 2}


def test_totals_equal_the_search_totals(archive: TestClient) -> None:
    queries: list[dict[str, Any]] = [
        {"q": "harbour"},
        {"tag": ["transport"]},
        {"q": "fell", "source": ["Wire"]},
    ]
    response = archive.post(
        "/search/counts",
        json={"queries": [{"label": str(n), **query} for n, query in enumerate(queries)]},
    )
    expected = {
        str(n): archive.post("/search", json={**query, "sort": "newest", "cursor": "*"}).json()[
            "total"
        ]
        for n, query in enumerate(queries)
    }
    assert counted(response) == expected == {"0": 4, "1": 2, "2": 1}


def test_the_most_queries_allowed(archive: TestClient) -> None:
    queries = [
        {"label": f"q{n}", "q": "harbour" if n % 2 else "grain"} for n in range(MAX_COUNT_QUERIES)
    ]
    totals_by_label = counted(archive.post("/search/counts", json={"queries": queries}))
    assert len(totals_by_label) == MAX_COUNT_QUERIES
    assert set(totals_by_label.values()) == {4, 1}


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        (
            {"queries": [{"label": f"q{n}"} for n in range(MAX_COUNT_QUERIES + 1)]},
            ["body", "queries"],
            "List should have at most 100 items",
        ),
        ({"queries": []}, ["body", "queries"], "List should have at least 1 item"),
        ({}, ["body", "queries"], "Field required"),
        (
            {"queries": [{"label": "x"}, {"label": "x"}]},
            ["body", "queries"],
            "labels must be unique; repeated: 'x'",
        ),
        (
            {"queries": [{"label": "  "}]},
            ["body", "queries", 0, "label"],
            "must not be empty or only whitespace",
        ),
        ({"queries": [{"label": "a", "page": 2}]}, ["body", "queries", 0, "page"], "Extra inputs"),
        (
            {"queries": [{"label": "a"}, {"label": "b", "from": "2024-05-01", "to": "2024-04-01"}]},
            ["body", "queries", 1, "from"],
            "must not be after `to`",
        ),
        (
            {"queries": [{"label": "a", "source": [""]}]},
            ["body", "queries", 0, "source", 0],
            "must not be empty or only whitespace",
        ),
    ],
)
def test_bad_input_is_a_422_problem(
    archive: TestClient, body: dict[str, Any], loc: list[str | int], message: str
) -> None:
    response = archive.post("/search/counts", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["loc"] == loc
    assert message in error["msg"]


def test_meilisearch_down_is_a_503(archive: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    async def refused(path: str, body: Any) -> Any:
        raise MeiliUnreachable("connection refused")

    monkeypatch.setattr(archive.app.state.search.async_http, "post", refused)  # type: ignore[attr-defined]
    response = archive.post("/search/counts", json={"queries": [{"label": "a"}]})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"


def test_totals_stay_exact_past_the_index_cap(
    archive: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the index's maxTotalHits at 2, Meilisearch itself caps totalHits; the counts
    are still exact. (Last in the module: it changes the shared index's settings.)"""
    settings = archive.app.state.settings  # type: ignore[attr-defined]
    with build_client(settings.MEILI_URL, settings.MEILI_MASTER_KEY.get_secret_value()) as meili:
        index = meili.index(settings.MEILI_INDEX)
        wait_for_success(meili, index.update_pagination_settings({"maxTotalHits": 2}).task_uid)
        capped = index.search("", {"hitsPerPage": 0, "page": 1})["totalHits"]
    assert capped == 2
    monkeypatch.setattr(totals, "MAX_TOTAL_HITS", 2)
    response = archive.post(
        "/search/counts",
        json={
            "queries": [
                {"label": "all"},
                {"label": "harbour", "q": "harbour"},
                {"label": "one", "q": "bridge club"},
            ]
        },
    )
    assert counted(response) == {"all": 5, "harbour": 4, "one": 1}
