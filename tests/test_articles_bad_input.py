"""Bad input gets a problem+json with the right status and never changes what is stored."""

import shutil
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.db import make_engine
from app.main import create_app
from tests.test_articles_api import ARTICLE


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert set(problem) >= {"type", "title", "status", "detail"}
    assert "Traceback" not in response.text
    assert "SELECT" not in response.text.upper().split("DETAIL")[0]
    return problem


def stored_count(client: TestClient) -> int:
    count: int = client.get("/articles", params={"count": True}).json()["count"]
    return count


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({**ARTICLE, "title": "   "}, ["body", "title"]),
        ({k: v for k, v in ARTICLE.items() if k != "title"}, ["body", "title"]),
        ({**ARTICLE, "body": ""}, ["body", "body"]),
        ({k: v for k, v in ARTICLE.items() if k != "body"}, ["body", "body"]),
        ({**ARTICLE, "title": "x" * 1001}, ["body", "title"]),
        ({**ARTICLE, "tags": "not-a-list"}, ["body", "tags"]),
        ({**ARTICLE, "authors": [1, 2]}, ["body", "authors", 0]),
        ({**ARTICLE, "published_at": "2024-02-30T10:00:00+00:00"}, ["body", "published_at"]),
        ({**ARTICLE, "published_at": "2024-05-17T09:30:00"}, ["body", "published_at"]),
        ({**ARTICLE, "published_at": "yesterday"}, ["body", "published_at"]),
        ({**ARTICLE, "published_at": 1715931000}, ["body", "published_at"]),
        ({**ARTICLE, "language": "english"}, ["body", "language"]),
        ({**ARTICLE, "language": "zz"}, ["body", "language"]),
        ({**ARTICLE, "url": "not a url"}, ["body", "url"]),
        ({**ARTICLE, "url": "ftp://example.org/x"}, ["body", "url"]),
        ({**ARTICLE, "unknown_field": 1}, ["body", "unknown_field"]),
    ],
)
def test_invalid_articles_are_422_with_the_field(
    client: TestClient, payload: dict[str, Any], loc: list[Any]
) -> None:
    problem = assert_problem(client.post("/articles", json=payload), 422)
    assert problem["errors"][0]["loc"] == loc
    assert problem["type"].endswith("/validation-error")
    assert stored_count(client) == 0


def test_naive_datetime_message_is_clear(client: TestClient) -> None:
    problem = assert_problem(
        client.post("/articles", json={**ARTICLE, "published_at": "2024-05-17T09:30:00"}), 422
    )
    assert "timezone" in problem["errors"][0]["msg"]


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/articles",
        content=b'{"title": "x", "body": ',
        headers={"content-type": "application/json"},
    )
    problem = assert_problem(response, 422)
    assert "malformed JSON" in problem["errors"][0]["msg"]


def test_json_that_is_not_an_object_is_422(client: TestClient) -> None:
    assert_problem(client.post("/articles", json=["a"]), 422)


def test_unsupported_media_type_is_415(client: TestClient) -> None:
    response = client.post(
        "/articles",
        content=b"title=x&body=y",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert "application/json" in assert_problem(response, 415)["detail"]
    response = client.post("/articles", content=b"<a/>", headers={"content-type": "text/xml"})
    assert_problem(response, 415)


def test_non_integer_id_is_422(client: TestClient) -> None:
    assert_problem(client.get("/articles/abc"), 422)


def test_body_over_configured_limit_is_413(settings: Settings, write_key: str) -> None:
    limited = settings.model_copy(update={"MAX_BODY_CHARS": 100})
    headers = {"Authorization": f"Bearer {write_key}"}
    with TestClient(create_app(limited), headers=headers) as client:
        client.post("/articles", json=ARTICLE)
        problem = assert_problem(
            client.post(
                "/articles", json={**ARTICLE, "url": None, "external_id": None, "body": "x" * 101}
            ),
            413,
        )
        assert "limit is 100" in problem["detail"]
        assert_problem(client.patch("/articles/1", json={"body": "y" * 101}), 413)
        assert client.get("/articles/1").json()["body"] == ARTICLE["body"]
        assert stored_count(client) == 1


def test_request_over_byte_limit_is_413_even_without_content_length(
    settings: Settings, write_key: str
) -> None:
    limited = settings.model_copy(update={"MAX_REQUEST_BYTES": 2048})
    headers = {"Authorization": f"Bearer {write_key}"}
    with TestClient(create_app(limited), headers=headers) as client:
        big = {**ARTICLE, "body": "z" * 5000}
        assert_problem(client.post("/articles", json=big), 413)

        def chunks() -> Any:
            yield b'{"title": "t", "body": "'
            for _ in range(10):
                yield b"z" * 1000
            yield b'"}'

        response = client.post(
            "/articles", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_problem(response, 413)
        assert stored_count(client) == 0


def test_unknown_route_is_problem_404(client: TestClient) -> None:
    assert_problem(client.get("/nowhere"), 404)


def test_wrong_method_is_problem_405(client: TestClient) -> None:
    assert_problem(client.delete("/articles"), 405)


def test_database_unreachable_is_503_without_driver_text(settings: Settings, tmp_path: Any) -> None:
    app = create_app(settings)
    # Point the app at a SQLite file whose directory is then removed: a real connect failure.
    gone = tmp_path / "gone"
    app.state.engine = make_engine(
        settings.model_copy(update={"DATABASE_URL": f"sqlite:///{gone}/a.db"})
    )
    shutil.rmtree(gone)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/articles/1")
        problem = assert_problem(response, 503)
        assert problem["detail"] == "The database is temporarily unavailable; try again shortly."
        assert response.headers["retry-after"] == "2"
        assert "sqlite" not in response.text.lower()
