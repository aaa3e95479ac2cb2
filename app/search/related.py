"""More like this: the articles nearest an article's stored vector (Meilisearch `/similar`).

Related articles need no model run: the article's own vector, already in the index, is the
query. An article the index holds no vector for yet (just written, or edited and waiting for
the embedding worker) gets a 409 that says so, rather than an empty list that would read as
"nothing related".
"""

from http import HTTPStatus
from typing import Any

from app.errors import ApiError, InvalidParameter, NotFound, ServiceUnavailable
from app.search import filters
from app.search.backend import SearchBackend
from app.search.index_settings import EMBEDDER
from app.search.meili_http import MeiliUnreachable
from app.search.related_schemas import RelatedParams
from app.search.schemas import PUBLIC_FIELDS, SearchParams, end_of, start_of
from app.search.semantic import SemanticUnavailable
from app.search.service import DOCUMENT_FIELD, describe_filters, raise_for_code, run_async


class NoVectorYet(ApiError):
    status, slug = HTTPStatus.CONFLICT, "no-vector-yet"


def build_filters(
    params: RelatedParams, entities: list[str], where: str = "query"
) -> tuple[filters.SearchFilters, list[str]]:
    if params.from_ and params.to and start_of(params.from_) > end_of(params.to):
        raise InvalidParameter([where, "from"], "must not be after `to`")
    unknown = [field for field in params.fields if field not in PUBLIC_FIELDS]
    if unknown:
        raise InvalidParameter(
            [where, "fields"],
            f"unknown field(s) {', '.join(unknown)}; choose from {', '.join(PUBLIC_FIELDS)}",
        )
    applied = filters.SearchFilters(
        published_from=start_of(params.from_) if params.from_ else None,
        published_to=end_of(params.to) if params.to else None,
        all_entities=entities,
        sources=params.source,
        include_duplicates=params.include_duplicates,
    )
    try:
        clauses = filters.filter_clauses(applied)
    except ValueError as exc:
        raise InvalidParameter([where], str(exc)) from exc
    return applied, clauses


async def related(
    *,
    backend: SearchBackend,
    article_id: int,
    params: RelatedParams,
    applied: filters.SearchFilters,
    clauses: list[str],
    warnings: list[str],
) -> dict[str, Any]:
    """The answer of GET /articles/{id}/related, the article being known to exist."""
    if not backend.embeddings.enabled:
        raise SemanticUnavailable(
            "Related articles are unavailable: embeddings are turned off (EMBEDDINGS_ENABLED)."
        )
    uid = backend.index_uid
    [fetched] = await run_async(
        backend,
        [
            {
                "indexUid": uid,
                "q": "",
                "filter": [f"id = {article_id}"],
                "attributesToRetrieve": ["id"],
                "retrieveVectors": True,
                "limit": 1,
            }
        ],
    )
    hits = fetched.get("hits", [])
    vectors = hits[0].get("_vectors", {}).get(EMBEDDER, {}) if hits else {}
    if not vectors or not vectors.get("embeddings"):
        raise NoVectorYet(
            f"Article {article_id} has no vector in the index yet; it gets one once the "
            "embedding worker reaches it (see `embeddings` in /ready). Try again shortly."
        )
    fields = list(dict.fromkeys(["id", *params.fields])) if params.fields else list(PUBLIC_FIELDS)
    body: dict[str, Any] = {
        "id": article_id,
        "embedder": EMBEDDER,
        "filter": clauses,
        "limit": params.limit,
        "attributesToRetrieve": [DOCUMENT_FIELD.get(f, f) for f in fields],
        "showRankingScore": True,
    }
    if params.min_score > 0:
        body["rankingScoreThreshold"] = params.min_score
    answer = await _similar(backend, body)
    return {
        "article_id": article_id,
        "filters": describe_filters(applied, _as_search_params(params)),
        "warnings": warnings,
        "hits": [
            {field: doc.get(DOCUMENT_FIELD.get(field, field)) for field in fields}
            | {"score": doc.get("_rankingScore", 0.0)}
            for doc in answer.get("hits", [])
        ],
        "processing_time_ms": answer.get("processingTimeMs", 0),
    }


def _as_search_params(params: RelatedParams) -> SearchParams:
    return SearchParams(include_duplicates=params.include_duplicates)


async def _similar(backend: SearchBackend, body: dict[str, Any]) -> dict[str, Any]:
    try:
        response = await backend.async_http.post(f"/indexes/{backend.index_uid}/similar", body)
    except MeiliUnreachable as exc:
        raise ServiceUnavailable("Search is temporarily unavailable; try again shortly.") from exc
    if response.status >= 400:
        payload = response.json()
        code = str(payload.get("code", "")) if isinstance(payload, dict) else ""
        if code == "not_found_similar_id":
            raise NotFound(f"No article with id {body['id']} in the index.")
        raise_for_code(backend, code, response.status)
        return {"hits": [], "processingTimeMs": 0}
    result: dict[str, Any] = response.json()
    return result
