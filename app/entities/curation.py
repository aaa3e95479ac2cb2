"""Changing entities by hand: aliases, renames, merges. Every change that alters what an
article's search document says queues those articles in the outbox in the same transaction."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.entities.models import (
    NAME_MAX_CHARS,
    Entity,
    EntityAlias,
)
from app.entities.schemas import (
    EntityUpdate,
)
from app.entities.store import (
    ALIASES,
    ENTITIES,
    LINKS,
    REDIRECTS,
    add_free_aliases,
    article_ids_of,
    entity_id_of,
    normalise,
    reindex,
)
from app.entities.types import (
    EntitySource,
)
from app.errors import Conflict, InvalidParameter

logger = logging.getLogger(__name__)


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
    session.add(EntityAlias(entity_id=entity_id_of(entity), alias=alias, normalised=key))
    reindex(session, article_ids_of(session, [entity_id_of(entity)]))
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
            session.add(EntityAlias(entity_id=entity_id_of(entity), alias=name, normalised=key))
        entity.name = name
        changed = True
    if new_type is not None and new_type.value != entity.type:
        entity.type = new_type.value
        changed = True
    if changed:
        session.add(entity)
        reindex(session, article_ids_of(session, [entity_id_of(entity)]))
        session.commit()
    return entity


def merge(*, session: Session, into: Entity, merged: Entity, force: bool = False) -> Entity:
    """Fold `merged` into `into`: links (mentions added), aliases, redirects and contained
    places move over, `merged`'s name and slug keep finding `into`, and `merged` is deleted."""
    keep, gone = entity_id_of(into), entity_id_of(merged)
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
    affected = article_ids_of(session, [keep, gone, *contained])

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
    add_free_aliases(session, [(keep, merged_name)])
    session.add(into)
    reindex(session, affected)
    session.commit()
    logger.info("entities merged", extra={"into": into.slug, "merged": merged_slug})
    return into
