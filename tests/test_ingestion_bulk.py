"""POST /articles/bulk: JSON Lines streamed, JSON arrays, per-article results and idempotency."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from app import outbox
from app.articles.models import Article
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.outbox import OutboxEntry
from tests.conftest import auth_headers, sync_index

NDJSON = {"Content-Type": "application/x-ndjson"}


def article(n: int, **overrides: Any) -> dict[str, Any]:
    return {
        "url": f"https://gazette.example/bulk/{n}",
        "external_id": f"bulk-{n}",
        "title": f"Council notice number {n}",
        "body": f"The council published notice number {n} about road works on Tuesday.",
        "source": "Example Gazette",
        "published_at": "2024-05-17T09:30:00+02:00",
        **overrides,
    }


def ndjson(*lines: dict[str, Any] | str) -> bytes:
    return "".join(
        (line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines
    ).encode("utf-8")


def count(client: TestClient) -> int:
    total: int = client.get("/articles", params={"count": "true"}).json()["count"]
    return total


def test_ndjson_bad_lines_are_errors_and_the_rest_is_stored(client: TestClient) -> None:
    client.post("/articles", json=article(90, external_id="owned-by-90"))
    body = ndjson(
        article(1),
        article(2),
        "{not json",
        {"body": "no title here", "language": "english"},
        # The url of the article just sent, the external_id of article 1: which one is meant?
        article(3, url=article(1)["url"], external_id="owned-by-90"),
        "",
        article(4),
    )
    response = client.post("/articles/bulk", content=body, headers=NDJSON)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["items"] == [
        {"index": 0, "status": "created", "id": 2, "error": None},
        {"index": 1, "status": "created", "id": 3, "error": None},
        {
            "index": 2,
            "status": "error",
            "id": None,
            "error": "line 3 is not JSON: Expecting property name enclosed in double quotes",
        },
        {
            "index": 3,
            "status": "error",
            "id": None,
            "error": "title: Field required; language: Value error, must be an ISO 639-1 code in"
            " lower case, such as 'en' or 'fr'",
        },
        {
            "index": 4,
            "status": "error",
            "id": None,
            "error": "url and external_id belong to different articles (ids 1, 2).",
        },
        {"index": 5, "status": "created", "id": 4, "error": None},
    ]
    assert result["totals"] == {"created": 3, "updated": 0, "unchanged": 0, "error": 3}
    assert count(client) == 4
    titles = [client.get(f"/articles/{i}").json()["title"] for i in (2, 3, 4)]
    assert titles == [
        "Council notice number 1",
        "Council notice number 2",
        "Council notice number 4",
    ]

    again = client.post("/articles/bulk", content=body, headers=NDJSON).json()
    assert [(item["status"], item["id"]) for item in again["items"]] == [
        ("unchanged", 2),
        ("unchanged", 3),
        ("error", None),
        ("error", None),
        ("error", None),
        ("unchanged", 4),
    ]
    assert again["totals"] == {"created": 0, "updated": 0, "unchanged": 3, "error": 3}
    assert count(client) == 4


def test_ndjson_streamed_in_pieces_across_chunks(client: TestClient) -> None:
    body = ndjson(*(article(n) for n in range(150)))

    def pieces() -> Iterator[bytes]:
        # Cut through lines and multi-byte characters alike; the server must not care.
        for start in range(0, len(body), 997):
            yield body[start : start + 997]

    response = client.post("/articles/bulk", content=pieces(), headers=NDJSON)
    assert response.status_code == 200, response.text
    result = response.json()
    assert [item["index"] for item in result["items"]] == list(range(150))
    assert [item["id"] for item in result["items"]] == list(range(1, 151))
    assert result["totals"] == {"created": 150, "updated": 0, "unchanged": 0, "error": 0}
    assert count(client) == 150


def test_ndjson_line_with_bad_utf8_names_its_offset(client: TestClient) -> None:
    first = ndjson(article(1))
    bad = b'{"title": "Caf\xe9 opens", "body": "A new caf\xe9."}\n'
    response = client.post(
        "/articles/bulk", content=first + bad + ndjson(article(2)), headers=NDJSON
    )
    assert response.status_code == 200
    items = response.json()["items"]
    offset = len(first) + bad.index(b"\xe9")
    assert items[1] == {
        "index": 1,
        "status": "error",
        "id": None,
        "error": f"line 2 is not valid UTF-8: byte 0xe9 at byte offset {offset} of the body",
    }
    assert [item["status"] for item in items] == ["created", "error", "created"]


def test_json_array(client: TestClient) -> None:
    # The array is typed by the schema: an item that is no article fails the whole request.
    refused = client.post("/articles/bulk", json=[article(1), {"title": "No body"}, article(2)])
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [{"loc": ["body", 1, "body"], "msg": "Field required"}]
    assert count(client) == 0
    articles = [article(1), article(2)]
    response = client.post("/articles/bulk", json=articles)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "items": [
            {"index": 0, "status": "created", "id": 1, "error": None},
            {"index": 1, "status": "created", "id": 2, "error": None},
        ],
        "totals": {"created": 2, "updated": 0, "unchanged": 0, "error": 0},
    }
    articles[1] = article(2, title="Council notice number 2, corrected")
    again = client.post("/articles/bulk", json=articles).json()
    assert [item["status"] for item in again["items"]] == ["unchanged", "updated"]
    assert again["totals"] == {"created": 0, "updated": 1, "unchanged": 1, "error": 0}
    assert client.get("/articles/2").json()["title"] == "Council notice number 2, corrected"


@pytest.mark.parametrize(
    ("content", "status", "detail"),
    [
        (
            b'[{"title": "x", "body": "caf\xe9"}]',
            422,
            "body: not valid utf-8: byte 0xe9 at byte offset 28",
        ),
        (b'{"title": "x", "body": "y"}', 422, "body: must be a JSON array of articles"),
        (b"[{]", 422, "body: malformed JSON: Expecting property name enclosed in double quotes"),
    ],
)
def test_json_array_body_errors(
    client: TestClient, content: bytes, status: int, detail: str
) -> None:
    response = client.post(
        "/articles/bulk", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == detail
    assert count(client) == 0


@pytest.fixture
def limited_client(settings: Settings, write_key: str) -> Iterator[TestClient]:
    limited = settings.model_copy(update={"BULK_MAX_ITEMS": 2, "MAX_BODY_CHARS": 200})
    with TestClient(create_app(limited), headers=auth_headers(write_key)) as test_client:
        yield test_client


def test_json_array_over_the_limit_is_413(limited_client: TestClient) -> None:
    response = limited_client.post("/articles/bulk", json=[article(1), article(2), article(3)])
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "The array has 3 articles; the limit is 2. "
        "Send fewer, or send application/x-ndjson, which has no count limit."
    )
    assert count(limited_client) == 0
    # JSON Lines has no count limit; the body limit still applies per article.
    lines = ndjson(article(1), article(2), article(3, body="x" * 201))
    result = limited_client.post("/articles/bulk", content=lines, headers=NDJSON).json()
    assert result["totals"] == {"created": 2, "updated": 0, "unchanged": 0, "error": 1}
    assert result["items"][2]["error"] == "body has 201 characters; the limit is 200"


def test_unsupported_content_type_is_415(client: TestClient) -> None:
    response = client.post(
        "/articles/bulk", content=b"title,body\n", headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 415


def test_bulk_needs_a_write_key(anonymous_client: TestClient) -> None:
    response = anonymous_client.post("/articles/bulk", content=ndjson(article(1)), headers=NDJSON)
    assert response.status_code == 401


def test_a_failing_article_leaves_nothing_behind(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    enqueue = outbox.enqueue_upsert

    def failing_for_article_2(*, session: Session, article_id: int) -> None:
        stored = session.get(Article, article_id)
        if stored is not None and stored.external_id == "bulk-2":
            raise OperationalError("INSERT INTO search_outbox", {}, Exception("disk I/O error"))
        enqueue(session=session, article_id=article_id)

    monkeypatch.setattr(outbox, "enqueue_upsert", failing_for_article_2)
    result = client.post(
        "/articles/bulk", content=ndjson(article(1), article(2), article(3)), headers=NDJSON
    ).json()
    assert [item["status"] for item in result["items"]] == ["created", "error", "created"]
    assert result["items"][1]["error"] == "the database refused the article (OperationalError)"
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            articles = session.exec(select(Article)).all()
            external_ids = sorted(a.external_id or "" for a in articles)
            article_ids = sorted(a.id or 0 for a in articles)
            outbox_ids = sorted(e.article_id for e in session.exec(select(OutboxEntry)).all())
    finally:
        engine.dispose()
    assert external_ids == ["bulk-1", "bulk-3"]
    assert outbox_ids == article_ids


def test_bulk_articles_become_searchable(search_client: TestClient) -> None:
    lines = ndjson(*(article(n, title=f"Lighthouse notice {n}") for n in range(5)), "oops")
    result = search_client.post("/articles/bulk", content=lines, headers=NDJSON).json()
    assert result["totals"] == {"created": 5, "updated": 0, "unchanged": 0, "error": 1}
    sync_index(search_client)
    found = search_client.get("/search", params={"q": "lighthouse notice"}).json()
    assert found["total"] == count(search_client) == 5
    assert sorted(hit["id"] for hit in found["hits"]) == [1, 2, 3, 4, 5]


def test_ndjson_may_exceed_the_request_size_limit_but_not_per_line(
    settings: Settings, write_key: str
) -> None:
    limited = settings.model_copy(update={"MAX_REQUEST_BYTES": 2048})
    with TestClient(create_app(limited), headers=auth_headers(write_key)) as client:
        body = ndjson(*(article(n) for n in range(40)))
        assert len(body) > 2048
        response = client.post("/articles/bulk", content=body, headers=NDJSON)
        assert response.status_code == 200, response.text
        assert response.json()["totals"]["created"] == 40
        huge = ndjson(article(100, body="x" * 5000))
        response = client.post("/articles/bulk", content=huge, headers=NDJSON)
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert "line 1 is longer than the limit of 2048 bytes" in response.json()["detail"]
        # The JSON-array form still counts the whole body.
        response = client.post(
            "/articles/bulk",
            content=json.dumps([article(200)] * 40),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert count(client) == 40
