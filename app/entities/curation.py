"""Changing entities by hand: aliases, renames, merges. Every change that alters what an
article's search document says queues those articles in the outbox in the same transaction."""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.articles.models import Article
from app.db import integer_max, utcnow
from app.entities.gazetteer import slugify
from app.entities.merging import distinct, record_merge, unfold
from app.entities.models import (
    NAME_MAX_CHARS,
    SLUG_MAX_CHARS,
    TYPE_FROM_OPERATOR,
    Entity,
    EntityAlias,
    EntityBlockedForm,
    EntityDistinctPair,
    EntityMerge,
)
from app.entities.schemas import (
    EntityUpdate,
)
from app.entities.store import (
    ALIASES,
    ENTITIES,
    FORMS,
    LINKS,
    REDIRECTS,
    SYSTEM_ACTOR,
    add_free_aliases,
    article_ids_of,
    audit,
    entity_id_of,
    locate,
    normalise,
    reindex,
    slices,
)
from app.entities.types import EntityType
from app.errors import Conflict, InvalidParameter, NotFound

logger = logging.getLogger(__name__)
ARTICLES: sa.Table = Article.__table__  # type: ignore[attr-defined]


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


def update(
    *, session: Session, entity: Entity, changes: EntityUpdate, actor: str = SYSTEM_ACTOR
) -> Entity:
    """Rename or retype an entity; its articles are re-indexed. A type set by hand is kept:
    the articles' evidence no longer decides it."""
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
    if new_type is not None and (
        new_type.value != entity.type or entity.type_source != TYPE_FROM_OPERATOR
    ):
        entity.type = new_type.value
        entity.type_source = TYPE_FROM_OPERATOR
        changed = True
    if changed:
        audit(
            session,
            actor=actor,
            action="update",
            entity_slug=entity.slug,
            detail={k: str(v) for k, v in values.items()},
        )
        session.add(entity)
        reindex(session, article_ids_of(session, [entity_id_of(entity)]))
        session.commit()
    return entity


def merge(
    *,
    session: Session,
    into: Entity,
    merged: Entity,
    force: bool = False,
    actor: str = SYSTEM_ACTOR,
    reason: str | None = None,
) -> Entity:
    """Fold `merged` into `into`: links (mentions added), aliases, forms, redirects and
    contained places move over, `merged`'s name and slug keep finding `into`, and `merged` is
    deleted. Recorded (and undoable) like an automatic merge."""
    keep, gone = entity_id_of(into), entity_id_of(merged)
    if keep == gone:
        raise InvalidParameter(["body", "merge"], "an entity cannot be merged into itself")
    if into.type != merged.type and not force:
        # Like the distinct mark below, a fact of the two stored entities: a conflict.
        raise Conflict(
            f"{merged.slug!r} is a {merged.type} and {into.slug!r} a {into.type}; "
            "pass force=true to merge them anyway."
        )
    if distinct(session, into.slug, merged.slug) and not force:
        raise Conflict(
            f"{merged.slug!r} and {into.slug!r} are marked as different things; "
            "pass force=true to merge them anyway"
        )
    merged_slug = merged.slug
    session.expunge(merged)
    record_merge(
        session,
        keep=keep,
        gone=gone,
        into_slug=into.slug,
        automatic=False,
        evidence={"operator": actor},
        actor=actor,
        reason=reason,
    )
    session.commit()
    session.refresh(into)
    logger.info("entities merged", extra={"into": into.slug, "merged": merged_slug})
    return into


# --- operators' corrections ---------------------------------------------------------------


def get_merge(*, session: Session, merge_id: int) -> EntityMerge:
    # An id past the column's range is no merge; SQLite's driver can't even bind it.
    if not 0 < merge_id <= integer_max(sa.inspect(EntityMerge).columns["id"].type):
        raise NotFound(f"No merge with id {merge_id}.")
    merge = session.get(EntityMerge, merge_id)
    if merge is None:
        raise NotFound(f"No merge with id {merge_id}.")
    return merge


def undo_merge(*, session: Session, merge: EntityMerge, actor: str, reason: str | None) -> Entity:
    """Bring the merged entity back with its links, names and forms; the two are then marked
    distinct so the archive does not merge them again by itself. 409 if already undone."""
    restored_id = unfold(session, merge)
    merge.undone_at = utcnow()
    merge.undone_by = actor
    session.add(merge)
    _mark_distinct(session, merge.into_slug, merge.merged_slug, actor=actor, reason=reason)
    audit(
        session,
        actor=actor,
        action="undo_merge",
        entity_slug=merge.merged_slug,
        other_slug=merge.into_slug,
        detail={"merge_id": merge.id},
        reason=reason,
    )
    session.commit()
    restored = session.get(Entity, restored_id)
    assert restored is not None
    return restored


