"""GET and POST /search."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from app.deps import JsonBody, SessionDep
from app.entities import service as entity_service
from app.errors import ServiceUnavailable, problem_responses
from app.search import service
from app.search.backend import SearchBackend
from app.search.schemas import SearchParams, SearchResponse

router = APIRouter(prefix="/search", tags=["search"])


async def get_backend(request: Request) -> SearchBackend:
    backend: SearchBackend | None = request.app.state.search
    if backend is None:
        raise ServiceUnavailable("Search is not configured on this server (MEILI_URL is unset).")
    return backend


def get_entity_resolver(session: SessionDep) -> service.EntityResolver:
    """Entity values by slug, name or alias as the database knows them."""
    return partial(entity_service.resolve_for_search, session)


BackendDep = Annotated[SearchBackend, Depends(get_backend)]
ResolverDep = Annotated[service.EntityResolver, Depends(get_entity_resolver)]
RESPONSES = problem_responses(422, 502, 503)


def _respond(result: SearchResponse) -> JSONResponse:
    # Fields not chosen with `fields=` are left out rather than sent as null.
    return JSONResponse(result.model_dump(mode="json", by_alias=True, exclude_unset=True))


@router.get(
    "",
    response_model=SearchResponse,
    responses=RESPONSES,
    summary="Search articles by keyword, date and entity",
)
def search_get(
    params: Annotated[SearchParams, Query()], backend: BackendDep, resolver: ResolverDep
) -> JSONResponse:
    """Repeat list parameters (`entity=a&entity=b`); `fields` also takes commas. `entity`
    values are slugs, names or aliases; unknown ones are named in `query.warnings`."""
    return _respond(
        service.search(backend=backend, params=params, where="query", resolve_entities=resolver)
    )


@router.post(
    "",
    response_model=SearchResponse,
    responses=problem_responses(415, 422, 502, 503),
    dependencies=[JsonBody],
    summary="Search with the parameters in a JSON body (for long queries)",
)
def search_post(params: SearchParams, backend: BackendDep, resolver: ResolverDep) -> JSONResponse:
    return _respond(
        service.search(backend=backend, params=params, where="body", resolve_entities=resolver)
    )
