"""At most 100 values per repeated query parameter or /search list: a clear 422, not SQLite's
"expression tree is too large" passed off as a busy database (503)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.input_rules import MAX_VALUES_PER_PARAMETER
from tests.test_articles_api import make_article
from tests.test_articles_bad_input import assert_problem

CAP = MAX_VALUES_PER_PARAMETER


def repeated(name: str, count: int) -> list[tuple[str, str]]:
    return [(name, f"v{n}") for n in range(count)]


def assert_capped(response: Any, loc: list[Any], given: int, *, repeats: bool = False) -> None:
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == loc
    assert f"at most {CAP}" in problem["errors"][0]["msg"]
    assert "Retry-After" not in response.headers
    if repeats:
        assert problem["errors"][0]["msg"] == f"takes at most {CAP} values; {given} were given"


def test_the_cap_is_100() -> None:
    assert CAP == 100


def test_a_hundred_tags_are_listed(client: TestClient) -> None:
    tags = [f"t{n}" for n in range(CAP)]
    assert client.post("/articles", json=make_article(1, tags=tags)).status_code == 201
    response = client.get("/articles", params=[("tag", tag) for tag in tags])
    assert response.status_code == 200, response.text
    assert [article["id"] for article in response.json()["data"]] == [1]


@pytest.mark.parametrize("count", [CAP + 1, 1000])
def test_more_tags_are_422(client: TestClient, count: int) -> None:
    response = client.get("/articles", params=repeated("tag", count))
    assert_capped(response, ["query", "tag"], count, repeats=True)


def test_any_repeated_parameter_is_capped(client: TestClient) -> None:
    response = client.get("/entities/someone/articles", params=repeated("limit", CAP + 1))
    assert_capped(response, ["query", "limit"], CAP + 1, repeats=True)


@pytest.mark.parametrize("name", ["entity", "any_entity", "tag", "source"])
def test_search_query_lists_are_capped(client: TestClient, name: str) -> None:
    # Refused before the search backend (none here) or the database is asked anything.
    response = client.get("/search", params=repeated(name, CAP + 1))
    assert_capped(response, ["query", name], CAP + 1, repeats=True)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("name", ["entity", "any_entity", "fields"])
def test_search_comma_lists_are_capped(search_client: TestClient, name: str) -> None:
    values = ",".join(f"v{n}" for n in range(CAP + 1))
    response = search_client.get("/search", params={name: values})
    assert_capped(response, ["query", name], CAP + 1)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("name", ["entity", "any_entity", "tag", "source", "section", "language"])
def test_search_body_lists_are_capped(search_client: TestClient, name: str) -> None:
    body = {name: [f"v{n}" for n in range(CAP + 1)]}
    assert_capped(search_client.post("/search", json=body), ["body", name], CAP + 1)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_hundred_entities_are_searched(search_client: TestClient) -> None:
    response = search_client.get("/search", params=repeated("any_entity", CAP))
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 0
