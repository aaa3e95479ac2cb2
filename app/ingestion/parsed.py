"""The common shape every ingestion parser returns, before anything touches the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from app.articles.schemas import DateSource


class ParseError(ValueError):
    """Input that cannot become an article; the message says why, for showing to the user."""


class EntityHint(TypedDict):
    """An entity the source itself names (e.g. Reuters' annotators); a hint, not an extraction."""

    name: str
    type: str


@dataclass
class ParsedArticle:
    title: str
    body: str
    summary: str | None = None
    url: str | None = None
    external_id: str | None = None
    authors: list[str] = field(default_factory=list)
    source: str | None = None
    section: str | None = None
    language: str | None = None
    tags: list[str] = field(default_factory=list)
    #: Always timezone-aware when set; parsers never invent a date they did not read.
    published_at: datetime | None = None
    #: Where `published_at` was read; set whenever it is.
    published_at_source: DateSource | None = None
    #: When the publisher last changed the article, if the input says.
    modified_at: datetime | None = None
    image_caption: str | None = None
    credit: str | None = None
    related_titles: list[str] = field(default_factory=list)
    #: Lines or fragments the cleaning dropped, so a user can see (and dispute) what went.
    removed: list[str] = field(default_factory=list)
    entities: list[EntityHint] = field(default_factory=list)
    #: Source-specific structured fields kept for provenance (e.g. Reuters topic codes).
    extra: dict[str, Any] = field(default_factory=dict)

    def to_article_payload(self) -> dict[str, Any]:
        """The JSON body our article API accepts; `removed` and `extra` stay ingestion-side."""
        return {
            "title": self.title,
            "summary": self.summary,
            "body": self.body,
            "url": self.url,
            "external_id": self.external_id,
            "authors": list(self.authors),
            "source": self.source,
            "section": self.section,
            "language": self.language,
            "tags": list(self.tags),
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "published_at_source": self.published_at_source if self.published_at else None,
            "modified_at": self.modified_at.isoformat() if self.modified_at else None,
            "image_caption": self.image_caption,
            "credit": self.credit,
            "related_titles": list(self.related_titles),
            "entities": [EntityHint(name=e["name"], type=e["type"]) for e in self.entities],
        }
