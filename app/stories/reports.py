"""What a wire report's text says of when and where it was filed, and the figures it opens with
(pure, no I/O): what tells a source's next report from a copy or correction of the same one.

A source's next report on a subject often keeps the first report's opening word for word and
changes one thing in it: the day talks were put off to, the revised shortfall, the closing
price instead of the midday one, the next day's reserve figures. Such a pair passes every check
on shared text (app/stories/verify.py `later_report` lets it through, its opening being shared),
yet a copy or a correction of the same report changes none of these:

- `days_moved`: each text names a day of the week the other never names ("put off until
  Thursday", then "until Monday"). A copy keeps its days; an update the next day rewrites
  "today" as a weekday, which only adds one.
- `figures_restated`: each opening (the first sentence after the dateline) holds a figure the
  other text lacks, `RESTATED_FIGURES` or more in all ("to 80 berths from 75" after "to 75
  berths from 70"), or `SWAPPED_FIGURES` or more the other opening lacks (the
  seven-year tranche's amount, term and coupon in place of the five-year one's, which the
  second report still gives further down). A correction fixes one figure; the next report
  restates them.
- `later_figures`: texts filed `LATER_HOURS` or more apart that share at most `LATER_SHARED` of
  their distinct figures (`MIN_LATER_FIGURES` or more): another day's report of a recurring
  bulletin. A repost the next day, or the morning rewrite of last night's story, keeps its
  figures.
- `repeated_flash`: two flashes (a body that only repeats its headline) filed `LATER_HOURS` or
  more apart, even word for word: a wire sends the same one-line flash each day the same thing
  happens (the central bank's daily repurchase of the same amount); a story it sends again the
  next day has a body of its own.

Years are not figures here (a repost writes "June 4, 1998" where the first wrote "June four"),
and neither is the dateline (a repost the next day carries the next day's dateline). Each
signal alone was weighed against pairs read by hand (bench/stories_candidates.py): none refused
a pair read as one story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

#: Word-like tokens that keep figures whole: "7-3/4", "1,000", "6.6" (as verify.py's).
_TOKEN = re.compile(r"\w+(?:[.,/'-]\w+)*")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
#: A wire dateline: "HARBOURTON, March 5 - ", "PORT ELLEN, Argyll, March 2 - ", "padstow, may 7 -".
_DATELINE = re.compile(rf"\s*([^\n]{{1,80}}?),\s*{_MONTH}\s+\d{{1,2}}\s*-\s*", re.IGNORECASE)
#: The end of a sentence: a stop not closing a capital's abbreviation ("U.K.", "Corp.").
_SENTENCE_END = re.compile(r"(?<![A-Z])[.!?](?=\s|$)")
#: A figure: digits with their separators ("16-3/8", "6.18", "2000" once commas are dropped).
_FIGURE = re.compile(r"\d[\d./-]*")
_YEAR = re.compile(r"(?:19|20)\d\d")
WEEKDAYS: Final = frozenset(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
)
#: Numbers spelt out that a figure may be written as instead ("three mln", "May four").
_SPELT: Final = {
    word: str(value)
    for value, word in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], 1
    )
}
#: Figures in the two openings and not in the other text (each side one at least) from which
#: the openings restate them.
RESTATED_FIGURES: Final = 3
#: Figures each opening holds and the other opening lacks from which they restate them.
SWAPPED_FIGURES: Final = 2
#: Least time between two texts of one source for `later_figures`.
LATER_HOURS: Final = 18
#: Most share of the two texts' distinct figures found in both for `later_figures`.
LATER_SHARED: Final = 1 / 3
#: Fewest distinct figures (of both texts) for `later_figures`.
MIN_LATER_FIGURES: Final = 3


@dataclass(frozen=True)
class Report:
    """What one text says of where it was filed and its days and figures."""

    #: The dateline's place, casefolded words ("san", "mateo", "calif"); empty without one.
    place: frozenset[str]
    #: Days of the week the text names.
    weekdays: frozenset[str]
    #: The text's figures after the dateline, normalised, years aside.
    figures: frozenset[str]
    #: Those of its opening: the first sentence of the first paragraph after the dateline.
    opening_figures: frozenset[str]
    published_at: datetime | None = None
    #: The body only repeats the headline (case and spacing aside): a flash.
    flash: bool = False

    @classmethod
    def of(cls, body: str, published_at: datetime | None = None, title: str = "") -> Report:
        place, rest = dateline(body)
        paragraph = next((line for line in rest.split("\n") if line.strip()), "")
        end = _SENTENCE_END.search(paragraph)
        opening = paragraph[: end.end()] if end else paragraph
        words = {token.casefold() for token in _TOKEN.findall(rest)}
        flash = bool(body.strip()) and _plain(body) == _plain(title)
        return cls(
            place,
            frozenset(words & WEEKDAYS),
            figures(rest),
            figures(opening),
            published_at,
            flash,
        )


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()


def dateline(body: str) -> tuple[frozenset[str], str]:
    """The dateline's place words (casefolded) and the text after the dateline."""
    found = _DATELINE.match(body)
    if found is None:
        return frozenset(), body
    place = frozenset(token.casefold() for token in _TOKEN.findall(found.group(1)))
    return place, body[found.end() :]


def figures(text: str) -> frozenset[str]:
    """The text's figures, normalised: thousands separators dropped, numbers up to ten spelt
    out read as digits, a figure joined to a word split from it ("40-mln-dlr", "five-year");
    years ("1998", not "2,000") left out."""
    found = set()
    for token in _TOKEN.findall(text):
        for part in re.split(r"-(?=[^\W\d])|(?<=[^\W\d])-", token.casefold()):
            figure = part.replace(",", "")
            if part in _SPELT:
                found.add(_SPELT[part])
            elif _FIGURE.fullmatch(figure) and not _YEAR.fullmatch(part):
                found.add(figure.rstrip("./-"))
    return frozenset(found)


def days_moved(first: Report, second: Report) -> bool:
    """Each text names a day of the week the other never names."""
    return bool(first.weekdays - second.weekdays) and bool(second.weekdays - first.weekdays)


def figures_restated(first: Report, second: Report) -> bool:
    """Each opening holds a figure the other text lacks, RESTATED_FIGURES or more in all, or
    SWAPPED_FIGURES or more the other opening lacks."""
    ours = first.opening_figures - second.figures
    theirs = second.opening_figures - first.figures
    if ours and theirs and len(ours) + len(theirs) >= RESTATED_FIGURES:
        return True
    swapped = first.opening_figures - second.opening_figures
    back = second.opening_figures - first.opening_figures
    return min(len(swapped), len(back)) >= SWAPPED_FIGURES


def _later(first: Report, second: Report) -> bool:
    """Both dated, LATER_HOURS or more apart."""
    if first.published_at is None or second.published_at is None:
        return False
    return abs((first.published_at - second.published_at).total_seconds()) >= LATER_HOURS * 3600


def later_figures(first: Report, second: Report) -> bool:
    """Filed LATER_HOURS or more apart, and few of their figures in common."""
    if not _later(first, second):
        return False
    every = first.figures | second.figures
    shared = first.figures & second.figures
    return len(every) >= MIN_LATER_FIGURES and len(shared) <= LATER_SHARED * len(every)


def next_report(first: Report, second: Report) -> bool:
    """Two texts of one source that are two reports, whatever text they share."""
    return (
        days_moved(first, second) or figures_restated(first, second) or later_figures(first, second)
    )


def repeated_flash(first: Report, second: Report) -> bool:
    """Two flashes filed LATER_HOURS or more apart, whatever their text."""
    return first.flash and second.flash and _later(first, second)
