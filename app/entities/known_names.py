"""Mentions of known bodies, laws and countries that the model missed.

The small English model reads "Facebook", "Google" or "ISIS" as ordinary words in many
sentences, and search by entity then misses those articles. The names `gazetteer.known_names`
lists are found in the text as written (case-sensitive, whole words) and added where the model
labelled nothing; the model's own spans always win.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

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
                pattern = re.compile(
                    r"(?<![\w.'’-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w'’-])"
                )
                _finder = (pattern, labels)
    return _finder


def with_known_names(mentions: Sequence[RawMention], text: str) -> list[RawMention]:
    """`mentions` plus a mention for each known name in `text` that no model span touches."""
    pattern, labels = _get_finder()
    spans = sorted((m.start, m.end) for m in mentions)
    added: list[RawMention] = []
    for match in pattern.finditer(text):
        start, end = match.span()
        if any(s < end and start < e for s, e in spans):
            continue
        added.append(RawMention(match.group(0), labels[match.group(0)], start, end))
    if not added:
        return list(mentions)
    return sorted([*mentions, *added], key=lambda m: m.start)
