"""Hits passed on as Meilisearch wrote them (app/search/raw_hits.py) give the same answers as
hits rebuilt field by field, whatever the articles say."""

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from app.search import service
from app.search.raw_hits import KeyRenames, key_renames, split_hits
from tests.conftest import sync_index
from tests.test_search_api import seeded  # noqa: F401  (fixture)
from tests.test_search_fast_path import ANSWERED, comparable

RENAMED = key_renames({"published_at_iso": "published_at"})
#: Text that looks like the structure the cut and the renaming look for.
TRICKY = 'He wrote ],"query":"x and "published_at_iso": 1 \\ and \\" and }{ ] ['


def answer(hits: list[dict[str, Any]], **rest: Any) -> bytes:
    return orjson.dumps({"hits": hits, "query": 'q "quoted" ],', **rest})


def test_the_hits_and_the_rest_of_the_answer_are_cut_apart() -> None:
    hits = [
        {"id": 1, "title": TRICKY, "published_at_iso": "2024-03-01T00:00:00+00:00"},
        {"id": 2, "tags": ["a", "b"], "entities": [{"slug": "x", "name": TRICKY}]},
    ]
    body = answer(hits, processingTimeMs=3, totalHits=2, facetDistribution={"source": {"A": 1}})

    split = split_hits(body, RENAMED)

    assert split is not None
    fragment, rest = split
    assert orjson.loads(orjson.dumps({"hits": fragment}))["hits"] == [
        {"id": 1, "title": TRICKY, "published_at": "2024-03-01T00:00:00+00:00"},
        hits[1],
    ]
    assert rest == {
        "query": 'q "quoted" ],',
        "processingTimeMs": 3,
        "totalHits": 2,
        "facetDistribution": {"source": {"A": 1}},
    }


def test_no_hits() -> None:
    split = split_hits(answer([], totalHits=0), RENAMED)
    assert split is not None
    assert orjson.loads(orjson.dumps(split[0])) == []
    assert split[1]["totalHits"] == 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"results":[{"hits":[]}]}',  # a multi-search answer
        b'{"query":"x","hits":[]}',  # hits not first
        b'{"hits":[{"id":1}]}',  # no query after the hits
        b'{"hits":[{"id":1}],"query":"x',  # cut short
        b"",
    ],
)
def test_an_answer_not_shaped_as_expected_is_left_to_the_parser(body: bytes) -> None:
    assert split_hits(body, RENAMED) is None


on_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def tricky(seeded: TestClient) -> TestClient:  # noqa: F811
    response = seeded.post(
        "/articles",
        json={
            "title": f"Harbour bridge quokka {TRICKY}",
            "body": f"The harbour bridge. {TRICKY}",
            "summary": TRICKY,
            "source": "Gazette",
            "tags": [TRICKY],
            "published_at": "2024-03-03T09:00:00Z",
        },
    )
    assert response.status_code == 201
    sync_index(seeded)
    return seeded


@on_sqlite
@pytest.mark.parametrize("params", ANSWERED, ids=str)
def test_passed_on_hits_equal_rebuilt_hits(
    tricky: TestClient, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cuts: list[bool] = []

    def counting_split(body: bytes, renames: KeyRenames) -> Any:
        split = split_hits(body, renames)
        cuts.append(split is not None)
        return split

    monkeypatch.setattr(service, "split_hits", counting_split)
    passed_on = tricky.get("/search", params=params)
    passed_on_cuts = list(cuts)
    monkeypatch.setattr(service, "split_hits", lambda body, renames: None)
    rebuilt = tricky.get("/search", params=params)

    assert passed_on.status_code == rebuilt.status_code == 200
    assert comparable(passed_on.json()) == comparable(rebuilt.json())
    eligible = "cursor" not in params and params.get("highlight") not in ("true", "yes")
    assert passed_on_cuts == ([True] if eligible else [])


@on_sqlite
def test_the_tricky_article_comes_back_intact(tricky: TestClient) -> None:
    hits = tricky.get("/search", params={"q": "quokka"}).json()["hits"]
    [hit] = hits
    assert (hit["title"], hit["summary"], hit["tags"]) == (
        f"Harbour bridge quokka {TRICKY}",
        TRICKY,
        [TRICKY],
    )
    assert hit["published_at"] == "2024-03-03T09:00:00+00:00"
    assert "published_at_iso" not in hit
