"""Article storage: idempotent upserts, edits, deletion and keyset-paginated listing.

Every write records the indexing work it needs in the same transaction (see app.search.outbox),
so the search index can never silently miss a committed change.
"""

import enum
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.articles.cursor import Cursor, SortOrder
from app.articles.models import Article
from app.articles.schemas import ArticleCreate, ArticleUpdate
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.search import outbox

logger = logging.getLogger(__name__)

#: Fields whose values come from the client; the rest are managed by the archive.
CONTENT_FIELDS = (
    "url",
    "external_id",
    "title",
    "summary",
    "body",
    "authors",
    "source",
    "section",
    "language",
    "tags",
    "published_at",
    "image_caption",
    "credit",
    "related_titles",
)


class Outcome(enum.StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"


def content_hash(title: str, summary: str | None, body: str) -> str:
    """SHA-256 of the normalised text, so the same story is recognised under another URL."""
    normalised = "\n".join(" ".join(part.split()) for part in (title, summary or "", body))
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def get(*, session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"No article with id {article_id}.")
    return article


def _find_existing(session: Session, url: str | None, external_id: str | None) -> Article | None:
    matches: dict[int, Article] = {}
    for column, value in ((Article.url, url), (Article.external_id, external_id)):
        if value is not None:
            found = session.exec(select(Article).where(col(column) == value)).first()
            if found is not None and found.id is not None:
                matches[found.id] = found
    if len(matches) > 1:
        ids = ", ".join(str(i) for i in sorted(matches))
        raise Conflict(f"url and external_id belong to different articles (ids {ids}).")
    return next(iter(matches.values()), None)


def _first_with_same_content(session: Session, article: Article) -> int | None:
    """The earliest other original article with the same content hash, if any."""
    query = select(Article.id).where(
        col(Article.content_hash) == article.content_hash, col(Article.duplicate_of).is_(None)
    )
    if article.id is not None:
        query = query.where(col(Article.id) != article.id)
    return session.exec(query.order_by(col(Article.id)).limit(1)).first()


def _apply(session: Session, article: Article, values: dict[str, Any]) -> bool:
    """Set the given fields; return whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(article, name) != value:
            setattr(article, name, value)
            changed = True
    if changed:
        new_hash = content_hash(article.title, article.summary, article.body)
        if new_hash != article.content_hash:
            article.content_hash = new_hash
            article.duplicate_of = _first_with_same_content(session, article)
        article.updated_at = utcnow()
    return changed


def _check_unique_elsewhere(session: Session, article: Article, values: dict[str, Any]) -> None:
    for name, column in (("url", Article.url), ("external_id", Article.external_id)):
        value = values.get(name)
        if value is None:
            continue
        owner = session.exec(
            select(Article.id).where(col(column) == value, col(Article.id) != article.id)
        ).first()
        if owner is not None:
            raise Conflict(f"{name} {value!r} already belongs to article {owner}.")


def upsert(*, session: Session, data: ArticleCreate) -> tuple[Article, Outcome]:
    """Create an article, or update the one with the same url or external_id.

    Identical content is a no-op. Two concurrent posts of the same url race on the unique
    constraint; the loser retries once and takes the update path.
    """
    values = data.model_dump(include=set(CONTENT_FIELDS))
    for attempt in range(2):
        existing = _find_existing(session, values["url"], values["external_id"])
        if existing is not None:
            if not _apply(session, existing, values):
                return existing, Outcome.unchanged
            outbox.enqueue_upsert(session=session, article_id=_id(existing))
            session.commit()
            return existing, Outcome.updated
        now = utcnow()
        article = Article(
            **values,
            content_hash=content_hash(data.title, data.summary, data.body),
            created_at=now,
            updated_at=now,
        )
        article.duplicate_of = _first_with_same_content(session, article)
        session.add(article)
        try:
            session.flush()
            outbox.enqueue_upsert(session=session, article_id=_id(article))
            session.commit()
        except IntegrityError:
            session.rollback()
            if attempt:
                raise
            logger.info("concurrent insert of the same article; retrying as update")
            continue
        return article, Outcome.created
    raise AssertionError("unreachable")


def update(*, session: Session, article: Article, changes: ArticleUpdate) -> Article:
    """Apply a partial update (PATCH)."""
    values = changes.model_dump(exclude_unset=True)
    return _save(session, article, values)


def replace(*, session: Session, article: Article, data: ArticleCreate) -> Article:
    """Replace every client field (PUT); omitted optional fields are cleared."""
    return _save(session, article, data.model_dump(include=set(CONTENT_FIELDS)))


def _save(session: Session, article: Article, values: dict[str, Any]) -> Article:
    _check_unique_elsewhere(session, article, values)
    if _apply(session, article, values):
        session.add(article)
        outbox.enqueue_upsert(session=session, article_id=_id(article))
        try:
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise Conflict("url or external_id already belongs to another article.") from exc
    return article


def delete(*, session: Session, article: Article) -> None:
    article_id = _id(article)
    # Its duplicates lose their original (the foreign key sets them to null): reindex them.
    duplicates = session.exec(select(Article.id).where(col(Article.duplicate_of) == article_id))
    for duplicate_id in duplicates.all():
        if duplicate_id is not None:
            outbox.enqueue_upsert(session=session, article_id=duplicate_id)
    session.delete(article)
    outbox.enqueue_delete(session=session, article_id=article_id)
    session.commit()


def _id(article: Article) -> int:
    assert article.id is not None, "article must be flushed before it has an id"
    return article.id


@dataclass(frozen=True)
class ListFilters:
    source: str | None = None
    section: str | None = None
    language: str | None = None
    tags: list[str] = field(default_factory=list)
    published_from: datetime | None = None
    published_to: datetime | None = None


def _tag_condition(session: Session, tag: str) -> sa.ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(Article.__table__.c.tags, sa.dialects.postgresql.JSONB).contains([tag])  # type: ignore[attr-defined]
    each = sa.func.json_each(Article.__table__.c.tags).table_valued("value")  # type: ignore[attr-defined]
    return sa.exists(sa.select(1).select_from(each).where(each.c.value == tag))


def _filter_conditions(session: Session, filters: ListFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.source is not None:
        conditions.append(col(Article.source) == filters.source)
    if filters.section is not None:
        conditions.append(col(Article.section) == filters.section)
    if filters.language is not None:
        conditions.append(col(Article.language) == filters.language)
    conditions.extend(_tag_condition(session, tag) for tag in filters.tags)
    if filters.published_from is not None:
        conditions.append(col(Article.published_at) >= filters.published_from)
    if filters.published_to is not None:
        conditions.append(col(Article.published_at) <= filters.published_to)
    return conditions


def _keyset(cursor: Cursor) -> sa.ColumnElement[bool]:
    """Rows strictly after the cursor in (published_at, id) order; undated articles come last."""
    published, article_id = col(Article.published_at), col(Article.id)
    newest = cursor.sort is SortOrder.newest
    id_after = article_id < cursor.id if newest else article_id > cursor.id
    if cursor.published_at is None:
        return sa.and_(published.is_(None), id_after)
    published_after = published < cursor.published_at if newest else published > cursor.published_at
    return sa.or_(
        published_after,
        sa.and_(published == cursor.published_at, id_after),
        published.is_(None),
    )


def list_articles(
    *,
    session: Session,
    filters: ListFilters,
    sort: SortOrder,
    limit: int,
    cursor: Cursor | None = None,
    with_count: bool = False,
) -> tuple[list[Article], Cursor | None, int | None]:
    conditions = _filter_conditions(session, filters)
    published, article_id = col(Article.published_at), col(Article.id)
    undated_last = sa.case((published.is_(None), 1), else_=0)
    order = (
        (undated_last, published.desc(), article_id.desc())
        if sort is SortOrder.newest
        else (undated_last, published.asc(), article_id.asc())
    )
    query = select(Article).where(*conditions)
    if cursor is not None:
        query = query.where(_keyset(cursor))
    rows = list(session.exec(query.order_by(*order).limit(limit + 1)).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = Cursor(sort=sort, published_at=last.published_at, id=_id(last))
    count = None
    if with_count:
        count_query = select(sa.func.count()).select_from(Article).where(*conditions)
        count = session.exec(count_query).one()
    return rows, next_cursor, count
