"""Names joined by hyphens ("Trump-Pence", "Obama-Clinton") read as the names they join."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from app.entities.resolution import ArticleLinks, one_word, resolve_forms
from app.entities.store import locate, normalise
from app.entities.types import ArticleEntity


def split_compounds(
    session: Session, articles: Sequence[ArticleLinks]
) -> list[tuple[int, datetime | None, list[ArticleEntity]]]:
    """ "Trump-Pence", "Obama-Clinton": a hyphenated word whose every part the archive knows as
    a name (an entity, or a form its evidence resolves) is those names, not a new entity.
    "Ocasio-Cortez" stays whole: its parts are not names of their own."""
    compounds = {
        e.slug: e.name
        for _id, _date, entities in articles
        for e in entities
        if "-" in e.name and one_word(e.name) and not e.known
    }
    if not compounds:
        return [(a, d, list(es)) for a, d, es in articles]
    standing = locate(session, compounds)
    parts = {
        slug: [part for part in name.split("-")]
        for slug, name in compounds.items()
        if slug not in standing
    }
    keys = {normalise(part) for names in parts.values() for part in names}
    known = set(locate(session, keys)) | set(resolve_forms(session, keys))
    splittable = {
        slug: names
        for slug, names in parts.items()
        if len(names) > 1 and all(normalise(part) in known for part in names)
    }
    result = []
    for article_id, published_at, entities in articles:
        rewritten: list[ArticleEntity] = []
        for entity in entities:
            names = splittable.get(entity.slug)
            if names is None:
                rewritten.append(entity)
                continue
            rewritten.extend(
                replace(entity, slug=normalise(part), name=part, aliases=(part,), forms=(part,))
                for part in names
            )
        result.append((article_id, published_at, rewritten))
    return result
