"""Whether two texts a candidate look-up paired are one story (pure, no I/O).

Shingle similarity alone cannot tell a copy from a templated bulletin: a wire service's
dividend notices, bond issues, prime rate changes or daily market reports repeat one template
and differ only in the issuer's name and the figures, so two different reports can share
more shingles than an edited copy shares with its original. What tells them apart is *what*
differs. An edited copy, a re-publication under another headline or an updated version
differs in ordinary words (reworded phrases, sentences added or dropped); two bulletins of one
template differ almost only in names and figures.

So a pair above the similarity threshold is still refused when the words found in one body
and not in the other (counted with repeats) are mostly names and figures: tokens holding a
digit or a capital letter (`SLOT_SHARE`); or when they are a good part of it
(`FIGURES_SLOT_SHARE`) and the two bodies share few of their figures (`SHARED_FIGURES`): a
repost reformats its figures ("Sales" becomes "Revs") but keeps most of them, another day's
bulletin or another issuer's has figures of its own. Headlines are left out (a new headline is how copies differ, and
some wires write theirs in capitals). Nearly identical texts (`NEAR_IDENTICAL`) are one story
whatever differs: a name spelt again or a figure corrected in an otherwise unchanged article.
A short bulletin repeated with one figure changed is refused: from the text alone that is a
correction or the next day's report, and the next day's report is the commoner; so is one that
differs only in names, figures and numbers spelt out ("five ships" against "six").
`conflicting` asks the same question of any two texts of one cluster, even under the
threshold: clustering lets no chain of copies join two reports of one template.
The check counts tokens only, so it costs as little as reading the text.

One source seldom sends its own story twice with another body, except to correct or update it,
and then the new version keeps the old one's text, most of all its opening. What it does send
twice is a later report on the same subject: the next bulletin of the money market or of a
bond issue, the follow-up of yesterday's story, which opens with the news the earlier text
lacks and repeats its background further down. So two texts of one source are one story only
when one is mostly contained in the other (`CONTAINED`: a version with paragraphs added or
dropped) or each opens with text the other has (`LEAD_SHARED` of its first `LEAD_SHINGLES`
word 3-shingles found anywhere in the other) (`later_report`). Copies from different
sources (syndication, rewrites across outlets) are judged by the rest alone: their openings
are the part an outlet most often rewrites.

A template's bulletins from one source can also keep one opening and swap only the subject:
two companies' shelf filings, two livestock markets' hog prices. Their headlines name it: so
two texts of one source are two reports when each headline holds a name, a word its own body
writes with a capital or its dateline's place, that the other text never mentions
(`subjects_apart`): bulletins written all in lower case name their market only in the dateline. A version of a
story may reword its headline, but the subject its headline names stays in its text.
Entities the archive extracts were weighed for the same purpose and left aside: the model
labels two copies of one text differently often enough that the lead organisation, or the
set of organisations, differed between as many copies as bulletins.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Final

from app.stories import minhash
from app.stories.reports import dateline

#: Word-like tokens that keep figures whole: "7-3/4", "1,000", "6.6", "U.S.".
_TOKEN = re.compile(r"\w+(?:[.,/'-]\w+)*")
#: Shingle Jaccard similarity from which two texts are one story without the check below.
NEAR_IDENTICAL: Final = 0.85
#: Share of the differing tokens that are names or figures from which a pair is refused.
SLOT_SHARE: Final = 0.4
#: Share of names or figures among the differing tokens from which the figures are compared.
FIGURES_SLOT_SHARE: Final = 0.25
#: Least share of the two bodies' distinct figures found in both for them to be one report.
SHARED_FIGURES: Final = 1 / 3
#: Fewest distinct figures (in either body) for the figures to be compared.
MIN_FIGURES: Final = 4
#: Fewest differing names or figures (tokens of both bodies counted) for a pair to be refused.
MIN_SLOTS: Final = 2
#: Least shingle Jaccard similarity from which two texts of one template are told apart even
#: below the clustering threshold (`conflicting`): two members of one cluster must not be two
#: reports, however the cluster was reached.
CONFLICT_FLOOR: Final = 0.15


#: Share of the smaller body's word 3-shingles found in the other from which it is a version of
#: the other (paragraphs added or dropped, the rest kept).
CONTAINED: Final = 0.8
#: Word 3-shingles at the start of a body that make its opening.
LEAD_SHINGLES: Final = 25
#: Least share of either opening found in the other body for two texts of one source to be one
#: story when neither contains the other.
LEAD_SHARED: Final = 0.5


#: Numbers spelt out: a bulletin writes "five grain ships" where another day's writes "six".
NUMBER_WORDS: Final = frozenset(
    [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
    ]
)


def body_tokens(body: str) -> Counter[str]:
    """The body's tokens with their counts, case kept (capitals mark names)."""
    return Counter(_TOKEN.findall(body))


def _is_slot(token: str) -> bool:
    """A name or a figure: a token with a capital letter or a digit."""
    return not token.islower()


def differing_slots(first: Counter[str], second: Counter[str]) -> tuple[int, int]:
    """(tokens in one body and not the other, counted with repeats; how many of them are
    names or figures)."""
    differing = (first - second) + (second - first)
    total = sum(differing.values())
    slots = sum(count for token, count in differing.items() if _is_slot(token))
    return total, slots


def shared_figures(first: Counter[str], second: Counter[str]) -> tuple[int, int]:
    """(distinct figures in either body, those in both): tokens holding a digit."""
    ours = {token for token in first if any(char.isdigit() for char in token)}
    theirs = {token for token in second if any(char.isdigit() for char in token)}
    return len(ours | theirs), len(ours & theirs)


