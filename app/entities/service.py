"""Stored entities: linking articles to canonical entities, lookups, merging and renaming.

Linking runs inside the article's own transaction. Entities and aliases are created with
INSERT ... ON CONFLICT DO NOTHING, in slug (then alias) order, so concurrent writers naming
the same new entity neither fail nor deadlock: the later one waits for the earlier one and
then reads the row it made.

Every change that alters what an article's search document says about its entities (a
rename, a new alias, a merge) queues those articles in the outbox in the same transaction.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from rapidfuzz import fuzz
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.articles.cursor import Cursor, SortOrder
from app.articles.models import Article
from app.db import utcnow
from app.entities.canonical import canonicalise, resolve
from app.entities.extract import EntityExtractor, extract_entities, extract_entities_batch
from app.entities.gazetteer import lookup_country, lookup_subplace, slugify
from app.entities.models import (
    NAME_MAX_CHARS,
    SLUG_MAX_CHARS,
    ArticleEntityLink,
    Entity,
    EntityAlias,
    EntityRedirect,
)
from app.entities.schemas import (
    ArticleEntityPublic,
    CoOccurrence,
    EntityDetail,
    EntitySort,
    EntityUpdate,
    MonthCount,
)
from app.entities.types import (
    ArticleEntity,
    ArticleText,
    ClientEntity,
    EntitySource,
    EntityType,
)
from app.errors import Conflict, InvalidParameter, NotFound
from app.search import outbox
from app.search.documents import DocumentEntity

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

#: Core tables, for set-based statements the ORM would run row by row.
ENTITIES: sa.Table = Entity.__table__  # type: ignore[attr-defined]
ALIASES: sa.Table = EntityAlias.__table__  # type: ignore[attr-defined]
REDIRECTS: sa.Table = EntityRedirect.__table__  # type: ignore[attr-defined]
LINKS: sa.Table = ArticleEntityLink.__table__  # type: ignore[attr-defined]

#: Autocomplete compares at most this many stored names with a mistyped query.
FUZZY_CANDIDATES = 5000
FUZZY_MIN_SCORE = 80
FUZZY_MIN_CHARS = 3
CO_OCCURRING_LIMIT = 10
#: Containing places followed per entity (city, state, country): more than the gazetteer nests.
WITHIN_DEPTH = 3
_LAST_CODEPOINT = "\U0010ffff"


# --- pure --------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """The lookup key of a name: case, diacritics and punctuation do not count.

    "São Paulo", "SAO PAULO" and "sao-paulo" share a key; a name in a script slugs cannot
    spell keeps its own letters, case-folded.
    """
    key = slugify(text)
    if key:
        return key
    folded = " ".join(text.casefold().split())
    return folded if any(char.isalnum() for char in folded) else ""


def analyse(
    texts: Sequence[ArticleText],
    *,
    n_process: int = 1,
    batch_size: int = 64,
    extractor: EntityExtractor | None = None,
) -> list[list[ArticleEntity]]:
    """The entities of many articles at once, in input order, for bulk ingestion (no I/O)."""
    return list(
        extract_entities_batch(
            texts, extractor=extractor, n_process=n_process, batch_size=batch_size
        )
    )


def entities_of(
    text: ArticleText, *, extract: bool = True, language: str = "en"
) -> list[ArticleEntity]:
    """One article's entities; only the client's when extraction is off or the text is not
    English (the model reads English only)."""
    if extract and language == "en":
        return extract_entities(text)
    return canonicalise(text.full_text, [], text.client_entities)


def client_slug(entity: ClientEntity) -> str:
    """The slug a client entity is stored under, as canonicalisation derives it."""
    return entity.slug or resolve(entity.name, entity.type).slug


# --- linking articles ------------------------------------------------------------------


#: Values per IN list: far below the bound parameters a statement may carry (SQLite 32,766,
#: PostgreSQL 65,535) whatever the batch size.
SLICE = 1000


def _slices(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), SLICE):
        yield items[start : start + SLICE]


def _insert(session: Session, table: sa.Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _locate(session: Session, slugs: Iterable[str]) -> dict[str, int]:
    """Slug -> entity id, following the redirects merges leave behind."""
    wanted = sorted(set(slugs))
    found: dict[str, int] = {}
    for part in _slices(wanted):
        found.update(
            session.execute(
                sa.select(ENTITIES.c.slug, ENTITIES.c.id).where(ENTITIES.c.slug.in_(part))
            ).all()
        )
    rest = [slug for slug in wanted if slug not in found]
    redirects = REDIRECTS.c
    for part in _slices(rest):
        found.update(
            session.execute(
                sa.select(redirects.slug, redirects.entity_id).where(redirects.slug.in_(part))
            ).all()
        )
    return found


def _place_name(slug: str) -> str:
    place = lookup_country(slug) or lookup_subplace(slug)
    return place.name if place is not None else slug.replace("-", " ").title()


def _ensure_entities(session: Session, entities: Sequence[ArticleEntity]) -> dict[str, int]:
    """Get or create an entity row for every slug (and every containing place)."""
    wanted: dict[str, tuple[str, str, str | None]] = {}
    for entity in entities:
        wanted.setdefault(entity.slug, (entity.name, entity.type.value, entity.within))
    for entity in entities:
        if entity.within and entity.within not in wanted:
            wanted[entity.within] = (_place_name(entity.within), EntityType.PLACE.value, None)
    ids = _locate(session, wanted)
    missing = sorted(slug for slug in wanted if slug not in ids)
    created: dict[str, int] = {}
    if missing:
        table = ENTITIES
        now = utcnow()
        # One statement for all rows, run as executemany: its SQL is compiled once and
        # cached, whatever the number of rows (a multi-row VALUES is compiled per size).
        statement = (
            _insert(session, table)
            .on_conflict_do_nothing(index_elements=["slug"])
            .returning(table.c.slug, table.c.id)
        )
        rows = [
            {
                "slug": s,
                "name": wanted[s][0][:NAME_MAX_CHARS],
                "type": wanted[s][1],
                "created_at": now,
            }
            for s in missing
        ]
        created.update(session.execute(statement, rows).all())
        ids.update(created)
        # Rows another transaction created meanwhile are visible once it has committed.
        ids.update(_locate(session, [s for s in missing if s not in created]))
    nested = [
        {"entity_id": entity_id, "within": ids[within]}
        for slug, entity_id in sorted(created.items())
        if (within := wanted[slug][2]) and within in ids and ids[within] != entity_id
    ]
    if nested:
        session.execute(
            sa.update(ENTITIES)
            .where(ENTITIES.c.id == sa.bindparam("entity_id"))
            .values(within_id=sa.bindparam("within")),
            nested,
        )
    names: list[tuple[int, str]] = []
    for entity in entities:
        if entity.slug in ids:
            names.extend((ids[entity.slug], name) for name in (entity.name, *entity.aliases))
    names.extend((ids[slug], wanted[slug][0]) for slug in created)
    _add_free_aliases(session, names)
    return ids


def _add_free_aliases(session: Session, names: Iterable[tuple[int, str]]) -> None:
    """Record names as aliases unless their normalised form already belongs to an entity."""
    by_key: dict[str, tuple[int, str]] = {}
    for entity_id, name in names:
        key = normalise(name)
        if key and max(len(name), len(key)) <= NAME_MAX_CHARS:
            by_key.setdefault(key, (entity_id, name))
    if not by_key:
        return
    table = ALIASES
    taken: set[str] = set()
    for part in _slices(sorted(by_key)):
        taken.update(
            session.execute(
                sa.select(table.c.normalised).where(table.c.normalised.in_(part))
            ).scalars()
        )
    rows = [
        {"entity_id": by_key[key][0], "alias": by_key[key][1], "normalised": key}
        for key in sorted(by_key)
        if key not in taken
    ]
    if rows:
        session.execute(
            _insert(session, table).on_conflict_do_nothing(index_elements=["normalised"]), rows
        )


def link_article(
    *,
    session: Session,
    article_id: int,
    published_at: datetime | None,
    entities: Sequence[ArticleEntity],
) -> None:
    """Replace the article's entity links with `entities` (in the caller's transaction)."""
    link_articles(session=session, articles=[(article_id, published_at, entities)])


#: An article to link: its id, its date, the entities found in it.
ArticleLinks = tuple[int, datetime | None, Sequence[ArticleEntity]]


def link_articles(
    *, session: Session, articles: Sequence[ArticleLinks], replace: bool = True
) -> None:
    """Link many articles at once: one entity look-up, one insert of the entities none of
    them has named before, one of their links. `replace=False` for articles just inserted,
    which have no links yet."""
    links = LINKS
    if replace:
        ids = sorted({article_id for article_id, _published_at, _entities in articles})
        for part in _slices(ids):
            session.execute(sa.delete(links).where(links.c.article_id.in_(part)))
    # A slug too long to store comes only from a runaway model span; it names nothing useful.
    usable = [
        (article_id, published_at, [e for e in entities if 0 < len(e.slug) <= SLUG_MAX_CHARS])
        for article_id, published_at, entities in articles
    ]
    every = [entity for _id, _published_at, entities in usable for entity in entities]
    if not every:
        return
    entity_ids = _ensure_entities(session, every)
    rows: list[dict[str, Any]] = []
    for article_id, published_at, entities in usable:
        rows.extend(_link_rows(article_id, published_at, entities, entity_ids))
    session.execute(sa.insert(links), rows)


def _link_rows(
    article_id: int,
    published_at: datetime | None,
    entities: Sequence[ArticleEntity],
    entity_ids: dict[str, int],
) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for entity in entities:
        entity_id = entity_ids[entity.slug]
        row = rows.get(entity_id)
        if row is None:
            rows[entity_id] = {
                "article_id": article_id,
                "entity_id": entity_id,
                "mentions": entity.mentions,
                "first_position": entity.first_position,
                "source": entity.source.value,
                "published_at": published_at,
            }
            continue
        # Two slugs that a merge made one entity.
        row["mentions"] += entity.mentions
        positions = [p for p in (row["first_position"], entity.first_position) if p is not None]
        row["first_position"] = min(positions) if positions else None
        if entity.source is EntitySource.CLIENT:
            row["source"] = EntitySource.CLIENT.value
    return [rows[key] for key in sorted(rows)]


def set_published_at(*, session: Session, article_id: int, published_at: datetime | None) -> None:
    """Keep the links' copy of the article's date in step with the article."""
    links = LINKS
    session.execute(
        sa.update(links).where(links.c.article_id == article_id).values(published_at=published_at)
    )


def stored_client_slugs(*, session: Session, article_id: int) -> set[str]:
    rows = session.exec(
        select(Entity.slug)
        .join(ArticleEntityLink, col(ArticleEntityLink.entity_id) == col(Entity.id))
        .where(
            col(ArticleEntityLink.article_id) == article_id,
            col(ArticleEntityLink.source) == EntitySource.CLIENT.value,
        )
    ).all()
    return set(rows)


def stored_client_entities(*, session: Session, article_id: int) -> tuple[ClientEntity, ...]:
    """The client's entities of a stored article, to keep them when its text is edited."""
    rows = session.exec(
        select(Entity)
        .join(ArticleEntityLink, col(ArticleEntityLink.entity_id) == col(Entity.id))
        .where(
            col(ArticleEntityLink.article_id) == article_id,
            col(ArticleEntityLink.source) == EntitySource.CLIENT.value,
        )
        .order_by(col(Entity.slug))
    ).all()
    return tuple(ClientEntity(name=e.name, type=EntityType(e.type), slug=e.slug) for e in rows)


