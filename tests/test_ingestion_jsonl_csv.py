"""JSON Lines and CSV uploads in our article API's field names."""

import json
from datetime import UTC, datetime

from app.ingestion.csv_rows import parse_csv_rows
from app.ingestion.jsonl import parse_jsonl
from app.ingestion.parsed import ParsedArticle, ParseError

GOOD = {
    "title": "Harbour tolls to rise",
    "body": "Tolls rise from May.\n\nThe board said costs had grown.",
    "summary": "Tolls go up",
    "authors": ["Ann Lee", "Bo Chan"],
    "tags": ["harbour", "prices"],
    "published_at": "2021-03-02T10:00:00+01:00",
    "entities": [{"name": "Tarnby", "type": "place"}],
}


def test_jsonl_yields_articles_and_errors_by_line() -> None:
    lines = [
        json.dumps(GOOD),
        "",
        "{not json",
        json.dumps({**GOOD, "body": "  "}),
        json.dumps([1]),
        json.dumps({**GOOD, "published_at": "2021-03-02"}),
    ]
    results = list(parse_jsonl(lines))
    assert [number for number, _ in results] == [1, 3, 4, 5, 6]
    first = results[0][1]
    assert isinstance(first, ParsedArticle)
    assert first.authors == ["Ann Lee", "Bo Chan"]
    assert first.published_at == datetime(2021, 3, 2, 9, tzinfo=UTC)
    assert first.entities == [{"name": "Tarnby", "type": "place"}]
    assert first.to_article_payload()["published_at"] == "2021-03-02T09:00:00+00:00"
    assert [str(r) for _, r in results[1:4]] == [
        "line 3 is not JSON: Expecting property name enclosed in double quotes",
        "line 4: body is missing or blank",
        "line 5 is not a JSON object",
    ]
    last = results[4][1]
    assert isinstance(last, ParsedArticle)
    assert last.published_at == datetime(2021, 3, 2, tzinfo=UTC)


def test_csv_rows() -> None:
    text = (
        "title,body,authors,tags,published_at,extra_column\n"
        '"Harbour tolls to rise","Tolls rise from May.\n\nThe board said so.",'
        '"Ann Lee; Bo Chan","harbour, prices",2021-03-02T10:00:00Z,x\n'
        ",No title here,,,,\n"
        "Bad date,Body,,,yesterday,\n"
    )
    results = list(parse_csv_rows(text.splitlines(keepends=True)))
    assert [number for number, _ in results] == [2, 5, 6]
    article = results[0][1]
    assert isinstance(article, ParsedArticle)
    assert article.body == "Tolls rise from May.\n\nThe board said so."
    assert article.authors == ["Ann Lee", "Bo Chan"]
    assert article.tags == ["harbour", "prices"]
    assert article.published_at == datetime(2021, 3, 2, 10, tzinfo=UTC)
    assert [str(r) for _, r in results[1:]] == [
        "line 5: title is missing or blank",
        "line 6: published_at 'yesterday' is not an ISO 8601 date",
    ]


def test_csv_without_required_columns() -> None:
    results = list(parse_csv_rows(["headline,text\n", "a,b\n"]))
    assert len(results) == 1
    number, error = results[0]
    assert number == 1
    assert isinstance(error, ParseError)
    assert str(error) == "the header lacks column(s): body, title"
