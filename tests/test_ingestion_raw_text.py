"""Raw page-export text: our own articles in the export's layout, plus the shared sample."""

import re

import pytest

from app.ingestion.parsed import ParseError
from app.ingestion.raw_text import parse_raw_text
from app.paths import SHARED_DATA
from tests.corpus import requires_corpus

CAPTION = "Volunteers sort donated books in the old library hall in Tarnby, March 2, 2021."

WITH_CAPTION = f"""Town library reopens after flood repairs

The reading rooms were closed for eight months while the basement was rebuilt

{CAPTION}
AFP/Getty Images

{CAPTION}

The library in Tarnby reopened on Monday after a flood last spring.

READ MORE:\u00a0Flood damage in Tarnby estimated at two million

Loading...

Staff said most of the lost books had been replaced by donations.\u00a0

Share this article
"""

NO_CAPTION = """Council approves new cycle lanes

The plan adds twelve kilometres of protected lanes by next summer.

The council voted 9 to 2 in favour on Tuesday.

READ MORE: Cycling numbers doubled since 2019
Also read - Residents split over parking changes

Work starts in April, the transport office said.

Advertisement

Home
Local news
Route 12
"""

HARD_WRAPPED = """Harbour tolls to rise

Tolls rise from May.

The harbour board said the increase
was the first since 2015.
"""


def test_article_with_repeated_caption_and_credit() -> None:
    article = parse_raw_text(WITH_CAPTION)
    assert article.title == "Town library reopens after flood repairs"
    assert article.summary == (
        "The reading rooms were closed for eight months while the basement was rebuilt"
    )
    assert article.image_caption == CAPTION
    assert article.credit == "AFP/Getty Images"
    assert article.related_titles == ["Flood damage in Tarnby estimated at two million"]
    assert article.body == (
        "The library in Tarnby reopened on Monday after a flood last spring.\n\n"
        "Staff said most of the lost books had been replaced by donations."
    )
    assert article.removed == [
        CAPTION,
        "AFP/Getty Images",
        CAPTION,
        "READ MORE: Flood damage in Tarnby estimated at two million",
        "Loading...",
        "Share this article",
    ]


def test_article_without_caption_two_related_and_trailing_debris() -> None:
    article = parse_raw_text(NO_CAPTION)
    assert article.title == "Council approves new cycle lanes"
    assert article.summary == "The plan adds twelve kilometres of protected lanes by next summer."
    assert article.image_caption is None
    assert article.credit is None
    assert article.related_titles == [
        "Cycling numbers doubled since 2019",
        "Residents split over parking changes",
    ]
    assert article.body == (
        "The council voted 9 to 2 in favour on Tuesday.\n\n"
        "Work starts in April, the transport office said."
    )
    assert article.removed == [
        "READ MORE: Cycling numbers doubled since 2019",
        "Also read - Residents split over parking changes",
        "Advertisement",
        "Home",
        "Local news",
        "Route 12",
    ]


def test_hard_wrapped_lines_of_one_block_form_one_paragraph() -> None:
    article = parse_raw_text(HARD_WRAPPED)
    assert article.summary == "Tolls rise from May."
    assert article.body == "The harbour board said the increase was the first since 2015."
    assert article.removed == []


def test_single_paragraph_has_no_summary() -> None:
    article = parse_raw_text("Short note\n\nThe office is closed on Friday.\n")
    assert article.summary is None
    assert article.body == "The office is closed on Friday."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the text is empty"),
        (" \n\u00a0\n", "the text is empty"),
        ("Only a headline\n", "the text has a headline but no body"),
        ("A headline\n\nLoading...\n\nRoute 6\n", "the text has a headline but no body paragraphs"),
    ],
)
def test_unusable_text_raises_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=f"^{re.escape(message)}$"):
        parse_raw_text(text)


def test_parse_error_is_a_value_error() -> None:
    assert issubclass(ParseError, ValueError)


@requires_corpus
@pytest.mark.corpus
def test_shared_sample_article() -> None:
    path = SHARED_DATA / "samples" / "raw-article-azerbaijan-armenia.txt"
    article = parse_raw_text(path.read_text(encoding="utf-8"))
    assert article.title == "Azerbaijan captures six Armenian soldiers at border"
    assert article.summary == (
        "Armenia confirms the capture which Azerbaijan Defense Ministry says occurred when the"
        " troops \u201cattempted to cross the border and place mines\u201d on supply routes"
        " leading to Azerbaijani positions."
    )
    assert article.credit == "Reuters"
    assert article.image_caption is not None
    assert article.image_caption.startswith("Azerbaijan service members guard the area")
    assert article.image_caption not in article.body
    assert len(article.related_titles) == 2
    for debris in ("READ MORE", "Loading...", "Route 6", "\nReuters\n"):
        assert debris not in article.body
    assert article.body.startswith("Azerbaijan's Defense Ministry has taken prisoner")
    assert article.body.endswith("controlled for more than 25 years.")
    assert article.removed[-3:] == [
        "Loading...",
        "READ MORE: Azerbaijan: Nearly 2,800 soldiers killed in Karabakh fighting",
        "Route 6",
    ]