def _mark_distinct(
    session: Session, first: str, second: str, *, actor: str, reason: str | None
) -> bool:
    if distinct(session, first, second):
        return False
    low, high = sorted((first, second))
    session.add(EntityDistinctPair(first=low, second=high, actor=actor, reason=reason))
    return True


def mark_distinct(
    *, session: Session, first: Entity, second: Entity, actor: str, reason: str | None
) -> bool:
    """Record that two entities are different things; False when already recorded."""
    if first.id == second.id:
        raise InvalidParameter(["body", "second"], "an entity is not distinct from itself")
    added = _mark_distinct(session, first.slug, second.slug, actor=actor, reason=reason)
    if added:
        audit(
            session,
            actor=actor,
            action="mark_distinct",
            entity_slug=first.slug,
            other_slug=second.slug,
            reason=reason,
        )
    session.commit()
    return added


def get_own(*, session: Session, slug: str) -> Entity:
    """The entity whose own slug this is; 409 for the slug of an entity merged into another,
    which names the survivor (a delete through it would delete the survivor)."""
    from app.entities.queries import get_by_slug

    entity = get_by_slug(session=session, slug=slug)
    if entity.slug != slug:
        raise Conflict(
            f"{slug!r} was merged into {entity.slug!r}: name {entity.slug!r} itself to change it, "
            "or undo the merge."
        )
    return entity


def delete_entity(*, session: Session, entity: Entity, actor: str, reason: str | None) -> int:
    """Delete a false entity: its links, names and redirects go, its articles are re-indexed
    without it, and its name is blocked so extraction does not bring it back. Returns the
    number of articles that named it."""
    entity_id = entity_id_of(entity)
    affected = article_ids_of(session, [entity_id])
    names = [entity.name, entity.slug]
    slug = entity.slug
    session.expunge(entity)
    session.execute(
        sa.update(ENTITIES).where(ENTITIES.c.within_id == entity_id).values(within_id=None)
    )
    session.execute(sa.delete(LINKS).where(LINKS.c.entity_id == entity_id))
    session.execute(sa.delete(ENTITIES).where(ENTITIES.c.id == entity_id))
    for name in names:
        _block(session, name, actor=actor, reason=reason or f"entity {slug!r} deleted")
    reindex(session, affected)
    audit(
        session,
        actor=actor,
        action="delete",
        entity_slug=slug,
        detail={"articles": len(affected)},
        reason=reason,
    )
    session.commit()
    return len(affected)


def _block(session: Session, form: str, *, actor: str, reason: str | None) -> bool:
    key = normalise(form)
    if not key or session.get(EntityBlockedForm, key) is not None:
        return False
    session.add(EntityBlockedForm(normalised=key, form=form, actor=actor, reason=reason))
    session.flush()
    return True


def block_form(
    *, session: Session, form: str, actor: str, reason: str | None
) -> tuple[EntityBlockedForm, bool]:
    """Never make an entity of `form` again, and stop it finding the entity that has it as a
    secondary name. 409 when it is an entity's only name (delete the entity instead)."""
    key = normalise(form)
    if not key:
        raise InvalidParameter(["body", "form"], "must contain letters or digits")
    if len(key) > NAME_MAX_CHARS:
        raise InvalidParameter(["body", "form"], f"is over {NAME_MAX_CHARS} characters normalised")
    found = locate(session, [key]).get(key)
    if found is not None:
        entity = session.get(Entity, found)
        assert entity is not None
        if entity.slug == key or normalise(entity.name) == key:
            raise Conflict(
                f"{form!r} is the name of entity {entity.slug!r}: delete or rename the entity "
                "instead of blocking its only name."
            )
    existing = session.get(EntityBlockedForm, key)
    if existing is not None:
        return existing, False
    owner = _alias_owner(session, key)
    if owner is not None and normalise(owner.name) != key:
        session.execute(sa.delete(ALIASES).where(ALIASES.c.normalised == key))
        reindex(session, article_ids_of(session, [entity_id_of(owner)]))
    _block(session, form, actor=actor, reason=reason)
    audit(
        session,
        actor=actor,
        action="block_form",
        entity_slug=owner.slug if owner is not None else key,
        detail={"form": form},
        reason=reason,
    )
    session.commit()
    blocked = session.get(EntityBlockedForm, key)
    assert blocked is not None
    return blocked, True


