"""Turn search parameters into one Meilisearch request and its answer into our response.

Cursor mode sends two queries in one multi-search round trip: the page (with the keyset
filter) and the totals and facets (without it), so totals describe the whole result set.
"""

import base64
import binascii
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchTimeoutError,
)

from app.articles.models import MAX_ARTICLE_ID
from app.errors import ApiError, InvalidParameter, ServiceUnavailable
from app.search import filters
from app.search.backend import SearchBackend
from app.search.index_settings import EMBEDDER, MAX_TOTAL_HITS
from app.search.meili_http import MeiliUnreachable
from app.search.raw_hits import key_renames, split_hits
from app.search.schemas import (
    CURSOR_START,
    PUBLIC_FIELDS,
    Collapse,
    Counted,
    Facet,
    SearchMode,
    SearchParams,
    SearchSort,
    end_of,
    start_of,
)

logger = logging.getLogger(__name__)

FACET_ATTRIBUTES: dict[Facet, str] = {
    Facet.entity: "entity_slugs",
    Facet.entity_type: "entity_types",
    Facet.source: "source",
    Facet.section: "section",
    Facet.language: "language",
    Facet.month: "month",
    Facet.tag: "tags",
    Facet.published_at_source: "published_at_source",
}
#: Public field name -> document attribute, where they differ.
DOCUMENT_FIELD = {"published_at": "published_at_iso"}
#: The same renames, as hits passed on as Meilisearch wrote them need them (raw_hits.py).
_HIT_KEY_RENAMES = key_renames({document: public for public, document in DOCUMENT_FIELD.items()})
HIGHLIGHTED = ("title", "summary", "body")
CROP_MARKER = "…"

#: Meilisearch's answer to a filter, sort or facet on an attribute not (yet) declared.
SETTINGS_NOT_APPLIED = frozenset(
    {
        "invalid_search_filter",
        "invalid_search_sort",
        "invalid_search_facets",
    }
)

#: Meilisearch's answer to a hybrid or similar search on an index without our embedder.
EMBEDDER_MISSING = frozenset(
    {"invalid_search_embedder", "invalid_embedder", "invalid_similar_embedder"}
)

#: Resolves user-given entity names or slugs to canonical slugs, with warnings.
EntityResolver = Callable[[Sequence[str]], tuple[list[str], list[str]]]


class SearchBackendError(ApiError):
    status, slug = 502, "search-backend-error"  # type: ignore[assignment]


def _slug_resolver(values: Sequence[str]) -> tuple[list[str], list[str]]:
    from app.entities.gazetteer import slugify

    return [slugify(value) or value for value in values], []


