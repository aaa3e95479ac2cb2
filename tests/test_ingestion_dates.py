"""Publication dates the archive reads itself: which source an import used (page metadata, URL,
text, a corpus's own field), modified_at, and the sanity rules."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.articles.schemas import DateSource
from app.config import Settings
from app.ingestion import dates, service
from app.ingestion.allsides import parse_allsides
from app.ingestion.html import parse_html
from app.ingestion.jsonl import article_from_fields
from app.ingestion.parsed import ParseError
from app.ingestion.raw_text import parse_raw_text
from app.ingestion.reuters import parse_reuters_file, to_parsed_article
from app.paths import SHARED_DATA
from tests.corpus import requires_corpus
from tests.test_ingestion_import_cli import REUTERS_SGM, run_import, stored, write_jsonl
from tests.test_ingestion_import_cli import cli_settings as cli_settings

PARAGRAPHS = (
    "The ferry operator added a second morning crossing to the island on Monday, after"
    " commuters complained for months about queues at the harbour gate.",
    "The new boat leaves at seven and returns at half past eight, and the council said it"
    " would pay for the extra crew until the end of the year.",
    "Harbour staff counted two hundred more passengers on the first day than a week before,"
    " most of them travelling to jobs on the mainland.",
)
CANONICAL = "https://gazette.example/news/ferry-crossing"


def page(*, head: str = "", canonical: str = CANONICAL, lead: str = "", byline: str = "") -> str:
    body = "\n".join(f"<p>{text}</p>" for text in (lead, *PARAGRAPHS) if text)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Second morning ferry added</title>
<meta property="og:title" content="Second morning ferry added">
<link rel="canonical" href="{canonical}">
{head}
</head><body><main><article><h1>Second morning ferry added</h1>{byline}
{body}
</article></main></body></html>"""


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def test_page_metadata_wins_and_says_so() -> None:
    json_ld = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "datePublished": "2024-05-17T09:30:00+02:00",
                "dateModified": "2024-05-17T15:00:00+02:00",
            }
        ],
    }
    parsed = parse_html(
        page(
            head=f'<script type="application/ld+json">{json.dumps(json_ld)}</script>'
            '<meta property="article:published_time" content="2024-05-16T00:00:00Z">',
            canonical="https://gazette.example/2023/01/02/ferry-crossing",
        )
    )
    assert (iso(parsed.published_at), parsed.published_at_source) == (
        "2024-05-17T07:30:00+00:00",
        DateSource.html_meta,
    )
    assert iso(parsed.modified_at) == "2024-05-17T13:00:00+00:00"


def test_meta_tags_and_time_elements_are_page_metadata() -> None:
    metas = parse_html(
        page(
            head='<meta property="article:published_time" content="2024-03-01T06:00:00Z">'
            '<meta property="article:modified_time" content="2024-03-02T06:00:00Z">'
        )
    )
    assert (iso(metas.published_at), metas.published_at_source) == (
        "2024-03-01T06:00:00+00:00",
        DateSource.html_meta,
    )
    assert iso(metas.modified_at) == "2024-03-02T06:00:00+00:00"
    timed = parse_html(page(lead='<time datetime="2024-03-04T10:15:00+01:00">4 March</time>'))
    assert (iso(timed.published_at), timed.published_at_source) == (
        "2024-03-04T09:15:00+00:00",
        DateSource.html_meta,
    )
    assert timed.modified_at is None


def test_without_metadata_the_url_then_the_text_gives_the_day() -> None:
    from_url = parse_html(page(canonical="https://gazette.example/news/2024/05/17/ferry"))
    assert (iso(from_url.published_at), from_url.published_at_source) == (
        "2024-05-17T00:00:00+00:00",
        DateSource.url,
    )
    from_text = parse_html(page(lead="Published 3rd June 2024. The harbour gate opens early."))
    assert (iso(from_text.published_at), from_text.published_at_source) == (
        "2024-06-03T00:00:00+00:00",
        DateSource.text,
    )
    # A date the page shows in its markup (htmldate's rules) is the page's text too.
    shown = parse_html(
        page(byline='<div class="byline"><span class="date">May 9, 2024</span></div>')
    )
    assert (iso(shown.published_at), shown.published_at_source) == (
        "2024-05-09T00:00:00+00:00",
        DateSource.text,
    )
    undated = parse_html(page())
    assert (undated.published_at, undated.published_at_source, undated.modified_at) == (
        None,
        None,
        None,
    )


