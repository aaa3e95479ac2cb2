"""GET and POST /search."""

from collections.abc import Sequence
from functools import partial
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.deps import EngineDep, JsonBody
from app.entities import service as entity_service
from app.errors import ServiceUnavailable, problem_responses
from app.search import semantic, service
from app.search.backend import SearchBackend
from app.search.schemas import SearchBody, SearchParams, SearchResponse

router = APIRouter(prefix="/search", tags=["search"])


async def get_backend(request: Request) -> SearchBackend:
    backend: SearchBackend | None = request.app.state.search
    if backend is None:
        raise ServiceUnavailable("Search is not configured on this server (MEILI_URL is unset).")
    return backend


def _resolve_entities(engine: Engine, values: Sequence[str]) -> tuple[list[str], list[str]]:
    if not values:
        return [], []
    with Session(engine) as session:
        return entity_service.resolve_for_search(session, values)


async def get_entity_resolver(engine: EngineDep) -> service.EntityResolver:
    """Entity values by slug, name or alias as the database knows them.

    The database is touched only when a search names entities, so plain keyword searches
    (the hot path) cost no session and no extra thread hop.
    """
    return partial(_resolve_entities, engine)


BackendDep = Annotated[SearchBackend, Depends(get_backend)]
ResolverDep = Annotated[service.EntityResolver, Depends(get_entity_resolver)]
RESPONSES = problem_responses(422, 502, 503)


async def _search(
    params: SearchParams, backend: SearchBackend, resolver: service.EntityResolver, where: str
) -> Response:
    def make_plan() -> service.SearchPlan:
        return service.plan(
            index_uid=backend.index_uid,
            params=params,
            where=where,
            resolve_entities=resolver,
            default_semantic_ratio=backend.semantic_ratio_default,
        )

    # Entity names are looked up in the database: only then is a worker thread needed.
    needs_database = bool(params.entity or params.any_entity)
    search_plan = await run_in_threadpool(make_plan) if needs_database else make_plan()
    answer = await run_plan(backend, search_plan, params.q)
    return search_response(answer)


async def run_plan(
    backend: SearchBackend, search_plan: service.SearchPlan, q: str | None
) -> dict[str, Any]:
    """A planned search's answer; one that ranks by meaning gets the query's vector first."""
    if search_plan.semantic_ratio is not None:
        vector = await semantic.query_vector_async(backend.embeddings, q or "")
        search_plan.with_vector(vector)
    return await service.search_async(backend=backend, search_plan=search_plan)


def search_response(answer: dict[str, Any]) -> Response:
    """A search answer as JSON (orjson: the hits are the bulk of every search's CPU)."""
    return Response(orjson.dumps(answer), media_type="application/json")


@router.get(
    "",
    response_model=SearchResponse,
    responses=RESPONSES,
    summary="Search articles by keyword, meaning, date and entity",
)
async def search_get(
    params: Annotated[SearchParams, Query()], backend: BackendDep, resolver: ResolverDep
) -> Response:
    """Repeat list parameters (`entity=a&entity=b`); `fields` also takes commas. `entity`
    values are slugs, names or aliases; unknown ones are named in `query.warnings`.
    `mode=hybrid` or `mode=semantic` also rank by meaning (503 `embeddings-unavailable` when
    the embedding model is off or failed; keyword search is never affected)."""
    return await _search(params, backend, resolver, "query")


@router.post(
    "",
    response_model=SearchResponse,
    responses=problem_responses(400, 415, 422, 502, 503),
    dependencies=[JsonBody],
    summary="Search with the parameters in a JSON body (for long queries)",
)
async def search_post(params: SearchBody, backend: BackendDep, resolver: ResolverDep) -> Response:
    return await _search(params, backend, resolver, "body")
