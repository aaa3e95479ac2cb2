"""POST /articles/import: raw page text and HTML pages cleaned into stored articles."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.paths import SHARED_DATA
from tests.corpus import requires_corpus

CAPTION = "Volunteers repaint the lighthouse gallery at Skerry Point on a calm morning."

RAW_TEXT = f"""Skerry Point lighthouse lit again after restoration

The tower's lamp shone on Saturday for the first time since 2019

{CAPTION}
Photo: AP

{CAPTION}

The lighthouse at Skerry Point was lit again on Saturday evening after a two-year restoration.

READ MORE: Coastal walking path reopens at Skerry Point

Loading...

A crowd of about two hundred people watched from the harbour wall.

Share this article
Home
Local
"""

TEXT_HEADERS = {"Content-Type": "text/plain; charset=utf-8"}
URL = "https://courier.example/news/skerry-point-lighthouse"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Ferry service to Lindholm resumes | Coastal Courier</title>
<meta property="og:title" content="Ferry service to Lindholm resumes">
<meta name="description" content="The island ferry is back after a winter of engine repairs.">
<meta property="og:site_name" content="Coastal Courier">
<meta property="article:published_time" content="2024-03-04T08:15:00+01:00">
<link rel="canonical" href="https://courier.example/news/ferry-lindholm-resumes">
</head>
<body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article>
<h1>Ferry service to Lindholm resumes</h1>
<p>The ferry between the harbour and Lindholm island sailed again on Monday morning, three months after its engine failed in a December storm.</p>
<p>Islanders had relied on a smaller boat that carried no cars and sailed only twice a day, which kept the island's shop short of fresh goods for weeks.</p>
<p>The operator said the repaired engine had passed its sea trials last week and that the full timetable would apply from the start of April.</p>
</article>
<aside><p>Subscribe to our newsletter for the latest local news.</p></aside>
<footer><p>Copyright 2024 Coastal Courier. All rights reserved.</p></footer>
</body>
</html>
"""


def import_text(client: TestClient, text: str | bytes, **params: Any) -> Any:
    content = text.encode("utf-8") if isinstance(text, str) else text
    return client.post("/articles/import", content=content, params=params, headers=TEXT_HEADERS)


