"""The entity tables as Core tables, and the small steps every room of the package shares:
looking slugs up, recording aliases, queueing re-indexing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app import outbox
from app.db import utcnow
from app.entities.gazetteer import slugify
from app.entities.models import (
    NAME_MAX_CHARS,
    ArticleEntityLink,
    Entity,
    EntityAlias,
    EntityAuditEntry,
    EntityRedirect,
    EntitySurfaceForm,
    EntityTypeVote,
)

_T = TypeVar("_T")

#: Core tables, for set-based statements the ORM would run row by row.
ENTITIES: sa.Table = Entity.__table__  # type: ignore[attr-defined]
ALIASES: sa.Table = EntityAlias.__table__  # type: ignore[attr-defined]
REDIRECTS: sa.Table = EntityRedirect.__table__  # type: ignore[attr-defined]
LINKS: sa.Table = ArticleEntityLink.__table__  # type: ignore[attr-defined]
FORMS: sa.Table = EntitySurfaceForm.__table__  # type: ignore[attr-defined]
TYPE_VOTES: sa.Table = EntityTypeVote.__table__  # type: ignore[attr-defined]
AUDIT: sa.Table = EntityAuditEntry.__table__  # type: ignore[attr-defined]

#: The actor of changes the archive makes by itself.
SYSTEM_ACTOR = "system"


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


#: Values per IN list: far below the bound parameters a statement may carry (SQLite 32,766,
#: PostgreSQL 65,535) whatever the batch size.
SLICE = 1000


def slices(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), SLICE):
        yield items[start : start + SLICE]


def insert_for(session: Session, table: sa.Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def locate(session: Session, slugs: Iterable[str]) -> dict[str, int]:
    """Slug -> entity id, following the redirects merges leave behind."""
    wanted = sorted(set(slugs))
    found: dict[str, int] = {}
    for part in slices(wanted):
        found.update(
            session.execute(
                sa.select(ENTITIES.c.slug, ENTITIES.c.id).where(ENTITIES.c.slug.in_(part))
            ).all()
        )
    rest = [slug for slug in wanted if slug not in found]
    redirects = REDIRECTS.c
    for part in slices(rest):
        found.update(
            session.execute(
                sa.select(redirects.slug, redirects.entity_id).where(redirects.slug.in_(part))
            ).all()
        )
    return found


def add_free_aliases(session: Session, names: Iterable[tuple[int, str]]) -> None:
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
    for part in slices(sorted(by_key)):
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
            insert_for(session, table).on_conflict_do_nothing(index_elements=["normalised"]), rows
        )


def link_order() -> tuple[sa.ColumnElement[Any], ...]:
    links = LINKS.c
    return (
        links.article_id,
        sa.case((links.first_position.is_(None), 1), else_=0),
        links.first_position,
        ENTITIES.c.slug,
    )


def entity_id_of(entity: Entity) -> int:
    assert entity.id is not None, "entity must be stored before it has an id"
    return entity.id


def article_ids_of(session: Session, entity_ids: Sequence[int]) -> set[int]:
    links = LINKS.c
    return set(
        session.execute(
            sa.select(links.article_id).where(links.entity_id.in_(sorted(set(entity_ids))))
        ).scalars()
    )


def reindex(session: Session, article_ids: Iterable[int]) -> None:
    for article_id in sorted(set(article_ids)):
        outbox.enqueue_upsert(session=session, article_id=article_id)


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_slug: str,
    other_slug: str | None = None,
    detail: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Record a change to entities in the audit log (in the caller's transaction)."""
    session.execute(
        sa.insert(AUDIT).values(
            at=utcnow(),
            actor=actor,
            action=action,
            entity_slug=entity_slug,
            other_slug=other_slug,
            detail=detail or {},
            reason=reason,
        )
    )


def upsert_counts(
    session: Session, table: sa.Table, keys: Sequence[str], rows: list[dict[str, Any]]
) -> None:
    """Add counts to rows keyed by `keys`, creating the rows that are missing. Rows go in key
    order so concurrent writers lock them in the same order."""
    if not rows:
        return
    counted = [c for c in rows[0] if c not in keys and c != "form"]
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    statement = insert_for(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: getattr(table.c, c) + getattr(statement.excluded, c) for c in counted},
    )
    session.execute(statement, rows)
