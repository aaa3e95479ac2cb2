"""Reading entities: look-ups by any name, lists, autocomplete, detail, an entity's articles,
and the entity part of search documents."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from rapidfuzz import fuzz
from sqlmodel import Session, col, select

from app import time_buckets
from app.articles.cursor import Cursor, SortOrder
from app.articles.models import Article
from app.db import integer_max, utcnow
from app.entities import person_names, resolution, senses
from app.entities.gazetteer import slugify
from app.entities.models import (
    NAME_MAX_CHARS,
    ArticleEntityLink,
    Entity,
    EntityAlias,
    EntityMerge,
)
from app.entities.names import clean_surface, department_key, resolve, strip_titles
from app.entities.schemas import (
    CoOccurrence,
    EntityDetail,
    EntitySort,
    MergePublic,
    MonthCount,
    SurfaceForm,
    TypeEvidence,
)
from app.entities.store import (
    ALIASES,
    ENTITIES,
    FORMS,
    LINKS,
    REDIRECTS,
    TYPE_VOTES,
    entity_id_of,
    link_order,
    locate,
    normalise,
)
from app.entities.types import (
    DocumentEntity,
    EntityType,
)
from app.errors import NotFound

FUZZY_CANDIDATES = 5000
FUZZY_MIN_SCORE = 80
FUZZY_MIN_CHARS = 3
CO_OCCURRING_LIMIT = 10
MAX_ENTITY_ID = integer_max(sa.inspect(Entity).columns["id"].type)
FORMS_SHOWN = 50
MERGES_SHOWN = 50
#: Containing places followed per entity (city, state, country): more than the gazetteer nests.
WITHIN_DEPTH = 3
_UTC = ZoneInfo("UTC")
_LAST_CODEPOINT = "\U0010ffff"


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
            .order_by(*link_order())
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

    The value is cleaned as a mention in text is ("the FBI", "Trump's", "President Trump",
    "Sen. Sanders", any case), then tried in order: a slug (or the slug of an entity merged
    into another), a short form the archive's evidence resolves ("Obama"), a stored name or
    alias, a person's name but for middle names or a nickname ("Joseph R. Biden"), and what the
    name means canonically ("U.S." and "America" are the United States).
    """
    text = value.strip()
    if not text:
        return None
    keys = _lookup_keys(text)
    found = locate(session, keys)
    for key in keys:
        if key in found:
            return session.get(Entity, found[key])
    resolved = resolution.resolve_forms(session, keys)
    for key in keys:
        if key in resolved:
            return session.get(Entity, resolved[key].entity_id)
    owners = dict(
        session.execute(
            sa.select(ALIASES.c.normalised, ALIASES.c.entity_id).where(
                ALIASES.c.normalised.in_(keys)
            )
        ).all()
    )
    for key in keys:
        if key in owners:
            return session.get(Entity, owners[key])
    variants = person_names.resolve_person_variants(session, keys)
    for key in keys:
        if key in variants:
            return session.get(Entity, variants[key][0])
    for type_ in (EntityType.PLACE, EntityType.ORGANIZATION):
        slug = resolve(text, type_).slug
        found = locate(session, [slug])
        if slug in found:
            return session.get(Entity, found[slug])
    return None


def _lookup_keys(text: str) -> list[str]:
    """The keys a typed name may be stored under, most literal first."""
    person = strip_titles(clean_surface(text, EntityType.PERSON))
    organisation = clean_surface(text, EntityType.ORGANIZATION)
    keys: list[str] = []
    for key in (
        normalise(senses.place_named(text) or ""),
        text,
        normalise(text),
        normalise(clean_surface(text, EntityType.PLACE)),
        normalise(person),
        department_key(normalise(organisation)),
    ):
        if key and key not in keys:
            keys.append(key)
    return keys


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
    found = locate(session, [slug]).get(slug)
    entity = session.get(Entity, found) if found is not None else None
    if entity is None:
        raise NotFound(f"No entity with slug {slug!r}.")
    return entity


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
        invalid = InvalidEntityCursor("cursor is not valid; pass back a `next` value")
        try:
            payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if not isinstance(payload, dict) or set(payload) != {"s", "k", "i"}:
                raise invalid
            cursor = cls(sort=EntitySort(payload["s"]), key=payload["k"], id=payload["i"])
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
            raise invalid from exc
        # Exactly what `encode` writes: a boolean is no count, 2^63 no id, NUL no name.
        if cursor.sort is EntitySort.articles:
            valid_key = type(cursor.key) is int and 0 <= cursor.key <= MAX_ENTITY_ID
        else:
            valid_key = (
                isinstance(cursor.key, str)
                and len(cursor.key) <= NAME_MAX_CHARS
                and "\x00" not in cursor.key
            )
        if not valid_key or not (type(cursor.id) is int and 0 < cursor.id <= MAX_ENTITY_ID):
            raise invalid
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
        next_cursor = EntityCursor(sort=sort, key=key, id=entity_id_of(last))
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
        entity_id_of(entity): entity
        for entity in session.exec(select(Entity).where(col(Entity.id).in_(list(scores)))).all()
    }
    ranked = sorted(
        found.values(),
        key=lambda e: (
            -scores[entity_id_of(e)],
            -counts[entity_id_of(e)],
            e.name.lower(),
            entity_id_of(e),
        ),
    )
    return [(entity, counts[entity_id_of(entity)]) for entity in ranked[:limit]]