def client_entities_changed(
    *, session: Session, article_id: int, clients: Sequence[ClientEntity]
) -> bool:
    """Whether the client names other entities than those stored for the article."""
    wanted = {client_slug(client) for client in clients}
    located = _locate(session, wanted)
    stored = stored_client_slugs(session=session, article_id=article_id)
    if any(slug not in located for slug in wanted):
        return True
    entity_ids = set(located.values())
    stored_ids = set(_locate(session, stored).values())
    return entity_ids != stored_ids


def article_entities(
    *, session: Session, article_ids: Sequence[int]
) -> dict[int, list[ArticleEntityPublic]]:
    """The entities of each article, in order of first mention, for API responses."""
    result: dict[int, list[ArticleEntityPublic]] = {article_id: [] for article_id in article_ids}
    if not article_ids:
        return result
    links = LINKS.c
    entities = ENTITIES.c
    query = (
        sa.select(
            links.article_id,
            entities.slug,
            entities.name,
            entities.type,
            links.mentions,
            links.source,
        )
        .join_from(LINKS, ENTITIES, entities.id == links.entity_id)
        .where(links.article_id.in_(sorted(set(article_ids))))
        .order_by(*_link_order())
    )
    for article_id, slug, name, type_, mentions, source in session.execute(query).all():
        result[article_id].append(
            ArticleEntityPublic(
                slug=slug,
                name=name,
                type=EntityType(type_),
                mentions=mentions,
                source=EntitySource(source),
            )
        )
    return result


