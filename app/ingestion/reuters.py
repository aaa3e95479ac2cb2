"""Reuters-21578 (Distribution 1.0) SGML: records out of `reut2-NNN.sgm` files.

The files are SGML, not XML, so they are cut with regular expressions rather than an XML
parser: entities such as `&#5;` are wire control codes that no XML parser accepts.

Rules, decided once so every importer behaves the same:

* A record whose TEXT has neither TITLE nor BODY (the 737 `TYPE="UNPROC"` tables and
  notes) is broken: there is no headline we could show without guessing.
* A record with a body but no title takes the first sentence of its body (after the
  dateline), cut at a word boundary to `TITLE_LIMIT` characters, as its title.
* A `TYPE="BRIEF"` record is a one- or two-line note held entirely in its TITLE; its body
  is missing or the collection's placeholder "Blah blah blah.", so the note itself
  becomes the body as well.
* Dates are taken as printed and read as UTC; a malformed time keeps the calendar day at
  midnight, and a date that cannot be read at all is None.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.articles.schemas import DateSource
from app.ingestion.parsed import EntityHint, ParsedArticle

SOURCE = "Reuters"
TITLE_LIMIT = 120
#: What the collection puts in BRIEF bodies instead of text.
_PLACEHOLDER_BODIES = frozenset({"blah blah blah."})

_RECORD = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.DOTALL)
_NEWID = re.compile(r'\bNEWID="(\d+)"')
_CONTROL = re.compile(r"&#\d+;")
_SIGNATURE = re.compile(r"^\s*reuter(?:\.{3})?(?:\^M)?\s*$", re.IGNORECASE)
#: The signature run on after a finished sentence: "... an ounce. REUTER".
_TRAILING_SIGNATURE = re.compile(r"(?<=[.!?)\"'\d])\s+reuter(?:\.{3})?(?:\^M)?\s*$", re.IGNORECASE)
_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})(?:\s+(\d+):(\d+):(\d+)(?:\.(\d+))?)?")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
_AUTHOR_PREFIX = re.compile(r"^by\s+", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)])[.!?](?=\s|$)")


@dataclass(frozen=True)
class ReutersRecord:
    newid: int
    date: datetime | None
    title: str
    dateline: str
    #: Paragraphs joined by blank lines, starting with the dateline as the wire printed it.
    body: str
    topics: tuple[str, ...]
    places: tuple[str, ...]
    people: tuple[str, ...]
    orgs: tuple[str, ...]
    exchanges: tuple[str, ...]
    #: From the optional AUTHOR element ("By Janie Gabbett, Reuters" -> "Janie Gabbett").
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class BrokenRecord:
    file: str
    #: The NEWID when the record has one, else None and `index` locates it.
    newid: int | None
    #: Position of the record within its file, counting from 0.
    index: int
    reason: str


def iter_reuters(directory: Path) -> Iterator[ReutersRecord]:
    """Every good record of `reut2-*.sgm` under `directory`, files in name order."""
    for path in sorted(directory.glob("reut2-*.sgm")):
        records, _broken = parse_reuters_file(path)
        yield from records


def parse_reuters_file(path: Path) -> tuple[list[ReutersRecord], list[BrokenRecord]]:
    # latin-1 maps every byte, so the stray 0xFC in reut2-017 cannot stop a whole file.
    return parse_reuters_text(path.read_text(encoding="latin-1"), file=path.name)


def parse_reuters_text(
    text: str, *, file: str = "<text>"
) -> tuple[list[ReutersRecord], list[BrokenRecord]]:
    records: list[ReutersRecord] = []
    broken: list[BrokenRecord] = []
    for index, match in enumerate(_RECORD.finditer(text)):
        attributes, content = match.group(1), match.group(2)
        id_match = _NEWID.search(attributes)
        newid = int(id_match.group(1)) if id_match else None
        if newid is None:
            broken.append(BrokenRecord(file, None, index, "REUTERS element has no NEWID"))
            continue
        result = _parse_record(newid, content)
        if isinstance(result, str):
            broken.append(BrokenRecord(file, newid, index, result))
        else:
            records.append(result)
    return records, broken


def parse_reuters_date(raw: str) -> datetime | None:
    """`26-FEB-1987 15:01:01.79` as aware UTC; noise around it is ignored, nothing is guessed."""
    match = _DATE.search(_CONTROL.sub(" ", raw))
    if match is None:
        return None
    day, month_name, year = match.group(1), match.group(2).upper(), match.group(3)
    month = _MONTHS.get(month_name)
    if month is None:
        return None
    try:
        midnight = datetime(int(year), month, int(day), tzinfo=UTC)
    except ValueError:
        return None
    if match.group(4) is None:
        return midnight
    fraction = (match.group(7) or "").ljust(6, "0")[:6]
    try:
        return midnight.replace(
            hour=int(match.group(4)),
            minute=int(match.group(5)),
            second=int(match.group(6)),
            microsecond=int(fraction),
        )
    except ValueError:
        # e.g. NEWID 17192's "605:12:19.12": the day is sure, the time is not.
        return midnight


def to_parsed_article(record: ReutersRecord) -> ParsedArticle:
    """The record as an article; the annotators' codes become tags and entity hints."""
    entities: list[EntityHint] = [
        *(EntityHint(name=code, type="place") for code in record.places),
        *(EntityHint(name=code, type="person") for code in record.people),
        *(EntityHint(name=code, type="organization") for code in record.orgs),
        *(EntityHint(name=code, type="organization") for code in record.exchanges),
    ]
    codes = (*record.topics, *record.places, *record.people, *record.orgs, *record.exchanges)
    return ParsedArticle(
        title=record.title,
        body=record.body,
        external_id=f"reuters-21578:{record.newid}",
        authors=list(record.authors),
        source=SOURCE,
        language="en",
        tags=list(dict.fromkeys(codes)),
        published_at=record.date,
        published_at_source=DateSource.feed if record.date is not None else None,
        entities=entities,
        extra={
            "newid": record.newid,
            "dateline": record.dateline,
            "topics": list(record.topics),
            "places": list(record.places),
            "people": list(record.people),
            "orgs": list(record.orgs),
            "exchanges": list(record.exchanges),
        },
    )


