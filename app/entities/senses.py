"""Which of two things one name means at one place in an article, decided from the words
around it: no model, no database.

* A place that shares its name with a company or a publication (`curated.SHARED_PLACE_NAMES`):
  "the Amazon" (the rainforest) and Amazon the company, "the Atlantic" (the ocean) and The
  Atlantic the magazine. The place is written with a geographic word after it ("Amazon
  rainforest", "Amazon basin", "Atlantic coast"), a country or demonym before it ("Brazil's
  Amazon", "the Brazilian Amazon"), or, where the other thing is a company, with "the" in front
  of the bare name ("deforestation in the Amazon."): a company takes no article ("Amazon
  said"), while "the Amazon founder" is "the" of the noun that follows. A publication's own
  title takes "the", so for the Atlantic only words of crossing ("across the Atlantic", "both
  sides of the Atlantic") or of the sea nearby ("ships in the Atlantic") say ocean, and words
  of writing say magazine ("writes in the Atlantic", "The Atlantic's Julia Ioffe"). A mention with no evidence follows the article's
  other mentions of the name; with none, it is the company or publication, which news names
  far more often.
* A surname in the plural with "the" before it and nothing after that it could qualify ("the
  Clintons are", "the Obamas'") is a family: a group of people, not one of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from app.entities import curated

#: Words of the closed classes (prepositions, conjunctions, auxiliaries, pronouns): after "the
#: NAME" they end the noun phrase, so "the" belongs to the name ("the Amazon is burning").
_CLOSED_WORDS = frozenset(
    {
        "a", "about", "after", "against", "along", "also", "am", "an", "and", "are", "around",
        "as", "at", "be", "been", "before", "being", "between", "both", "but", "by", "can",
        "could", "did", "do", "does", "during", "each", "for", "from", "had", "has", "have",
        "he", "her", "his", "if", "in", "into", "is", "it", "its", "may", "might", "must",
        "near", "nor", "not", "now", "of", "off", "on", "once", "or", "our", "over", "said",
        "say", "says", "shall", "she", "should", "since", "so", "than", "that", "the", "their",
        "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
        "under", "until", "up", "was", "we", "were", "what", "when", "where", "which", "while",
        "who", "whom", "whose", "why", "will", "with", "within", "would", "yet", "you",
    }
)  # fmt: skip
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
#: What follows a name: an optional possessive ("'s", "' s" in tokenised copy, "'"), then the
#: next word or punctuation mark.
_AFTER = re.compile(r"^\s*('\s?s\b|')?\s*([A-Za-z]+|[^\sA-Za-z]|$)")
_THE_BEFORE = re.compile(r"\bthe\s+$", re.IGNORECASE)
_WORD_BEFORE = re.compile(r"([A-Z][A-Za-z]+)(?:\s*'s?)?\s+(?:the\s+)?$")
#: "across the Atlantic", "both sides of the Atlantic", "cross the Atlantic".
_CROSSING = re.compile(
    r"\b(?:across|cross|crossed|crossing|sides? of|spans?|spanning|over) the\s+$", re.IGNORECASE
)
#: Words of the sea near the name: "ships in the Atlantic", "a storm over the Atlantic".
_MARITIME = re.compile(
    r"\b(?:ships?|shipping|vessels?|tankers?|fleet|sail(?:s|ed|ing|ors?)?|navy|naval|storms?|"
    r"hurricanes?|fish(?:ing|ermen)?|offshore|oil rigs?|submarines?|seas?|oceans?|waters)\b",
    re.IGNORECASE,
)
#: "writes in the Atlantic", "told the Atlantic", "according to The Atlantic".
_WRITING = re.compile(
    r"\b(?:writes?|wrote|written|writing|told|tells|reported|published|according to|editor|"
    r"columnist|writer|reporter|piece|article|interview)\b[^.;:]{0,25}$",
    re.IGNORECASE,
)


def place_sense(
    text: str, start: int, end: int, *, is_country: Callable[[str], bool]
) -> bool | None:
    """Whether `text[start:end]`, a name of `curated.SHARED_PLACE_NAMES`, means the place
    (True), the other thing (False), or cannot be told from its neighbours (None)."""
    name = text[start:end]
    before = text[max(0, start - 60) : start].translate(_QUOTES)
    after = text[end : end + 40].translate(_QUOTES)
    follower = _AFTER.match(after)
    possessive = bool(follower and follower.group(1))
    next_word = follower.group(2) if follower else ""
    if next_word.lower() in curated.GEOGRAPHIC_WORDS:
        return True
    previous = _WORD_BEFORE.search(before)
    if previous is not None and is_country(previous.group(1)):
        return True
    _place, the_means_place = curated.SHARED_PLACE_NAMES[name]
    if not the_means_place:
        nearby = re.split(r"[.;!?]", before)[-1][-40:] + " " + re.split(r"[.;!?]", after)[0][:40]
        if _CROSSING.search(before) or _MARITIME.search(nearby):
            return True
        if (before.endswith("The ") and not _sentence_start(before[:-4])) or _WRITING.search(
            before
        ):
            return False
        if possessive and next_word[:1].isupper():
            return False  # "the Atlantic's Julia Ioffe": its writer
        return None
    if _THE_BEFORE.search(before) and not possessive and _ends_phrase(next_word):
        return True
    return None


def places(
    text: str, mentions: Sequence[tuple[str, int]], *, is_country: Callable[[str], bool]
) -> set[int]:
    """The indexes of `mentions` (surface, start) that name the place of a shared name."""
    shared: dict[str, list[int]] = {}
    for index, (surface, _start) in enumerate(mentions):
        if surface in curated.SHARED_PLACE_NAMES:
            shared.setdefault(surface, []).append(index)
    found: set[int] = set()
    for name, indexes in shared.items():
        starts = [locate(text, name, mentions[i][1]) for i in indexes]
        decided = settle(
            [
                None if at is None else place_sense(text, at, at + len(name), is_country=is_country)
                for at in starts
            ]
        )
        found.update(index for index, is_place in zip(indexes, decided, strict=True) if is_place)
    return found


def place_named(value: str) -> str | None:
    """The place a search value names by "the" before a shared name ("the Amazon": the
    rainforest), as the same words in an article would."""
    match = _THE_NAME.fullmatch(value.strip())
    if match is None:
        return None
    for name, (place, the_means_place) in curated.SHARED_PLACE_NAMES.items():
        if the_means_place and name.lower() == match.group(1).lower():
            return place
    return None


_THE_NAME = re.compile(r"the\s+(\w+)", re.IGNORECASE)


def locate(text: str, name: str, start: int) -> int | None:
    """Where `name` is written in the mention that starts at `start` (after a "the" the span
    may hold)."""
    at = text.find(name, start, start + len(name) + 8)
    return None if at < 0 else at


def settle(senses: list[bool | None]) -> list[bool]:
    """The senses of one name's mentions in one article: those the words decided, the others
    the majority of those (the other thing when none was decided, or on a tie)."""
    decided = [sense for sense in senses if sense is not None]
    majority = sum(decided) * 2 > len(decided)
    return [majority if sense is None else sense for sense in senses]


def is_family(text: str, start: int, end: int, surnames: Collection[str] = ()) -> bool:
    """ "the Clintons", "the Obamas'": a capitalised plural after "the" whose singular is the
    surname of someone the article names in full (`surnames`), or that ends its noun phrase
    ("the Clintons are"; "the Sanders campaign" is a campaign)."""
    name = text[start:end]
    if not (len(name) > 3 and name[0].isupper() and name.endswith("s") and " " not in name):
        return False
    if name.endswith("ss") or not name[:-1].isalpha():
        return False
    before = text[max(0, start - 10) : start].translate(_QUOTES)
    follower = _AFTER.match(text[end : end + 40].translate(_QUOTES))
    next_word = follower.group(2) if follower else ""
    apostrophe = bool(follower and follower.group(1))
    return bool(_THE_BEFORE.search(before)) and (
        name[:-1] in surnames or apostrophe or _ends_phrase(next_word)
    )


def _ends_phrase(next_word: str) -> bool:
    """Whether what follows a name ends its noun phrase: punctuation, the end of the text, or
    a closed-class word."""
    return not next_word or not next_word.isalpha() or next_word.lower() in _CLOSED_WORDS


def _sentence_start(before: str) -> bool:
    stripped = before.rstrip(" \"'(")
    return not stripped or stripped[-1] in ".!?:\n"