def only_slots_and_spelt_numbers(first: Counter[str], second: Counter[str]) -> bool:
    """Whether every token in one body and not the other is a name, a figure or a number
    spelt out, with at least one of the last."""
    differing = (first - second) + (second - first)
    spelt = any(token.lower() in NUMBER_WORDS for token in differing)
    return spelt and all(_is_slot(token) or token.lower() in NUMBER_WORDS for token in differing)


def templated(first: Counter[str], second: Counter[str]) -> bool:
    """True when the two bodies differ mostly in names and figures: one template, two reports.
    Numbers spelt out count as figures when nothing else differs: two days' bulletins that
    differ only in the date and "five" against "six" ships are two reports; elsewhere a
    spelt-out number is too often an ordinary word of a rewrite ("one of the", "three
    months")."""
    total, slots = differing_slots(first, second)
    if total >= MIN_SLOTS and only_slots_and_spelt_numbers(first, second):
        return True
    if slots < MIN_SLOTS or slots < FIGURES_SLOT_SHARE * total:
        return False
    if slots >= SLOT_SHARE * total:
        return True
    figures, shared = shared_figures(first, second)
    return figures >= MIN_FIGURES and shared < SHARED_FIGURES * figures


def same_story(
    similarity: float, first: Counter[str], second: Counter[str], *, threshold: float
) -> bool:
    """Two texts of shingle Jaccard `similarity` (and these body tokens) are one story."""
    if similarity < threshold:
        return False
    return similarity >= NEAR_IDENTICAL or not templated(first, second)


def conflicting(similarity: float, first: Counter[str], second: Counter[str]) -> bool:
    """Two texts that must not share a cluster: alike enough to be one template (similarity
    from `CONFLICT_FLOOR`, under `NEAR_IDENTICAL`) and differing mostly in names and figures.

    A cluster grows through chains (A is like B, B like C), so a pair that was never compared
    can end up in one cluster; an article joins a cluster, and two clusters merge, only when
    no text compared across them is in conflict. Below the threshold this is still asked: an
    edited copy of a copy may fall under it, two reports of one template differ in their
    slots however far apart they are."""
    return CONFLICT_FLOOR <= similarity < NEAR_IDENTICAL and templated(first, second)


@dataclass(frozen=True)
class BodyShingles:
    """A body's lower-cased word 3-shingles: all of them, and those of its opening in order."""

    opening: tuple[tuple[str, ...], ...]
    every: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, body: str) -> BodyShingles:
        body_words = minhash.words(body)
        width = min(minhash.SHINGLE_WORDS, len(body_words))
        count = len(body_words) - width + 1 if body_words else 0
        shingles = [tuple(body_words[n : n + width]) for n in range(count)]
        return cls(tuple(shingles[:LEAD_SHINGLES]), frozenset(shingles))


def containment(first: BodyShingles, second: BodyShingles) -> float:
    """Share of the smaller body's shingles found in the other (1.0 when either is empty)."""
    smaller = min(len(first.every), len(second.every))
    if smaller == 0:
        return 1.0
    return len(first.every & second.every) / smaller


def opening_shared(first: BodyShingles, second: BodyShingles) -> float:
    """Share of the first body's opening shingles found anywhere in the second."""
    if not first.opening:
        return 1.0
    return sum(shingle in second.every for shingle in first.opening) / len(first.opening)


def later_report(first: BodyShingles, second: BodyShingles) -> bool:
    """Whether two texts of one source are two reports: neither mostly contains the other and
    one of them opens with text the other lacks (a next bulletin, a follow-up)."""
    if containment(first, second) >= CONTAINED:
        return False
    return min(opening_shared(first, second), opening_shared(second, first)) < LEAD_SHARED


def one_source(first: str | None, second: str | None) -> bool:
    """Whether two articles come from one named source (case and spacing aside)."""
    if first is None or second is None:
        return False
    ours, theirs = " ".join(first.split()).casefold(), " ".join(second.split()).casefold()
    return bool(ours) and ours == theirs


@dataclass(frozen=True)
class Headline:
    """The names a headline holds (casefolded) and every word of its article (casefolded)."""

    names: frozenset[str]
    words: frozenset[str]

    @classmethod
    def of(cls, title: str, body: str) -> Headline:
        body_tokens = _TOKEN.findall(body)
        capitals = {_word(token) for token in body_tokens if not token.islower()}
        # The dateline's place is a name however the body is written ("padstow, may 7 -").
        place, _ = dateline(body)
        letters = [token for token in body_tokens if token.isalpha()]
        # A body in capitals marks no names; figures are not names.
        shouting = sum(token.isupper() for token in letters) * 2 > len(letters)
        title_words = {_word(token) for token in _TOKEN.findall(title)}
        names = frozenset(
            word
            for word in title_words
            if (word in place or (not shouting and word in capitals))
            and not any(char.isdigit() for char in word)
        )
        words = frozenset(title_words | {_word(token) for token in body_tokens})
        return cls(names, words)


def _word(token: str) -> str:
    """A token casefolded, a possessive's "'s" dropped: "BRAZIL'S" names Brazil."""
    word = token.casefold()
    return word[:-2] if word.endswith("'s") else word


def subjects_apart(first: Headline, second: Headline) -> bool:
    """Whether each headline names something (a word its own body writes with a capital)
    that the other article never mentions: one template, two subjects."""
    return bool(first.names - second.words) and bool(second.names - first.words)
