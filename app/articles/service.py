"""Article storage: idempotent upserts, edits, deletion and keyset-paginated listing.

Every write records the indexing work it needs in the same transaction (see app.outbox),
so the search index can never silently miss a committed change.
"""

import enum
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from app import outbox
from app.articles import revisions
from app.articles.cursor import Cursor, SortOrder
from app.articles.models import MAX_ARTICLE_ID, Article
from app.articles.schemas import (
    DATE_SOURCE_WITHOUT_DATE,
    ArticleCreate,
    ArticlePublic,
    ArticleUpdate,
    DateSource,
)
from app.db import utcnow
from app.entities import service as entity_service
from app.entities.types import ArticleEntity, ArticleText, ClientEntity
from app.errors import Conflict, InvalidParameter, NotFound
from app.stories import clustering

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
    "published_at_source",
    "modified_at",
    "image_caption",
    "credit",
    "related_titles",
)
#: Fields the entities of an article are found in.
TEXT_FIELDS = ("title", "summary", "body", "language")
#: Fields its story cluster is found by.
STORY_FIELDS = ("title", "summary", "body")


class Outcome(enum.StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"


def content_hash(title: str, summary: str | None, body: str) -> str:
    """SHA-256 of the normalised text, so the same story is recognised under another URL."""
    normalised = "\n".join(" ".join(part.split()) for part in (title, summary or "", body))
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def get(*, session: Session, article_id: int) -> Article:
    if not 0 < article_id <= MAX_ARTICLE_ID:
        raise NotFound(f"No article with id {article_id}.")
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


def _apply(
    session: Session, article: Article, values: dict[str, Any], *, entities_changed: bool = False
) -> bool:
    """Set the given fields; return whether anything (entities included) changed. A change
    of what a reader sees keeps the version it replaces as a revision first."""
    revised = revisions.changed_fields(article, values)
    if revised and article.id is not None:
        revisions.keep_previous(session, article, revised)
    changed = entities_changed
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


def _story_changes(article: Article, values: dict[str, Any]) -> bool:
    return any(name in values and getattr(article, name) != values[name] for name in STORY_FIELDS)


def _cluster(session: Session, article: Article, *, new: bool) -> None:
    """Put a flushed article in its story cluster (anew when its text changed)."""
    text = clustering.StoryText(
        article_id=_id(article),
        title=article.title,
        summary=article.summary,
        body=article.body,
        published_at=article.published_at,
        source=article.source,
    )
    if new:
        clustering.assign(session=session, texts=[text])
    else:
        clustering.recluster(session=session, text=text)
    session.refresh(article, attribute_names=["cluster_id", "cluster_size"])


def _client_entities(data: ArticleCreate | ArticleUpdate) -> tuple[ClientEntity, ...]:
    return tuple(ClientEntity(name=e.name, type=e.type, slug=e.slug) for e in data.entities or ())


def _find_entities(
    article: Article | None,
    values: dict[str, Any],
    clients: tuple[ClientEntity, ...],
    extract: bool,
) -> list[ArticleEntity]:
    """The entities of the article as it will be once `values` are applied."""

    def current(name: str) -> Any:
        return values[name] if name in values or article is None else getattr(article, name)

    text = ArticleText(
        title=current("title"),
        summary=current("summary") or "",
        body=current("body"),
        client_entities=clients,
    )
    return entity_service.entities_of(text, extract=extract, language=current("language") or "en")


def _needs_relink(
    session: Session,
    article: Article,
    values: dict[str, Any],
    clients: tuple[ClientEntity, ...] | None,
) -> bool:
    """Whether the text or the client's entities change, so the entities must be found anew."""
    if any(name in values and getattr(article, name) != values[name] for name in TEXT_FIELDS):
        return True
    return clients is not None and entity_service.client_entities_changed(
        session=session, article_id=_id(article), clients=clients
    )


def _store_entities(
    session: Session,
    article: Article,
    entities: list[ArticleEntity] | None,
    old_published_at: datetime | None,
) -> None:
    """Link the found entities (or just move the links' date) after the article is flushed.

    Flushing first takes the article's row lock, so concurrent writers of one article
    replace its links one after the other.
    """
    session.flush()
    if entities is not None:
        entity_service.link_article(
            session=session,
            article_id=_id(article),
            published_at=article.published_at,
            entities=entities,
        )
    elif article.published_at != old_published_at:
        entity_service.set_published_at(
            session=session, article_id=_id(article), published_at=article.published_at
        )


def upsert(
    *,
    session: Session,
    data: ArticleCreate,
    entities: list[ArticleEntity] | None = None,
    extract: bool = True,
) -> tuple[Article, Outcome]:
    """Create an article, or update the one with the same url or external_id.

    Identical content (client entities included) is a no-op. Two concurrent posts of the same
    url race on the unique constraint; the loser retries once and takes the update path. An
    update whose url or external_id another writer took meanwhile retries once too, and the
    second lookup names the conflict (409).

    `entities` are the article's entities found beforehand (bulk ingestion finds many at
    once); None finds them now, from the text unless `extract` is off, and from the payload.
    """
    values = data.model_dump(include=set(CONTENT_FIELDS))
    clients = _client_entities(data)
    for attempt in range(2):
        try:
            existing = _find_existing(session, values["url"], values["external_id"])
            if existing is not None:
                relink = _needs_relink(session, existing, values, clients)
                found = None
                if relink:
                    # Found before any write, so no lock is held while the model reads.
                    found = (
                        entities
                        if entities is not None
                        else _find_entities(existing, values, clients, extract)
                    )
                old_published_at = existing.published_at
                restory = _story_changes(existing, values)
                if not _apply(session, existing, values, entities_changed=relink):
                    return existing, Outcome.unchanged
                _store_entities(session, existing, found, old_published_at)
                if restory:
                    _cluster(session, existing, new=False)
                outbox.enqueue_upsert(session=session, article_id=_id(existing))
                session.commit()
                return existing, Outcome.updated
            if entities is None:
                entities = _find_entities(None, values, clients, extract)
            now = utcnow()
            article = Article(
                **values,
                content_hash=content_hash(data.title, data.summary, data.body),
                created_at=now,
                updated_at=now,
            )
            article.duplicate_of = _first_with_same_content(session, article)
            session.add(article)
            session.flush()
            _store_entities(session, article, entities, None)
            _cluster(session, article, new=True)
            outbox.enqueue_upsert(session=session, article_id=_id(article))
            session.commit()
            return article, Outcome.created
        except IntegrityError:
            # A concurrent write took the url or external_id, or created one of the entities,
            # since the lookup: look again, which takes the update path or names the conflict.
            # Entities found for a lost insert are kept for the second try.
            session.rollback()
            if attempt:
                raise
            logger.info("integrity error on upsert (a concurrent write); retrying once")
    raise AssertionError("unreachable")


def update(
    *, session: Session, article: Article, changes: ArticleUpdate, extract: bool = True
) -> Article:
    """Apply a partial update (PATCH); client entities stay as they are unless given."""
    values = changes.model_dump(exclude_unset=True, exclude={"entities"})
    _date_source_of_patch(article, values)
    clients = _client_entities(changes) if "entities" in changes.model_fields_set else None
    return _save(session, article, values, clients, extract)


def _date_source_of_patch(article: Article, values: dict[str, Any]) -> None:
    """A PATCH keeps a date and its source together: a new date without a source is the
    client's, a cleared date clears its source, and a source alone needs a date to name."""
    if "published_at" in values:
        if values["published_at"] is None:
            if values.get("published_at_source") is not None:
                raise InvalidParameter(["body", "published_at_source"], DATE_SOURCE_WITHOUT_DATE)
            values["published_at_source"] = None
        elif values.get("published_at_source") is None:
            values["published_at_source"] = DateSource.client
    elif "published_at_source" in values:
        if article.published_at is None and values["published_at_source"] is not None:
            raise InvalidParameter(
                ["body", "published_at_source"], "the article has no published_at to name"
            )
        if article.published_at is not None and values["published_at_source"] is None:
            raise InvalidParameter(
                ["body", "published_at_source"],
                "cannot be null while the article has a published_at",
            )


def replace(
    *, session: Session, article: Article, data: ArticleCreate, extract: bool = True
) -> Article:
    """Replace every client field (PUT); omitted optional fields are cleared."""
    values = data.model_dump(include=set(CONTENT_FIELDS))
    return _save(session, article, values, _client_entities(data), extract)


def _save(
    session: Session,
    article: Article,
    values: dict[str, Any],
    clients: tuple[ClientEntity, ...] | None,
    extract: bool,
) -> Article:
    _check_unique_elsewhere(session, article, values)
    relink = _needs_relink(session, article, values, clients)
    found = None
    if relink:
        if clients is None:
            clients = entity_service.stored_client_entities(
                session=session, article_id=_id(article)
            )
        found = _find_entities(article, values, clients, extract)
    old_published_at = article.published_at
    restory = _story_changes(article, values)
    article_id = article.id
    try:
        if _apply(session, article, values, entities_changed=relink):
            session.add(article)
            try:
                # The UPDATE may be flushed by the entity queries: a key another request
                # took since `_check_unique_elsewhere` fails there, not only at the commit.
                _store_entities(session, article, found, old_published_at)
                if restory:
                    _cluster(session, article, new=False)
                outbox.enqueue_upsert(session=session, article_id=_id(article))
                session.commit()
            except IntegrityError as exc:
                session.rollback()
                raise Conflict("url or external_id already belongs to another article.") from exc
    except StaleDataError as exc:
        # Deleted by another request since this one read it: the UPDATE (flushed by any
        # query from here on) matched no row.
        session.rollback()
        raise NotFound(f"No article with id {article_id}.") from exc
    return article


def delete(*, session: Session, article: Article) -> None:
    article_id = _id(article)
    # Its duplicates lose their original (the foreign key sets them to null): reindex them.
    duplicates = session.exec(select(Article.id).where(col(Article.duplicate_of) == article_id))
    for duplicate_id in duplicates.all():
        if duplicate_id is not None:
            outbox.enqueue_upsert(session=session, article_id=duplicate_id)
    clustering.remove(session=session, article_id=article_id)
    session.delete(article)
    outbox.enqueue_delete(session=session, article_id=article_id)
    session.commit()


def _id(article: Article) -> int:
    assert article.id is not None, "article must be flushed before it has an id"
    return article.id


def to_public(*, session: Session, articles: Sequence[Article]) -> list[ArticlePublic]:
    """Articles as the API shows them, each with its entities (one query for all)."""
    entities = entity_service.article_entities(
        session=session, article_ids=[_id(article) for article in articles]
    )
    return [
        ArticlePublic.model_validate(article).model_copy(
            update={"entities": entities[_id(article)]}
        )
        for article in articles
    ]


@dataclass(frozen=True)
class ListFilters:
    source: str | None = None
    section: str | None = None
    language: str | None = None
    tags: list[str] = field(default_factory=list)
    #: Where `published_at` came from: any of these (empty: no constraint).
    published_at_sources: list[str] = field(default_factory=list)
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
    if filters.published_at_sources:
        conditions.append(col(Article.published_at_source).in_(filters.published_at_sources))
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
