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
* When the evidence arrives after an entity was made of the short form alone, that entity is
  merged into the full one (recorded with its evidence, undoable), and its articles re-indexed.
* An entity's type follows the majority of the articles naming it, unless knowledge (a known
  country or body) or an operator fixed it; a name that starts with a given name of the
  archive's people is a person once a third of its articles say so.
* Blocked forms never become entities; pairs marked distinct are never merged automatically.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.entities.gazetteer import lookup_country, lookup_organization
from app.entities.merging import distinct, exists, record_merge
from app.entities.models import TYPE_FROM_OPERATOR, EntityBlockedForm
from app.entities.store import (
    ENTITIES,
    FORMS,
    LINKS,
    SYSTEM_ACTOR,
    TYPE_VOTES,
    article_ids_of,
    audit,
    locate,
    normalise,
    reindex,
    slices,
    upsert_counts,
)
from app.entities.types import ArticleEntity

logger = logging.getLogger(__name__)

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
        and not _run_on(slug)
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
    _retype(session, {entity_id for entity_id, _type in votes})
    return learned


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
            if one_word(name) and not _known(name):
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


def _known(name: str) -> bool:
    return lookup_country(name) is not None or lookup_organization(name) is not None


def _retype(session: Session, entity_ids: set[int]) -> None:
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
            if source == TYPE_FROM_OPERATOR or _known(name):
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
            _first_name_range(session, first),
            ENTITIES.c.type == "person",
            ENTITIES.c.id != entity_id,
        )
    ).scalar_one()
    return bool(others >= GIVEN_NAME_PEOPLE)


def _first_name_range(session: Session, first: str) -> sa.ColumnElement[bool]:
    """Slugs "first-..." as the slug index serves them (see `_slug_range`)."""
    slug = ENTITIES.c.slug
    if session.get_bind().dialect.name == "postgresql":
        return slug.like(f"{first}-%")
    return sa.and_(slug >= first + "-", slug < first + ".")


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
        _retype(session, set(ids[start : start + chunk]))
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


# --- variants of a person's full name ----------------------------------------------------

#: Formal first names and the short ones news uses for the same person.
NICKNAMES: dict[str, str] = {
    "joseph": "joe", "william": "bill", "robert": "bob", "bernard": "bernie",
    "richard": "dick", "james": "jim", "michael": "mike", "thomas": "tom", "charles": "chuck",
    "christopher": "chris", "daniel": "dan",
    "edward": "ed", "mitchell": "mitch", "kenneth": "ken", "timothy": "tim",
    "anthony": "tony", "nicholas": "nick", "jeffrey": "jeff", "gregory": "greg",
    "benjamin": "ben", "matthew": "matt", "andrew": "andy", "samuel": "sam",
}  # fmt: skip
_FORMAL: dict[str, list[str]] = {}
for _formal, _short in NICKNAMES.items():
    _FORMAL.setdefault(_short, []).append(_formal)
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's slug read as first name, middle names, surname and suffix."""

    first: str
    middle: tuple[str, ...]
    last: str
    suffix: str

    @classmethod
    def parse(cls, slug: str) -> PersonName | None:
        tokens = slug.split("-")
        suffix = tokens[-1] if tokens[-1] in _SUFFIXES else ""
        if suffix:
            tokens = tokens[:-1]
        if len(tokens) < 2:
            return None
        first = NICKNAMES.get(tokens[0], tokens[0])
        return cls(first=first, middle=tuple(tokens[1:-1]), last=tokens[-1], suffix=suffix)

    def same_person(self, other: PersonName) -> bool:
        """ "Paul D. Ryan" and "Paul Ryan", "Joseph Biden" and "Joe Biden": one of the two
        names no middle name, the rest equal. "George W. Bush" and "George H. W. Bush" are not."""
        return (
            (self.first, self.last, self.suffix) == (other.first, other.last, other.suffix)
            and (not self.middle or not other.middle)
            and self.middle != other.middle
        ) or (
            (self.first, self.middle, self.last, self.suffix)
            == (other.first, other.middle, other.last, other.suffix)
        )


def _slug_range(session: Session, first: str, last: str) -> sa.ColumnElement[bool]:
    """Slugs "first-...-last": a prefix the slug index serves (a LIKE on PostgreSQL, whose
    collation may not order "-" before "."; a range on SQLite), the surname checked with it."""
    slug = ENTITIES.c.slug
    ending = slug.like(f"%-{last}")
    if session.get_bind().dialect.name == "postgresql":
        return sa.and_(slug.like(f"{first}-%"), ending)
    return sa.and_(slug >= first + "-", slug < first + ".", ending)


