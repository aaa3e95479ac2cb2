"""A saved search's matches as an Atom 1.0 feed (RFC 4287), newest first.

Each entry is one match: the article's title and link, its publication date, and as summary
the highlighted passages that made it match (article text escaped, the matched words in
<b>). Text is cleaned of characters XML 1.0 cannot carry, so the feed always parses.
"""

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.alerts.models import AlertMatch, SavedSearch

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
_FIELD_ORDER = {"title": 0, "summary": 1, "body": 2}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _summary(why: dict[str, Any], pre_tag: str, post_tag: str) -> str:
    """The highlighted fields as HTML: the text escaped, matches in <b>, one paragraph each."""
    pattern = re.compile(re.escape(pre_tag) + "(.*?)" + re.escape(post_tag), re.S)
    paragraphs = []
    highlights = why.get("highlights") or {}
    # In reading order (JSONB keeps no key order).
    for name in sorted(highlights, key=lambda n: (_FIELD_ORDER.get(n, len(_FIELD_ORDER)), n)):
        text = highlights[name]
        if not isinstance(text, str):
            continue
        pieces, last = [], 0
        for found in pattern.finditer(text):
            pieces.append(html.escape(text[last : found.start()]))
            pieces.append(f"<b>{html.escape(found.group(1))}</b>")
            last = found.end()
        pieces.append(html.escape(text[last:]))
        paragraphs.append(f"<p>{''.join(pieces)}</p>")
    if not paragraphs and why.get("filters"):
        # A search without words (an entity watch, a source): the filters are the reason.
        described = "; ".join(
            f"{name}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
            for name, value in why["filters"].items()
        )
        paragraphs.append(f"<p>Matched {html.escape(described)}</p>")
    return "".join(paragraphs)


def _text(parent: ET.Element, tag: str, value: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    element.text = _clean(value)
    return element


def _date(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def render(
    *,
    search: SavedSearch,
    matches: Sequence[AlertMatch],
    self_url: str,
    article_url: str,
) -> bytes:
    """The feed document; `article_url` is a format string with `{id}` for articles that
    have no URL of their own."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", f"urn:uuid:{search.uid}")
    _text(feed, "title", f"newsarchive: {search.name}")
    updated = max((m.matched_at for m in matches), default=search.updated_at)
    _text(feed, "updated", _date(updated))
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": self_url})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "newsarchive")
    _text(feed, "generator", "newsarchive")
    params = search.params
    pre_tag = str(params.get("highlight_pre_tag", "<mark>"))
    post_tag = str(params.get("highlight_post_tag", "</mark>"))
    for match in matches:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", f"urn:newsarchive:{search.uid}:article:{match.article_id}")
        _text(entry, "title", match.title or f"Article {match.article_id}")
        href = match.url or article_url.format(id=match.article_id)
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": _clean(href)})
        _text(entry, "updated", _date(match.matched_at))
        if match.published_at is not None:
            _text(entry, "published", _date(match.published_at))
        if match.source:
            source = ET.SubElement(entry, f"{{{ATOM}}}author")
            _text(source, "name", match.source)
        for term in (match.why or {}).get("terms") or []:
            ET.SubElement(entry, f"{{{ATOM}}}category", {"term": _clean(str(term))})
        summary = _summary(match.why or {}, pre_tag, post_tag)
        if summary:
            _text(entry, "summary", summary, type="html")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
