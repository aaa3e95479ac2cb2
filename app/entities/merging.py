"""Folding one entity into another, and unfolding it again.

`fold` moves everything of the merged entity (links, aliases, surface forms, type votes,
redirects, contained places) to the kept one in the caller's transaction and returns what it
takes to undo that; `unfold` puts it back. Both queue the affected articles for re-indexing.
Neither commits: automatic merges run inside an import's transaction, an operator's inside the
request's, so nothing is ever half applied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.db import utcnow
from app.entities.models import EntityDistinctPair, EntityMerge
from app.entities.store import (
    ALIASES,
    ENTITIES,
    FORMS,
    LINKS,
    REDIRECTS,
    TYPE_VOTES,
    add_free_aliases,
    article_ids_of,
    audit,
    insert_for,
    locate,
    normalise,
    reindex,
    upsert_counts,
)
from app.entities.types import EntitySource
from app.errors import Conflict

MERGES: sa.Table = EntityMerge.__table__  # type: ignore[attr-defined]
DISTINCT: sa.Table = EntityDistinctPair.__table__  # type: ignore[attr-defined]


def _lock(session: Session, *, keep: int, gone: int | None = None) -> None:
    """On PostgreSQL, writers linking the merged entity finish first and later ones see the
    merged state. The kept entity takes a lock that still lets writers link to it (NO KEY
    UPDATE), so an import linking it does not deadlock with a merge into it."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for entity_id, no_key in sorted([(keep, True), *([(gone, False)] if gone else [])]):
        session.execute(
            sa.select(ENTITIES.c.id)
            .where(ENTITIES.c.id == entity_id)
            .with_for_update(key_share=no_key)
        )


def fold(session: Session, *, keep: int, gone: int) -> dict[str, Any]:
    """Fold entity `gone` into `keep`; returns the undo record (plain JSON)."""
    _lock(session, keep=keep, gone=gone)
    links, entities = LINKS, ENTITIES
    row = session.execute(sa.select(entities).where(entities.c.id == gone)).one()
    contained = list(
        session.execute(sa.select(entities.c.id).where(entities.c.within_id == gone)).scalars()
    )
    affected = article_ids_of(session, [keep, gone, *contained])
    kept_links = {
        r.article_id: r
        for r in session.execute(sa.select(links).where(links.c.entity_id == keep)).all()
    }
    moved: list[dict[str, Any]] = []
    client = EntitySource.CLIENT.value
    for link in session.execute(sa.select(links).where(links.c.entity_id == gone)).all():
        record = {
            "article_id": link.article_id,
            "mentions": link.mentions,
            "first_position": link.first_position,
            "source": link.source,
            "published_at": link.published_at.isoformat() if link.published_at else None,
        }
        kept = kept_links.get(link.article_id)
        if kept is None:
            session.execute(
                sa.update(links)
                .where(links.c.article_id == link.article_id, links.c.entity_id == gone)
                .values(entity_id=keep)
            )
            moved.append({**record, "shared": None})
            continue
        positions = [p for p in (kept.first_position, link.first_position) if p is not None]
        session.execute(
            sa.update(links)
            .where(links.c.article_id == link.article_id, links.c.entity_id == keep)
            .values(
                mentions=kept.mentions + link.mentions,
                first_position=min(positions) if positions else None,
                source=client if client in (kept.source, link.source) else kept.source,
            )
        )
        session.execute(
            sa.delete(links).where(links.c.article_id == link.article_id, links.c.entity_id == gone)
        )
        moved.append(
            {
                **record,
                "shared": {
                    "mentions": kept.mentions,
                    "first_position": kept.first_position,
                    "source": kept.source,
                },
            }
        )
    aliases = list(
        session.execute(sa.select(ALIASES.c.normalised).where(ALIASES.c.entity_id == gone))
        .scalars()
        .all()
    )
    session.execute(sa.update(ALIASES).where(ALIASES.c.entity_id == gone).values(entity_id=keep))
    forms = [
        dict(r._mapping)
        for r in session.execute(
            sa.select(FORMS.c.normalised, FORMS.c.form, FORMS.c.articles, FORMS.c.in_context).where(
                FORMS.c.entity_id == gone
            )
        ).all()
    ]
    session.execute(sa.delete(FORMS).where(FORMS.c.entity_id == gone))
    upsert_counts(
        session, FORMS, ("entity_id", "normalised"), [{**f, "entity_id": keep} for f in forms]
    )
    votes = [
        dict(r._mapping)
        for r in session.execute(
            sa.select(TYPE_VOTES.c.type, TYPE_VOTES.c.articles).where(
                TYPE_VOTES.c.entity_id == gone
            )
        ).all()
    ]
    session.execute(sa.delete(TYPE_VOTES).where(TYPE_VOTES.c.entity_id == gone))
    kept_name = session.execute(sa.select(entities.c.name).where(entities.c.id == keep)).scalar()
    # A short form's votes ("Trump", which the model often calls an organisation) say little
    # of what the full name is: they are not added to it.
    votes_moved = " " in row.name.strip() or " " not in str(kept_name or "").strip()
    if votes_moved:
        upsert_counts(
            session, TYPE_VOTES, ("entity_id", "type"), [{**v, "entity_id": keep} for v in votes]
        )
    session.execute(
        sa.update(entities)
        .where(entities.c.within_id == gone, entities.c.id != keep)
        .values(within_id=keep)
    )
    kept_within = session.execute(
        sa.select(entities.c.within_id).where(entities.c.id == keep)
    ).scalar_one()
    if kept_within == gone:
        session.execute(
            sa.update(entities)
            .where(entities.c.id == keep)
            .values(within_id=row.within_id if row.within_id != keep else None)
        )
    redirected = list(
        session.execute(sa.select(REDIRECTS.c.slug).where(REDIRECTS.c.entity_id == gone)).scalars()
    )
    session.execute(
        sa.update(REDIRECTS).where(REDIRECTS.c.entity_id == gone).values(entity_id=keep)
    )
    # A writer that created the same slug concurrently may have left a redirect for it.
    session.execute(
        insert_for(session, REDIRECTS)
        .values(slug=row.slug, entity_id=keep)
        .on_conflict_do_update(index_elements=["slug"], set_={"entity_id": keep})
    )
    session.execute(sa.delete(entities).where(entities.c.id == gone))
    name_key = normalise(row.name)
    name_was_free = (
        session.execute(sa.select(ALIASES.c.id).where(ALIASES.c.normalised == name_key)).first()
        is None
    )
    add_free_aliases(session, [(keep, row.name)])
    reindex(session, affected)
    return {
        "entity": {
            "id": row.id,
            "slug": row.slug,
            "name": row.name,
            "type": row.type,
            "type_source": row.type_source,
            "within_id": row.within_id,
            "created_at": row.created_at.isoformat(),
        },
        "links": moved,
        "aliases": aliases,
        "forms": forms,
        "votes": votes,
        "votes_moved": votes_moved,
        "redirects": redirected,
        "contained": contained,
        "kept_within": kept_within,
        "name_alias": name_key if name_was_free else None,
    }


