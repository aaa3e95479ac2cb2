"""Mentions of known bodies, laws and countries that the model missed.

The small English model reads "Facebook", "Google" or "ISIS" as ordinary words in many
sentences, and search by entity then misses those articles. The names `gazetteer.known_names`
lists are found in the text as written (case-sensitive, whole words) and added where the model
labelled nothing, or where it labelled only part of the name ("Islamic" of "Islamic State");
a longer span of the model's always wins.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from app.entities import curated
from app.entities.gazetteer import known_names
from app.entities.types import RawMention

_lock = threading.Lock()
_finder: tuple[re.Pattern[str], dict[str, str]] | None = None


def _get_finder() -> tuple[re.Pattern[str], dict[str, str]]:
    global _finder
    if _finder is None:
        with _lock:
            if _finder is None:
                labels = dict(known_names())
                # Longest first, so "Islamic State" wins over a shorter name inside it.
                names = sorted(labels, key=lambda name: (-len(name), name))
                # Matched first so that the known name inside them is not ("Big Apple"); their
                # words may be parted by a soft hyphen as well as a space ("Big\xadApple").
                lookalikes = "|".join(
                    r"[\s\xad]+".join(map(re.escape, name.split()))
                    for name in sorted(curated.LOOKALIKE_NAMES, key=len, reverse=True)
                )
                # Hyphens may join names ("U.S.-Mexico border", "Google-owned"), not letters.
                pattern = re.compile(
                    rf"(?<![\w.'’])(?:(?P<lookalike>{lookalikes})|"
                    + "|".join(map(re.escape, names))
                    + r")(?![\w'’])"
                )
                _finder = (pattern, labels)
    return _finder


def with_known_names(mentions: Sequence[RawMention], text: str) -> list[RawMention]:
    """`mentions` plus a mention for each known name in `text` that no model span touches."""
    pattern, labels = _get_finder()
    kept = list(mentions)
    added: list[RawMention] = []
    for match in pattern.finditer(text):
        start, end = match.span()
        if match.group("lookalike"):
            continue  # a lookalike: neither a known name nor a reason to drop the model's span
        touching = [m for m in kept if m.start < end and start < m.end]
        if any(m.start < start or m.end > end for m in touching):
            continue  # a longer span of the model's ("Google Privacy Policy") stands
        # The model's shorter spans inside the name ("Islamic" of "the Islamic State") give way.
        kept = [m for m in kept if m not in touching]
        added.append(RawMention(match.group(0), labels[match.group(0)], start, end))
    if not added:
        return list(mentions)
    return sorted([*kept, *added], key=lambda m: m.start)


def names_in(text: str) -> list[tuple[str, str, int]]:
    """Every known name in `text`: (name, label, offset)."""
    pattern, labels = _get_finder()
    return [
        (m.group(0), labels[m.group(0)], m.start())
        for m in pattern.finditer(text)
        if not m.group("lookalike")
    ]