def encode_cursor(sort: SearchSort, published_at: int | None, article_id: int) -> str:
    raw = json.dumps({"s": sort.value, "p": published_at, "i": article_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, sort: SearchSort, where: str) -> filters.Cursor:
    """The position a `next` value names. Its numbers go into the Meilisearch filter as they
    are, so only what this API could have issued is taken: ids in the article id range, and
    timestamps of years 1 to 9999."""
    not_valid = InvalidParameter(
        [where, "cursor"], "not a cursor from this API; pass '*' or a `next` value"
    )
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise not_valid from exc
    if not isinstance(payload, dict) or payload.keys() != {"s", "p", "i"}:
        raise not_valid
    issued_for, published, article_id = payload["s"], payload["p"], payload["i"]
    # bool is an int subclass, and JSON's 1.0 a float: neither is an id or a timestamp.
    if type(article_id) is not int or not 0 < article_id <= MAX_ARTICLE_ID:
        raise not_valid
    if published is not None and (type(published) is not int or published not in _TIMESTAMPS):
        raise not_valid
    if issued_for not in (SearchSort.newest.value, SearchSort.oldest.value):
        raise not_valid
    if issued_for != sort.value:
        raise InvalidParameter([where, "cursor"], f"cursor was issued for sort={issued_for}")
    return filters.Cursor(published_at=published, id=article_id)


#: Unix seconds of every datetime: the `published_at` a cursor can carry.
_TIMESTAMPS = range(
    filters.timestamp(datetime.min.replace(tzinfo=UTC)),
    filters.timestamp(datetime.max.replace(tzinfo=UTC)) + 1,
)


def _check(params: SearchParams, where: str) -> tuple[SearchSort, list[str]]:
    """Semantic checks the schema can't express; returns the sort and the fields to return."""
    if params.from_ and params.to and start_of(params.from_) > end_of(params.to):
        raise InvalidParameter([where, "from"], "must not be after `to`")
    sort = params.sort or (SearchSort.relevance if params.q else SearchSort.newest)
    if params.cursor is not None:
        if sort is SearchSort.relevance:
            raise InvalidParameter(
                [where, "cursor"], "cursor mode needs sort=newest or sort=oldest"
            )
        if params.page != 1:
            raise InvalidParameter([where, "page"], "page and cursor can't be combined")
        if params.collapse is not None:
            raise InvalidParameter(
                [where, "collapse"],
                "collapse can't be combined with cursor (a story's best member may change "
                "from page to page); page through stories with page and per_page",
            )
    _check_mode(params, sort, where)
    unknown = [field for field in params.fields if field not in PUBLIC_FIELDS]
    if unknown:
        raise InvalidParameter(
            [where, "fields"],
            f"unknown field(s) {', '.join(unknown)}; choose from {', '.join(PUBLIC_FIELDS)}",
        )
    fields = list(dict.fromkeys(["id", *params.fields])) if params.fields else list(PUBLIC_FIELDS)
    return sort, fields


def _check_mode(params: SearchParams, sort: SearchSort, where: str) -> None:
    """What hybrid and semantic searches can't combine with: they rank by meaning, so they
    need words to mean something and can't walk a date order."""
    if params.semantic_ratio is not None and params.mode is not SearchMode.hybrid:
        raise InvalidParameter([where, "semantic_ratio"], "applies to mode=hybrid only")
    if params.mode is SearchMode.keyword:
        return
    if not (params.q or "").strip():
        raise InvalidParameter([where, "q"], f"mode={params.mode.value} needs a query")
    if params.cursor is not None:
        raise InvalidParameter(
            [where, "cursor"],
            f"mode={params.mode.value} ranks by relevance; cursors walk newest/oldest only",
        )
    if sort is not SearchSort.relevance:
        raise InvalidParameter(
            [where, "sort"], f"mode={params.mode.value} ranks by relevance only; omit sort"
        )


def _to_hit(document: dict[str, Any], fields: list[str], params: SearchParams) -> dict[str, Any]:
    hit = {field: document.get(DOCUMENT_FIELD.get(field, field)) for field in fields}
    if params.highlight:
        formatted = document.get("_formatted", {})
        hit["_highlights"] = {
            name: formatted[name] for name in HIGHLIGHTED if formatted.get(name) is not None
        }
        hit["_matches_position"] = document.get("_matchesPosition", {})
    return hit


@dataclass
class SearchPlan:
    """The Meilisearch queries for one search, and what is needed to shape their answer."""

    params: SearchParams
    sort: SearchSort
    fields: list[str]
    applied: filters.SearchFilters
    warnings: list[str]
    queries: list[dict[str, Any]]
    #: The meaning side's weight (hybrid: as asked or the default; semantic: 1).
    semantic_ratio: float | None = None

    def with_vector(self, vector: list[float]) -> None:
        """Make the search hybrid: the query's vector and the weight of the meaning side."""
        for query in self.queries:
            query["vector"] = vector
            query["hybrid"] = {"embedder": EMBEDDER, "semanticRatio": self.semantic_ratio}

    @property
    def hits_as_returned(self) -> bool:
        """Whether every hit goes out exactly as Meilisearch returns it (but for the renamed
        keys): no highlights to regroup, no cursor page to trim."""
        return self.params.cursor is None and not self.params.highlight


def plan(
    *,
    index_uid: str,
    params: SearchParams,
    where: str = "query",
    resolve_entities: EntityResolver = _slug_resolver,
    default_semantic_ratio: float = 0.5,
) -> SearchPlan:
    """Validate the parameters and build the Meilisearch queries (no I/O but entity lookups).
    A hybrid or semantic plan still needs its query vector (`SearchPlan.with_vector`)."""
    sort, fields = _check(params, where)
    warnings: list[str] = []
    all_entities, entity_warnings = resolve_entities(params.entity)
    any_entities, any_warnings = resolve_entities(params.any_entity)
    warnings += entity_warnings + any_warnings
    applied = filters.SearchFilters(
        published_from=start_of(params.from_) if params.from_ else None,
        published_to=end_of(params.to) if params.to else None,
        all_entities=all_entities,
        any_entities=any_entities,
        entity_types=[t.value for t in params.entity_type],
        sources=params.source,
        sections=params.section,
        languages=params.language,
        tags=params.tag,
        published_at_sources=[s.value for s in params.published_at_source],
        include_duplicates=params.include_duplicates,
        include_places_within=params.include_places_within,
    )
    try:
        base_filter = filters.filter_clauses(applied)
    except ValueError as exc:
        raise InvalidParameter([where], str(exc)) from exc

    request: dict[str, Any] = {
        "indexUid": index_uid,
        "q": params.q or "",
        "filter": base_filter,
        "attributesToRetrieve": [DOCUMENT_FIELD.get(f, f) for f in fields],
    }
    if sort is not SearchSort.relevance:
        request["sort"] = filters.keyset_sort(filters.Order(sort.value))
    if params.collapse is Collapse.cluster:
        request["distinct"] = "cluster_id"
    if params.highlight:
        request |= {
            "attributesToHighlight": list(HIGHLIGHTED),
            "attributesToCrop": ["body"],
            "cropLength": params.crop_length,
            "cropMarker": CROP_MARKER,
            "highlightPreTag": params.highlight_pre_tag,
            "highlightPostTag": params.highlight_post_tag,
            "showMatchesPosition": True,
        }
    facet_attributes = [FACET_ATTRIBUTES[f] for f in params.facets]

    if params.cursor is None:
        if params.page * params.per_page > MAX_TOTAL_HITS:
            raise InvalidParameter(
                [where, "page"],
                f"pages reach {MAX_TOTAL_HITS} hits deep; use cursor mode to go further",
            )
        request |= {"page": params.page, "hitsPerPage": params.per_page, "facets": facet_attributes}
        queries = [request]
    else:
        order = filters.Order(sort.value)
        # A strict total order needs every hit to match every word (see app/search/filters.py).
        request["matchingStrategy"] = "all"
        position = (
            None if params.cursor == CURSOR_START else decode_cursor(params.cursor, sort, where)
        )
        page_request = request | {
            "filter": base_filter
            + ([filters.cursor_clause(position, order)] if position is not None else []),
            "limit": params.per_page + 1,
            "attributesToRetrieve": [*request["attributesToRetrieve"], "published_at"],
        }
        count_request = request | {
            "page": 1,
            "hitsPerPage": 0,
            "facets": facet_attributes,
            "attributesToRetrieve": ["id"],
        }
        for unused in ("attributesToHighlight", "attributesToCrop", "showMatchesPosition"):
            count_request.pop(unused, None)
        queries = [page_request, count_request]
    ratio = {
        SearchMode.keyword: None,
        SearchMode.hybrid: default_semantic_ratio
        if params.semantic_ratio is None
        else params.semantic_ratio,
        SearchMode.semantic: 1.0,
    }[params.mode]
    return SearchPlan(params, sort, fields, applied, warnings, queries, ratio)


def finish(search_plan: SearchPlan, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Shape Meilisearch's answers as the /search response (a plain dict: this is the hot path,
    and every value in it was built here, so re-validating it through the model would only
    cost time; the model documents it)."""
    params, warnings = search_plan.params, list(search_plan.warnings)
    if params.cursor is None:
        [result] = results
        documents, total, next_cursor = result["hits"], result["totalHits"], None
        facet_result = result.get("facetDistribution", {})
        took = result.get("processingTimeMs", 0)
    else:
        page_result, count_result = results
        documents = page_result["hits"][: params.per_page]
        total = count_result["totalHits"]
        facet_result = count_result.get("facetDistribution", {})
        took = max(page_result.get("processingTimeMs", 0), count_result.get("processingTimeMs", 0))
        next_cursor = None
        if len(page_result["hits"]) > params.per_page:
            last = documents[-1]
            next_cursor = encode_cursor(search_plan.sort, last.get("published_at"), last["id"])
    if total >= MAX_TOTAL_HITS:
        warnings.append(f"total is capped at {MAX_TOTAL_HITS}; narrow the query for an exact count")
    by_attribute = {attribute: facet.value for facet, attribute in FACET_ATTRIBUTES.items()}
    return {
        "query": {
            "q": params.q,
            "filters": describe_filters(search_plan.applied, params),
            "sort": search_plan.sort.value,
            "warnings": warnings,
        },
        "total": total,
        "counts": (Counted.stories if params.collapse else Counted.articles).value,
        "page": params.page if params.cursor is None else None,
        "per_page": params.per_page,
        "next": next_cursor,
        # Hits passed on as Meilisearch wrote them (see run_async), or rebuilt field by field.
        "hits": documents
        if isinstance(documents, orjson.Fragment)
        else [_to_hit(document, search_plan.fields, params) for document in documents],
        "facets": {by_attribute[a]: counts for a, counts in facet_result.items()},
        "processing_time_ms": took,
        "mode": params.mode.value,
        "semantic_ratio": search_plan.semantic_ratio,
        "semantic_hits": results[0].get("semanticHitCount", 0)
        if params.mode is not SearchMode.keyword
        else None,
    }


def search(
    *,
    backend: SearchBackend,
    params: SearchParams,
    where: str = "query",
    resolve_entities: EntityResolver = _slug_resolver,
) -> dict[str, Any]:
    """Search from synchronous code (CLI, scripts): plan, run through the pooled client, shape."""
    search_plan = plan(
        index_uid=backend.index_uid, params=params, where=where, resolve_entities=resolve_entities
    )
    return finish(search_plan, _run(backend, search_plan.queries))


async def search_async(*, backend: SearchBackend, search_plan: SearchPlan) -> dict[str, Any]:
    """The API path: one async round trip to Meilisearch, no thread hop."""
    results = await run_async(
        backend, search_plan.queries, hits_as_returned=search_plan.hits_as_returned
    )
    return finish(search_plan, results)


def describe_filters(applied: filters.SearchFilters, params: SearchParams) -> dict[str, Any]:
    described: dict[str, Any] = {
        "from": applied.published_from.isoformat() if applied.published_from else None,
        "to": applied.published_to.isoformat() if applied.published_to else None,
        "entity": list(applied.all_entities),
        "any_entity": list(applied.any_entities),
        "entity_type": list(applied.entity_types),
        "include_places_within": params.include_places_within,
        "source": list(applied.sources),
        "section": list(applied.sections),
        "language": list(applied.languages),
        "tag": list(applied.tags),
        "published_at_source": list(applied.published_at_sources),
        "include_duplicates": applied.include_duplicates,
        "collapse": params.collapse.value if params.collapse else None,
    }
    return {key: value for key, value in described.items() if value not in (None, [], False)}


def _run(backend: SearchBackend, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        if len(queries) == 1:
            query = dict(queries[0])
            index_uid = query.pop("indexUid")
            q = query.pop("q")
            return [backend.client.index(index_uid).search(q, query)]
        results: list[dict[str, Any]] = backend.client.multi_search(queries)["results"]
        return results
    except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
        logger.warning("meilisearch unreachable", extra={"error_type": type(exc).__name__})
        raise ServiceUnavailable("Search is temporarily unavailable; try again shortly.") from exc
    except MeilisearchApiError as exc:
        raise_for_code(backend, exc.code or "", exc.status_code)
        return [_empty_result() for _ in queries]


async def run_async(
    backend: SearchBackend, queries: list[dict[str, Any]], *, hits_as_returned: bool = False
) -> list[dict[str, Any]]:
    """Meilisearch's answers; with `hits_as_returned`, a single query's hits stay the bytes
    Meilisearch wrote (an `orjson.Fragment`, see app/search/raw_hits.py)."""
    http = backend.async_http
    try:
        if len(queries) == 1:
            query = dict(queries[0])
            response = await http.post(f"/indexes/{query.pop('indexUid')}/search", query)
        else:
            response = await http.post("/multi-search", {"queries": queries})
    except MeiliUnreachable as exc:
        logger.warning("meilisearch unreachable", extra={"error_type": str(exc)})
        raise ServiceUnavailable("Search is temporarily unavailable; try again shortly.") from exc
    if response.status >= 400:
        try:
            code = str(response.json().get("code", ""))
        except (ValueError, AttributeError):
            code = ""
        raise_for_code(backend, code, response.status)
        return [_empty_result() for _ in queries]
    if hits_as_returned and len(queries) == 1:
        split = split_hits(response.body, _HIT_KEY_RENAMES)
        if split is not None:
            hits, rest = split
            return [rest | {"hits": hits}]
    body: dict[str, Any] = response.json()
    if len(queries) == 1:
        return [body]
    results: list[dict[str, Any]] = body["results"]
    return results


def raise_for_code(backend: SearchBackend, code: str, status: int | str | None) -> None:
    """Map a Meilisearch error to ours; returns only for a missing index (no results yet)."""
    if code == "index_not_found":
        logger.info("search before the index exists", extra={"index": backend.index_uid})
        return
    if code in EMBEDDER_MISSING:
        logger.warning("index has no embedder", extra={"error_code": code})
        raise ServiceUnavailable(
            "The search index has no vectors yet (embeddings were just turned on, or the "
            "index predates them: `newsarchive reindex` rebuilds it); keyword search works.",
            retry_after=60,
        )
    if code in SETTINGS_NOT_APPLIED:
        # Our filters and sorts are always valid once the settings are in; until then the
        # index is still being prepared (first start, or a settings change re-indexing).
        logger.info("index settings not applied yet", extra={"error_code": code})
        raise ServiceUnavailable("The search index is being prepared; try again shortly.")
    logger.error("meilisearch error", extra={"error_code": code, "status": status})
    raise SearchBackendError("The search engine could not answer this query.")


def _empty_result() -> dict[str, Any]:
    return {"hits": [], "totalHits": 0, "facetDistribution": {}, "processingTimeMs": 0}
