"""Storing many articles: validation, cheap look-ups before extraction, one commit per article.

POST /articles/bulk, POST /articles/import and `newsarchive import` all store through here and
through `app.articles.service.upsert`, so an article from a file is stored exactly as if it had
been posted. Each article commits on its own together with its outbox row: a bad article is an
error for that article only, and an interruption never leaves one half-written.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app.articles import service as articles_service
from app.articles.models import Article
from app.articles.schemas import ArticleCreate
from app.errors import ApiError
from app.ingestion.parsed import ParsedArticle
from app.ingestion.schemas import BulkItem, BulkTotals, ItemStatus

logger = logging.getLogger(__name__)

#: Articles handled together: one look-up query and one extraction batch per chunk.
CHUNK_SIZE = 64


class InvalidArticle(ValueError):
    """An article that cannot be stored as given; the message is meant for the user."""


def describe(error: ValidationError) -> str:
    """A validation failure as one line: "title: Field required; language: ..."."""
    parts = []
    for detail in error.errors():
        where = ".".join(str(part) for part in detail["loc"]) or "article"
        parts.append(f"{where}: {detail['msg']}")
    return "; ".join(parts)


def validate_article(payload: Any, *, max_body_chars: int) -> ArticleCreate:
    """The payload as the article API would accept it, or `InvalidArticle` saying why not."""
    if not isinstance(payload, Mapping):
        raise InvalidArticle("an article must be a JSON object")
    try:
        data = ArticleCreate.model_validate(payload)
    except ValidationError as error:
        raise InvalidArticle(describe(error)) from error
    if len(data.body) > max_body_chars:
        raise InvalidArticle(f"body has {len(data.body)} characters; the limit is {max_body_chars}")
    return data


def payload_from_parsed(parsed: ParsedArticle, **overrides: Any) -> dict[str, Any]:
    """The article API body for a parsed article; overrides that are not None win."""
    payload = parsed.to_article_payload()
    if "entities" not in ArticleCreate.model_fields:
        payload.pop("entities", None)
    if payload.get("language") is None:
        payload.pop("language", None)
    payload.update({name: value for name, value in overrides.items() if value is not None})
    return payload


@dataclass(frozen=True)
class Stored:
    """What happened to one article."""

    index: int
    status: ItemStatus
    article_id: int | None = None
    #: Set when the stored article repeats the content of an earlier one under another key.
    duplicate_of: int | None = None
    error: str | None = None

    def to_item(self) -> BulkItem:
        return BulkItem(index=self.index, status=self.status, id=self.article_id, error=self.error)


def failed(index: int, reason: str) -> Stored:
    return Stored(index=index, status=ItemStatus.error, error=reason)


def totals(results: Sequence[Stored]) -> BulkTotals:
    counts = BulkTotals()
    for result in results:
        name = result.status.value
        setattr(counts, name, getattr(counts, name) + 1)
    return counts


def _stored_by_keys(session: Session, items: Sequence[ArticleCreate]) -> list[Article | None]:
    """The stored article each item would update (by url, else external_id), in one pass."""
    urls = {item.url for item in items if item.url is not None}
    external_ids = {item.external_id for item in items if item.external_id is not None}
    by_url: dict[str, Article] = {}
    by_external_id: dict[str, Article] = {}
    if urls:
        for article in session.exec(select(Article).where(col(Article.url).in_(urls))):
            by_url[article.url or ""] = article
    if external_ids:
        query = select(Article).where(col(Article.external_id).in_(external_ids))
        for article in session.exec(query):
            by_external_id[article.external_id or ""] = article
    found: list[Article | None] = []
    for item in items:
        match = by_url.get(item.url) if item.url is not None else None
        if match is None and item.external_id is not None:
            match = by_external_id.get(item.external_id)
        found.append(match)
    return found


def already_stored(*, session: Session, items: Sequence[ArticleCreate]) -> list[bool]:
    """Whether an article with each item's url or external_id exists (content not compared)."""
    return [article is not None for article in _stored_by_keys(session, items)]


def identical_to_stored(*, session: Session, items: Sequence[ArticleCreate]) -> list[bool]:
    """Whether storing each item would change nothing, so its entities need not be extracted."""
    flags = []
    for item, article in zip(items, _stored_by_keys(session, items), strict=True):
        values = item.model_dump(include=set(articles_service.CONTENT_FIELDS))
        flags.append(
            article is not None
            and all(getattr(article, name) == value for name, value in values.items())
        )
    return flags


def store_one(*, session: Session, index: int, data: ArticleCreate) -> Stored:
    """Upsert one article in its own transaction; any failure rolls that article back."""
    try:
        article, outcome = articles_service.upsert(session=session, data=data)
    except ApiError as error:
        session.rollback()
        return failed(index, error.detail)
    except SQLAlchemyError as error:
        session.rollback()
        logger.warning(
            "article not stored",
            extra={"index": index, "error_type": type(error).__name__, "error": str(error)[:500]},
        )
        return failed(index, f"the database refused the article ({type(error).__name__})")
    except BaseException:
        # KeyboardInterrupt included: nothing of this article may stay in the session.
        session.rollback()
        raise
    return Stored(
        index=index,
        status=ItemStatus(outcome.value),
        article_id=article.id,
        duplicate_of=article.duplicate_of,
    )


def store_chunk(*, engine: Engine, items: Sequence[tuple[int, ArticleCreate]]) -> list[Stored]:
    """Store a chunk of validated articles, each committed on its own, results in order."""
    with Session(engine, expire_on_commit=False) as session:
        return [store_one(session=session, index=index, data=data) for index, data in items]