def test_implausible_dates_are_passed_over_for_the_next_source() -> None:
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    soon = (datetime.now(UTC) + timedelta(hours=20)).replace(microsecond=0)
    for stated in (future, "1799-12-31T12:00:00Z", "0001-01-01T00:00:00+14:00"):
        parsed = parse_html(
            page(
                head=f'<meta property="article:published_time" content="{stated}">',
                canonical="https://gazette.example/2024-05-17-ferry",
            )
        )
        assert (iso(parsed.published_at), parsed.published_at_source) == (
            "2024-05-17T00:00:00+00:00",
            DateSource.url,
        ), stated
    # Within the skew a page stamped slightly ahead is believed.
    ahead = parse_html(
        page(head=f'<meta property="article:published_time" content="{soon.isoformat()}">')
    )
    assert (ahead.published_at, ahead.published_at_source) == (soon, DateSource.html_meta)
    # A modification before the publication is no modification.
    earlier = parse_html(
        page(
            head='<meta property="article:published_time" content="2024-03-01T06:00:00Z">'
            '<meta property="article:modified_time" content="2024-02-01T06:00:00Z">'
        )
    )
    assert earlier.modified_at is None


def test_the_sanity_rules() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert dates.sane(datetime(1800, 1, 1, tzinfo=UTC), now=now)
    assert not dates.sane(datetime(1799, 12, 31, 23, tzinfo=UTC), now=now)
    assert dates.sane(now + dates.FUTURE_SKEW, now=now)
    assert not dates.sane(now + dates.FUTURE_SKEW + timedelta(seconds=1), now=now)


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://a.example/news/2024/05/17/ferry", "2024-05-17"),
        ("https://a.example/2024/5/7/ferry", "2024-05-07"),
        ("https://a.example/world/2019-11-30-ferry-crossing", "2019-11-30"),
        ("https://a.example/story/20240517/ferry", "2024-05-17"),
        ("https://a.example/news/2024/05/ferry", None),  # a month is not a day
        ("https://a.example/news/2024/02/30/ferry", None),  # no such day
        ("https://a.example/article/12345678/ferry", None),  # an id, not a date
        ("https://a.example/2099/01/01/ferry", None),  # in the future
        ("https://a.example/ferry?date=2024-05-17", None),  # the path only
        (None, None),
    ],
)
def test_url_dates(url: str | None, day: str | None) -> None:
    found = dates.url_date(url)
    assert (found.date().isoformat() if found else None) == day
    assert found is None or found.tzinfo is UTC


def test_text_dates_need_a_label_near_the_start() -> None:
    assert iso(dates.text_date("Posted on: May 17, 2024 at 9:30")) == "2024-05-17T00:00:00+00:00"
    assert iso(dates.text_date("First published: 2024-05-17")) == "2024-05-17T00:00:00+00:00"
    assert dates.text_date("The war ended on 8 May 1945, he said.") is None
    far = "x" * dates.TEXT_HEAD_CHARS + " Published 17 May 2024"
    assert dates.text_date(far) is None


def test_corpus_and_file_records_say_where_their_dates_came_from(tmp_path: Path) -> None:
    sgm = tmp_path / "reut2-000.sgm"
    sgm.write_text(REUTERS_SGM, encoding="latin-1")
    records, _broken = parse_reuters_file(sgm)
    wire = to_parsed_article(records[0])
    assert (iso(wire.published_at), wire.published_at_source) == (
        "1987-03-14T09:12:44.100000+00:00",
        DateSource.feed,
    )
    record = {"ID": "a1", "title": "Ferry", "content_original": "A ferry sailed.", "url": ""}
    assert parse_allsides({**record, "date": "2019-03-02"}).published_at_source is DateSource.feed
    assert parse_allsides({**record, "date": ""}).published_at_source is None
    fields = {"title": "Ferry", "body": "A ferry sailed.", "published_at": "2024-05-17T08:00:00Z"}
    assert article_from_fields(fields).published_at_source is DateSource.client
    relayed = article_from_fields(
        {**fields, "published_at_source": "feed", "modified_at": "2024-05-18T08:00:00Z"}
    )
    assert (relayed.published_at_source, iso(relayed.modified_at)) == (
        DateSource.feed,
        "2024-05-18T08:00:00+00:00",
    )
    with pytest.raises(ParseError, match="published_at_source 'rumour' is not one of"):
        article_from_fields({**fields, "published_at_source": "rumour"})
    with pytest.raises(ParseError, match="without a published_at"):
        article_from_fields({"title": "Ferry", "body": "A ferry.", "published_at_source": "url"})


