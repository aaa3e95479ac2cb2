"""BBC News text files: layout, encodings and ids on files of our own, counts on the corpus."""

import re
from collections import Counter
from pathlib import Path

import pytest

from app.ingestion.bbc import iter_bbc, parse_bbc_file, parse_bbc_text
from app.ingestion.parsed import ParseError
from app.paths import SHARED_DATA
from tests.corpus import requires_corpus

ARTICLE = """Ferry fares rise by 4%

Ferry operators on the northern routes will raise fares by 4% from April, costing \u00a31m.

The increase covers:
 - cars and vans
 - foot passengers \t

Operators said fuel costs had risen.
"""


def test_parse_text() -> None:
    article = parse_bbc_text(ARTICLE, section="business", name="042")
    assert article.title == "Ferry fares rise by 4%"
    assert article.body == (
        "Ferry operators on the northern routes will raise fares by 4% from April,"
        " costing \u00a31m.\n\n"
        "The increase covers:\n- cars and vans\n- foot passengers\n\n"
        "Operators said fuel costs had risen."
    )
    assert article.external_id == "bbc:business/042"
    assert article.section == "business"
    assert article.source == "BBC News"
    assert article.language == "en"
    assert article.published_at is None
    assert article.url is None


def test_latin1_file_falls_back(tmp_path: Path) -> None:
    (tmp_path / "sport").mkdir()
    (tmp_path / "tech").mkdir()
    (tmp_path / "sport" / "007.txt").write_bytes(ARTICLE.encode("latin-1"))
    (tmp_path / "tech" / "001.txt").write_bytes(ARTICLE.encode("utf-8"))
    latin = parse_bbc_file(tmp_path / "sport" / "007.txt")
    assert "costing \u00a31m." in latin.body
    assert latin.external_id == "bbc:sport/007"
    assert [a.external_id for a in iter_bbc(tmp_path)] == ["bbc:sport/007", "bbc:tech/001"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "tech/001.txt has no headline on its first line"),
        ("Headline only\n\n\n", "tech/001.txt has no body after its headline"),
    ],
)
def test_unusable_files_raise_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=f"^{re.escape(message)}$"):
        parse_bbc_text(text, section="tech", name="001")


@requires_corpus
@pytest.mark.corpus
def test_bbc_corpus_counts() -> None:
    directory = SHARED_DATA / "bbc"
    articles = list(iter_bbc(directory))
    assert len(articles) == 2225
    assert Counter(a.section for a in articles) == {
        "business": 510,
        "entertainment": 386,
        "politics": 417,
        "sport": 511,
        "tech": 401,
    }
    assert len({a.body for a in articles}) == 2225 - 133
    assert "\u00a3" in parse_bbc_file(directory / "sport" / "199.txt").body
