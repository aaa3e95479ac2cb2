"""Merging what the archive's evidence now says is one thing: an entity made of a short form
alone into the entity other articles tied the form to, a person named with middle names or a
formal first name into the one stored under the plain name. Every merge is recorded with its
evidence and can be undone; `consolidate_all` re-runs all of it over the whole archive."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.entities.evidence import is_known, retype
from app.entities.merging import distinct, exists, record_merge
from app.entities.person_names import PersonName, plainness, resolve_person_variants
from app.entities.resolution import Resolution, is_short, one_word, resolve_forms
from app.entities.store import ENTITIES, SYSTEM_ACTOR, TYPE_VOTES, audit, slices

logger = logging.getLogger(__name__)


def consolidate(session: Session, keys: Iterable[str], *, actor: str = SYSTEM_ACTOR) -> list[int]:
    """Merge each entity made of a short form alone into the entity the evidence now ties the
    form to; returns the merge ids. Runs in the caller's transaction."""
    keys = sorted(set(keys))
    standing: dict[str, tuple[int, str]] = {}
    for part in slices(keys):
        for entity_id, slug, name in session.execute(
            sa.select(ENTITIES.c.id, ENTITIES.c.slug, ENTITIES.c.name).where(
                ENTITIES.c.slug.in_(part)
            )
        ).all():
            if one_word(name) and not is_known(name):
                standing[slug] = (entity_id, name)
    if not standing:
        return []
    merges = []
    for key, resolution in sorted(resolve_forms(session, standing).items()):
        entity_id, _name = standing[key]
        if (
            resolution.entity_id == entity_id
            or not exists(session, entity_id)
            or not exists(session, resolution.entity_id)
            or distinct(session, key, resolution.slug)
            or not _outweighs(session, resolution, entity_id)
        ):
            continue
        merge_id = _merge_quietly(
            session,
            keep=resolution.entity_id,
            gone=entity_id,
            into_slug=resolution.slug,
            evidence=resolution.as_evidence(),
            actor=actor,
            reason="short form resolved by the archive's evidence",
        )
        if merge_id is not None:
            merges.append(merge_id)
    return merges


def _outweighs(session: Session, resolution: Resolution, entity_id: int) -> bool:
    """An entity of its own that most articles type otherwise ("Bloomberg" the company, with
    "Michael Bloomberg ... Bloomberg" in two articles) is folded in only once the evidence
    weighs at least half as much as its own articles."""
    votes = dict(
        session.execute(
            sa.select(TYPE_VOTES.c.type, TYPE_VOTES.c.articles).where(
                TYPE_VOTES.c.entity_id == entity_id
            )
        ).all()
    )
    target_type = session.execute(
        sa.select(ENTITIES.c.type).where(ENTITIES.c.id == resolution.entity_id)
    ).scalar_one()
    own = sum(votes.values())
    agreeing = votes.get(target_type, 0)
    return agreeing * 2 >= own or resolution.evidence * 2 >= own


def _merge_quietly(
    session: Session,
    *,
    keep: int,
    gone: int,
    into_slug: str,
    evidence: dict[str, Any],
    actor: str,
    reason: str,
) -> int | None:
    """An automatic merge in a savepoint of the caller's transaction: if a concurrent writer
    holds the rows (a deadlock, a row it deleted), the merge is left for a later batch or for
    `newsarchive entities consolidate`, and the caller's work goes on."""
    try:
        with session.begin_nested():
            merge_id = record_merge(
                session,
                keep=keep,
                gone=gone,
                into_slug=into_slug,
                automatic=True,
                evidence=evidence,
                actor=actor,
                reason=reason,
            )
    except DBAPIError as exc:
        logger.warning(
            "automatic merge left for later",
            extra={"into": into_slug, "error": type(exc.orig).__name__},
        )
        return None
    logger.info("entities merged automatically", extra={"into": into_slug, **evidence})
    return merge_id


def consolidate_all(
    session: Session,
    *,
    actor: str = SYSTEM_ACTOR,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 500,
) -> dict[str, int]:
    """Re-run resolution over the whole archive: short-form entities the evidence resolves are
    merged and every entity's type follows its evidence. Commits a chunk at a time."""
    slugs = sorted(
        slug
        for slug, name in session.execute(sa.select(ENTITIES.c.slug, ENTITIES.c.name)).all()
        if one_word(name)
    )
    ids = sorted(session.execute(sa.select(ENTITIES.c.id)).scalars())
    total = len(slugs) + len(ids)
    merged = 0
    done = 0
    for start in range(0, len(slugs), chunk):
        merged += len(consolidate(session, slugs[start : start + chunk], actor=actor))
        session.commit()
        done += len(slugs[start : start + chunk])
        if progress:
            progress(done, total)
    people = sorted(
        slug
        for slug in session.execute(
            sa.select(ENTITIES.c.slug).where(ENTITIES.c.type == "person")
        ).scalars()
        if not is_short(slug)
    )
    for start in range(0, len(people), chunk):
        merged += len(consolidate_variants(session, people[start : start + chunk], actor=actor))
        session.commit()
    for start in range(0, len(ids), chunk):
        retype(session, set(ids[start : start + chunk]))
        session.commit()
        done += len(ids[start : start + chunk])
        if progress:
            progress(done, total)
    audit(
        session,
        actor=actor,
        action="consolidate",
        entity_slug="*",
        detail={"short_forms_checked": len(slugs), "merged": merged},
    )
    session.commit()
    return {"short_forms_checked": len(slugs), "merged": merged, "entities": len(ids)}


def consolidate_variants(
    session: Session, slugs: Iterable[str], *, actor: str = SYSTEM_ACTOR
) -> list[int]:
    """Merge each stored person named with middle names or a formal first name into the one
    person stored under the plain name, when exactly one is."""
    merges = []
    standing = {
        slug: entity_id
        for part in slices(sorted(set(slugs)))
        for entity_id, slug in session.execute(
            sa.select(ENTITIES.c.id, ENTITIES.c.slug).where(
                ENTITIES.c.slug.in_(part), ENTITIES.c.type == "person"
            )
        ).all()
    }
    for slug, (target_id, target_slug) in resolve_person_variants(session, standing).items():
        name, target = PersonName.parse(slug), PersonName.parse(target_slug)
        assert name is not None and target is not None
        # Fold the longer name into the plain one ("Joe Biden" over "Joseph R. Biden"),
        # whichever was stored first; a name in reverse order into the one already stored.
        this_is_plain = (target.first, target.last) == (name.first, name.last) and plainness(
            slug
        ) < plainness(target_slug)
        keep, gone, keep_slug = (
            (standing[slug], target_id, slug)
            if this_is_plain
            else (target_id, standing[slug], target_slug)
        )
        if keep == gone or not exists(session, keep) or not exists(session, gone):
            continue  # an earlier merge of this pass took one of them
        merge_id = _merge_quietly(
            session,
            keep=keep,
            gone=gone,
            into_slug=keep_slug,
            evidence={"same_name_but_middle_names_or_nickname": [slug, target_slug]},
            actor=actor,
            reason="one person's name written in full and plain",
        )
        if merge_id is not None:
            merges.append(merge_id)
    return merges