def test_an_import_falls_back_to_the_url_and_drops_implausible_feed_dates() -> None:
    record = {
        "ID": "a2",
        "title": "Ferry",
        "content_original": "A ferry sailed.",
        "url": "https://a.example/2018/07/09/ferry",
    }
    undated = service.payload_from_parsed(parse_allsides({**record, "date": ""}))
    assert (undated["published_at"], undated["published_at_source"]) == (
        "2018-07-09T00:00:00+00:00",
        DateSource.url,
    )
    future = parse_allsides({**record, "date": "2019-01-01"})
    future.published_at = datetime(2999, 1, 1, tzinfo=UTC)
    assert service.payload_from_parsed(future)["published_at_source"] is DateSource.url
    given = service.payload_from_parsed(
        parse_allsides({**record, "date": "2019-01-01"}),
        published_at=datetime(2020, 2, 2, tzinfo=UTC),
    )
    assert given["published_at_source"] is DateSource.client


def test_the_import_endpoint_reports_the_source(client: TestClient) -> None:
    html = page(canonical="https://gazette.example/news/2024/05/17/ferry")
    created = client.post("/articles/import", content=html, headers={"Content-Type": "text/html"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["published_at"], body["published_at_source"], body["modified_at"]) == (
        "2024-05-17T00:00:00+00:00",
        "url",
        None,
    )
    stated = client.post(
        "/articles/import",
        content=html,
        params={"published_at": "2024-05-16T22:00:00+00:00"},
        headers={"Content-Type": "text/html"},
    ).json()
    assert (stated["published_at"], stated["published_at_source"]) == (
        "2024-05-16T22:00:00+00:00",
        "client",
    )
    # The date and its source changed: the version read from the URL is kept.
    revisions = client.get(f"/articles/{body['id']}/revisions").json()["revisions"]
    assert [r["changed"] for r in revisions] == [["published_at", "published_at_source"]]
    text = "Ferry timetable changes\n\nThe first ferry leaves at 6.30 from Monday.\n"
    raw = client.post(
        "/articles/import",
        content=text,
        params={"url": "https://gazette.example/2024/04/30/timetable"},
        headers={"Content-Type": "text/plain"},
    ).json()
    assert (raw["published_at"], raw["published_at_source"]) == (
        "2024-04-30T00:00:00+00:00",
        "url",
    )
    labelled = client.post(
        "/articles/import",
        content="Ferry fares rise\n\nPosted on 2 May 2024\n\nFares rise by ten pence from June.\n",
        headers={"Content-Type": "text/plain"},
    ).json()
    assert (labelled["published_at"], labelled["published_at_source"]) == (
        "2024-05-02T00:00:00+00:00",
        "text",
    )


def test_the_import_command_stores_the_sources(cli_settings: Settings, tmp_path: Path) -> None:
    article = {"title": "Harbour board meets", "body": "The harbour board met on Tuesday."}
    path = write_jsonl(
        tmp_path / "articles.jsonl",
        [
            {**article, "url": "https://h.example/1", "published_at": "2024-04-02T10:00:00Z"},
            {**article, "url": "https://h.example/2024/04/03/board", "title": "Board meets again"},
            {
                **article,
                "url": "https://h.example/3",
                "title": "Board meets a third time",
                "published_at": "2024-04-04T10:00:00Z",
                "published_at_source": "html_meta",
                "modified_at": "2024-04-05T10:00:00Z",
            },
        ],
    )
    result = run_import(path)
    assert result.exit_code == 0, result.output
    assert [
        (iso(a.published_at), a.published_at_source, iso(a.modified_at))
        for a in stored(cli_settings)
    ] == [
        ("2024-04-02T10:00:00+00:00", "client", None),
        ("2024-04-03T00:00:00+00:00", "url", None),
        ("2024-04-04T10:00:00+00:00", "html_meta", "2024-04-05T10:00:00+00:00"),
    ]


SAMPLE = SHARED_DATA / "samples" / "raw-article-azerbaijan-armenia.txt"


@requires_corpus
def test_the_publisher_sample_states_no_date_and_gets_none() -> None:
    # The page export has neither a date nor a URL: no source may be claimed for one.
    parsed = parse_raw_text(SAMPLE.read_text(encoding="utf-8"))
    payload = service.payload_from_parsed(parsed)
    assert (payload["published_at"], payload["published_at_source"]) == (None, None)