def unfold(session: Session, merge: EntityMerge) -> int:
    """Bring a merged entity back as it was before `merge`; returns its id.

    Whatever the kept entity became since (merged further, renamed), the links, names and
    forms recorded in the merge go back to the restored entity.
    """
    if merge.undone_at is not None:
        raise Conflict(f"Merge {merge.id} was already undone.")
    undo = merge.undo
    restored = undo["entity"]
    if locate(session, [restored["slug"]]).get(restored["slug"]) is None:
        raise Conflict(
            f"Merge {merge.id} cannot be undone: {merge.merged_slug!r} no longer leads anywhere "
            "(its entity was deleted)."
        )
    keep = locate(session, [restored["slug"]])[restored["slug"]]
    own = session.execute(
        sa.select(ENTITIES.c.id).where(ENTITIES.c.slug == restored["slug"])
    ).first()
    if own is not None:
        raise Conflict(
            f"Merge {merge.id} cannot be undone: an entity with slug {merge.merged_slug!r} "
            "exists again; merge or rename it first."
        )
    _lock(session, keep=keep)
    entities, links = ENTITIES, LINKS
    taken = session.execute(sa.select(entities.c.id).where(entities.c.id == restored["id"])).first()
    values: dict[str, Any] = {
        "slug": restored["slug"],
        "name": restored["name"],
        "type": restored["type"],
        "type_source": restored["type_source"],
        "within_id": None,
        "created_at": _parse(restored["created_at"]),
    }
    if taken is None:
        values["id"] = restored["id"]
    session.execute(sa.delete(REDIRECTS).where(REDIRECTS.c.slug == restored["slug"]))
    gone = session.execute(
        sa.insert(entities).values(**values).returning(entities.c.id)
    ).scalar_one()
    if (
        restored["within_id"] is not None
        and session.execute(
            sa.select(entities.c.id).where(entities.c.id == restored["within_id"])
        ).first()
    ):
        session.execute(
            sa.update(entities).where(entities.c.id == gone).values(within_id=restored["within_id"])
        )
    affected = {keep}
    for link in undo["links"]:
        article_id = link["article_id"]
        exists = session.execute(
            sa.select(links.c.mentions).where(
                links.c.article_id == article_id, links.c.entity_id == keep
            )
        ).first()
        if exists is None:
            continue  # the article was deleted or relinked since
        if link["shared"] is None:
            session.execute(
                sa.update(links)
                .where(links.c.article_id == article_id, links.c.entity_id == keep)
                .values(entity_id=gone)
            )
            continue
        shared = link["shared"]
        session.execute(
            sa.update(links)
            .where(links.c.article_id == article_id, links.c.entity_id == keep)
            .values(
                mentions=shared["mentions"],
                first_position=shared["first_position"],
                source=shared["source"],
            )
        )
        session.execute(
            sa.insert(links).values(
                article_id=article_id,
                entity_id=gone,
                mentions=link["mentions"],
                first_position=link["first_position"],
                source=link["source"],
                published_at=_parse(link["published_at"]),
            )
        )
    if undo.get("name_alias"):
        session.execute(
            sa.update(ALIASES)
            .where(ALIASES.c.normalised == undo["name_alias"], ALIASES.c.entity_id == keep)
            .values(entity_id=gone)
        )
    if undo["aliases"]:
        session.execute(
            sa.update(ALIASES)
            .where(ALIASES.c.normalised.in_(undo["aliases"]), ALIASES.c.entity_id == keep)
            .values(entity_id=gone)
        )
    _unmove_counts(session, FORMS, "normalised", undo["forms"], keep=keep, gone=gone)
    if undo.get("votes_moved", True):
        _unmove_counts(session, TYPE_VOTES, "type", undo["votes"], keep=keep, gone=gone)
    else:
        for vote in undo["votes"]:
            session.execute(sa.insert(TYPE_VOTES).values(**vote, entity_id=gone))
    if undo["redirects"]:
        session.execute(
            sa.update(REDIRECTS)
            .where(REDIRECTS.c.slug.in_(undo["redirects"]), REDIRECTS.c.entity_id == keep)
            .values(entity_id=gone)
        )
    if undo["contained"]:
        session.execute(
            sa.update(entities)
            .where(entities.c.id.in_(undo["contained"]), entities.c.within_id == keep)
            .values(within_id=gone)
        )
    if undo["kept_within"] == restored["id"]:
        session.execute(sa.update(entities).where(entities.c.id == keep).values(within_id=gone))
    reindex(session, article_ids_of(session, sorted(affected | {gone})))
    return int(gone)


