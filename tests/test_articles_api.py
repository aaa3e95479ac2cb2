"""The /articles resource on SQLite and PostgreSQL: create, upsert, read, edit, delete, list."""

from typing import Any

from fastapi.testclient import TestClient

ARTICLE: dict[str, Any] = {
    "url": "https://example.org/news/bridge-reopens",
    "external_id": "ex-1",
    "title": "Harbour bridge reopens",
    "summary": "Traffic returned on Friday.",
    "body": "The harbour bridge reopened to traffic on Friday after two years of repairs.",
    "authors": ["Ana Lima"],
    "source": "Example Gazette",
    "section": "city",
    "language": "en",
    "tags": ["transport", "infrastructure"],
    "published_at": "2024-05-17T09:30:00+02:00",
}


def make_article(n: int, **overrides: Any) -> dict[str, Any]:
    return {
        **ARTICLE,
        "url": f"https://example.org/news/{n}",
        "external_id": f"ex-{n}",
        "title": f"Story number {n}",
        **overrides,
    }


def test_create_returns_201_location_and_stored_fields(client: TestClient) -> None:
    response = client.post("/articles", json=ARTICLE)
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == 1
    assert response.headers["location"] == "/articles/1"
    assert body["published_at"] == "2024-05-17T07:30:00+00:00"
    assert body["created_at"] == body["updated_at"]
    assert body["created_at"].endswith("+00:00")
    assert len(body["content_hash"]) == 64
    for key in ("url", "external_id", "title", "summary", "body", "authors", "source", "section"):
        assert body[key] == ARTICLE[key]
    assert body["tags"] == ["transport", "infrastructure"]
    fetched = client.get("/articles/1").json()
    assert fetched == body


