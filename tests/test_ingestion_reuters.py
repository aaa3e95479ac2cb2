"""Reuters-21578 SGML parsing: quirks on records of our own, counts on the real collection."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.ingestion.reuters import (
    BrokenRecord,
    ReutersRecord,
    iter_reuters,
    parse_reuters_date,
    parse_reuters_file,
    parse_reuters_text,
    to_parsed_article,
)
from app.paths import SHARED_DATA
from tests.corpus import requires_corpus

# Written for these tests in the collection's layout; not corpus text.
SGML = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="9001" NEWID="101">
<DATE> 2-MAR-1987 09:15:05.40</DATE>
<TOPICS><D>grain</D><D>wheat</D></TOPICS>
<PLACES><D>canada</D><D>usa</D></PLACES>
<PEOPLE><D>jane-doe</D></PEOPLE>
<ORGS><D>ec</D></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN> &#5;&#5;&#5;G
&#22;&#22;&#1;f0001&#31;reute</UNKNOWN>
<TEXT>&#2;
<TITLE>PRAIRIE &lt;WHEAT&gt; POOL RAISES &amp; EXTENDS QUOTAS</TITLE>
<AUTHOR>    By Jane Doe, Reuters</AUTHOR>
<DATELINE>    WINNIPEG, March 2 - </DATELINE><BODY>The prairie wheat pool said it raised
its delivery quotas for&#127; the season.
    Officials said the move follows a wet winter.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="9002" NEWID="102">
<DATE>27-MAR-1987 00:03:35.68&#5;&#5;&#5;F</DATE>
<TOPICS></TOPICS>
<PLACES></PLACES>
<PEOPLE></PEOPLE>
<ORGS></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN>&#5;&#5;&#5;F</UNKNOWN>
<TEXT TYPE="UNPROC">&#2;
WEEKLY HARBOUR TABLE - MAR 27
 Ships waiting.........12 vs.....9
&#3;</TEXT>
</REUTERS>
<REUTERS TOPICS="NO" LEWISSPLIT="TEST" CGISPLIT="TRAINING-SET" OLDID="9003" NEWID="103">
<DATE>31-MAR-1987 605:12:19.12</DATE>
<TOPICS></TOPICS>
<PLACES><D>uk</D></PLACES>
<PEOPLE></PEOPLE>
<ORGS></ORGS>
<EXCHANGES><D>lse</D></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN>&#5;&#5;&#5;F</UNKNOWN>
<TEXT TYPE="BRIEF">&#2;
******<TITLE>HARBOUR BOARD SETS NEW
TOLLS - OFFICIAL
</TITLE>Blah blah blah.
&#3;

</TEXT>
</REUTERS>
<REUTERS TOPICS="NO" LEWISSPLIT="TEST" CGISPLIT="TRAINING-SET" OLDID="9004" NEWID="104">
<DATE>1-APR-1987 10:00:00.00</DATE>
<TOPICS></TOPICS><PLACES></PLACES><PEOPLE></PEOPLE><ORGS></ORGS><EXCHANGES></EXCHANGES>
<TEXT>&#2;
<DATELINE>    OSLO, April 1 - </DATELINE><BODY>Harbour tolls rise by five pct from May. They
were last raised in 1985.
 REUTER
&#3;</BODY></TEXT>
</REUTERS>
"""


@pytest.fixture
def parsed() -> tuple[list[ReutersRecord], list[BrokenRecord]]:
    return parse_reuters_text(SGML, file="reut2-test.sgm")


def test_full_record(parsed: tuple[list[ReutersRecord], list[BrokenRecord]]) -> None:
    records, _ = parsed
    assert records[0] == ReutersRecord(
        newid=101,
        date=datetime(1987, 3, 2, 9, 15, 5, 400000, tzinfo=UTC),
        title="PRAIRIE <WHEAT> POOL RAISES & EXTENDS QUOTAS",
        dateline="WINNIPEG, March 2",
        body=(
            "WINNIPEG, March 2 - The prairie wheat pool said it raised its delivery quotas"
            " for the season.\n\nOfficials said the move follows a wet winter."
        ),
        topics=("grain", "wheat"),
        places=("canada", "usa"),
        people=("jane-doe",),
        orgs=("ec",),
        exchanges=(),
        authors=("Jane Doe",),
    )


def test_record_without_title_or_body_is_broken(
    parsed: tuple[list[ReutersRecord], list[BrokenRecord]],
) -> None:
    _, broken = parsed
    assert broken == [
        BrokenRecord(
            file="reut2-test.sgm",
            newid=102,
            index=1,
            reason="no TITLE or BODY in TEXT (unstructured story)",
        )
    ]