def _link_order() -> tuple[sa.ColumnElement[Any], ...]:
    links = LINKS.c
    return (
        links.article_id,
        sa.case((links.first_position.is_(None), 1), else_=0),
        links.first_position,
        ENTITIES.c.slug,
    )


# --- search ------------------------------------------------------------------------------


def _within_slugs(session: Session, within_ids: set[int]) -> dict[int, list[str]]:
    """Entity id -> slugs of the places containing it, nearest first."""
    entities = ENTITIES.c
    parents: dict[int, tuple[str, int | None]] = {}
    frontier = set(within_ids)
    for _ in range(WITHIN_DEPTH):
        frontier -= set(parents)
        if not frontier:
            break
        rows = session.execute(
            sa.select(entities.id, entities.slug, entities.within_id).where(
                entities.id.in_(sorted(frontier))
            )
        ).all()
        frontier = set()
        for entity_id, slug, within_id in rows:
            parents[entity_id] = (slug, within_id)
            if within_id is not None:
                frontier.add(within_id)
    chains: dict[int, list[str]] = {}
    for start in within_ids:
        chain: list[str] = []
        current: int | None = start
        while current is not None and current in parents and len(chain) < WITHIN_DEPTH:
            slug, current = parents[current]
            if slug in chain:
                break
            chain.append(slug)
        chains[start] = chain
    return chains


