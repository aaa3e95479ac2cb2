"""Settings of the article search index, and the one function that applies them.

Choices worth knowing:

- ``rankingRules`` moves ``sort`` right after ``words``. With the default order
  (sort fifth), a "newest first" search is ordered by typo, proximity and attribute
  relevance and only tie-broken by date, which reads as unsorted. After ``words``, a
  sorted search is strictly in date order among documents matching the same number of
  query words; with ``matchingStrategy: "all"`` (every hit matches every word), that is
  a strict total order, which keyset cursors rely on. Unsorted searches are unaffected.
- ``maxTotalHits`` caps ``estimatedTotalHits``/``totalHits`` as well as how deep
  offset paging reaches. Counting is cheap (the candidate set is computed anyway), so
  it is set high enough that counts are exact for any archive this project targets;
  deep offsets are what costs (every skipped hit is ranked), so the API bounds offset
  itself and walks further with keyset cursors (app/search/filters.py).
- ``maxValuesPerFacet`` is raised so facet lists (sources, tags, entities) are not cut
  at the default 100.
- With embeddings on, one embedder, ``text``, takes the vectors this project computes
  itself (``userProvided``, app/embeddings): Meilisearch never calls a model. Such an
  index refuses a document that does not say ``_vectors.text`` (a vector, or null for
  none yet), so every document sent says it; one with null is still found by keyword and
  joins semantic results once its vector is sent. Turned off, the embedder is left as it
  is (no vectors are lost) and documents go with null.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from meilisearch import Client
from meilisearch.errors import MeilisearchApiError

from app.search.client import MeiliTaskError, wait_for_success

logger = logging.getLogger(__name__)

SEARCHABLE_ATTRIBUTES: Final = ("title", "summary", "entity_names", "entity_aliases", "body")
FILTERABLE_ATTRIBUTES: Final = (
    "published_at",
    "entity_slugs",
    "entity_within",
    "entity_types",
    "source",
    "section",
    "language",
    "tags",
    "month",
    "duplicate_of",
    "cluster_id",
    "published_at_source",
    "id",
)
SORTABLE_ATTRIBUTES: Final = ("published_at", "id")
RANKING_RULES: Final = ("words", "sort", "typo", "proximity", "attribute", "exactness")
MAX_VALUES_PER_FACET: Final = 1_000
MAX_TOTAL_HITS: Final = 100_000
#: The embedder's name in the settings, in documents' `_vectors` and in hybrid searches.
EMBEDDER: Final = "text"
EMBEDDING_DIMENSIONS: Final = 384

#: Attributes compared as sets: Meilisearch gives their order no meaning.
_UNORDERED: Final = frozenset({"filterableAttributes", "sortableAttributes"})


def index_settings(*, embeddings: bool = False) -> dict[str, Any]:
    """The desired settings, as the body of ``PATCH /indexes/{uid}/settings``."""
    settings = {
        "displayedAttributes": ["*"],
        "searchableAttributes": list(SEARCHABLE_ATTRIBUTES),
        "filterableAttributes": list(FILTERABLE_ATTRIBUTES),
        "sortableAttributes": list(SORTABLE_ATTRIBUTES),
        "rankingRules": list(RANKING_RULES),
        "faceting": {"maxValuesPerFacet": MAX_VALUES_PER_FACET},
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
    }
    if embeddings:
        settings["embedders"] = {
            EMBEDDER: {"source": "userProvided", "dimensions": EMBEDDING_DIMENSIONS}
        }
    return settings


class IndexPrimaryKeyMismatch(RuntimeError):
    """The index exists with another primary key; it cannot be changed in place."""

    def __init__(self, uid: str, expected: str, actual: str) -> None:
        self.uid, self.expected, self.actual = uid, expected, actual
        super().__init__(
            f"index {uid!r} has primary key {actual!r}, expected {expected!r}; "
            "rebuild it under a new uid"
        )


def _matches(desired: Any, live: Any, *, unordered: bool = False) -> bool:
    if isinstance(desired, Mapping):
        # Only the keys we set: the server fills in its defaults for the rest.
        return isinstance(live, Mapping) and all(
            _matches(value, live.get(key)) for key, value in desired.items()
        )
    if unordered and isinstance(desired, list) and isinstance(live, list):
        return sorted(map(str, desired)) == sorted(map(str, live))
    return bool(desired == live)


def _plain(live: dict[str, Any]) -> dict[str, Any]:
    """The settings as JSON has them: the client hands embedders back as model objects."""
    embedders = live.get("embedders")
    if isinstance(embedders, Mapping):
        live = live | {
            "embedders": {
                name: value.model_dump(by_alias=True, exclude_none=True)
                if hasattr(value, "model_dump")
                else value
                for name, value in embedders.items()
            }
        }
    return live


def settings_diff(desired: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``desired`` that differs from the ``live`` settings (pure)."""
    return {
        key: value
        for key, value in desired.items()
        if not _matches(value, live.get(key), unordered=key in _UNORDERED)
    }