def _parse_record(newid: int, content: str) -> ReutersRecord | str:
    """The record, or the reason it is broken."""
    text = _element(content, "TEXT")
    if text is None:
        return "no TEXT element"
    raw_title = _element(text, "TITLE")
    raw_body = _element(text, "BODY")
    if raw_title is None and raw_body is None:
        return "no TITLE or BODY in TEXT (unstructured story)"

    title = _one_line("\n".join(_without_signature(_decode(raw_title or ""))))
    dateline = _one_line(_decode(_element(text, "DATELINE") or "")).rstrip(" -")
    body = _paragraphs(_decode(raw_body or ""))
    if body.lower() in _PLACEHOLDER_BODIES:
        body = ""
    if body and dateline:
        body = f"{dateline} - {body}"
    if not title and not body:
        return "TITLE and BODY are both blank"
    if not body:
        body = title
    if not title:
        title = _title_from_body(body, dateline)

    raw_date = _element(content, "DATE")
    return ReutersRecord(
        newid=newid,
        date=parse_reuters_date(raw_date) if raw_date is not None else None,
        title=title,
        dateline=dateline,
        body=body,
        topics=_codes(content, "TOPICS"),
        places=_codes(content, "PLACES"),
        people=_codes(content, "PEOPLE"),
        orgs=_codes(content, "ORGS"),
        exchanges=_codes(content, "EXCHANGES"),
        authors=_authors(_element(text, "AUTHOR")),
    )


def _element(content: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", content, re.DOTALL)
    return match.group(1) if match else None


def _codes(content: str, tag: str) -> tuple[str, ...]:
    inner = _element(content, tag) or ""
    return tuple(code.strip() for code in re.findall(r"<D>(.*?)</D>", inner) if code.strip())


def _decode(raw: str) -> str:
    # Control codes go first so "&amp;#5;" (if it ever occurred) would stay literal text.
    text = _CONTROL.sub("", raw)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(text: str) -> str:
    """Re-flow the wire's 65-column lines; an indented line is how the wire began a paragraph."""
    lines = _without_signature(text)
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if (not line.strip() or line[:1].isspace()) and paragraphs[-1]:
            paragraphs.append([])
        if line.strip():
            paragraphs[-1].append(line.strip())
    return "\n\n".join(" ".join(words) for words in paragraphs if words)


def _without_signature(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and (not lines[-1].strip() or _SIGNATURE.match(lines[-1])):
        lines.pop()
    if lines:
        lines[-1] = _TRAILING_SIGNATURE.sub("", lines[-1])
    return lines


def _title_from_body(body: str, dateline: str) -> str:
    text = body.split("\n\n", 1)[0]
    if dateline and text.startswith(f"{dateline} - "):
        text = text[len(dateline) + 3 :]
    end = _SENTENCE_END.search(text)
    sentence = text[: end.start() + 1] if end else text
    if len(sentence) <= TITLE_LIMIT:
        return sentence
    cut = sentence[:TITLE_LIMIT].rsplit(" ", 1)[0]
    return f"{cut}..."


def _authors(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    name = _AUTHOR_PREFIX.sub("", _one_line(_decode(raw)))
    # The wire adds its own name after the reporter's: "By Janie Gabbett, Reuters".
    name = re.sub(r",\s*reuters?$", "", name, flags=re.IGNORECASE).strip()
    return (name,) if name else ()