def test_raw_text_is_cleaned_stored_and_reported(client: TestClient) -> None:
    response = import_text(
        client,
        RAW_TEXT,
        url=URL,
        source="Coastal Courier",
        published_at="2024-06-01T18:00:00+02:00",
        section="local",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/articles/{body['id']}"
    assert response.headers["x-upsert-outcome"] == "created"
    assert body["title"] == "Skerry Point lighthouse lit again after restoration"
    assert body["summary"] == "The tower's lamp shone on Saturday for the first time since 2019"
    assert body["body"] == (
        "The lighthouse at Skerry Point was lit again on Saturday evening after a two-year"
        " restoration.\n\n"
        "A crowd of about two hundred people watched from the harbour wall."
    )
    assert body["url"] == URL
    assert body["source"] == "Coastal Courier"
    assert body["section"] == "local"
    assert body["language"] == "en"
    assert body["published_at"] == "2024-06-01T16:00:00+00:00"
    assert body["image_caption"] == CAPTION
    assert body["credit"] == "Photo: AP"
    assert body["related_titles"] == ["Coastal walking path reopens at Skerry Point"]
    assert body["cleaning"] == {
        "removed": [
            CAPTION,
            "Photo: AP",
            CAPTION,
            "READ MORE: Coastal walking path reopens at Skerry Point",
            "Loading...",
            "Share this article",
            "Home",
            "Local",
        ],
        "image_caption": CAPTION,
        "credit": "Photo: AP",
        "related_titles": ["Coastal walking path reopens at Skerry Point"],
    }
    stored = client.get(f"/articles/{body['id']}").json()
    assert stored == {key: value for key, value in body.items() if key != "cleaning"}


def test_same_url_again_is_200_unchanged_with_the_same_id(client: TestClient) -> None:
    first = import_text(client, RAW_TEXT, url=URL).json()
    again = import_text(client, RAW_TEXT, url=URL)
    assert again.status_code == 200
    assert again.headers["x-upsert-outcome"] == "unchanged"
    assert "location" not in again.headers
    assert again.json() == first
    edited = import_text(client, RAW_TEXT.replace("two hundred", "three hundred"), url=URL)
    assert edited.status_code == 200
    assert edited.headers["x-upsert-outcome"] == "updated"
    assert edited.json()["id"] == first["id"]
    assert client.get("/articles", params={"count": "true"}).json()["count"] == 1


def test_html_page(client: TestClient) -> None:
    response = client.post(
        "/articles/import",
        content=PAGE.encode("utf-8"),
        headers={"Content-Type": "text/html"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["title"] == "Ferry service to Lindholm resumes"
    assert body["summary"] == "The island ferry is back after a winter of engine repairs."
    assert body["url"] == "https://courier.example/news/ferry-lindholm-resumes"
    assert body["source"] == "Coastal Courier"
    assert body["published_at"] == "2024-03-04T07:15:00+00:00"
    assert body["body"].split("\n\n") == [
        "The ferry between the harbour and Lindholm island sailed again on Monday morning,"
        " three months after its engine failed in a December storm.",
        "Islanders had relied on a smaller boat that carried no cars and sailed only twice a"
        " day, which kept the island's shop short of fresh goods for weeks.",
        "The operator said the repaired engine had passed its sea trials last week and that"
        " the full timetable would apply from the start of April.",
    ]
    assert body["cleaning"] == {
        "removed": ["Ferry service to Lindholm resumes"],
        "image_caption": None,
        "credit": None,
        "related_titles": [],
    }


def test_query_parameters_win_over_the_page(client: TestClient) -> None:
    response = client.post(
        "/articles/import",
        content=PAGE.encode("utf-8"),
        params={"url": "https://mirror.example/ferry", "source": "Mirror", "language": "de"},
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["url"], body["source"], body["language"]) == (
        "https://mirror.example/ferry",
        "Mirror",
        "de",
    )


def test_charset_from_content_type_is_used(client: TestClient) -> None:
    text = RAW_TEXT.replace("Skerry Point lighthouse", "Skærry Point lighthouse", 1)
    response = client.post(
        "/articles/import",
        content=text.encode("latin-1"),
        headers={"Content-Type": "text/plain; charset=ISO-8859-1"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Skærry Point lighthouse lit again after restoration"


def test_undecodable_bytes_name_their_offset(client: TestClient) -> None:
    raw = b"Headline\n\nA body with a bad byte \xff here.\n"
    response = import_text(client, raw)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "body: not valid utf-8: byte 0xff at byte offset 33"
    assert raw.index(b"\xff") == 33


def test_binary_bytes_are_415_naming_the_offset(client: TestClient) -> None:
    response = import_text(client, b"PK\x03\x04\x00\x00binary")
    assert response.status_code == 415
    assert response.json()["detail"] == (
        "The body looks binary (a NUL byte at byte offset 4); send text."
    )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "body: the text is empty"),
        ("   \n\n  \n", "body: the text is empty"),
        ("Only a headline\n", "body: the text has a headline but no body"),
    ],
)
def test_empty_or_headline_only_text_is_422(client: TestClient, text: str, detail: str) -> None:
    response = import_text(client, text)
    assert response.status_code == 422
    assert response.json()["detail"] == detail


def test_bad_query_values_point_at_the_query(client: TestClient) -> None:
    response = import_text(client, RAW_TEXT, url="not a url", language="fr")
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["query", "url"]]
    language = import_text(client, RAW_TEXT, language="english")
    assert language.status_code == 422
    assert [error["loc"] for error in language.json()["errors"]] == [["query", "language"]]
    naive = import_text(client, RAW_TEXT, published_at="2024-06-01T18:00:00")
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["loc"] == ["query", "published_at"]


def test_other_content_types_are_415(client: TestClient) -> None:
    response = client.post("/articles/import", json={"title": "x", "body": "y"})
    assert response.status_code == 415
    assert response.json()["detail"] == (
        "Content-Type application/json is not supported here; send text/plain or text/html."
    )


def test_import_needs_a_write_key(anonymous_client: TestClient) -> None:
    response = import_text(anonymous_client, RAW_TEXT)
    assert response.status_code == 401


@requires_corpus
@pytest.mark.corpus
def test_shared_sample_file(client: TestClient) -> None:
    path = SHARED_DATA / "samples" / "raw-article-azerbaijan-armenia.txt"
    response = import_text(client, path.read_bytes(), source="Sample")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["title"] == "Azerbaijan captures six Armenian soldiers at border"
    assert body["summary"] == (
        "Armenia confirms the capture which Azerbaijan Defense Ministry says occurred when the"
        " troops \u201cattempted to cross the border and place mines\u201d on supply routes"
        " leading to Azerbaijani positions."
    )
    stored = client.get(f"/articles/{body['id']}").json()
    paragraphs = set(stored["body"].split("\n\n"))
    for debris in body["cleaning"]["removed"]:
        assert debris not in paragraphs
        assert f"\n{debris}\n" not in stored["body"]
    for debris in ("Loading...", "Route 6", "READ MORE"):
        assert debris not in stored["body"]
    assert body["cleaning"]["credit"] == "Reuters"
    assert len(body["cleaning"]["related_titles"]) == 2
    assert body["cleaning"]["removed"][-1] == "Route 6"
