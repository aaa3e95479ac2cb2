"""Candidate rules for telling two texts of one source apart, weighed on the pairs read by hand.

Every pair of bench/stories_gold.tsv (BBC and Reuters, all of one source) that the pairwise
checks of app/stories/verify.py let through (similarity, template, `later_report`; not
`subjects_apart` nor app/stories/reports.py `next_report`, the rules being weighed with the
others) is asked of each candidate: a rule is worth having when it refuses pairs read as two
stories and none read as one. Entities are the archive's own (app/entities/extract.py, as
stored for the article before it is clustered), found here for the texts of these pairs only
(--no-entities leaves those candidates out: the model takes minutes).

Run:  .venv/bin/python -m bench.stories_candidates [--no-entities]
Data: ../shared/data (read in place; only ids are printed).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.entities.extract import extract_entities_batch
from app.entities.types import ArticleText
from app.paths import SHARED_DATA
from app.stories import reports, verify
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


def report_candidates() -> dict[str, Callable[[Doc, Doc], bool]]:
    """The candidates on days, figures and datelines (app/stories/reports.py)."""

    def report(doc: Doc) -> reports.Report:
        return reports.Report.of(doc.body, doc.published_at, doc.title)

    def names_apart(a: Doc, b: Doc) -> bool:
        ours, theirs = verify.Headline.of(a.title, a.body), verify.Headline.of(b.title, b.body)
        return verify.subjects_apart(ours, theirs)

    return {
        "days of the week each text names and the other never does (days_moved)": lambda a, b: (
            reports.days_moved(report(a), report(b))
        ),
        "figures restated in both openings (figures_restated)": lambda a, b: (
            reports.figures_restated(report(a), report(b))
        ),
        "18 h or more apart, at most a third of the figures shared (later_figures)": lambda a, b: (
            reports.later_figures(report(a), report(b))
        ),
        "any of the three (next_report)": lambda a, b: reports.next_report(report(a), report(b)),
        "two flashes 18 h or more apart (repeated_flash)": lambda a, b: reports.repeated_flash(
            report(a), report(b)
        ),
        "headline names (capitals, the dateline's place) missing from the other text, both "
        "ways (subjects_apart)": names_apart,
    }


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--no-entities", action="store_true", help="leave out the candidates on entities"
    )
    args = parser.parse_args(argv)
    if not SHARED_DATA.is_dir():
        print(f"skipped: the corpora are not at {SHARED_DATA}")
        return
    pairs = passing_pairs()
    two = sum(not pair.review.same for pair in pairs)
    print(f"{len(pairs)} reviewed pairs pass the checks: {len(pairs) - two} one story, {two} two")
    rules = report_candidates()
    if not args.no_entities:
        docs = list({doc.key: doc for p in pairs for doc in (p.first, p.second)}.values())
        started = time.perf_counter()
        entities = entities_of(docs)
        print(f"entities of {len(docs)} texts in {time.perf_counter() - started:.0f} s")
        rules |= candidates(entities)
    for name, rule in rules.items():
        refused = [pair for pair in pairs if rule(pair.first, pair.second)]
        wrong = [p for p in refused if not p.review.same]
        right = [p for p in refused if p.review.same]
        print(f"{name}: refuses {len(wrong)} of {two} read as two, {len(right)} read as one")
        for label, group in (("two", wrong), ("one", right)):
            if group:
                keys = " ".join(f"{p.first.key}/{p.second.key}" for p in group[:8])
                print(f"    {label}: {keys}{' ...' if len(group) > 8 else ''}")


if __name__ == "__main__":
    main(sys.argv[1:])