def load_document_entities(
    session: Session, article_ids: Sequence[int]
) -> dict[int, list[DocumentEntity]]:
    """Entities for search documents: names, aliases and containing places (an EntityLoader)."""
    if not article_ids:
        return {}
    links = LINKS.c
    entities = ENTITIES.c
    rows = list(
        session.execute(
            sa.select(
                links.article_id,
                entities.id,
                entities.slug,
                entities.name,
                entities.type,
                entities.within_id,
            )
            .join_from(LINKS, ENTITIES, entities.id == links.entity_id)
            .where(links.article_id.in_(sorted(set(article_ids))))
            .order_by(*_link_order())
        ).all()
    )
    entity_ids = sorted({row[1] for row in rows})
    aliases: dict[int, list[str]] = {}
    alias_table = ALIASES.c
    for start in range(0, len(entity_ids), 5000):
        for entity_id, alias in session.execute(
            sa.select(alias_table.entity_id, alias_table.alias)
            .where(alias_table.entity_id.in_(entity_ids[start : start + 5000]))
            .order_by(alias_table.entity_id, alias_table.alias)
        ).all():
            aliases.setdefault(entity_id, []).append(alias)
    within = _within_slugs(session, {row[5] for row in rows if row[5] is not None})
    result: dict[int, list[DocumentEntity]] = {}
    for article_id, entity_id, slug, name, type_, within_id in rows:
        result.setdefault(article_id, []).append(
            DocumentEntity(
                slug=slug,
                name=name,
                type=type_,
                aliases=tuple(aliases.get(entity_id, ())),
                within=tuple(within.get(within_id, ())) if within_id is not None else (),
            )
        )
    return result


def lookup(*, session: Session, value: str) -> Entity | None:
    """The entity a user means by a slug, a name or an alias, if the archive knows it.

    Tried in order: the slug itself, a stored name or alias (case and diacritics aside), and
    what the name means canonically ("U.S." and "America" are the United States).
    """
    text = value.strip()
    if not text:
        return None
    key = normalise(text)
    candidates = [text, key]
    for type_ in (EntityType.PLACE, EntityType.ORGANIZATION):
        candidates.append(resolve(text, type_).slug)
    for slug in candidates[:2]:
        found = _locate(session, [slug]).get(slug)
        if found is not None:
            return session.get(Entity, found)
    owner = session.exec(
        select(EntityAlias.entity_id).where(col(EntityAlias.normalised) == key)
    ).first()
    if owner is not None:
        return session.get(Entity, owner)
    for slug in candidates[2:]:
        found = _locate(session, [slug]).get(slug)
        if found is not None:
            return session.get(Entity, found)
    return None