def unblock_form(*, session: Session, form: str, actor: str) -> None:
    key = normalise(form)
    blocked = session.get(EntityBlockedForm, key) if key else None
    if blocked is None:
        raise NotFound(f"{form!r} is not blocked.")
    session.delete(blocked)
    audit(session, actor=actor, action="unblock_form", entity_slug=key, detail={"form": form})
    session.commit()


def split(
    *,
    session: Session,
    entity: Entity,
    form: str,
    name: str | None,
    type: EntityType | None,
    actor: str,
    reason: str | None,
) -> Entity:
    """Give `form` an entity of its own: the articles whose text names the entity only that
    way move to it; articles that also use another of its names stay. The two are marked
    distinct. 404 when the form is not one of the entity's names, 409 when it is its only one."""
    key = normalise(form)
    entity_id = entity_id_of(entity)
    forms = {
        row.normalised: row.form
        for row in session.execute(
            sa.select(FORMS.c.normalised, FORMS.c.form).where(FORMS.c.entity_id == entity_id)
        ).all()
    }
    if key not in forms:
        raise NotFound(f"{form!r} is not a form articles use for {entity.slug!r}.")
    others = [f for k, f in forms.items() if k != key]
    if not others:
        raise Conflict(
            f"{form!r} is the only form of {entity.slug!r}: there is nothing to split from it."
        )
    new_name = name or forms[key]
    slug = slugify(new_name)
    if not slug:
        raise InvalidParameter(["body", "name"], "must contain Latin letters or digits")
    # As for a client's entity: a slug derived from a long name is cut to the column's size.
    slug = slug[:SLUG_MAX_CHARS].rstrip("-")
    if locate(session, [slug]).get(slug) is not None:
        raise Conflict(f"An entity with slug {slug!r} exists already: merge or rename instead.")
    new_id = session.execute(
        sa.insert(ENTITIES)
        .values(
            slug=slug,
            name=new_name,
            type=(type or EntityType(entity.type)).value,
            type_source=TYPE_FROM_OPERATOR if type is not None else entity.type_source,
            created_at=utcnow(),
        )
        .returning(ENTITIES.c.id)
    ).scalar_one()
    pattern_form = re.compile(rf"(?<!\w){re.escape(forms[key])}(?!\w)", re.IGNORECASE)
    pattern_others = [re.compile(rf"(?<!\w){re.escape(f)}(?!\w)", re.IGNORECASE) for f in others]
    moved: list[int] = []
    rows = session.execute(
        sa.select(ARTICLES.c.id, ARTICLES.c.title, ARTICLES.c.summary, ARTICLES.c.body)
        .join_from(ARTICLES, LINKS, LINKS.c.article_id == ARTICLES.c.id)
        .where(LINKS.c.entity_id == entity_id)
    ).all()
    for article_id, title, summary, body in rows:
        text = "\n\n".join(part for part in (title, summary, body) if part)
        if pattern_form.search(text) and not any(p.search(text) for p in pattern_others):
            moved.append(article_id)
    for part in slices(moved):
        session.execute(
            sa.update(LINKS)
            .where(LINKS.c.entity_id == entity_id, LINKS.c.article_id.in_(part))
            .values(entity_id=new_id)
        )
    session.execute(
        sa.update(FORMS)
        .where(FORMS.c.entity_id == entity_id, FORMS.c.normalised == key)
        .values(entity_id=new_id, in_context=0)
    )
    session.execute(
        sa.update(ALIASES)
        .where(ALIASES.c.entity_id == entity_id, ALIASES.c.normalised == key)
        .values(entity_id=new_id)
    )
    session.execute(sa.delete(REDIRECTS).where(REDIRECTS.c.slug == key))
    add_free_aliases(session, [(new_id, new_name)])
    _mark_distinct(session, entity.slug, slug, actor=actor, reason=reason)
    reindex(session, moved)
    audit(
        session,
        actor=actor,
        action="split",
        entity_slug=entity.slug,
        other_slug=slug,
        detail={"form": form, "articles_moved": len(moved)},
        reason=reason,
    )
    session.commit()
    created = session.get(Entity, new_id)
    assert created is not None
    return created
