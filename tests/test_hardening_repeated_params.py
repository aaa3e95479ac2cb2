"""A query parameter that takes one value, given twice, is a 422 naming it: which of the two
a server takes is a guess the client never sees. Repeatable parameters stay repeatable."""

import pytest
from fastapi.testclient import TestClient

from tests.conftest import sync_index
from tests.test_articles_api import make_article
from tests.test_articles_bad_input import assert_problem

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/articles?source=Gazette&source=Herald", "source"),
        ("/articles?limit=1&limit=2", "limit"),
        ("/entities?q=a&q=b", "q"),
        ("/entities/someone/articles?limit=1&tag=x&limit=5", "limit"),
        ("/search?q=oil&q=gas", "q"),  # a query model's field
        ("/search/timeline?interval=month&interval=year", "interval"),
    ],
)
def test_a_single_value_parameter_given_twice_is_422(
    client: TestClient, path: str, name: str
) -> None:
    problem = assert_problem(client.get(path), 422)
    assert problem["errors"] == [
        {"loc": ["query", name], "msg": "takes one value; it was given 2 times"}
    ]


def test_repeatable_parameters_still_repeat(search_client: TestClient) -> None:
    for n, tag in enumerate(["a", "b"], start=1):
        response = search_client.post("/articles", json=make_article(n, tags=[tag, "both"]))
        assert response.status_code == 201
    listed = search_client.get("/articles?tag=a&tag=both")  # every one of them, in lists
    assert listed.status_code == 200
    assert [article["id"] for article in listed.json()["data"]] == [1]
    sync_index(search_client)
    found = search_client.get("/search?tag=a&tag=b")  # any of them, in search
    assert found.status_code == 200, found.text
    assert sorted(hit["id"] for hit in found.json()["hits"]) == [1, 2]


def test_anonymous_searches_are_refused_too(search_client: TestClient) -> None:
    # Anonymous GET /search is answered without the route where it can be (fast path).
    del search_client.headers["Authorization"]
    problem = assert_problem(search_client.get("/search?q=oil&per_page=5&q=gas"), 422)
    assert problem["errors"][0]["loc"] == ["query", "q"]


@pytest.mark.parametrize(
    "path",
    [
        "/articles?source=Gazette&source=Herald",
        "/entities?q=a&q=b",
        "/search?q=oil&q=gas",
        "/search/timeline?interval=month&interval=year",
    ],
)
def test_a_wrong_key_is_401_before_anything_else_is_said(client: TestClient, path: str) -> None:
    """Who is asking comes first: a client with a wrong key learns nothing about its request."""
    problem = assert_problem(client.get(path, headers={"Authorization": "Bearer na_wrong"}), 401)
    assert "errors" not in problem


def test_routes_that_take_no_keys_leave_a_bearer_token_alone(client: TestClient) -> None:
    """A scraper's or a proxy's own token on /health, /metrics or the page is not ours to judge."""
    for path in ("/health", "/metrics", "/"):
        response = client.get(path, headers={"Authorization": "Bearer scraper-token"})
        assert response.status_code == 200, (path, response.text)
