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

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app import outbox
from app.articles import service as articles_service
from app.articles.models import Article
from app.articles.schemas import ArticleCreate, DateSource
from app.db import utcnow
from app.embeddings import queue as embedding_queue
from app.entities import service as entity_service
from app.entities.types import ArticleEntity, ArticleText, ClientEntity
from app.errors import ApiError
from app.ingestion import dates
from app.ingestion.extraction import EntityInput as EntityInput
from app.ingestion.extraction import find_entities as find_entities
from app.ingestion.parsed import ParsedArticle
from app.ingestion.schemas import BulkItem, BulkTotals, ItemStatus
from app.stories import clustering

logger = logging.getLogger(__name__)

ARTICLES: sa.Table = Article.__table__  # type: ignore[attr-defined]

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
    """The article API body for a parsed article; overrides that are not None win.

    A published_at given as an override is the client's. A date the input itself gave that
    fails the sanity rules (app.ingestion.dates) is dropped; without a date, the day in the
    article's URL is taken (source `url`), else a "Published ..." label at the start of its
    text (source `text`).
    """
    payload = parsed.to_article_payload()
    if payload.get("language") is None:
        payload.pop("language", None)
    given = {name: value for name, value in overrides.items() if value is not None}
    if "published_at" in given:
        given.setdefault("published_at_source", DateSource.client)
    payload.update(given)
    found = parsed.published_at
    if (
        "published_at" not in given
        and found is not None
        and parsed.published_at_source is not DateSource.client
        and not dates.sane(found)
    ):
        payload["published_at"] = payload["published_at_source"] = None
    if payload.get("published_at") is None:
        from_url = dates.url_date(payload.get("url"))
        if from_url is not None:
            payload["published_at"] = from_url.isoformat()
            payload["published_at_source"] = DateSource.url
        else:
            from_text = dates.text_date(f"{parsed.summary or ''}\n{parsed.body}")
            if from_text is not None:
                payload["published_at"] = from_text.isoformat()
                payload["published_at_source"] = DateSource.text
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


def needs_entities(*, session: Session, items: Sequence[ArticleCreate]) -> list[bool]:
    """Whether each item is new or changes the text entities are found in.

    Only those are worth sending through the model: re-sending a stored article, or changing
    only its tags, keeps its entities (a change of client entities alone is caught by
    `upsert`, which then finds the entities itself).
    """
    flags = []
    for item, article in zip(items, _stored_by_keys(session, items), strict=True):
        flags.append(
            article is None
            or any(
                getattr(article, name) != getattr(item, name)
                for name in articles_service.TEXT_FIELDS
            )
        )
    return flags


def entity_input(data: ArticleCreate) -> EntityInput:
    clients = tuple(ClientEntity(name=e.name, type=e.type, slug=e.slug) for e in data.entities)
    text = ArticleText(
        title=data.title, summary=data.summary or "", body=data.body, client_entities=clients
    )
    return text, data.language


def store_one(
    *,
    session: Session,
    index: int,
    data: ArticleCreate,
    entities: list[ArticleEntity] | None = None,
    extract: bool = True,
) -> Stored:
    """Upsert one article in its own transaction; any failure rolls that article back."""
    try:
        article, outcome = articles_service.upsert(
            session=session, data=data, entities=entities, extract=extract
        )
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


@dataclass(frozen=True)
class NewArticle:
    """An article no stored article has the url or external_id of, with its entities."""

    index: int
    data: ArticleCreate
    entities: Sequence[ArticleEntity]


def insert_new(
    *, session: Session, items: Sequence[NewArticle], queue_embeddings: bool = False
) -> list[Stored]:
    """Insert new articles with their entity links and outbox rows, set-based, in the
    session's transaction (the caller commits): what `upsert` does for each, in a few
    statements for all of them. Content duplicates are found as `upsert` finds them, the
    earliest original (stored or earlier in `items`) winning. With `queue_embeddings`, the
    articles are queued for embedding too, in one more statement (an import that embeds
    them: the model need not wait for the index)."""
    if not items:
        return []
    now = utcnow()
    rows = []
    for item in items:
        values = item.data.model_dump(include=set(articles_service.CONTENT_FIELDS))
        values["content_hash"] = articles_service.content_hash(
            item.data.title, item.data.summary, item.data.body
        )
        rows.append(values | {"created_at": now, "updated_at": now, "duplicate_of": None})
    hashes = sorted({row["content_hash"] for row in rows})
    originals: dict[str, int] = {}
    for start in range(0, len(hashes), entity_service.SLICE):
        originals.update(
            session.execute(
                sa.select(ARTICLES.c.content_hash, sa.func.min(ARTICLES.c.id))
                .where(
                    ARTICLES.c.content_hash.in_(hashes[start : start + entity_service.SLICE]),
                    ARTICLES.c.duplicate_of.is_(None),
                )
                .group_by(ARTICLES.c.content_hash)
            ).all()
        )
    for row in rows:
        row["duplicate_of"] = originals.get(row["content_hash"])
    inserted = session.execute(
        sa.insert(ARTICLES).returning(ARTICLES.c.id, sort_by_parameter_order=True), rows
    )
    ids: list[int] = list(inserted.scalars())
    # Repeats of an article earlier in the same batch point at it once it has an id.
    first_in_batch: dict[str, int] = {}
    repeats: list[dict[str, int]] = []
    for row, article_id in zip(rows, ids, strict=True):
        if row["duplicate_of"] is not None:
            continue
        original = first_in_batch.setdefault(row["content_hash"], article_id)
        if original != article_id:
            row["duplicate_of"] = original
            repeats.append({"article_id": article_id, "original": original})
    if repeats:
        session.execute(
            sa.update(ARTICLES)
            .where(ARTICLES.c.id == sa.bindparam("article_id"))
            .values(duplicate_of=sa.bindparam("original")),
            repeats,
        )
    entity_service.link_articles(
        session=session,
        articles=[
            (article_id, row["published_at"], item.entities)
            for item, row, article_id in zip(items, rows, ids, strict=True)
        ],
        replace=False,
    )
    clustering.assign(
        session=session,
        texts=[
            clustering.StoryText(
                article_id=article_id,
                title=row["title"],
                summary=row["summary"],
                body=row["body"],
                published_at=row["published_at"],
                source=row["source"],
            )
            for row, article_id in zip(rows, ids, strict=True)
        ],
    )
    outbox.enqueue_upserts(session=session, article_ids=ids)
    if queue_embeddings:
        embedding_queue.enqueue_new(session, ids)
    return [
        Stored(
            index=item.index,
            status=ItemStatus.created,
            article_id=article_id,
            duplicate_of=row["duplicate_of"],
        )
        for item, row, article_id in zip(items, rows, ids, strict=True)
    ]


def store_chunk(
    *, engine: Engine, items: Sequence[tuple[int, ArticleCreate]], extract: bool = True
) -> list[Stored]:
    """Store a chunk of validated articles, each committed on its own, results in order.

    The entities of the new and changed articles are found first, in one batch.
    """
    with Session(engine, expire_on_commit=False) as session:
        needed = needs_entities(session=session, items=[data for _index, data in items])
        wanted = [data for (_index, data), flag in zip(items, needed, strict=True) if flag]
        found = iter(find_entities([entity_input(data) for data in wanted], extract=extract))
        return [
            store_one(
                session=session,
                index=index,
                data=data,
                entities=next(found) if flag else None,
                extract=extract,
            )
            for (index, data), flag in zip(items, needed, strict=True)
        ]
