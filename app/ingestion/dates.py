"""Publication dates the archive reads itself: from a URL's path, from words on the page, and
the sanity rules every such date must pass.

A date a client states is kept as stated. A date read from a page, a URL or a corpus record is
taken only when it is plausible: not before `MIN_YEAR`, and not later than `FUTURE_SKEW` after
now (a time zone mix-up or a clock a little ahead, not a placeholder or a typo). An implausible
date is passed over, and the next, less reliable source is tried.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

#: Dates before this year are placeholders ("0001-01-01") or misreadings, not publication dates.
MIN_YEAR = 1800
#: How far in the future a found date may be: a page stamped in a zone ahead of UTC, a clock
#: slightly fast. Anything later is a typo or an event date, not when the article appeared.
FUTURE_SKEW = timedelta(days=1)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

# /2024/05/17/, /2024/5/17, /2024-05-17-slug, /20240517/: a year, a month and a day in a path.
_URL_DATE = re.compile(
    r"(?:^|/)(\d{4})(?:/(\d{1,2})/(\d{1,2})|-(\d{2})-(\d{2})|(\d{2})(\d{2}))(?=/|-|_|\.|$)"
)

# "Published 17 May 2024", "Posted on: May 17, 2024", "First published: 2024-05-17".
_LABEL = r"(?:first\s+)?(?:published|posted)(?:\s+on)?\s*:?\s*"
_TEXT_DATES = (
    re.compile(_LABEL + rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\.?,?\s+(\d{{4}})\b", re.I),
    re.compile(_LABEL + rf"({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I),
    re.compile(_LABEL + r"(\d{4})-(\d{2})-(\d{2})\b", re.I),
)
#: Only the head of a text is searched: a labelled date further down quotes another article.
TEXT_HEAD_CHARS = 1500


def sane(value: datetime, *, now: datetime | None = None) -> bool:
    """Whether a found date may be a publication date (see the module's rules)."""
    current = now or datetime.now(UTC)
    return value.year >= MIN_YEAR and value <= current + FUTURE_SKEW


def _day(year: int, month: int, day: int) -> datetime | None:
    try:
        return datetime.combine(date(year, month, day), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        return None


def url_date(url: str | None) -> datetime | None:
    """The day a URL's path names (midnight UTC), if it names a plausible one."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for match in _URL_DATE.finditer(path):
        year, *rest = match.groups()
        month, day = next(
            (int(m), int(d)) for m, d in zip(rest[::2], rest[1::2], strict=True) if m is not None
        )
        found = _day(int(year), month, day)
        if found is not None and sane(found):
            return found
    return None


def text_date(text: str) -> datetime | None:
    """The day a "Published ..." or "Posted ..." label near the start of `text` names."""
    head = text[:TEXT_HEAD_CHARS]
    best: tuple[int, datetime] | None = None
    for number, pattern in enumerate(_TEXT_DATES):
        match = pattern.search(head)
        if match is None:
            continue
        a, b, c = match.groups()
        if number == 0:
            found = _day(int(c), _MONTHS[b.lower()], int(a))
        elif number == 1:
            found = _day(int(c), _MONTHS[a.lower()], int(b))
        else:
            found = _day(int(a), int(b), int(c))
        if found is not None and sane(found) and (best is None or match.start() < best[0]):
            best = (match.start(), found)
    return best[1] if best else None
