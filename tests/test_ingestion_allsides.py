"""AllSides JSON articles: field rules on objects of our own, counts on the corpus sample."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.ingestion.allsides import (
    iter_allsides,
    parse_allsides,
    parse_allsides_date,
    parse_allsides_file,
    parse_authors,
)
from app.ingestion.parsed import ParseError
from app.paths import SHARED_DATA
from tests.corpus import requires_corpus

RECORD = {
    "topic": "transportation",
    "source": "Tarnby Courier",
    "bias": 1,
    "url": "https://courier.example/2019/06/02/bridge",
    "title": "  Bridge vote\n delayed again ",
    "date": "2019-06-02",
    "authors": "Ada Lindqvist, Tom Howell, Jr., Courier Staff Writer, Ada Lindqvist",
    "content_original": (
        "ADVERTISEMENT\n\nThe council delayed its vote on the river bridge.\n"
        "Copyright law was not the reason, officials said.\n\n"
        "Advertisement\n7 years ago\n"
        "Copyright \u00a9 2019 Tarnby Courier. Click here for reprint permission."
    ),
    "content": "the council delayed its vote ...",
    "source_url": "www.courier.example",
    "bias_text": "center",
    "ID": "abc123XYZ",
}


def test_parse_record() -> None:
    article = parse_allsides(RECORD)
    assert article.title == "Bridge vote delayed again"
    assert article.body == (
        "The council delayed its vote on the river bridge.\n\n"
        "Copyright law was not the reason, officials said."
    )
    assert article.removed == [
        "ADVERTISEMENT",
        "Advertisement",
        "7 years ago",
        "Copyright \u00a9 2019 Tarnby Courier. Click here for reprint permission.",
    ]
    assert article.authors == ["Ada Lindqvist", "Tom Howell Jr."]
    assert article.source == "Tarnby Courier"
    assert article.url == "https://courier.example/2019/06/02/bridge"
    assert article.external_id == "allsides:abc123XYZ"
    assert article.tags == ["transportation"]
    assert article.published_at == datetime(2019, 6, 2, tzinfo=UTC)
    assert article.extra == {
        "ID": "abc123XYZ",
        "topic": "transportation",
        "source_url": "www.courier.example",
        "bias_text": "center",
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2019-06-02", datetime(2019, 6, 2, tzinfo=UTC)),
        ("", None),
        ("0001-11-30", None),
        ("2019-02-30", None),
        ("June 2, 2019", None),
    ],
)
def test_dates_are_never_guessed(raw: str, expected: datetime | None) -> None:
    assert parse_allsides_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("John Avlon, Cnn Contributor", ["John Avlon"]),
        ("Dom Calicchio, Tom Mentzer, Feinstein Spokesman", ["Dom Calicchio", "Tom Mentzer"]),
        ("Associated Press", ["Associated Press"]),
    ],
)
def test_parse_authors(raw: str, expected: list[str]) -> None:
    assert parse_authors(raw) == expected


def test_missing_title_or_body_raises() -> None:
    with pytest.raises(ParseError, match=r"^the article has no title$"):
        parse_allsides({**RECORD, "title": " "})
    with pytest.raises(ParseError, match=r"^the article has no content_original text$"):
        parse_allsides({**RECORD, "content_original": "Advertisement\n"})


def test_files(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text(json.dumps(RECORD), encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps({**RECORD, "ID": "first"}), encoding="utf-8")
    (tmp_path / "c.json").write_text("[1, 2]", encoding="utf-8")
    assert [a.external_id for a in iter_allsides(tmp_path)] == [
        "allsides:first",
        "allsides:abc123XYZ",
    ]
    with pytest.raises(ParseError, match=r"^c\.json does not hold a JSON object$"):
        parse_allsides_file(tmp_path / "c.json")


@requires_corpus
@pytest.mark.corpus
def test_allsides_corpus_counts() -> None:
    directory = SHARED_DATA / "allsides" / "jsons"
    assert len(list(directory.glob("*.json"))) == 2300
    articles = list(iter_allsides(directory))
    assert len(articles) == 2300
    # 274 empty dates and one "0001-11-30".
    assert sum(a.published_at is None for a in articles) == 275
    dates = [a.published_at for a in articles if a.published_at is not None]
    assert min(dates) == datetime(2012, 5, 31, tzinfo=UTC)
    assert max(dates) == datetime(2020, 7, 20, tzinfo=UTC)
    assert len({a.external_id for a in articles}) == 2300
    assert not any("Click here for reprint permission" in a.body for a in articles)
