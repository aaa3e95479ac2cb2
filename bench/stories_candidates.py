"""Candidate rules for telling two texts of one source apart, weighed on the pairs read by hand.

Every pair of bench/stories_gold.tsv (BBC and Reuters, all of one source) that the pairwise
checks of app/stories/verify.py let through (similarity, template, `later_report`; not
`subjects_apart`, the rule being weighed with the others) is asked of each candidate: a rule
is worth having when it refuses pairs read as two stories and none read as one. Entities are
the archive's own (app/entities/extract.py, as stored for the article before it is
clustered), found here for the texts of these pairs only.

Run:  .venv/bin/python -m bench.stories_candidates
Data: ../shared/data (read in place; only ids are printed).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.entities.extract import extract_entities_batch
from app.entities.types import ArticleText
from app.paths import SHARED_DATA
from app.stories import verify
from app.stories.minhash import Fingerprint, jaccard
from bench import stories_gold as gold
from bench.stories import Doc, bbc_docs, reuters_docs

THRESHOLD = 0.3
#: (slug, type, first position) of each entity an article's text names.
Entities = list[tuple[str, str, int | None]]


@dataclass(frozen=True)
class Pair:
    review: gold.Review
    first: Doc
    second: Doc


def passing_pairs() -> list[Pair]:
    """The reviewed pairs the pairwise checks (before `subjects_apart`) let through."""
    pairs = []
    for corpus, loader in (("bbc", bbc_docs), ("reuters", reuters_docs)):
        docs = {doc.key: doc for doc in loader()}
        for review in gold.load(corpus):
            a, b = docs[review.first], docs[review.second]
            similarity = jaccard(
                Fingerprint.of(a.title, None, a.body).hashes,
                Fingerprint.of(b.title, None, b.body).hashes,
            )
            if not verify.same_story(
                similarity,
                verify.body_tokens(a.body),
                verify.body_tokens(b.body),
                threshold=THRESHOLD,
            ):
                continue
            if similarity < verify.NEAR_IDENTICAL and verify.later_report(
                verify.BodyShingles.of(a.body), verify.BodyShingles.of(b.body)
            ):
                continue
            pairs.append(Pair(review, a, b))
    return pairs


def entities_of(docs: list[Doc]) -> dict[str, Entities]:
    found: dict[str, Entities] = {}
    texts = (ArticleText(doc.title, "", doc.body) for doc in docs)
    for n, (doc, entities) in enumerate(zip(docs, extract_entities_batch(texts), strict=True)):
        found[doc.key] = [(e.slug, str(e.type), e.first_position) for e in entities]
        if (n + 1) % 200 == 0:
            print(f"  entities of {n + 1}/{len(docs)} texts", file=sys.stderr, flush=True)
    return found


def candidates(entities: dict[str, Entities]) -> dict[str, Callable[[Doc, Doc], bool]]:
    """Each candidate: whether it calls the two texts two stories."""

    def slugs(doc: Doc, types: set[str]) -> set[str]:
        return {slug for slug, kind, _ in entities[doc.key] if kind in types}

    def lead(doc: Doc, types: set[str]) -> str | None:
        """The first entity of these types in the body (after the headline)."""
        named = [
            (position, slug)
            for slug, kind, position in entities[doc.key]
            if kind in types and position is not None and position > len(doc.title)
        ]
        return min(named)[1] if named else None

    def swapped(a: set[str], b: set[str]) -> bool:
        return bool(a - b) and bool(b - a)

    def headline_numbers(doc: Doc) -> set[str]:
        words = {token.casefold() for token in verify._TOKEN.findall(doc.title)}
        return {
            word
            for word in words
            if any(char.isdigit() for char in word) or word in verify.NUMBER_WORDS
        }

    def names_one_way(a: Doc, b: Doc) -> bool:
        """Each headline has a name the other headline lacks, one a name the other text lacks."""
        ours, theirs = verify.Headline.of(a.title, a.body), verify.Headline.of(b.title, b.body)
        title_a = {verify._word(t) for t in verify._TOKEN.findall(a.title)}
        title_b = {verify._word(t) for t in verify._TOKEN.findall(b.title)}
        return (
            bool(ours.names - title_b)
            and bool(theirs.names - title_a)
            and (bool(ours.names - theirs.words) or bool(theirs.names - ours.words))
        )

    org, named = {"organization"}, {"organization", "place", "person"}
    return {
        "headline names missing from the other text, both ways (subjects_apart)": lambda a, b: (
            verify.subjects_apart(
                verify.Headline.of(a.title, a.body), verify.Headline.of(b.title, b.body)
            )
        ),
        "headline names missing from the other text, one way": lambda a, b: (
            bool(
                verify.Headline.of(a.title, a.body).names
                - verify.Headline.of(b.title, b.body).words
            )
            or bool(
                verify.Headline.of(b.title, b.body).names
                - verify.Headline.of(a.title, a.body).words
            )
        ),
        "headline names differ, missing from the other text one way": names_one_way,
        "headline numbers differ, both ways": lambda a, b: swapped(
            headline_numbers(a), headline_numbers(b)
        ),
        "organisations differ, both ways": lambda a, b: swapped(slugs(a, org), slugs(b, org)),
        "organisations or places differ, both ways": lambda a, b: swapped(
            slugs(a, org | {"place"}), slugs(b, org | {"place"})
        ),
        "lead organisation differs": lambda a, b: (
            lead(a, org) is not None and lead(b, org) is not None and lead(a, org) != lead(b, org)
        ),
        "lead organisation missing from the other": lambda a, b: (
            (x := lead(a, org)) is not None
            and (y := lead(b, org)) is not None
            and x not in slugs(b, org)
            and y not in slugs(a, org)
        ),
        "lead name missing from the other": lambda a, b: (
            (x := lead(a, named)) is not None
            and (y := lead(b, named)) is not None
            and x not in slugs(b, named)
            and y not in slugs(a, named)
        ),
    }


def main() -> None:
    if not SHARED_DATA.is_dir():
        print(f"skipped: the corpora are not at {SHARED_DATA}")
        return
    pairs = passing_pairs()
    two = sum(not pair.review.same for pair in pairs)
    print(f"{len(pairs)} reviewed pairs pass the checks: {len(pairs) - two} one story, {two} two")
    docs = list({doc.key: doc for p in pairs for doc in (p.first, p.second)}.values())
    started = time.perf_counter()
    entities = entities_of(docs)
    print(f"entities of {len(docs)} texts in {time.perf_counter() - started:.0f} s")
    for name, rule in candidates(entities).items():
        refused = [pair for pair in pairs if rule(pair.first, pair.second)]
        wrong = [p for p in refused if not p.review.same]
        right = [p for p in refused if p.review.same]
        print(f"{name}: refuses {len(wrong)} of {two} read as two, {len(right)} read as one")
        for label, group in (("two", wrong), ("one", right)):
            if group:
                keys = " ".join(f"{p.first.key}/{p.second.key}" for p in group[:8])
                print(f"    {label}: {keys}{' ...' if len(group) > 8 else ''}")


if __name__ == "__main__":
    main()
