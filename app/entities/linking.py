"""Linking articles to entities, inside the article's own transaction.

Entities and aliases are created with INSERT ... ON CONFLICT DO NOTHING, in slug (then alias)
order, so concurrent writers naming the same new entity neither fail nor deadlock: the later
one waits for the earlier one and then reads the row it made.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.db import utcnow
from app.entities import archive_names, compounds, consolidation, evidence, resolution
from app.entities.canonical import canonicalise
from app.entities.extract import EntityExtractor, extract_entities, extract_entities_batch
from app.entities.gazetteer import lookup_country, lookup_subplace
from app.entities.models import (
    NAME_MAX_CHARS,
    SLUG_MAX_CHARS,
    ArticleEntityLink,
    Entity,
)
from app.entities.names import resolve
from app.entities.schemas import (
    ArticleEntityPublic,
)
from app.entities.store import (
    ENTITIES,
    LINKS,
    add_free_aliases,
    insert_for,
    link_order,
    locate,
    slices,
)
from app.entities.types import (
    ArticleEntity,
    ArticleText,
    ClientEntity,
    EntitySource,
    EntityType,
)


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


def _place_name(slug: str) -> str:
    place = lookup_country(slug) or lookup_subplace(slug)
    return place.name if place is not None else slug.replace("-", " ").title()


def _ensure_entities(
    session: Session, entities: Sequence[ArticleEntity]
) -> tuple[dict[str, int], set[str], dict[str, int]]:
    """Get or create an entity row for every slug (and every containing place); also returns
    the slugs created and those the archive resolved to an entity of another name."""
    wanted: dict[str, tuple[str, str, str | None]] = {}
    for entity in entities:
        wanted.setdefault(entity.slug, (entity.name, entity.type.value, entity.within))
    for entity in entities:
        if entity.within and entity.within not in wanted:
            wanted[entity.within] = (_place_name(entity.within), EntityType.PLACE.value, None)
    ids = locate(session, wanted)
    resolved: dict[str, int] = {}
    unmatched = [entity for entity in entities if entity.slug not in ids]
    if unmatched:
        resolved = resolution.resolve_missing(session, unmatched)
        ids.update(resolved)
    missing = sorted(slug for slug in wanted if slug not in ids)
    created: dict[str, int] = {}
    if missing:
        table = ENTITIES
        now = utcnow()
        # One statement for all rows, run as executemany: its SQL is compiled once and
        # cached, whatever the number of rows (a multi-row VALUES is compiled per size).
        statement = (
            insert_for(session, table)
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
        ids.update(locate(session, [s for s in missing if s not in created]))
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
    add_free_aliases(session, names)
    return ids, set(created), resolved


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
    relinked: set[int] = set()
    if replace:
        ids = sorted({article_id for article_id, _published_at, _entities in articles})
        for part in slices(ids):
            relinked.update(
                session.execute(
                    sa.select(links.c.article_id).where(links.c.article_id.in_(part)).distinct()
                ).scalars()
            )
            session.execute(sa.delete(links).where(links.c.article_id.in_(part)))
    # A slug too long to store comes only from a runaway model span; it names nothing useful.
    usable = [
        (article_id, published_at, [e for e in entities if 0 < len(e.slug) <= SLUG_MAX_CHARS])
        for article_id, published_at, entities in articles
    ]
    usable = compounds.split_compounds(session, usable)
    usable = archive_names.complete(session, usable)
    every = [entity for _id, _published_at, entities in usable for entity in entities]
    refused = resolution.blocked(session, (e.slug for e in every if not e.known))
    if refused:
        usable = [
            (article_id, published_at, [e for e in entities if e.known or e.slug not in refused])
            for article_id, published_at, entities in usable
        ]
        every = [entity for _id, _published_at, entities in usable for entity in entities]
    if not every:
        return
    entity_ids, new_entities, resolved = _ensure_entities(session, every)
    rows: list[dict[str, Any]] = []
    for article_id, published_at, entities in usable:
        rows.extend(_link_rows(article_id, published_at, entities, entity_ids))
    session.execute(sa.insert(links), rows)
    # An article counts once as evidence: not again when an edit relinks it.
    learned = evidence.record_evidence(
        session, [a for a in usable if a[0] not in relinked], entity_ids, resolved=resolved
    )
    if learned:
        consolidation.consolidate(session, learned)
    created = {e.slug for e in every if e.slug in entity_ids and e.type is EntityType.PERSON}
    fresh = {slug for slug in created if slug in new_entities}
    if fresh:
        consolidation.consolidate_variants(session, fresh)


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
    located = locate(session, wanted)
    stored = stored_client_slugs(session=session, article_id=article_id)
    if any(slug not in located for slug in wanted):
        return True
    entity_ids = set(located.values())
    stored_ids = set(locate(session, stored).values())
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
        .order_by(*link_order())
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