def _ensure_exists(client: Client, uid: str, primary_key: str, *, timeout_s: float) -> bool:
    try:
        client.get_raw_index(uid)
        return False
    except MeilisearchApiError as err:
        if err.code != "index_not_found":
            raise
    task = client.create_index(uid, {"primaryKey": primary_key})
    try:
        wait_for_success(client, task.task_uid, timeout_s=timeout_s)
    except MeiliTaskError as err:
        # Another process (API and indexer starting together) created it first.
        if err.code != "index_already_exists":
            raise
        return False
    logger.info("search index created", extra={"index_uid": uid, "primary_key": primary_key})
    return True


def ensure_index(
    client: Client,
    uid: str,
    primary_key: str = "id",
    *,
    timeout_s: float = 300.0,
    embeddings: bool = False,
) -> bool:
    """Create the index if missing and bring its settings up to date.

    Settings are only sent when they differ from the live ones, because any settings
    update re-indexes documents. Returns whether anything was changed. Raises
    ``MeiliTaskError`` (with Meilisearch's error code) if a task failed.
    ``timeout_s`` is generous since re-indexing a large archive takes a while.
    """
    index = client.index(uid)
    changed = _ensure_exists(client, uid, primary_key, timeout_s=timeout_s)
    live_key = client.get_raw_index(uid).get("primaryKey")
    if live_key is None:
        # An index created without documents may have no key yet; claim ours before
        # the first document makes Meilisearch guess one.
        task = index.update(primary_key=primary_key)
        wait_for_success(client, task.task_uid, timeout_s=timeout_s)
        changed = True
    elif live_key != primary_key:
        raise IndexPrimaryKeyMismatch(uid, primary_key, live_key)

    diff = settings_diff(index_settings(embeddings=embeddings), _plain(index.get_settings()))
    embedders = diff.pop("embedders", None)
    if diff:
        logger.info(
            "updating search index settings",
            extra={"index_uid": uid, "settings": sorted(diff)},
        )
        task = index.update_settings(diff)
        wait_for_success(client, task.task_uid, timeout_s=timeout_s)
        changed = True
    if embedders is not None:
        changed = _add_embedder(client, uid, embedders, timeout_s=timeout_s) or changed
    return changed


def _add_embedder(client: Client, uid: str, embedders: Any, *, timeout_s: float) -> bool:
    """Declare the embedder, unless the index holds documents written before embeddings
    (without `_vectors`), which Meilisearch then refuses: such an index keeps working for
    keywords, and `newsarchive reindex` rebuilds it with the embedder."""
    task = client.index(uid).update_settings({"embedders": embedders})
    try:
        wait_for_success(client, task.task_uid, timeout_s=timeout_s)
    except MeiliTaskError as err:
        if err.code != "vector_embedding_error":
            raise
        logger.warning(
            "search index holds documents from before embeddings; run `newsarchive reindex` "
            "once to enable semantic search",
            extra={"index_uid": uid},
        )
        return False
    logger.info("search index embedder declared", extra={"index_uid": uid})
    return True
