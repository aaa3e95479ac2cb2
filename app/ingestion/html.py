"""An article page's main text and metadata, with trafilatura doing the boilerplate removal.

Publication date, most reliable source first (the first plausible one wins, app.ingestion.dates):

1. `html_meta`: JSON-LD `datePublished`, meta `article:published_time` and the other date
   metas below, `<time itemprop="datePublished">`, then the first `<time datetime>`;
2. `url`: a day in the canonical (or given) URL's path, /2024/05/17/;
3. `text`: a "Published 17 May 2024" label near the start of the text, else a date htmldate
   finds in the page's markup without its extensive search (a date merely mentioned in the
   running text is never taken).

A timestamp stated with a UTC offset is kept to the second; one without an offset keeps only
its calendar day (midnight UTC), since the zone would be a guess. `modified_at` comes from
JSON-LD `dateModified`, meta `article:modified_time` and the like, or
`<time itemprop="dateModified">`, when plausible and not before the publication date.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

from app.articles.schemas import DateSource
from app.ingestion import dates
from app.ingestion.parsed import ParsedArticle, ParseError

#: Meta tags that state the publication time, most specific first.
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "dc.date.issued",
    "dcterms.created",
    "pubdate",
    "publishdate",
    "date",
)
#: Meta tags that state when the article was last changed, most specific first.
_MODIFIED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "og:updated_time",
    "datemodified",
    "dc.date.modified",
    "dcterms.modified",
    "lastmod",
)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")

# trafilatura logs a page it can't use at ERROR ("empty HTML tree", "lxml parsing failed").
# Here the page is a client's, already answered with a 422 (or reported as a broken record):
# a client's mistake, not an error of the server's to alert on.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


def parse_html(html: str, *, url: str | None = None) -> ParsedArticle:
    """The article on the page; `url` is where it was fetched, used when it names no canonical."""
    if not html.strip():
        raise ParseError("the HTML is empty")
    # Imported here: trafilatura and htmldate weigh ~30 MiB, and most processes (the API's
    # workers, index workers, corpus imports) never parse a page.
    import trafilatura
    from trafilatura.settings import Document

    markup = _Markup()
    markup.feed(html)
    markup.close()
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        # The page's own date rules are applied below; trafilatura's would search free text.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if not isinstance(document, Document):
        raise ParseError("no main text found in the HTML")
    paragraphs = [line.strip() for line in (document.text or "").splitlines() if line.strip()]
    if not paragraphs:
        raise ParseError("no main text found in the HTML")
    title = (document.title or "").strip()
    if not title:
        raise ParseError("the page has no title")
    removed: list[str] = []
    # The page's own headline heads the extracted text; it is the title, not body text.
    if paragraphs[0] == title:
        removed.append(paragraphs.pop(0))
    if not paragraphs:
        raise ParseError("no main text found in the HTML")
    page_url = markup.canonical or document.url or url
    published_at, source = _published_at(markup, html, page_url, "\n".join(paragraphs))

    return ParsedArticle(
        title=title,
        body="\n\n".join(paragraphs),
        summary=(document.description or "").strip() or None,
        url=page_url,
        authors=_authors(document.author),
        source=(document.sitename or "").strip() or None,
        section=_first(document.categories),
        language=_language(markup),
        tags=[tag for tag in (document.tags or []) if tag.strip()],
        published_at=published_at,
        published_at_source=source,
        modified_at=_modified_at(markup, published_at),
        removed=removed,
    )


def _authors(raw: str | None) -> list[str]:
    # trafilatura joins several bylines with "; ".
    return [name.strip() for name in (raw or "").split(";") if name.strip()]


def _first(values: list[str] | None) -> str | None:
    return next((value.strip() for value in values or [] if value.strip()), None)


def _language(markup: _Markup) -> str | None:
    candidates = [
        markup.html_lang,
        markup.metas.get("content-language"),
        markup.metas.get("og:locale"),
    ]
    for candidate in candidates:
        value = (candidate or "").strip()
        if _LANGUAGE.match(value):
            return value.replace("_", "-").split("-")[0].lower()
    return None


def _published_at(
    markup: _Markup, html: str, url: str | None, text: str
) -> tuple[datetime | None, DateSource | None]:
    """The publication date and where it came from: metadata, then URL, then the page."""
    for stated in _stated_dates(markup):
        parsed = _parse_stated(stated)
        if parsed is not None and dates.sane(parsed):
            return parsed, DateSource.html_meta
    from_url = dates.url_date(url)
    if from_url is not None:
        return from_url, DateSource.url
    from_text = dates.text_date(text)
    if from_text is not None:
        return from_text, DateSource.text
    import htmldate

    found = htmldate.find_date(
        html, extensive_search=False, original_date=True, min_date=f"{dates.MIN_YEAR}-01-01"
    )
    if found is None:
        return None, None
    day = date.fromisoformat(found)
    shown = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return (shown, DateSource.text) if dates.sane(shown) else (None, None)


def _stated_dates(markup: _Markup) -> Iterator[str]:
    for script in markup.json_ld:
        yield from _json_ld_dates(script, "datePublished")
    yield from (markup.metas[key] for key in _DATE_META if markup.metas.get(key))
    yield from markup.time_published
    yield from markup.time_any


def _modified_at(markup: _Markup, published_at: datetime | None) -> datetime | None:
    stated = [d for script in markup.json_ld for d in _json_ld_dates(script, "dateModified")]
    stated += [markup.metas[key] for key in _MODIFIED_META if markup.metas.get(key)]
    stated += markup.time_modified
    for value in stated:
        parsed = _parse_stated(value)
        if (
            parsed is not None
            and dates.sane(parsed)
            and (published_at is None or parsed >= published_at)
        ):
            return parsed
    return None


def _json_ld_dates(script: str, key: str) -> Iterator[str]:
    try:
        data = json.loads(script)
    except ValueError:
        return
    yield from _json_ld_values(data, key)


def _json_ld_values(data: Any, key: str) -> Iterator[str]:
    if isinstance(data, list):
        for item in data:
            yield from _json_ld_values(item, key)
    elif isinstance(data, dict):
        if isinstance(data.get(key), str):
            yield data[key]
        yield from _json_ld_values(data.get("@graph", []), key)


def _parse_stated(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        # Unreadable, or an offset that takes year 1 or 9999 out of datetime's range.
        return None


class _Markup(HTMLParser):
    """The head-level facts trafilatura does not return: canonical link, lang, dated metas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.canonical: str | None = None
        self.html_lang: str | None = None
        #: First value per lower-cased property / name / itemprop / http-equiv.
        self.metas: dict[str, str] = {}
        self.json_ld: list[str] = []
        self.time_published: list[str] = []
        self.time_modified: list[str] = []
        #: Every other <time datetime>, in page order.
        self.time_any: list[str] = []
        self._in_json_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "html":
            self.html_lang = values.get("lang") or self.html_lang
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.canonical = self.canonical or values.get("href", "").strip() or None
        elif tag == "meta" and "content" in values:
            for key in ("property", "name", "itemprop", "http-equiv"):
                if values.get(key):
                    self.metas.setdefault(values[key].lower(), values["content"])
        elif tag == "script" and values.get("type", "").lower() == "application/ld+json":
            self._in_json_ld = True
            self.json_ld.append("")
        elif tag == "time" and values.get("datetime"):
            kinds = {
                "datepublished": self.time_published,
                "datemodified": self.time_modified,
            }
            kinds.get(values.get("itemprop", "").lower(), self.time_any).append(values["datetime"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_json_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_json_ld:
            self.json_ld[-1] += data
