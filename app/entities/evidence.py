"""What freshly linked articles say about their entities: the forms they used (and which they
tied to a fuller name), and the type each gave; an entity's type follows the majority of its
articles unless knowledge (a known country or body) or an operator fixed it, and a name that
starts with a given name of the archive's people is a person once a third of its articles say
so."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.entities.gazetteer import lookup_country, lookup_organization
from app.entities.models import TYPE_FROM_OPERATOR
from app.entities.person_names import first_name_range
from app.entities.resolution import ArticleLinks, is_short, one_word
from app.entities.store import (
    ENTITIES,
    FORMS,
    TYPE_VOTES,
    article_ids_of,
    normalise,
    reindex,
    slices,
    upsert_counts,
)


def record_evidence(
    session: Session,
    articles: Sequence[ArticleLinks],
    entity_ids: dict[str, int],
    *,
    resolved: dict[str, int] | None = None,
) -> set[str]:
    """Count the forms and types of freshly linked articles; returns the short form keys that
    gained evidence of what they stand for. A short form the archive resolved ("Trump" alone,
    which the model often calls an organisation), or found where the model labelled nothing,
    casts no type vote for its entity."""
    resolved = resolved or {}
    forms: dict[tuple[int, str], dict[str, Any]] = {}
    votes: Counter[tuple[int, str]] = Counter()
    learned: set[str] = set()
    for _article_id, _published_at, entities in articles:
        seen: set[tuple[int, str]] = set()
        for entity in entities:
            entity_id = entity_ids.get(entity.slug)
            if entity_id is None:
                continue
            if entity.slug not in resolved and not entity.inferred:
                votes[(entity_id, entity.type.value)] += 1
            joined = {normalise(form) for form in entity.joined_forms}
            for form in entity.forms:
                key = normalise(form)
                if not key or (entity_id, key) in seen:
                    continue
                seen.add((entity_id, key))
                row = forms.setdefault(
                    (entity_id, key),
                    {
                        "entity_id": entity_id,
                        "normalised": key,
                        "form": form[:500],
                        "articles": 0,
                        "in_context": 0,
                    },
                )
                row["articles"] += 1
                if key in joined and key != entity.slug:
                    row["in_context"] += 1
                    if one_word(form):
                        learned.add(key)
    upsert_counts(session, FORMS, ("entity_id", "normalised"), list(forms.values()))
    upsert_counts(
        session,
        TYPE_VOTES,
        ("entity_id", "type"),
        [{"entity_id": e, "type": t, "articles": n} for (e, t), n in votes.items()],
    )
    retype(session, {entity_id for entity_id, _type in votes})
    return learned


def is_known(name: str) -> bool:
    return lookup_country(name) is not None or lookup_organization(name) is not None


def retype(session: Session, entity_ids: set[int]) -> None:
    """Give each entity the type most of its articles gave it, where evidence decides."""
    changed: list[int] = []
    for part in slices(sorted(entity_ids)):
        current = {
            entity_id: (type_, source, name, slug)
            for entity_id, type_, source, name, slug in session.execute(
                sa.select(
                    ENTITIES.c.id,
                    ENTITIES.c.type,
                    ENTITIES.c.type_source,
                    ENTITIES.c.name,
                    ENTITIES.c.slug,
                ).where(ENTITIES.c.id.in_(part))
            ).all()
        }
        tallies: dict[int, Counter[str]] = {}
        for entity_id, type_, count in session.execute(
            sa.select(TYPE_VOTES.c.entity_id, TYPE_VOTES.c.type, TYPE_VOTES.c.articles).where(
                TYPE_VOTES.c.entity_id.in_(part)
            )
        ).all():
            tallies.setdefault(entity_id, Counter())[type_] += count
        for entity_id, tally in tallies.items():
            type_, source, name, slug = current.get(entity_id, ("", TYPE_FROM_OPERATOR, "", ""))
            if source == TYPE_FROM_OPERATOR or is_known(name):
                continue
            if _named_like_a_person(session, entity_id, slug, tally):
                tally = Counter({"person": sum(tally.values())})
            (top, top_count), *rest = [*tally.most_common(2), ("", 0)]
            if top != type_ and top_count > tally.get(type_, 0) and top_count > rest[0][1]:
                session.execute(
                    sa.update(ENTITIES).where(ENTITIES.c.id == entity_id).values(type=top)
                )
                changed.append(entity_id)
    if changed:
        reindex(session, article_ids_of(session, changed))


#: People of the archive whose names must start with a word before it counts as a given
#: name ("Christine": Christine Lagarde, Christine Romans...).
GIVEN_NAME_PEOPLE = 3


def _named_like_a_person(session: Session, entity_id: int, slug: str, tally: Counter[str]) -> bool:
    """Whether a name most articles type otherwise is a person's: at least a third of its
    articles call it one, and it starts with a word that starts the names of
    `GIVEN_NAME_PEOPLE` other people of the archive ("Christine Blasey Ford", which the model
    often reads as the carmaker)."""
    people, total = tally.get("person", 0), sum(tally.values())
    if tally.most_common(1)[0][0] == "person" or people * 3 < total or is_short(slug):
        return False
    first = slug.split("-")[0]
    others = session.execute(
        sa.select(sa.func.count()).where(
            first_name_range(session, first),
            ENTITIES.c.type == "person",
            ENTITIES.c.id != entity_id,
        )
    ).scalar_one()
    return bool(others >= GIVEN_NAME_PEOPLE)
