"""The entities domain's verbs for the other domains, gathered from the rooms that do them:
`linking` (articles to entities), `queries` (reading), `curation` (changing by hand) and
`resolution` (one entity per real thing across the archive)."""

from app.entities.curation import add_alias, merge, update
from app.entities.linking import (
    analyse,
    article_entities,
    client_entities_changed,
    client_slug,
    entities_of,
    link_article,
    link_articles,
    set_published_at,
    stored_client_entities,
    stored_client_slugs,
)
from app.entities.queries import (
    EntityCursor,
    InvalidEntityCursor,
    article_counts,
    autocomplete,
    detail,
    get_by_slug,
    list_articles,
    list_entities,
    load_document_entities,
    lookup,
    resolve_for_search,
)
from app.entities.store import SLICE, normalise

__all__ = [
    "SLICE",
    "EntityCursor",
    "InvalidEntityCursor",
    "add_alias",
    "analyse",
    "article_counts",
    "article_entities",
    "autocomplete",
    "client_entities_changed",
    "client_slug",
    "detail",
    "entities_of",
    "get_by_slug",
    "link_article",
    "link_articles",
    "list_articles",
    "list_entities",
    "load_document_entities",
    "lookup",
    "merge",
    "normalise",
    "resolve_for_search",
    "set_published_at",
    "stored_client_entities",
    "stored_client_slugs",
    "update",
]
