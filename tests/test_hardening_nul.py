"""A NUL character (U+0000) is refused with 422 naming the parameter, on both databases alike:
PostgreSQL can neither store nor look it up, SQLite would have stored it."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.test_articles_api import ARTICLE, make_article
from tests.test_articles_bad_input import assert_problem, stored_count

NUL = "a\x00b"


def assert_nul_refused(response: Any, loc: list[Any]) -> None:
    problem = assert_problem(response, 422)
    assert problem["errors"] == [{"loc": loc, "msg": "must not contain a NUL character (U+0000)"}]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"title": NUL}, ["title"]),
        ({"summary": NUL}, ["summary"]),
        ({"body": NUL}, ["body"]),
        ({"source": NUL}, ["source"]),
        ({"section": NUL}, ["section"]),
        ({"external_id": NUL}, ["external_id"]),
        ({"url": "https://example.org/a\x00b"}, ["url"]),
        ({"credit": NUL}, ["credit"]),
        ({"image_caption": NUL}, ["image_caption"]),
        ({"tags": ["ok", NUL]}, ["tags", 1]),
        ({"authors": [NUL]}, ["authors", 0]),
        ({"related_titles": [NUL]}, ["related_titles", 0]),
        ({"entities": [{"name": NUL, "type": "person"}]}, ["entities", 0, "name"]),
        ({NUL: 1}, [NUL]),
    ],
)
def test_article_writes_refuse_a_nul_anywhere(
    client: TestClient, change: dict[str, Any], loc: list[Any]
) -> None:
    assert_nul_refused(client.post("/articles", json={**ARTICLE, **change}), ["body", *loc])
    assert stored_count(client) == 0
    assert client.post("/articles", json=ARTICLE).status_code == 201
    assert_nul_refused(client.put("/articles/1", json={**ARTICLE, **change}), ["body", *loc])
    assert_nul_refused(client.patch("/articles/1", json=change), ["body", *loc])
    assert client.get("/articles/1").json()["title"] == ARTICLE["title"]


def test_the_escape_written_out_is_ordinary_text(client: TestClient) -> None:
    title = "C string terminator \\u0000"
    response = client.post("/articles", json={**ARTICLE, "title": title})
    assert response.status_code == 201, response.text
    assert client.get("/articles/1").json()["title"] == title


def test_a_bulk_line_with_a_nul_fails_alone(client: TestClient) -> None:
    items = [make_article(1), make_article(2, body=NUL), make_article(3)]
    content = "\n".join(json.dumps(item) for item in items)
    response = client.post(
        "/articles/bulk", content=content.encode(), headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 200, response.text
    results = response.json()["items"]
    assert [item["status"] for item in results] == ["created", "error", "created"]
    assert "body must not contain a NUL character" in results[1]["error"]
    assert stored_count(client) == 2


def test_a_bulk_array_with_a_nul_is_refused_whole(client: TestClient) -> None:
    # A JSON array is typed by the schema, an article per item: one that is not fails it all.
    items = [make_article(1), make_article(2, body=NUL), make_article(3)]
    response = client.post("/articles/bulk", json=items)
    problem = assert_problem(response, 422)
    assert problem["errors"] == [
        {"loc": ["body", 1], "msg": "Value error, body must not contain a NUL character (U+0000)"}
    ]
    assert stored_count(client) == 0


def test_an_imported_text_with_a_nul_is_refused(client: TestClient) -> None:
    # In UTF-16 a NUL is ordinary text to the decoder, not a sign of binary data.
    page = "Harbour bridge reopens\n\nThe bridge reopened\x00 on Friday."
    response = client.post(
        "/articles/import",
        content=page.encode("utf-16"),
        headers={"content-type": "text/plain; charset=utf-16"},
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body"]
    assert "body must not contain a NUL character" in problem["errors"][0]["msg"]
    assert stored_count(client) == 0


@pytest.mark.parametrize(
    ("path", "params", "loc"),
    [
        ("/articles", {"source": NUL}, ["query", "source"]),
        ("/articles", {"section": NUL}, ["query", "section"]),
        ("/articles", {"language": NUL}, ["query", "language"]),
        ("/articles", {"tag": ["ok", NUL]}, ["query", "tag"]),
        ("/articles", {"cursor": NUL}, ["query", "cursor"]),
        ("/articles", {NUL: "x"}, ["query", NUL]),
        ("/entities", {"q": NUL}, ["query", "q"]),
        ("/search", {"q": NUL}, ["query", "q"]),
        ("/search", {"entity": NUL}, ["query", "entity"]),
        ("/search", {"any_entity": NUL}, ["query", "any_entity"]),
        ("/search", {"source": NUL}, ["query", "source"]),
    ],
)
def test_query_parameters_with_a_nul_are_refused(
    client: TestClient, anonymous_client: TestClient, path: str, params: Any, loc: list[Any]
) -> None:
    assert_nul_refused(client.get(path, params=params), loc)
    assert_nul_refused(anonymous_client.get(path, params=params), loc)


def test_an_import_query_parameter_with_a_nul_is_refused(client: TestClient) -> None:
    response = client.post(
        "/articles/import",
        params={"source": NUL},
        content=b"Harbour bridge reopens\n\nThe bridge reopened on Friday.",
        headers={"content-type": "text/plain"},
    )
    assert_nul_refused(response, ["query", "source"])


@pytest.mark.parametrize(
    ("method", "path", "loc"),
    [
        ("GET", "/entities/a%00b", ["path", "slug"]),
        ("GET", "/entities/a%00b/articles", ["path", "slug"]),
        ("PATCH", "/entities/a%00b", ["path", "slug"]),
        ("POST", "/entities/a%00b/aliases", ["path", "slug"]),
        ("GET", "/articles/1%00", ["path", "article_id"]),
    ],
)
def test_path_parameters_with_a_nul_are_refused(
    client: TestClient, method: str, path: str, loc: list[Any]
) -> None:
    body = {"alias": "x"} if path.endswith("aliases") else {"name": "X"}
    assert_nul_refused(client.request(method, path, json=body), loc)


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/entities/someone/aliases", {"alias": NUL}, ["body", "alias"]),
        ("/entities/someone", {"name": NUL}, ["body", "name"]),
        ("/entities/merge", {"into": NUL, "merge": "x"}, ["body", "into"]),
        ("/search", {"entity": ["x", NUL]}, ["body", "entity", 1]),
        ("/search", {"q": NUL}, ["body", "q"]),
    ],
)
def test_json_bodies_with_a_nul_are_refused(
    client: TestClient, path: str, body: dict[str, Any], loc: list[Any]
) -> None:
    method = "PATCH" if path == "/entities/someone" else "POST"
    assert_nul_refused(client.request(method, path, json=body), loc)