def _utc_day(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
    # SQLite keeps UTC datetimes as "YYYY-MM-DD HH:MM:SS..." text.
    return sa.func.strftime("%Y-%m-%d", column)


def _per_month(day_rows: Sequence[Any]) -> list[MonthCount]:
    """Per-day counts folded into the calendar months of search timelines (app/time_buckets)."""
    months: dict[str, int] = {}
    for day, count in day_rows:
        start = datetime.combine(date.fromisoformat(str(day)), time.min, tzinfo=UTC)
        label = time_buckets.bucket_of(start, time_buckets.Interval.month, _UTC).label
        months[label] = months.get(label, 0) + count
    return [MonthCount(month=month, count=count) for month, count in months.items()]


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return _aware(value)
    return _aware(datetime.fromisoformat(str(value)))


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=utcnow().tzinfo)


def detail(*, session: Session, entity: Entity) -> EntityDetail:
    entity_id = entity_id_of(entity)
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
    day = _utc_day(session, links.published_at).label("day")
    day_rows = session.execute(
        sa.select(day, sa.func.count())
        .where(links.entity_id == entity_id, links.published_at.is_not(None))
        .group_by(day)
        .order_by(day)
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
        months=_per_month(day_rows),
        type_source=entity.type_source,
        type_evidence=[
            TypeEvidence(type=EntityType(type_), articles=n)
            for type_, n in session.execute(
                sa.select(TYPE_VOTES.c.type, TYPE_VOTES.c.articles)
                .where(TYPE_VOTES.c.entity_id == entity_id)
                .order_by(TYPE_VOTES.c.articles.desc(), TYPE_VOTES.c.type)
            ).all()
        ],
        forms=[
            SurfaceForm(form=form, articles=n, in_context=joined)
            for form, n, joined in session.execute(
                sa.select(FORMS.c.form, FORMS.c.articles, FORMS.c.in_context)
                .where(FORMS.c.entity_id == entity_id)
                .order_by(FORMS.c.articles.desc(), FORMS.c.normalised)
                .limit(FORMS_SHOWN)
            ).all()
        ],
        merges=merges_into(session=session, slugs=_slugs_of(session, entity)),
    )


def _slugs_of(session: Session, entity: Entity) -> list[str]:
    """The entity's slug and the slugs that redirect to it."""
    redirects = REDIRECTS.c
    return [
        entity.slug,
        *session.execute(
            sa.select(redirects.slug).where(redirects.entity_id == entity_id_of(entity))
        ).scalars(),
    ]


def merge_public(merge: EntityMerge) -> MergePublic:
    assert merge.id is not None
    return MergePublic(
        id=merge.id,
        into=merge.into_slug,
        merged=merge.merged_slug,
        merged_name=merge.merged_name,
        automatic=merge.automatic,
        evidence=merge.evidence,
        actor=merge.actor,
        reason=merge.reason,
        created_at=merge.created_at,
        undone_at=merge.undone_at,
        undone_by=merge.undone_by,
    )


def merges_into(*, session: Session, slugs: Sequence[str]) -> list[MergePublic]:
    """Merges whose kept entity was one of `slugs`, newest first."""
    rows = session.exec(
        select(EntityMerge)
        .where(col(EntityMerge.into_slug).in_(list(slugs)))
        .order_by(col(EntityMerge.id).desc())
        .limit(MERGES_SHOWN)
    ).all()
    return [merge_public(row) for row in rows]


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
    conditions: list[sa.ColumnElement[bool]] = [
        col(ArticleEntityLink.entity_id) == entity_id_of(entity)
    ]
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
