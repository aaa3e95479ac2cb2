"""People the archive knows, found by their surname where the model labelled nothing.

The small English model skips names in lists ("Biden and Pelosi or Clinton and Obama"), in
page furniture and in compounds ("Obama-Clinton"); an article that names a person only there
is then missing from a search for them. Where the archive's evidence ties a one-word form to
one person (`resolution.resolve_forms`: articles that named the person in full and by that
form, at least `MIN_EVIDENCE` of them and a `MIN_SHARE` of all articles that tied the form to
anyone), the form in an article's text (case-sensitive, whole word) names that person too,
as the curated names of `known_names` do for bodies and countries. Only where the text says
nothing against it:

* none of the article's entities uses the form already (what the model labelled is resolved
  by `resolution` as before), nor names someone else by it: the form as the first or last word
  of another name ("Michelle Obama", "Tim Ryan", "Santa Cruz");
* the word stands alone: not beside another capitalised word ("Ryan Zinke", "Cruz Azul",
  "George W. Bush") unless that word is a title ("Speaker Ryan", "Sen. Cruz") or a function
  word ("But Pelosi"); joined by a hyphen only to other such people ("Obama-Clinton",
  not "Mueller-Douglas");
* a word the article also writes in lower case ("rice", "price") is a common word there, and
  counts only inside a sentence, never at its start.

Such a link is inferred, not read: it casts no type vote and teaches the archive nothing (the
in-context evidence comes from articles that tie the form to a full name themselves).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session

from app.entities import curated
from app.entities.merging import DISTINCT, distinct
from app.entities.names import strip_titles
from app.entities.resolution import blocked, resolve_forms
from app.entities.store import ENTITIES, normalise, slices
from app.entities.types import ArticleEntity, ArticleText, EntitySource, EntityType

ArticleLinks = tuple[int, datetime | None, Sequence[ArticleEntity]]
Completed = tuple[int, datetime | None, list[ArticleEntity]]

#: The article texts, read where linking runs: the article row is written before its links.
_ARTICLES = sa.table(
    "articles",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("summary", sa.Text),
    sa.column("body", sa.Text),
)

#: A capitalised word ("McConnell" too); hyphenated parts are words of their own.
_WORD = re.compile(r"(?<![\w.'’])([A-Z][a-z]+(?:[A-Z][a-z]+)?)(?:['’]s)?(?![\w'’])")
#: The word before and what joins it to the name: a space or a hyphen.
_BEFORE = re.compile(r"([\w.'’]+)([ -])$")
#: What joins the word after ("Ryan Zinke", "Obama-Clinton") and that word.
_AFTER = re.compile(r"([ -])([\w'’]+)")
#: Before a sentence's first word: the start of the text or a line, or a full stop and space.
_SENTENCE_START = re.compile(r"(?:^|\n|[.!?:;\"“”]\s+|[\"“]|\n\s+)$")
_INITIAL = re.compile(r"[A-Z]\.")
_LOWER_WORD = re.compile(r"\b[a-z]+\b")
_NAME = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]+)?")
#: A word run into the next by page furniture: "GrassleySpeaker", "PelosiFauci" (but not
#: "McConnell", "DeSantis", "MacArthur").
_GLUED = re.compile(r"[a-z]{3}[A-Z]")
_SUFFIX = re.compile(r",? (?:Jr|Sr|II|III|IV)\b")
#: Longer words in capitals are shouting, not names (as `canonical` reads acronyms).
_SHOUTING = 4
#: Words before a surname that leave it the person's own.
_TITLE_WORDS = curated.TITLES | curated.HONORIFICS | {"whip", "mr", "mrs", "ms"}


#: Articles that must have tied a one-word form to one person (and a `MIN_SHARE` of all
#: that tied it to anyone) before it is looked for where the model labelled nothing: more
#: than `resolution` asks of a form the model did label.
MIN_EVIDENCE_UNLABELLED = 5


@cache
def _function_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


@dataclass(frozen=True, slots=True)
class _Occurrence:
    key: str
    form: str
    start: int
    #: Capitalised words joined to it by hyphens: people too ("Obama-Clinton"), or the word is
    #: part of another name ("Mueller-Douglas").
    partners: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Person:
    slug: str
    name: str


def complete(session: Session, articles: Sequence[ArticleLinks]) -> list[Completed]:
    """`articles` with a link to each person the archive knows that its text names alone,
    where no entity of the article is that person. Articles the model did not read (no
    extracted entity: extraction off, another language) are left as they are."""
    read = [
        article_id
        for article_id, _date, entities in articles
        if any(e.source is EntitySource.EXTRACTED for e in entities)
    ]
    texts = _texts(session, read)
    function_words = _function_words()
    words = {word.lower() for text in texts.values() for word in _WORD.findall(text)}
    surnames = _people(session, words - function_words)
    if not surnames:
        return [(article_id, date, list(entities)) for article_id, date, entities in articles]
    found: dict[int, list[_Occurrence]] = {
        article_id: _occurrences(texts[article_id], entities, set(surnames))
        for article_id, _date, entities in articles
        if article_id in texts
    }
    # A full name counts where its surname is the archive's person of that name.
    people = dict(surnames)
    for occurrences in found.values():
        for o in occurrences:
            surname = surnames.get(o.key.rsplit("-", 1)[-1])
            if "-" in o.key and surname is not None and surname.slug == o.key:
                people[o.key] = surname
    result: list[Completed] = []
    for article_id, published_at, entities in articles:
        linked = {entity.slug for entity in entities}
        by_person: dict[str, list[_Occurrence]] = {}
        for occurrence in found.get(article_id, []):
            person = people.get(occurrence.key)
            if person is None or person.slug in linked:
                continue
            if all(partner in people for partner in occurrence.partners):
                by_person.setdefault(person.slug, []).append(occurrence)
        added = [
            ArticleEntity(
                slug=slug,
                name=people[occurrences[0].key].name,
                type=EntityType.PERSON,
                mentions=len(occurrences),
                first_position=min(o.start for o in occurrences),
                aliases=tuple(sorted({o.form for o in occurrences})),
                forms=tuple(sorted({o.form for o in occurrences})),
                inferred=True,
            )
            for slug, occurrences in sorted(by_person.items())
        ]
        result.append((article_id, published_at, [*entities, *added]))
    return result


def _texts(session: Session, article_ids: Sequence[int]) -> dict[int, str]:
    """Each article's full text (the offsets entity positions index). Not the model's recased
    headline: recasing reads the whole text again, and it would cost more than this pass."""
    texts: dict[int, str] = {}
    for part in slices(sorted(set(article_ids))):
        for article_id, title, summary, body in session.execute(
            sa.select(
                _ARTICLES.c.id, _ARTICLES.c.title, _ARTICLES.c.summary, _ARTICLES.c.body
            ).where(_ARTICLES.c.id.in_(part))
        ).all():
            texts[article_id] = ArticleText(title, summary or "", body).full_text
    return texts


def _taken(entities: Iterable[ArticleEntity]) -> set[str]:
    """Keys an article's own entities use: their one-word forms, and the words of the people
    it names (a "Tim Ryan" makes a bare "Ryan" his). Of a name run into page furniture
    ("Ernest GrassleySpeaker Pelosi", "RyanTim Ryan") only what follows the seam counts, and
    only if it is still a full name once titles are dropped."""
    taken: set[str] = set()
    for entity in entities:
        for form in (entity.name, *entity.forms, *entity.aliases):
            words = form.split()
            if len(words) == 1:
                taken.add(normalise(form))
                continue
            if entity.type is not EntityType.PERSON:
                continue
            seams = [m.end() - 1 for m in _GLUED.finditer(form)]
            if seams:
                words = strip_titles(form[seams[-1] :]).split()
            if len(words) > 1:
                taken.update(normalise(word) for word in words)
    return taken


def _occurrences(
    text: str, entities: Sequence[ArticleEntity], wanted: set[str]
) -> list[_Occurrence]:
    """The `wanted` one-word names of `text` that stand alone and that no entity of the
    article uses, and the two-word names that end with one, each with what it is joined to.
    (Only the words the archive resolves are looked at closely: most capitalised words are
    not names of its people.)"""
    lower: set[str] = set()
    taken: set[str] | None = None
    function_words = _function_words()
    found: list[_Occurrence] = []
    for match in _WORD.finditer(text):
        word = match.group(1)
        key = word.lower()
        if key in function_words:
            continue
        start, end = match.start(1), match.end()
        after = _AFTER.match(text, end)
        if key not in wanted and (after is None or after.group(2).lower() not in wanted):
            continue
        if taken is None:
            taken, lower = _taken(entities), set(_LOWER_WORD.findall(text))
        before = _BEFORE.search(text, max(0, start - 40), start)
        joined_before = None
        if before is not None and before.group(1)[:1].isupper():
            if before.group(2) == "-":
                joined_before = normalise(before.group(1))
            elif not _leaves_alone(before.group(1), function_words):
                continue
        if after is not None and after.group(1) == " " and match.end(1) == end:
            full = _full_name(text, word, after.end(2), after.group(2))
            if full is not None and joined_before is None:
                found.append(_Occurrence(full, f"{word} {after.group(2)}", start, ()))
        if key in taken or key not in wanted:
            continue
        partners = [] if joined_before is None else [joined_before]
        if after is not None and after.group(2)[:1].isupper():
            if after.group(1) == "-":
                partners.append(normalise(after.group(2)))
            elif after.group(2).lower() not in function_words:
                continue
        if _SENTENCE_START.search(text, max(0, start - 3), start) and word.lower() in lower:
            continue  # "Price" opening a sentence where "price" is a word
        found.append(_Occurrence(key, word, start, tuple(partners)))
    return found


def _full_name(text: str, first: str, end: int, last: str) -> str | None:
    """The key of "First Last" when both are capitalised words and no suffix follows: a
    "Donald Trump Jr." is not Donald Trump."""
    if not _NAME.fullmatch(last) or _SUFFIX.match(text, end):
        return None
    return f"{normalise(first)}-{normalise(last)}"


def _leaves_alone(neighbour: str, function_words: frozenset[str]) -> bool:
    """Whether a capitalised word before a name leaves the name alone: a title ("Sen."), a
    function word opening the sentence ("But"), the end of the sentence before ("Tuesday.");
    not an initial ("W.") or another name ("Nikolas")."""
    if _INITIAL.fullmatch(neighbour):
        return False
    bare = neighbour.rstrip(".").lower()
    shouting = len(bare) > _SHOUTING and neighbour.isupper()  # "MUST WATCH Cruz: ..."
    return bare in _TITLE_WORDS or bare in function_words or neighbour.endswith(".") or shouting


def _people(session: Session, forms: set[str]) -> dict[str, _Person]:
    """One-word form -> the person the archive's evidence ties it to, in at least
    `MIN_EVIDENCE_UNLABELLED` articles."""
    resolved = {
        form: r.entity_id
        for form, r in resolve_forms(session, forms).items()
        if r.evidence >= MIN_EVIDENCE_UNLABELLED
    }
    refused = blocked(session, resolved)
    rows: dict[int, tuple[str, str]] = {}
    for part in slices(sorted(set(resolved.values()))):
        rows.update(
            (entity_id, (slug, name))
            for entity_id, slug, name in session.execute(
                sa.select(ENTITIES.c.id, ENTITIES.c.slug, ENTITIES.c.name).where(
                    ENTITIES.c.id.in_(part), ENTITIES.c.type == EntityType.PERSON.value
                )
            ).all()
        )
    marked = session.execute(sa.select(DISTINCT.c.first).limit(1)).first() is not None
    people: dict[str, _Person] = {}
    for form, entity_id in resolved.items():
        if entity_id not in rows or form in refused:
            continue  # not a person, or not to be a name
        slug, name = rows[entity_id]
        if marked and distinct(session, form, slug):
            continue
        people[form] = _Person(slug=slug, name=name)
    return people
