"""GET /articles: filters, sorts and keyset cursors, on SQLite and PostgreSQL."""

from typing import Any

from fastapi.testclient import TestClient

from tests.test_articles_api import make_article


def post(client: TestClient, n: int, **fields: Any) -> int:
    response = client.post("/articles", json=make_article(n, **fields))
    assert response.status_code == 201, response.text
    article_id: int = response.json()["id"]
    return article_id


def ids(response_json: dict[str, Any]) -> list[int]:
    return [article["id"] for article in response_json["data"]]


def walk(client: TestClient, **params: Any) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get("/articles", params=query)
        assert page.status_code == 200, page.text
        seen += ids(page.json())
        cursor = page.json()["next"]
        if cursor is None:
            return seen


def seed_dates(client: TestClient) -> None:
    post(client, 1, published_at="2024-01-01T10:00:00+00:00")
    post(client, 2, published_at="2024-01-03T10:00:00+00:00")
    post(client, 3, published_at="2024-01-02T10:00:00+00:00")
    post(client, 4, published_at=None)
    post(client, 5, published_at="2024-01-02T10:00:00+00:00")


def test_newest_and_oldest_order_with_undated_last(client: TestClient) -> None:
    seed_dates(client)
    assert ids(client.get("/articles").json()) == [2, 5, 3, 1, 4]
    assert ids(client.get("/articles", params={"sort": "oldest"}).json()) == [1, 3, 5, 2, 4]


def test_cursor_walk_visits_every_article_once(client: TestClient) -> None:
    seed_dates(client)
    assert walk(client, limit=2) == [2, 5, 3, 1, 4]
    assert walk(client, limit=1, sort="oldest") == [1, 3, 5, 2, 4]


def test_cursor_is_stable_under_inserts(client: TestClient) -> None:
    seed_dates(client)
    first = client.get("/articles", params={"limit": 2}).json()
    assert ids(first) == [2, 5]
    post(client, 6, published_at="2024-01-05T00:00:00+00:00")  # newer: before the cursor
    post(client, 7, published_at="2024-01-01T12:00:00+00:00")  # older: after the cursor
    rest = walk(client, limit=2, cursor=first["next"])
    assert rest == [3, 7, 1, 4]


def test_filters(client: TestClient) -> None:
    post(client, 1, source="Gazette", section="city", tags=["a", "b"], language="en")
    post(client, 2, source="Gazette", section="sport", tags=["b"], language="fr")
    post(client, 3, source="Herald", section="city", tags=["a"], language="en")

    def get(**params: Any) -> list[int]:
        return sorted(ids(client.get("/articles", params=params).json()))

    assert get(source="Gazette") == [1, 2]
    assert get(section="city") == [1, 3]
    assert get(language="fr") == [2]
    assert get(tag="a") == [1, 3]
    assert get(tag=["a", "b"]) == [1]
    assert get(source="Gazette", tag="a") == [1]
    assert get(source="Nobody") == []


def test_tag_filter_matches_whole_tags_only(client: TestClient) -> None:
    post(client, 1, tags=["oil"])
    post(client, 2, tags=["oilseed"])
    post(client, 3, tags=['we"ird', "%"])

    def get(**params: Any) -> list[int]:
        return ids(client.get("/articles", params=params).json())

    assert get(tag="oil") == [1]
    assert get(tag="%") == [3]
    assert get(tag='we"ird') == [3]


def test_date_range_is_inclusive_and_timezone_aware(client: TestClient) -> None:
    seed_dates(client)
    params = {
        "published_from": "2024-01-02T10:00:00+00:00",
        "published_to": "2024-01-03T12:00:00+02:00",
    }
    assert ids(client.get("/articles", params=params).json()) == [2, 5, 3]
    params = {"published_from": "2024-01-02T11:00:00+01:00", "sort": "oldest"}
    assert ids(client.get("/articles", params=params).json()) == [3, 5, 2]


def test_count_is_optional(client: TestClient) -> None:
    seed_dates(client)
    assert client.get("/articles").json()["count"] is None
    assert client.get("/articles", params={"count": True, "limit": 1}).json()["count"] == 5


def test_bad_list_parameters_are_422_naming_the_parameter(client: TestClient) -> None:
    cases = [
        ({"limit": 101}, ["query", "limit"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"sort": "sideways"}, ["query", "sort"]),
        ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
        ({"published_from": "2024-02-30T00:00:00Z"}, ["query", "published_from"]),
        ({"published_from": "2024-01-01T00:00:00"}, ["query", "published_from"]),
        ({"published_to": "0.5"}, ["query", "published_to"]),
        (
            {"published_from": "2024-02-01T00:00:00Z", "published_to": "2024-01-01T00:00:00Z"},
            ["query", "published_from"],
        ),
    ]
    for params, loc in cases:
        response = client.get("/articles", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["loc"] for error in response.json()["errors"]] == [loc], params


def test_cursor_from_another_sort_is_rejected(client: TestClient) -> None:
    seed_dates(client)
    cursor = client.get("/articles", params={"limit": 1}).json()["next"]
    response = client.get("/articles", params={"cursor": cursor, "sort": "oldest"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]
