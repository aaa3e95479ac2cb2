"""Forged cursors are a 422 and out-of-range ids a 404, never a 500, on both databases."""

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.articles.models import MAX_ARTICLE_ID
from tests.test_articles_api import make_article
from tests.test_articles_bad_input import assert_problem


def forge(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def nested(depth: int) -> str:
    return base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).decode()


#: Payloads no page of /articles (or of an entity's articles) ever hands out as `next`.
FORGED_LIST_CURSORS = [
    {"s": "newest", "p": None, "i": 2**63},
    {"s": "newest", "p": None, "i": 2**63 - 1},
    {"s": "newest", "p": None, "i": MAX_ARTICLE_ID + 1},
    {"s": "newest", "p": None, "i": 0},
    {"s": "newest", "p": None, "i": -1},
    {"s": "newest", "p": None, "i": True},
    {"s": "newest", "p": None, "i": 1.5},
    {"s": "newest", "p": None, "i": 1.0},
    {"s": "newest", "p": None, "i": "1"},
    {"s": "newest", "p": None, "i": None},
    {"s": "newest", "p": "0001-01-01T00:00:00+14:00", "i": 1},
    {"s": "newest", "p": "9999-12-31T23:59:59-14:00", "i": 1},
    {"s": "newest", "p": "2024-05-17T09:30:00", "i": 1},
    {"s": "newest", "p": 1715931000, "i": 1},
    {"s": "newest", "p": ["2024-05-17T09:30:00Z"], "i": 1},
    {"s": ["newest"], "p": None, "i": 1},
    {"s": {"newest": 1}, "p": None, "i": 1},
    {"s": "sideways", "p": None, "i": 1},
    {"s": "newest", "p": None, "i": 1, "x": 1},
    {"s": "newest", "i": 1},
    [1, 2, 3],
    "newest",
    None,
]


@pytest.mark.parametrize("payload", FORGED_LIST_CURSORS)
def test_forged_article_cursors_are_422(client: TestClient, payload: Any) -> None:
    problem = assert_problem(client.get("/articles", params={"cursor": forge(payload)}), 422)
    assert problem["errors"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize("payload", FORGED_LIST_CURSORS[:12])
def test_forged_entity_article_cursors_are_422(client: TestClient, payload: Any) -> None:
    response = client.get("/entities/anyone/articles", params={"cursor": forge(payload)})
    assert assert_problem(response, 422)["errors"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize("path", ["/articles", "/entities/anyone/articles"])
def test_a_deeply_nested_cursor_is_422(client: TestClient, path: str) -> None:
    response = client.get(path, params={"cursor": nested(5_000)})
    assert assert_problem(response, 422)["errors"][0]["loc"] == ["query", "cursor"]


def test_cursors_at_the_edges_of_the_id_range_are_taken(client: TestClient) -> None:
    for n in range(3):
        assert client.post("/articles", json=make_article(n)).status_code == 201
    top = forge({"s": "newest", "p": None, "i": MAX_ARTICLE_ID})
    assert client.get("/articles", params={"cursor": top}).json()["data"] == []
    dated = forge({"s": "oldest", "p": "2024-05-17T09:30:00+02:00", "i": 1})
    page = client.get("/articles", params={"cursor": dated, "sort": "oldest"}).json()
    assert [article["id"] for article in page["data"]] == [2, 3]


def test_id_column_bound_is_the_32_bit_integer_range() -> None:
    assert MAX_ARTICLE_ID == 2**31 - 1


@pytest.mark.parametrize("article_id", [MAX_ARTICLE_ID + 1, 2**63 - 1, 2**63, 10**30])
def test_ids_beyond_the_column_are_404(client: TestClient, article_id: int) -> None:
    assert client.post("/articles", json=make_article(1)).status_code == 201
    path = f"/articles/{article_id}"
    assert_problem(client.get(path), 404)
    assert_problem(client.patch(path, json={"section": "x"}), 404)
    assert_problem(client.put(path, json=make_article(2)), 404)
    assert_problem(client.delete(path), 404)
    assert_problem(client.get(f"/articles/{MAX_ARTICLE_ID}"), 404)


# --- /search ------------------------------------------------------------------------------

FORGED_SEARCH_CURSORS = [
    {"s": "newest", "p": True, "i": 1},
    {"s": "newest", "p": 1715931000, "i": True},
    {"s": "newest", "p": 1715931000.5, "i": 1},
    {"s": "newest", "p": 1715931000, "i": 1.0},
    {"s": "newest", "p": 10**30, "i": 1},
    {"s": "newest", "p": -(10**30), "i": 1},
    {"s": "newest", "p": None, "i": 2**63},
    {"s": "newest", "p": None, "i": MAX_ARTICLE_ID + 1},
    {"s": "newest", "p": None, "i": 0},
    {"s": "newest", "p": "1715931000", "i": 1},
    {"s": ["newest"], "p": None, "i": 1},
    {"s": "newest", "p": None, "i": 1, "x": 1},
    [1],
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("payload", FORGED_SEARCH_CURSORS)
def test_forged_search_cursors_are_422(
    search_client: TestClient, settings: Any, payload: Any
) -> None:
    params = {"sort": "newest", "cursor": forge(payload)}
    # With a key the documented route answers; without one, the fast path.
    keyed = assert_problem(search_client.get("/search", params=params), 422)
    anonymous = TestClient(search_client.app)
    assert assert_problem(anonymous.get("/search", params=params), 422) == keyed
    assert keyed["errors"][0]["loc"] == ["query", "cursor"]
    posted = assert_problem(search_client.post("/search", json=params), 422)
    assert posted["errors"][0]["loc"] == ["body", "cursor"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_search_cursors_at_the_edges_are_taken(search_client: TestClient) -> None:
    for payload in (
        {"s": "newest", "p": -62135596800, "i": MAX_ARTICLE_ID},
        {"s": "newest", "p": 253402300799, "i": 1},
        {"s": "oldest", "p": None, "i": 1},
    ):
        sort = payload["s"]
        response = search_client.get("/search", params={"sort": sort, "cursor": forge(payload)})
        assert response.status_code == 200, response.text
