"""A person's name read as first name, middle names, surname and suffix, and the stored people
a full name is another way of writing ("Hillary Rodham Clinton", "Joseph Biden", "Paul D.
Ryan"): nicknames, middle names and initials, a surname-first list order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from app.entities.merging import distinct
from app.entities.store import ENTITIES, FORMS

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


def first_name_range(session: Session, first: str) -> sa.ColumnElement[bool]:
    """Slugs "first-..." as the slug index serves them (see `_slug_range`)."""
    slug = ENTITIES.c.slug
    if session.get_bind().dialect.name == "postgresql":
        return slug.like(f"{first}-%")
    return sa.and_(slug >= first + "-", slug < first + ".")


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
        matches = _prefer_plain(name, [m for m in matches if not run_on(m[1])])
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


def run_on(slug: str) -> bool:
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
        return [min(plain, key=lambda m: plainness(m[1]))]
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


def plainness(slug: str) -> tuple[int, bool]:
    """Fewer middle names, then the first name as news writes it ("joe" before "joseph")."""
    name = PersonName.parse(slug)
    assert name is not None
    return len(name.middle), slug.split("-")[0] != name.first