def test_defaults_and_normalisation(client: TestClient) -> None:
    response = client.post(
        "/articles",
        json={
            "title": "  Spaces around  ",
            "body": "Body.",
            "tags": ["a", " a ", "b"],
            "url": "https://example.org/x#comments",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Spaces around"
    assert body["language"] == "en"
    assert body["tags"] == ["a", "b"]
    assert body["url"] == "https://example.org/x"
    assert body["authors"] == []
    assert body["published_at"] is None
    assert body["summary"] is None


def test_repost_identical_is_unchanged_same_id_no_write(client: TestClient) -> None:
    first = client.post("/articles", json=ARTICLE).json()
    again = client.post("/articles", json=ARTICLE)
    assert again.status_code == 200
    assert again.headers["x-upsert-outcome"] == "unchanged"
    assert again.json() == first
    listing = client.get("/articles", params={"count": "true"}).json()
    assert listing["count"] == 1


def test_repost_changed_content_updates_by_url(client: TestClient) -> None:
    first = client.post("/articles", json=ARTICLE).json()
    changed = {**ARTICLE, "external_id": None, "title": "Harbour bridge reopens to traffic"}
    response = client.post("/articles", json=changed)
    assert response.status_code == 200
    assert response.headers["x-upsert-outcome"] == "updated"
    body = response.json()
    assert body["id"] == first["id"]
    assert body["title"] == "Harbour bridge reopens to traffic"
    assert body["external_id"] is None
    assert body["updated_at"] > first["updated_at"]
    assert body["created_at"] == first["created_at"]
    assert body["content_hash"] != first["content_hash"]


def test_repost_by_external_id_only(client: TestClient) -> None:
    first = client.post(
        "/articles", json={"external_id": "wire-7", "title": "T", "body": "B"}
    ).json()
    response = client.post("/articles", json={"external_id": "wire-7", "title": "T2", "body": "B"})
    assert response.status_code == 200
    assert response.json()["id"] == first["id"]
    assert response.json()["title"] == "T2"


def test_url_and_external_id_of_different_articles_conflict(client: TestClient) -> None:
    client.post("/articles", json=make_article(1))
    client.post("/articles", json=make_article(2))
    response = client.post(
        "/articles", json=make_article(3, url="https://example.org/news/1", external_id="ex-2")
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "ids 1, 2" in response.json()["detail"]


def test_patch_changes_only_given_fields(client: TestClient) -> None:
    created = client.post("/articles", json=ARTICLE).json()
    response = client.patch("/articles/1", json={"section": "transport", "summary": None})
    assert response.status_code == 200
    body = response.json()
    assert body["section"] == "transport"
    assert body["summary"] is None
    assert body["title"] == created["title"]
    assert body["tags"] == created["tags"]
    assert body["updated_at"] > created["updated_at"]


def test_patch_cannot_null_required_fields(client: TestClient) -> None:
    client.post("/articles", json=ARTICLE)
    response = client.patch("/articles/1", json={"title": None})
    assert response.status_code == 422
    assert client.get("/articles/1").json()["title"] == ARTICLE["title"]


def test_patch_with_no_change_keeps_updated_at(client: TestClient) -> None:
    created = client.post("/articles", json=ARTICLE).json()
    response = client.patch("/articles/1", json={"section": ARTICLE["section"]})
    assert response.json()["updated_at"] == created["updated_at"]


def test_put_replaces_and_clears_omitted_fields(client: TestClient) -> None:
    client.post("/articles", json=ARTICLE)
    response = client.put("/articles/1", json={"title": "New title", "body": "New body."})
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["body"], body["url"], body["tags"], body["source"]) == (
        "New title",
        "New body.",
        None,
        [],
        None,
    )


def test_put_or_patch_to_a_taken_url_conflicts_and_changes_nothing(client: TestClient) -> None:
    client.post("/articles", json=make_article(1))
    client.post("/articles", json=make_article(2))
    response = client.patch("/articles/2", json={"url": "https://example.org/news/1"})
    assert response.status_code == 409
    assert "article 1" in response.json()["detail"]
    assert client.get("/articles/2").json()["url"] == "https://example.org/news/2"


def test_delete_then_404(client: TestClient) -> None:
    client.post("/articles", json=ARTICLE)
    assert client.delete("/articles/1").status_code == 204
    assert client.get("/articles/1").status_code == 404
    assert client.delete("/articles/1").status_code == 404


def test_unknown_id_is_404_problem(client: TestClient) -> None:
    for method in ("get", "delete"):
        response = client.request(method, "/articles/999")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            "type": "https://newsarchive.dev/problems/not-found",
            "title": "Not Found",
            "status": 404,
            "detail": "No article with id 999.",
        }
    assert client.patch("/articles/999", json={"title": "x"}).status_code == 404
    assert client.put("/articles/999", json={"title": "x", "body": "y"}).status_code == 404


def test_same_content_under_another_url_is_recorded_as_duplicate(client: TestClient) -> None:
    first = client.post("/articles", json=make_article(1, title="Same story")).json()
    second = client.post("/articles", json=make_article(2, title="Same story")).json()
    third = client.post("/articles", json=make_article(3, title="Same   story ")).json()
    assert (first["duplicate_of"], second["duplicate_of"], third["duplicate_of"]) == (None, 1, 1)
    changed = client.patch("/articles/2", json={"title": "A different story"}).json()
    assert changed["duplicate_of"] is None
    client.delete("/articles/1")
    assert client.get("/articles/3").json()["duplicate_of"] is None


def test_publisher_fields_round_trip(client: TestClient) -> None:
    payload = {
        **ARTICLE,
        "image_caption": "The bridge at dawn.",
        "credit": "Reuters",
        "related_titles": ["Bridge closes for repairs", "Ferry service extended"],
    }
    body = client.post("/articles", json=payload).json()
    assert (body["image_caption"], body["credit"], body["related_titles"]) == (
        "The bridge at dawn.",
        "Reuters",
        ["Bridge closes for repairs", "Ferry service extended"],
    )
