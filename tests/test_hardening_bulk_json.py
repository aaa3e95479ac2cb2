"""Deeply nested JSON in a bulk request: 400 for an array body, one failed item in NDJSON."""

import json

from fastapi.testclient import TestClient

from tests.test_articles_api import make_article
from tests.test_articles_bad_input import assert_problem, stored_count

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_deeply_nested_array_body_is_400_like_other_routes(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    problem = assert_problem(client.post("/articles/bulk", content=DEEP, headers=headers), 400)
    assert "nested too deeply" in problem["detail"]
    # The same body elsewhere: FastAPI's own answer.
    assert_problem(client.post("/articles", content=DEEP, headers=headers), 400)
    assert stored_count(client) == 0


def test_a_deeply_nested_ndjson_line_fails_alone(client: TestClient) -> None:
    lines = [
        json.dumps(make_article(1)),
        DEEP,
        '{"title": ' + DEEP + "}",
        json.dumps(make_article(2)),
    ]
    response = client.post(
        "/articles/bulk",
        content="\n".join(lines).encode(),
        headers={"content-type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["status"] for item in items] == ["created", "error", "error", "created"]
    assert items[1]["error"] == "line 2 is nested too deeply to be an article"
    assert items[2]["error"] == "line 3 is nested too deeply to be an article"
    assert stored_count(client) == 2
