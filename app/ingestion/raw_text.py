"""Raw article text as a publisher's page export delivers it, cleaned into an article.

The export puts the headline on the first line, then a standfirst paragraph, then the
body one paragraph per line, with blank lines between blocks. Around the text sit the
page's leftovers: an image caption printed twice (once above its credit line), "READ
MORE: <title>" links, widget placeholders such as "Loading...", and short fragments of
navigation after the last paragraph.

Rules (general, not tuned to one page):

* headline: the first non-blank line.
* standfirst (summary): the first block after the headline, when at least one body
  paragraph follows it; a text with a single paragraph has no summary.
* caption: a line of `CAPTION_MIN_WORDS` or more words that appears more than once
  (after whitespace normalisation); kept once as `image_caption`.
* credit: a short line right after a caption line, or a line that is only a wire or
  photo agency name ("Reuters", "AFP/Getty Images", "Photo: AP").
* related titles: lines like "READ MORE: <title>", "Also read - <title>".
* debris: lines matching known widget text ("Loading...", "Advertisement", "Share this
  article") anywhere, and short unpunctuated fragments after the last paragraph.
* `removed` lists every line taken out of the body, in the order it appeared, including
  the ones moved to `image_caption`, `credit` and `related_titles`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.ingestion.parsed import ParsedArticle, ParseError

CAPTION_MIN_WORDS = 5
#: Longer than this, a line after a caption is prose rather than a credit.
CREDIT_MAX_WORDS = 6
#: Trailing lines at most this long and without closing punctuation are page fragments.
FRAGMENT_MAX_WORDS = 4

_RELATED = re.compile(
    r"^(?:read more|read also|also read|related|see also|more on this|recommended)"
    r"\s*[:\-\u2013\u2014|]\s*(?P<title>\S.*)$",
    re.IGNORECASE,
)
_DEBRIS = re.compile(
    r"^(?:loading|advertisement|advert|sponsored(?: content)?|share(?: this)?(?: article| story)?"
    r"|share on \w+|click here\b.*|skip to \w+.*|continue reading|subscribe\b.*"
    r"|sign up\b.*|follow us\b.*|\d+ comments?|comments?|watch|listen)"
    r"\s*(?:\.\.\.|\u2026)?\W*$",
    re.IGNORECASE,
)
_AGENCY = (
    r"(?:reuters|ap|afp|ap photo|associated press|getty images|getty|epa|epa-efe|anadolu"
    r"|xinhua|tass|pa|pa media|shutterstock|alamy|dpa|bloomberg|efe|ansa|sputnik|ria novosti)"
)
_CREDIT = re.compile(
    rf"^(?:(?:photo|image|picture|credit|source)s?\s*(?:credit)?\s*[:\-]\s*)?©?\s*"
    rf"{_AGENCY}(?:\s*/\s*{_AGENCY})*\.?$",
    re.IGNORECASE,
)
_CLOSING = ".!?:;\"'\u201d\u2019)"


@dataclass
class _Line:
    text: str
    block: int


def parse_raw_text(text: str) -> ParsedArticle:
    """The article in `text`; `ParseError` when there is no headline or no body."""
    lines = _lines(text)
    if not lines:
        raise ParseError("the text is empty")
    title = lines[0].text
    rest = lines[1:]
    if not rest:
        raise ParseError("the text has a headline but no body")

    counts: dict[str, int] = {}
    for line in rest:
        counts[line.text] = counts.get(line.text, 0) + 1
    captions = {t for t, n in counts.items() if n > 1 and len(t.split()) >= CAPTION_MIN_WORDS}

    kept: list[_Line] = []
    removed: list[str] = []
    related: list[str] = []
    caption: str | None = None
    credit: str | None = None
    after_caption = False
    for line in rest:
        was_after_caption, after_caption = after_caption, False
        if line.text in captions:
            caption = caption or line.text
            after_caption = True
        elif _CREDIT.match(line.text) or (
            was_after_caption
            and len(line.text.split()) <= CREDIT_MAX_WORDS
            and not line.text.endswith(tuple(_CLOSING))
        ):
            credit = credit or line.text
        elif match := _RELATED.match(line.text):
            related.append(match.group("title").strip())
        elif _DEBRIS.match(line.text) or line.text == title:
            pass
        else:
            kept.append(line)
            continue
        removed.append(line.text)

    trailing: list[str] = []
    while kept and _is_fragment(kept[-1].text):
        trailing.insert(0, kept.pop().text)
    removed = _in_document_order(removed + trailing, rest)

    paragraphs = _paragraphs(kept)
    if not paragraphs:
        raise ParseError("the text has a headline but no body paragraphs")
    summary: str | None = None
    if len(paragraphs) > 1 and kept[0].block == rest[0].block:
        summary, paragraphs = paragraphs[0], paragraphs[1:]
    return ParsedArticle(
        title=title,
        body="\n\n".join(paragraphs),
        summary=summary,
        image_caption=caption,
        credit=credit,
        related_titles=related,
        removed=removed,
    )


def _lines(text: str) -> list[_Line]:
    """Non-blank lines with whitespace normalised, numbered by blank-line-separated block."""
    lines: list[_Line] = []
    block = 0
    for raw in text.lstrip("\ufeff").splitlines():
        # Page exports use no-break spaces freely; they are layout, not meaning.
        line = " ".join(raw.replace("\u00a0", " ").split())
        if not line:
            block += 1
            continue
        lines.append(_Line(line, block))
    return lines


def _is_fragment(text: str) -> bool:
    return len(text.split()) <= FRAGMENT_MAX_WORDS and not text.endswith(tuple(_CLOSING))


def _in_document_order(removed: list[str], lines: list[_Line]) -> list[str]:
    # Trailing fragments are found after the main pass; restore reading order for display.
    pending = list(removed)
    ordered: list[str] = []
    for line in lines:
        if line.text in pending:
            pending.remove(line.text)
            ordered.append(line.text)
    return ordered


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Lines of one block form one paragraph (hard-wrapped exports), blocks stay apart."""
    paragraphs: list[str] = []
    current_block: int | None = None
    for line in lines:
        if line.block == current_block:
            paragraphs[-1] = f"{paragraphs[-1]} {line.text}"
        else:
            paragraphs.append(line.text)
            current_block = line.block
    return paragraphs
