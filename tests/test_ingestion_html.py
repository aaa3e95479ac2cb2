"""HTML article pages: main text without page furniture, metadata from the markup."""

import re
from datetime import UTC, datetime

import pytest

from app.ingestion.html import parse_html
from app.ingestion.parsed import ParseError

PARAGRAPHS = [
    "The municipal library in Tarnby reopened on Monday after eight months of repairs"
    " to its flooded basement, the town council said in a statement.",
    "Volunteers spent the last three weeks shelving more than forty thousand donated"
    " books, replacing most of the collection lost when the river burst its banks.",
    "The head librarian said the new reading room would stay open until nine in the"
    " evening on weekdays, two hours later than before the flood.",
]


def page(*, head_extra: str = "", lang: str = ' lang="en-GB"') -> str:
    body = "\n".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html{lang}>
<head>
<meta charset="utf-8">
<title>Library reopens after flood | Tarnby Courier</title>
<meta property="og:title" content="Library reopens after flood">
<meta property="og:site_name" content="Tarnby Courier">
<meta name="author" content="Ada Lindqvist">
<meta name="description" content="Tarnby's library is open again after flood repairs.">
<link rel="canonical" href="https://courier.example/news/library-reopens">
{head_extra}
</head>
<body>
<header><nav><ul>
<li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
</ul></nav></header>
<main>
<article>
<h1>Library reopens after flood</h1>
{body}
<aside class="advertisement ad-slot"><p>Sponsored: Buy discount garden furniture today</p></aside>
</article>
</main>
<footer><p>Copyright Tarnby Courier. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body>
</html>"""


JSON_LD = """<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [{"@type": "NewsArticle",
 "datePublished": "2021-03-02T09:30:00+01:00", "headline": "Library reopens after flood"}]}
</script>"""


def test_main_text_and_metadata() -> None:
    article = parse_html(page(head_extra=JSON_LD))
    assert article.title == "Library reopens after flood"
    assert article.body == "\n\n".join(PARAGRAPHS)
    assert article.url == "https://courier.example/news/library-reopens"
    assert article.authors == ["Ada Lindqvist"]
    assert article.source == "Tarnby Courier"
    assert article.language == "en"
    assert article.summary == "Tarnby's library is open again after flood repairs."
    assert article.published_at == datetime(2021, 3, 2, 8, 30, tzinfo=UTC)
    assert article.removed == ["Library reopens after flood"]


@pytest.mark.parametrize("debris", ["Home", "Sport", "Sponsored", "garden furniture", "Copyright"])
def test_navigation_ads_and_footer_stay_out_of_the_body(debris: str) -> None:
    assert debris not in parse_html(page(head_extra=JSON_LD)).body


def test_meta_time_with_offset_is_kept_to_the_second() -> None:
    meta = '<meta property="article:published_time" content="2021-03-02T22:15:07-05:00">'
    assert parse_html(page(head_extra=meta)).published_at == datetime(
        2021, 3, 3, 3, 15, 7, tzinfo=UTC
    )


def test_time_without_zone_keeps_only_the_day() -> None:
    meta = '<meta property="article:published_time" content="2021-03-02T22:15:07">'
    assert parse_html(page(head_extra=meta)).published_at == datetime(2021, 3, 2, tzinfo=UTC)


def test_no_date_in_markup_gives_none_and_no_lang_gives_none() -> None:
    article = parse_html(page(lang=""))
    assert article.published_at is None
    assert article.language is None


def test_fetch_url_is_used_without_canonical() -> None:
    html = page().replace(
        '<link rel="canonical" href="https://courier.example/news/library-reopens">', ""
    )
    assert (
        parse_html(html, url="https://courier.example/a?id=7").url
        == "https://courier.example/a?id=7"
    )


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("", "the HTML is empty"),
        (
            "<html><head><title>Empty</title></head><body></body></html>",
            "no main text found in the HTML",
        ),
        ("<html><body><nav><a href='/'>Home</a></nav></body></html>", "the page has no title"),
    ],
)
def test_unusable_pages_raise_parse_error(html: str, message: str) -> None:
    with pytest.raises(ParseError, match=f"^{re.escape(message)}$"):
        parse_html(html)


def test_date_found_by_htmldate_keeps_only_the_day() -> None:
    meta = '<meta property="og:updated_time" content="2021-03-04T10:00:00+00:00">'
    html = page(head_extra=meta).replace("/news/library", "/2021/03/02/library")
    assert parse_html(html).published_at == datetime(2021, 3, 2, tzinfo=UTC)