def _unmove_counts(
    session: Session,
    table: sa.Table,
    key: str,
    rows: list[dict[str, Any]],
    *,
    keep: int,
    gone: int,
) -> None:
    counted = [c for c in ("articles", "in_context") if c in table.c]
    for row in rows:
        current = session.execute(
            sa.select(*[table.c[c] for c in counted]).where(
                table.c.entity_id == keep, table.c[key] == row[key]
            )
        ).first()
        if current is not None:
            left = {c: max(0, current._mapping[c] - row[c]) for c in counted}
            condition = sa.and_(table.c.entity_id == keep, table.c[key] == row[key])
            if any(left.values()):
                session.execute(sa.update(table).where(condition).values(**left))
            else:
                session.execute(sa.delete(table).where(condition))
        session.execute(sa.insert(table).values(**row, entity_id=gone))


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def distinct(session: Session, first: str, second: str) -> bool:
    """Whether the two were marked as different things, under any slug either has had (a
    mark survives later merges through the redirects they leave)."""
    found = locate(session, [first, second])
    names = {first: {first}, second: {second}}
    for slug in (first, second):
        entity_id = found.get(slug)
        if entity_id is None:
            continue
        names[slug] |= set(
            session.execute(sa.select(ENTITIES.c.slug).where(ENTITIES.c.id == entity_id)).scalars()
        )
        names[slug] |= set(
            session.execute(
                sa.select(REDIRECTS.c.slug).where(REDIRECTS.c.entity_id == entity_id)
            ).scalars()
        )
    pairs = {tuple(sorted((a, b))) for a in names[first] for b in names[second] if a != b}
    return any(
        session.execute(
            sa.select(DISTINCT.c.first).where(DISTINCT.c.first == low, DISTINCT.c.second == high)
        ).first()
        is not None
        for low, high in sorted(pairs)
    )


def exists(session: Session, entity_id: int) -> bool:
    return (
        session.execute(sa.select(ENTITIES.c.id).where(ENTITIES.c.id == entity_id)).first()
        is not None
    )


def record_merge(
    session: Session,
    *,
    keep: int,
    gone: int,
    into_slug: str,
    automatic: bool,
    evidence: dict[str, Any],
    actor: str,
    reason: str | None = None,
) -> int:
    """Fold `gone` into `keep` and record the merge and its audit entry; returns the merge id."""
    name = session.execute(sa.select(ENTITIES.c.name).where(ENTITIES.c.id == gone)).scalar_one()
    undo = fold(session, keep=keep, gone=gone)
    merged_slug = undo["entity"]["slug"]
    merge_id = session.execute(
        sa.insert(MERGES)
        .values(
            into_slug=into_slug,
            merged_slug=merged_slug,
            merged_name=name,
            automatic=automatic,
            evidence=evidence,
            undo=undo,
            actor=actor,
            reason=reason,
            created_at=utcnow(),
        )
        .returning(MERGES.c.id)
    ).scalar_one()
    audit(
        session,
        actor=actor,
        action="merge",
        entity_slug=into_slug,
        other_slug=merged_slug,
        detail={"merge_id": merge_id, "automatic": automatic, "evidence": evidence},
        reason=reason,
    )
    return int(merge_id)