def resolve_person_variants(session: Session, slugs: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Slug -> (id, slug) of the one stored person whose name is the same but for middle names,
    initials or a nickname ("Hillary Rodham Clinton" -> Hillary Clinton). None where two or
    more could be meant, or where the plain name already stands for someone with another
    middle name (a "George Bush" that "George W. Bush" articles resolved to is not George H. W.
    Bush)."""
    found: dict[str, tuple[int, str]] = {}
    for slug in sorted(set(slugs)):
        name = PersonName.parse(slug)
        if name is None:
            continue
        last = name.last + (f"-{name.suffix}" if name.suffix else "")
        rows = [
            row
            for first in (name.first, *_FORMAL.get(name.first, []))
            # One query per first name, so the slug index serves it (an OR of ranges, or a
            # type condition, sends SQLite through every person instead).
            for row in session.execute(
                sa.select(ENTITIES.c.id, ENTITIES.c.slug, ENTITIES.c.type).where(
                    _slug_range(session, first, last)
                )
            ).all()
        ]
        matches = [
            (entity_id, other)
            for entity_id, other, type_ in rows
            if type_ == "person"
            and other != slug
            and (parsed := PersonName.parse(other)) is not None
            and name.same_person(parsed)
        ]
        matches = _prefer_plain(name, [m for m in matches if not _run_on(m[1])])
        if not matches and len(tokens := slug.split("-")) == 2:
            # "Trump Donald" in a list sorted by surname is Donald Trump.
            reversed_slug = f"{tokens[1]}-{tokens[0]}"
            matches = [
                (entity_id, other)
                for entity_id, other in session.execute(
                    sa.select(ENTITIES.c.id, ENTITIES.c.slug).where(
                        ENTITIES.c.slug == reversed_slug, ENTITIES.c.type == "person"
                    )
                ).all()
            ]
        if (
            len(matches) == 1
            and not distinct(session, slug, matches[0][1])
            and not _other_middle_names(session, name, matches[0][0])
        ):
            found[slug] = (matches[0][0], matches[0][1])
    return found


def _run_on(slug: str) -> bool:
    """A name run on from page furniture ("Joe Biden Biden"): its middle repeats its ends."""
    name = PersonName.parse(slug)
    return name is not None and bool({name.first, name.last} & set(name.middle))


def _prefer_plain(name: PersonName, matches: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Among several people a name could be, the one plain name when the name has no middle
    ("Joseph Biden": Joe Biden, not Joseph R. Biden); when it has one, the plain names are all
    one person's nicknames, the plainest first."""
    if len(matches) < 2:
        return matches
    plain = [m for m in matches if not (parsed := PersonName.parse(m[1])) or not parsed.middle]
    if not name.middle and len(plain) == 1:
        return plain
    if name.middle and plain and len(plain) == len(matches):
        return [min(plain, key=lambda m: _plainness(m[1]))]
    return matches


def _other_middle_names(session: Session, name: PersonName, entity_id: int) -> bool:
    """Whether the entity was named with a middle name other than `name`'s."""
    for form in session.execute(
        sa.select(FORMS.c.normalised).where(FORMS.c.entity_id == entity_id)
    ).scalars():
        other = PersonName.parse(form)
        if (
            other is not None
            and (other.first, other.last) == (name.first, name.last)
            and other.middle
            and name.middle
            and other.middle != name.middle
        ):
            return True
    return False


def _plainness(slug: str) -> tuple[int, bool]:
    """Fewer middle names, then the first name as news writes it ("joe" before "joseph")."""
    name = PersonName.parse(slug)
    assert name is not None
    return len(name.middle), slug.split("-")[0] != name.first


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
        this_is_plain = (target.first, target.last) == (name.first, name.last) and _plainness(
            slug
        ) < _plainness(target_slug)
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


# --- names joined by hyphens -------------------------------------------------------------


def split_compounds(
    session: Session, articles: Sequence[ArticleLinks]
) -> list[tuple[int, datetime | None, list[ArticleEntity]]]:
    """ "Trump-Pence", "Obama-Clinton": a hyphenated word whose every part the archive knows as
    a name (an entity, or a form its evidence resolves) is those names, not a new entity.
    "Ocasio-Cortez" stays whole: its parts are not names of their own."""
    compounds = {
        e.slug: e.name
        for _id, _date, entities in articles
        for e in entities
        if "-" in e.name and one_word(e.name) and not e.known
    }
    if not compounds:
        return [(a, d, list(es)) for a, d, es in articles]
    standing = locate(session, compounds)
    parts = {
        slug: [part for part in name.split("-")]
        for slug, name in compounds.items()
        if slug not in standing
    }
    keys = {normalise(part) for names in parts.values() for part in names}
    known = set(locate(session, keys)) | set(resolve_forms(session, keys))
    splittable = {
        slug: names
        for slug, names in parts.items()
        if len(names) > 1 and all(normalise(part) in known for part in names)
    }
    result = []
    for article_id, published_at, entities in articles:
        rewritten: list[ArticleEntity] = []
        for entity in entities:
            names = splittable.get(entity.slug)
            if names is None:
                rewritten.append(entity)
                continue
            rewritten.extend(
                replace(entity, slug=normalise(part), name=part, aliases=(part,), forms=(part,))
                for part in names
            )
        result.append((article_id, published_at, rewritten))
    return result
