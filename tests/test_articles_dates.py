"""Publication date provenance through the API, on SQLite and PostgreSQL: where published_at
came from and modified_at, on writes, edits, revisions and search hits."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import sync_index
from tests.test_articles_api import ARTICLE


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_a_posted_date_is_the_clients_unless_it_says_otherwise(client: TestClient) -> None:
    plain = client.post("/articles", json=ARTICLE).json()
    assert plain["published_at"] == "2024-05-17T07:30:00+00:00"
    assert plain["published_at_source"] == "client"
    assert plain["modified_at"] is None

    stated = client.post(
        "/articles",
        json={
            **ARTICLE,
            "url": "https://example.org/news/other",
            "external_id": "ex-2",
            "published_at_source": "html_meta",
            "modified_at": "2024-05-17T16:05:00+02:00",
        },
    ).json()
    assert stated["published_at_source"] == "html_meta"
    assert stated["modified_at"] == "2024-05-17T14:05:00+00:00"
    assert client.get(f"/articles/{stated['id']}").json() == stated

    undated = {k: v for k, v in ARTICLE.items() if k != "published_at"}
    created = client.post("/articles", json={**undated, "url": None, "external_id": "ex-3"})
    assert created.json()["published_at"] is None
    assert created.json()["published_at_source"] is None


def test_a_source_needs_a_date_and_must_be_known(client: TestClient) -> None:
    undated = {k: v for k, v in ARTICLE.items() if k != "published_at"}
    body = problem(client.post("/articles", json={**undated, "published_at_source": "url"}), 422)
    assert body["errors"] == [
        {
            "loc": ["body", "published_at_source"],
            "msg": "Value error, is given without a published_at",
        }
    ]
    body = problem(client.post("/articles", json={**ARTICLE, "published_at_source": "guess"}), 422)
    assert body["errors"][0]["loc"] == ["body", "published_at_source"]
    body = problem(client.post("/articles", json={**ARTICLE, "modified_at": "2024-05-17"}), 422)
    assert body["errors"][0]["loc"] == ["body", "modified_at"]
    assert client.get("/articles").json()["data"] == []


def test_patch_keeps_a_date_and_its_source_together(client: TestClient) -> None:
    article_id = client.post("/articles", json={**ARTICLE, "published_at_source": "feed"}).json()[
        "id"
    ]
    path = f"/articles/{article_id}"

    # The source alone may change while there is a date.
    assert client.patch(path, json={"published_at_source": "url"}).json()[
        "published_at_source"
    ] == ("url")
    # A new date without a source is the client's.
    moved = client.patch(path, json={"published_at": "2024-05-18T08:00:00+00:00"}).json()
    assert (moved["published_at"], moved["published_at_source"]) == (
        "2024-05-18T08:00:00+00:00",
        "client",
    )
    body = problem(client.patch(path, json={"published_at_source": None}), 422)
    assert body["errors"] == [
        {
            "loc": ["body", "published_at_source"],
            "msg": "cannot be null while the article has a published_at",
        }
    ]
    body = problem(
        client.patch(path, json={"published_at": None, "published_at_source": "feed"}), 422
    )
    assert body["errors"][0]["loc"] == ["body", "published_at_source"]
    # Clearing the date clears its source; then a source alone has nothing to name.
    cleared = client.patch(path, json={"published_at": None}).json()
    assert (cleared["published_at"], cleared["published_at_source"]) == (None, None)
    body = problem(client.patch(path, json={"published_at_source": "text"}), 422)
    assert body["errors"][0]["msg"] == "the article has no published_at to name"
    assert client.get(path).json()["published_at_source"] is None


def test_revisions_record_changes_of_dates(client: TestClient) -> None:
    article_id = client.post("/articles", json=ARTICLE).json()["id"]
    # The publisher's page changed: a new modified_at and a date now read from the page.
    updated = client.post(
        "/articles",
        json={
            **ARTICLE,
            "published_at_source": "html_meta",
            "modified_at": "2024-05-18T10:00:00+00:00",
        },
    )
    assert updated.headers["x-upsert-outcome"] == "updated"
    listed = client.get(f"/articles/{article_id}/revisions").json()["revisions"]
    assert [(r["number"], r["changed"]) for r in listed] == [
        (1, ["published_at_source", "modified_at"])
    ]
    assert (listed[0]["published_at_source"], listed[0]["modified_at"]) == ("client", None)
    detail = client.get(f"/articles/{article_id}/revisions/1").json()
    assert detail["changes"] == [
        {"field": "published_at_source", "before": "client", "after": "html_meta"},
        {"field": "modified_at", "before": None, "after": "2024-05-18T10:00:00+00:00"},
    ]


def test_search_hits_carry_the_date_source_and_modified_at(search_client: TestClient) -> None:
    search_client.post(
        "/articles",
        json={**ARTICLE, "published_at_source": "url", "modified_at": "2024-05-19T06:00:00Z"},
    )
    sync_index(search_client)
    hit = search_client.get("/search", params={"q": "harbour"}).json()["hits"][0]
    assert (hit["published_at"], hit["published_at_source"], hit["modified_at"]) == (
        "2024-05-17T07:30:00+00:00",
        "url",
        "2024-05-19T06:00:00+00:00",
    )
    chosen = search_client.get(
        "/search", params={"q": "harbour", "fields": "published_at_source"}
    ).json()["hits"][0]
    assert chosen == {"id": hit["id"], "published_at_source": "url"}


def _dated(client: TestClient, sources: list[str | None]) -> list[int]:
    """One article per entry, its date from that source (None: no date at all); their ids."""
    undated = {k: v for k, v in ARTICLE.items() if k != "published_at"}
    ids = []
    for n, source in enumerate(sources):
        article = {**undated, "url": f"https://example.org/news/{n}", "external_id": f"d-{n}"}
        article["body"] = f"{ARTICLE['body']} Report {n}."
        if source is not None:
            article |= {"published_at": f"2024-05-{n + 1:02d}T08:00:00Z"}
            article["published_at_source"] = source
        response = client.post("/articles", json=article)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def test_lists_filter_by_where_the_date_came_from(client: TestClient) -> None:
    ids = _dated(client, ["client", "feed", "html_meta", "url", None])
    listed = client.get(
        "/articles", params={"published_at_source": ["feed", "html_meta"], "count": "true"}
    ).json()
    assert [a["id"] for a in listed["data"]] == [ids[2], ids[1]]  # newest first
    assert listed["count"] == 2
    only_url = client.get("/articles", params={"published_at_source": "url"}).json()["data"]
    assert [a["id"] for a in only_url] == [ids[3]]
    body = problem(client.get("/articles", params={"published_at_source": "guess"}), 422)
    assert body["errors"][0]["loc"] == ["query", "published_at_source", 0]


def test_search_filters_and_counts_by_where_the_date_came_from(search_client: TestClient) -> None:
    ids = _dated(search_client, ["client", "feed", "html_meta", "url", None])
    sync_index(search_client)
    found = search_client.get(
        "/search",
        params={
            "q": "harbour",
            "published_at_source": ["feed", "html_meta"],
            "facets": "published_at_source",
        },
    ).json()
    assert sorted(hit["id"] for hit in found["hits"]) == [ids[1], ids[2]]
    assert found["query"]["filters"]["published_at_source"] == ["feed", "html_meta"]
    assert found["facets"]["published_at_source"] == {"feed": 1, "html_meta": 1}
    everything = search_client.get(
        "/search", params={"q": "harbour", "facets": "published_at_source"}
    ).json()
    assert everything["facets"]["published_at_source"] == {
        "client": 1,
        "feed": 1,
        "html_meta": 1,
        "url": 1,
    }
    posted = search_client.post(
        "/search", json={"q": "harbour", "published_at_source": ["url"]}
    ).json()
    assert [hit["id"] for hit in posted["hits"]] == [ids[3]]
    body = problem(search_client.get("/search", params={"published_at_source": "guess"}), 422)
    assert body["errors"][0]["loc"][:2] == ["query", "published_at_source"]