def test_brief_note_becomes_its_own_body_and_bad_time_keeps_the_day(
    parsed: tuple[list[ReutersRecord], list[BrokenRecord]],
) -> None:
    brief = parsed[0][1]
    assert brief.newid == 103
    assert brief.title == "HARBOUR BOARD SETS NEW TOLLS - OFFICIAL"
    assert brief.body == "HARBOUR BOARD SETS NEW TOLLS - OFFICIAL"
    assert brief.dateline == ""
    assert brief.date == datetime(1987, 3, 31, tzinfo=UTC)


def test_body_without_title_takes_first_sentence(
    parsed: tuple[list[ReutersRecord], list[BrokenRecord]],
) -> None:
    record = parsed[0][2]
    assert record.title == "Harbour tolls rise by five pct from May."
    assert record.body == (
        "OSLO, April 1 - Harbour tolls rise by five pct from May. They were last raised in 1985."
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("26-FEB-1987 15:01:01.79", datetime(1987, 2, 26, 15, 1, 1, 790000, tzinfo=UTC)),
        (" 1-MAR-1987 01:41:26.47", datetime(1987, 3, 1, 1, 41, 26, 470000, tzinfo=UTC)),
        ("3-MAR-1987  09:15:05.40", datetime(1987, 3, 3, 9, 15, 5, 400000, tzinfo=UTC)),
        (
            "27-MAR-1987 00:02:59.13&#5;&#5;&#5;RM",
            datetime(1987, 3, 27, 0, 2, 59, 130000, tzinfo=UTC),
        ),
        ("31-MAR-1987 605:12:19.12", datetime(1987, 3, 31, tzinfo=UTC)),
        ("31-FOO-1987 10:00:00.00", None),
        ("30-FEB-1987 10:00:00.00", None),
        ("", None),
    ],
)
def test_parse_reuters_date(raw: str, expected: datetime | None) -> None:
    assert parse_reuters_date(raw) == expected


def test_to_parsed_article(parsed: tuple[list[ReutersRecord], list[BrokenRecord]]) -> None:
    article = to_parsed_article(parsed[0][1])
    assert article.external_id == "reuters-21578:103"
    assert article.source == "Reuters"
    assert article.language == "en"
    assert article.tags == ["uk", "lse"]
    assert article.entities == [
        {"name": "uk", "type": "place"},
        {"name": "lse", "type": "organization"},
    ]
    assert article.extra["exchanges"] == ["lse"]
    payload = article.to_article_payload()
    assert payload["published_at"] == "1987-03-31T00:00:00+00:00"
    assert payload["title"] == "HARBOUR BOARD SETS NEW TOLLS - OFFICIAL"


def test_file_is_read_as_latin1(tmp_path: Path) -> None:
    path = tmp_path / "reut2-000.sgm"
    path.write_bytes(SGML.replace("prairie wheat", "prairie \xfcwheat").encode("latin-1"))
    records, broken = parse_reuters_file(path)
    assert [r.newid for r in records] == [101, 103, 104]
    assert "prairie \u00fcwheat" in records[0].body
    assert [b.file for b in broken] == ["reut2-000.sgm"]
    assert [r.newid for r in iter_reuters(tmp_path)] == [101, 103, 104]


@requires_corpus
@pytest.mark.corpus
def test_reuters_corpus_counts() -> None:
    directory = SHARED_DATA / "reuters21578"
    files = sorted(directory.glob("reut2-*.sgm"))
    assert len(files) == 22
    good: list[ReutersRecord] = []
    broken: list[BrokenRecord] = []
    for path in files:
        file_good, file_broken = parse_reuters_file(path)
        good += file_good
        broken += file_broken
    assert len(good) + len(broken) == 21_578
    assert len(good) == 20_841
    assert len(broken) == 737
    assert {b.reason for b in broken} == {"no TITLE or BODY in TEXT (unstructured story)"}
    assert (good[0].newid, good[-1].newid) == (1, 21578)
    dates = [r.date for r in good if r.date is not None]
    assert len(dates) == len(good)
    assert min(dates).date().isoformat() == "1987-02-26"
    assert max(dates).date().isoformat() == "1987-10-20"
    assert all(r.title.strip() and r.body.strip() for r in good)
    assert not any(r.body.rstrip().lower().endswith("reuter") for r in good)
    assert not any("&#" in r.body or "&lt;" in r.body for r in good)