def resolve_for_search(session: Session, values: Sequence[str]) -> tuple[list[str], list[str]]:
    """Slugs for the /search `entity` and `any_entity` values, and a warning per unknown one.

    An unknown value still filters (by a slug no entity has), so it matches nothing rather
    than being dropped and widening the search.
    """
    slugs: list[str] = []
    warnings: list[str] = []
    for value in values:
        if not value.strip():
            slugs.append(value)  # the filter builder reports blank values
            continue
        entity = lookup(session=session, value=value)
        if entity is None:
            warnings.append(f"entity {value!r} matches no known entity; it matches no article")
            slugs.append(slugify(value) or value)
        else:
            slugs.append(entity.slug)
    return slugs, warnings


# --- reading -----------------------------------------------------------------------------


def get_by_slug(*, session: Session, slug: str) -> Entity:
    found = _locate(session, [slug]).get(slug)
    entity = session.get(Entity, found) if found is not None else None
    if entity is None:
        raise NotFound(f"No entity with slug {slug!r}.")
    return entity


def _id(entity: Entity) -> int:
    assert entity.id is not None, "entity must be stored before it has an id"
    return entity.id


def article_counts(*, session: Session, entity_ids: Sequence[int]) -> dict[int, int]:
    links = LINKS.c
    counts = dict.fromkeys(entity_ids, 0)
    if entity_ids:
        counts.update(
            session.execute(
                sa.select(links.entity_id, sa.func.count())
                .where(links.entity_id.in_(sorted(set(entity_ids))))
                .group_by(links.entity_id)
            ).all()
        )
    return counts


class InvalidEntityCursor(ValueError):
    """The cursor was not issued by this API, or for another sort."""


@dataclass(frozen=True)
class EntityCursor:
    sort: EntitySort
    key: int | str
    id: int

    def encode(self) -> str:
        raw = json.dumps({"s": self.sort.value, "k": self.key, "i": self.id}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, sort: EntitySort) -> EntityCursor:
        try:
            payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            cursor = cls(sort=EntitySort(payload["s"]), key=payload["k"], id=payload["i"])
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise InvalidEntityCursor("cursor is not valid; pass back a `next` value") from exc
        expected = int if cursor.sort is EntitySort.articles else str
        if not isinstance(cursor.key, expected) or not isinstance(cursor.id, int):
            raise InvalidEntityCursor("cursor is not valid; pass back a `next` value")
        if cursor.sort is not sort:
            raise InvalidEntityCursor(f"cursor was issued for sort={cursor.sort}")
        return cursor


