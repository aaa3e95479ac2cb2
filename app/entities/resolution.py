"""One entity per real thing across the archive, not only inside one article.

An article ties its short forms to full names by itself ("Barack Obama ... Obama", "the
Federal Bureau of Investigation (FBI)"); canonicalisation does that. What an article cannot
say, the archive has learned from the others: every stored link records the forms the article
used and which of them the article itself tied to a fuller name (`entity_surface_forms`).

* A short form an article uses alone ("Obama", "Pelosi", "FBI") resolves to the entity the
  other articles tied it to, when that evidence is strong: at least `MIN_EVIDENCE` articles and
  a `MIN_SHARE` of all the articles that tied the form to anyone. Otherwise it stays apart
  ("Sanders" when Bernie and Sarah Huckabee Sanders share the evidence). Full names never
  resolve to anything else: a Michelle Obama is never folded into Barack Obama.
* A person's full name written otherwise ("Joseph Biden", "Hillary Rodham Clinton") resolves to
  the stored plain name (`person_names`).
* Blocked forms never become entities; pairs marked distinct are never merged automatically.

What the archive does with new evidence lives beside this module: `evidence` records the
forms and types articles used and retypes entities, `consolidation` merges an entity made of a
short form alone into the full one once the evidence arrives (recorded, undoable), and
`compounds` reads hyphen-joined names ("Trump-Pence") as the names they join.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.entities.merging import distinct
from app.entities.models import EntityBlockedForm
from app.entities.person_names import PersonName, resolve_person_variants, run_on
from app.entities.store import ENTITIES, FORMS, LINKS, slices
from app.entities.types import ArticleEntity

BLOCKED: sa.Table = EntityBlockedForm.__table__  # type: ignore[attr-defined]

#: Articles that must have tied a short form to one entity before it resolves there alone.
MIN_EVIDENCE = 2
#: Share of the short form's evidence that entity must hold.
MIN_SHARE = 0.8

#: An article's id, date and entities, as linking takes them.
ArticleLinks = tuple[int, datetime | None, Sequence[ArticleEntity]]


def is_short(slug: str) -> bool:
    """A one-word slug: a surname, a first name, an acronym."""
    return "-" not in slug


def one_word(name: str) -> bool:
    """A one-word name, hyphens included: "Pelosi", "FBI", "Ocasio-Cortez"."""
    return " " not in name.strip()


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where a short form leads, and the evidence for it."""

    form: str
    entity_id: int
    slug: str
    evidence: int
    total: int

    def as_evidence(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "articles_tying_form_to_entity": self.evidence,
            "articles_tying_form_to_anyone": self.total,
        }


def blocked(session: Session, keys: Iterable[str]) -> set[str]:
    """The keys among `keys` that operators blocked from becoming entities."""
    found: set[str] = set()
    for part in slices(sorted(set(keys))):
        found.update(
            session.execute(
                sa.select(BLOCKED.c.normalised).where(BLOCKED.c.normalised.in_(part))
            ).scalars()
        )
    return found


def resolve_forms(session: Session, forms: Iterable[str]) -> dict[str, Resolution]:
    """Short form key -> the entity the archive's evidence ties it to, where it is strong."""
    wanted = sorted({key for key in forms if key})
    evidence: dict[str, list[tuple[int, str, int]]] = {}
    for part in slices(wanted):
        rows = session.execute(
            sa.select(FORMS.c.normalised, ENTITIES.c.id, ENTITIES.c.slug, FORMS.c.in_context)
            .join_from(FORMS, ENTITIES, ENTITIES.c.id == FORMS.c.entity_id)
            .where(FORMS.c.normalised.in_(part), FORMS.c.in_context > 0)
        ).all()
        for key, entity_id, slug, count in rows:
            if slug != key:
                evidence.setdefault(key, []).append((entity_id, slug, count))
    resolved: dict[str, Resolution] = {}
    for key, candidates in evidence.items():
        total = sum(count for _id, _slug, count in candidates)
        entity_id, slug, count = max(candidates, key=lambda c: (c[2], -c[0]))
        if (
            count >= MIN_EVIDENCE
            and count >= MIN_SHARE * total
            and not (slug.startswith(key + "-") and _first_name_shared(session, key, entity_id))
        ):
            resolved[key] = Resolution(key, entity_id, slug, count, total)
    return resolved


def _first_name_shared(session: Session, first: str, entity_id: int) -> bool:
    """Whether another person the archive names more than once has this first name: "Bill"
    alone is not Bill Clinton where Bill Gates is named too ("Hillary" may well be Clinton)."""
    winner = PersonName.parse(
        session.execute(sa.select(ENTITIES.c.slug).where(ENTITIES.c.id == entity_id)).scalar_one()
    )
    others = [
        other
        for other, type_, slug in session.execute(
            sa.select(ENTITIES.c.id, ENTITIES.c.type, ENTITIES.c.slug).where(
                ENTITIES.c.slug >= first + "-",
                ENTITIES.c.slug < first + ".",
                ENTITIES.c.id != entity_id,
            )
        ).all()
        # The same person written otherwise ("Bernie Sanders I-Vt"), or a name run on from
        # page furniture, is no other person.
        if type_ == "person"
        and not run_on(slug)
        and (winner is None or winner.last not in slug.split("-")[1:])
    ]
    if not others:
        return False
    counts = session.execute(
        sa.select(LINKS.c.entity_id, sa.func.count())
        .where(LINKS.c.entity_id.in_(others[:SLICE_OTHERS]))
        .group_by(LINKS.c.entity_id)
    ).all()
    return any(n >= 2 for _id, n in counts)


SLICE_OTHERS = 500


def resolve_missing(session: Session, entities: Sequence[ArticleEntity]) -> dict[str, int]:
    """Slug -> existing entity id for the short, unknown entities no stored slug matches."""
    candidates = {e.slug for e in entities if one_word(e.name) and not e.known}
    found = resolve_forms(session, candidates)
    resolved = {
        slug: resolution.entity_id
        for slug, resolution in found.items()
        if not distinct(session, slug, resolution.slug)
    }
    people = {
        e.slug
        for e in entities
        if e.type.value == "person" and not one_word(e.name) and e.source.value != "client"
    }
    for slug, (entity_id, _slug) in resolve_person_variants(session, people).items():
        resolved[slug] = entity_id
    return resolved