def list_entities(
    *,
    session: Session,
    type: EntityType | None,
    sort: EntitySort,
    limit: int,
    cursor: EntityCursor | None = None,
) -> tuple[list[tuple[Entity, int]], EntityCursor | None]:
    """Entities with their article counts, most named (or alphabetical) first."""
    links = LINKS.c
    counts = (
        sa.select(links.entity_id, sa.func.count().label("n")).group_by(links.entity_id).subquery()
    )
    n = sa.func.coalesce(counts.c.n, 0)
    name_key = sa.func.lower(col(Entity.name))
    entity_id = col(Entity.id)
    query = select(Entity, n).outerjoin(counts, counts.c.entity_id == entity_id)
    if type is not None:
        query = query.where(col(Entity.type) == type.value)
    if sort is EntitySort.articles:
        query = query.order_by(n.desc(), entity_id)
        if cursor is not None:
            query = query.where(
                sa.or_(n < cursor.key, sa.and_(n == cursor.key, entity_id > cursor.id))
            )
    else:
        query = query.order_by(name_key, entity_id)
        if cursor is not None:
            query = query.where(
                sa.or_(
                    name_key > cursor.key, sa.and_(name_key == cursor.key, entity_id > cursor.id)
                )
            )
    rows = [(entity, int(count)) for entity, count in session.exec(query.limit(limit + 1)).all()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last, count = rows[-1]
        key: int | str = count if sort is EntitySort.articles else last.name.lower()
        next_cursor = EntityCursor(sort=sort, key=key, id=_id(last))
    return rows, next_cursor


def _prefix(session: Session, column: Any, key: str) -> sa.ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(escaped + "%", escape="\\")  # type: ignore[no-any-return]
    # SQLite's LIKE ignores case and so cannot use the (binary) index; a range can.
    return sa.and_(column >= key, column < key + _LAST_CODEPOINT)


def autocomplete(
    *, session: Session, q: str, type: EntityType | None, limit: int
) -> list[tuple[Entity, int]]:
    """Entities whose name or alias starts with `q`, then near misses of mistyped names.

    Prefix matches come first, most named first; then names within a small edit distance of
    `q` (or of its first letters), compared among at most FUZZY_CANDIDATES stored names that
    start with the same letter, so a typo costs a bounded amount of work.
    """
    key = normalise(q)
    if not key:
        return []
    aliases = ALIASES.c
    entities = ENTITIES.c

    def candidates(condition: sa.ColumnElement[bool], cap: int) -> list[tuple[int, str]]:
        query = (
            sa.select(aliases.entity_id, aliases.normalised)
            .join_from(ALIASES, ENTITIES, entities.id == aliases.entity_id)
            .where(condition)
        )
        if type is not None:
            query = query.where(entities.type == type.value)
        return list(session.execute(query.limit(cap)).all())

    scores: dict[int, float] = {}
    for entity_id, _ in candidates(_prefix(session, aliases.normalised, key), FUZZY_CANDIDATES):
        scores[entity_id] = 200.0
    if len(scores) < limit and len(key) >= FUZZY_MIN_CHARS:
        for entity_id, name in candidates(
            _prefix(session, aliases.normalised, key[0]), FUZZY_CANDIDATES
        ):
            score = max(fuzz.ratio(key, name), fuzz.ratio(key, name[: len(key)]))
            if score >= FUZZY_MIN_SCORE and score > scores.get(entity_id, 0):
                scores[entity_id] = score
    if not scores:
        return []
    counts = article_counts(session=session, entity_ids=list(scores))
    found = {
        _id(entity): entity
        for entity in session.exec(select(Entity).where(col(Entity.id).in_(list(scores)))).all()
    }
    ranked = sorted(
        found.values(),
        key=lambda e: (-scores[_id(e)], -counts[_id(e)], e.name.lower(), _id(e)),
    )
    return [(entity, counts[_id(entity)]) for entity in ranked[:limit]]


def _month(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    # SQLite keeps UTC datetimes as "YYYY-MM-DD HH:MM:SS..." text.
    return sa.func.strftime("%Y-%m", column)


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return _aware(value)
    return _aware(datetime.fromisoformat(str(value)))


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=utcnow().tzinfo)


def detail(*, session: Session, entity: Entity) -> EntityDetail:
    entity_id = _id(entity)
    links = LINKS.c
    count, first, last = session.execute(
        sa.select(
            sa.func.count(), sa.func.min(links.published_at), sa.func.max(links.published_at)
        ).where(links.entity_id == entity_id)
    ).one()
    aliases = sorted(
        session.exec(
            select(EntityAlias.alias).where(col(EntityAlias.entity_id) == entity_id)
        ).all(),
        key=str.lower,
    )
    within = session.get(Entity, entity.within_id) if entity.within_id is not None else None

    other = LINKS.alias("other")
    mine = LINKS.alias("mine")
    entities = ENTITIES.c
    together = sa.func.count().label("together")
    co_rows = session.execute(
        sa.select(entities.slug, entities.name, entities.type, together)
        .select_from(mine)
        .join(
            other, sa.and_(other.c.article_id == mine.c.article_id, other.c.entity_id != entity_id)
        )
        .join(ENTITIES, entities.id == other.c.entity_id)
        .where(mine.c.entity_id == entity_id)
        .group_by(entities.id, entities.slug, entities.name, entities.type)
        .order_by(together.desc(), entities.slug)
        .limit(CO_OCCURRING_LIMIT)
    ).all()
    month = _month(session, links.published_at).label("month")
    month_rows = session.execute(
        sa.select(month, sa.func.count())
        .where(links.entity_id == entity_id, links.published_at.is_not(None))
        .group_by(month)
        .order_by(month)
    ).all()
    return EntityDetail(
        slug=entity.slug,
        name=entity.name,
        type=EntityType(entity.type),
        aliases=aliases,
        within=within.slug if within is not None else None,
        article_count=count,
        first_seen=_as_datetime(first),
        last_seen=_as_datetime(last),
        co_occurring=[
            CoOccurrence(slug=slug, name=name, type=EntityType(type_), count=n)
            for slug, name, type_, n in co_rows
        ],
        months=[MonthCount(month=str(m), count=n) for m, n in month_rows],
    )


def list_articles(
    *,
    session: Session,
    entity: Entity,
    sort: SortOrder,
    limit: int,
    published_from: datetime | None = None,
    published_to: datetime | None = None,
    cursor: Cursor | None = None,
    with_count: bool = False,
) -> tuple[list[Article], Cursor | None, int | None]:
    """The entity's articles in (published_at, id) order, walked along the links' own index."""
    published = col(ArticleEntityLink.published_at)
    article_id = col(ArticleEntityLink.article_id)
    conditions: list[sa.ColumnElement[bool]] = [col(ArticleEntityLink.entity_id) == _id(entity)]
    if published_from is not None:
        conditions.append(published >= published_from)
    if published_to is not None:
        conditions.append(published <= published_to)
    newest = sort is SortOrder.newest
    undated_last = sa.case((published.is_(None), 1), else_=0)
    order = (
        (undated_last, published.desc(), article_id.desc())
        if newest
        else (undated_last, published.asc(), article_id.asc())
    )
    query = (
        select(Article).join(ArticleEntityLink, article_id == col(Article.id)).where(*conditions)
    )
    if cursor is not None:
        id_after = article_id < cursor.id if newest else article_id > cursor.id
        if cursor.published_at is None:
            query = query.where(published.is_(None), id_after)
        else:
            after = published < cursor.published_at if newest else published > cursor.published_at
            query = query.where(
                sa.or_(
                    after, sa.and_(published == cursor.published_at, id_after), published.is_(None)
                )
            )
    rows = list(session.exec(query.order_by(*order).limit(limit + 1)).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        assert last.id is not None
        next_cursor = Cursor(sort=sort, published_at=last.published_at, id=last.id)
    total = None
    if with_count:
        total = session.exec(
            select(sa.func.count()).select_from(ArticleEntityLink).where(*conditions)
        ).one()
    return rows, next_cursor, total


# --- changing entities -------------------------------------------------------------------


def _article_ids_of(session: Session, entity_ids: Sequence[int]) -> set[int]:
    links = LINKS.c
    return set(
        session.execute(
            sa.select(links.article_id).where(links.entity_id.in_(sorted(set(entity_ids))))
        ).scalars()
    )


def _reindex(session: Session, article_ids: Iterable[int]) -> None:
    for article_id in sorted(set(article_ids)):
        outbox.enqueue_upsert(session=session, article_id=article_id)


def _alias_owner(session: Session, key: str) -> Entity | None:
    owner_id = session.exec(
        select(EntityAlias.entity_id).where(col(EntityAlias.normalised) == key)
    ).first()
    return session.get(Entity, owner_id) if owner_id is not None else None


def _owned_elsewhere(owner: Entity, alias: str) -> Conflict:
    return Conflict(f"Alias {alias!r} already belongs to entity {owner.slug!r} ({owner.name}).")


def add_alias(*, session: Session, entity: Entity, alias: str) -> bool:
    """Give the entity another name; False when it already had it. 409 when another has it."""
    key = normalise(alias)
    if not key:
        raise InvalidParameter(["body", "alias"], "must contain letters or digits")
    if len(key) > NAME_MAX_CHARS:
        raise InvalidParameter(["body", "alias"], f"is over {NAME_MAX_CHARS} characters normalised")
    owner = _alias_owner(session, key)
    if owner is not None:
        if owner.id == entity.id:
            return False
        raise _owned_elsewhere(owner, alias)
    session.add(EntityAlias(entity_id=_id(entity), alias=alias, normalised=key))
    _reindex(session, _article_ids_of(session, [_id(entity)]))
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        owner = _alias_owner(session, key)
        if owner is None or owner.id == entity.id:
            raise
        raise _owned_elsewhere(owner, alias) from exc
    return True


def update(*, session: Session, entity: Entity, changes: EntityUpdate) -> Entity:
    """Rename or retype an entity; its articles are re-indexed."""
    values = changes.model_dump(exclude_unset=True)
    name = values.get("name")
    new_type = values.get("type")
    changed = False
    if name is not None and name != entity.name:
        key = normalise(name)
        owner = _alias_owner(session, key) if key else None
        if owner is not None and owner.id != entity.id:
            raise _owned_elsewhere(owner, name)
        if owner is None and key and len(key) <= NAME_MAX_CHARS:
            # The old name stays an alias, so links and searches by it keep working.
            session.add(EntityAlias(entity_id=_id(entity), alias=name, normalised=key))
        entity.name = name
        changed = True
    if new_type is not None and new_type.value != entity.type:
        entity.type = new_type.value
        changed = True
    if changed:
        session.add(entity)
        _reindex(session, _article_ids_of(session, [_id(entity)]))
        session.commit()
    return entity


def merge(*, session: Session, into: Entity, merged: Entity, force: bool = False) -> Entity:
    """Fold `merged` into `into`: links (mentions added), aliases, redirects and contained
    places move over, `merged`'s name and slug keep finding `into`, and `merged` is deleted."""
    keep, gone = _id(into), _id(merged)
    if keep == gone:
        raise InvalidParameter(["body", "merge"], "an entity cannot be merged into itself")
    if into.type != merged.type and not force:
        raise InvalidParameter(
            ["body", "force"],
            f"{merged.slug!r} is a {merged.type} and {into.slug!r} a {into.type}; "
            "pass force=true to merge them anyway",
        )
    if session.get_bind().dialect.name == "postgresql":
        # Writers linking either entity finish first; later ones see the merged state.
        session.execute(
            sa.select(ENTITIES.c.id)
            .where(ENTITIES.c.id.in_(sorted([keep, gone])))
            .order_by(ENTITIES.c.id)
            .with_for_update()
        )
    links = LINKS
    entities = ENTITIES
    contained = list(
        session.execute(sa.select(entities.c.id).where(entities.c.within_id == gone)).scalars()
    )
    affected = _article_ids_of(session, [keep, gone, *contained])

    both = dict(
        (row.article_id, row)
        for row in session.execute(sa.select(links).where(links.c.entity_id == keep)).all()
    )
    for row in session.execute(sa.select(links).where(links.c.entity_id == gone)).all():
        kept = both.get(row.article_id)
        if kept is None:
            session.execute(
                sa.update(links)
                .where(links.c.article_id == row.article_id, links.c.entity_id == gone)
                .values(entity_id=keep)
            )
            continue
        positions = [p for p in (kept.first_position, row.first_position) if p is not None]
        client = EntitySource.CLIENT.value
        session.execute(
            sa.update(links)
            .where(links.c.article_id == row.article_id, links.c.entity_id == keep)
            .values(
                mentions=kept.mentions + row.mentions,
                first_position=min(positions) if positions else None,
                source=client if client in (kept.source, row.source) else kept.source,
            )
        )
        session.execute(
            sa.delete(links).where(links.c.article_id == row.article_id, links.c.entity_id == gone)
        )
    session.execute(sa.update(ALIASES).where(ALIASES.c.entity_id == gone).values(entity_id=keep))
    session.execute(
        sa.update(entities)
        .where(entities.c.within_id == gone, entities.c.id != keep)
        .values(within_id=keep)
    )
    if into.within_id == gone:
        into.within_id = merged.within_id if merged.within_id != keep else None
    redirects = REDIRECTS
    session.execute(
        sa.update(redirects).where(redirects.c.entity_id == gone).values(entity_id=keep)
    )
    session.execute(sa.insert(redirects).values(slug=merged.slug, entity_id=keep))
    merged_slug, merged_name = merged.slug, merged.name
    session.expunge(merged)
    session.execute(sa.delete(entities).where(entities.c.id == gone))
    _add_free_aliases(session, [(keep, merged_name)])
    session.add(into)
    _reindex(session, affected)
    session.commit()
    logger.info("entities merged", extra={"into": into.slug, "merged": merged_slug})
    return into
