"""GET /articles/{article_id}/related: more like this, by meaning."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.articles import service as article_service
from app.deps import EngineDep
from app.entities import service as entity_service
from app.errors import problem_responses
from app.search import related
from app.search.related_schemas import RelatedParams, RelatedResponse
from app.search.router import BackendDep, search_response

router = APIRouter(prefix="/articles", tags=["search"])


@router.get(
    "/{article_id}/related",
    response_model=RelatedResponse,
    responses=problem_responses(404, 409, 422, 502, 503),
    summary="Articles nearest in meaning to one article (more like this)",
)
async def related_articles(
    article_id: int,
    params: Annotated[RelatedParams, Query()],
    backend: BackendDep,
    engine: EngineDep,
) -> Response:
    """Closest first, by the similarity of the articles' vectors, under the usual filters;
    duplicates are left out unless `include_duplicates`. 404 for an unknown article; 409
    `no-vector-yet` while the article waits for its vector; 503 `embeddings-unavailable`
    when embeddings are off."""

    def look_up() -> tuple[list[str], list[str]]:
        with Session(engine) as session:
            article_service.get(session=session, article_id=article_id)
            if not params.entity:
                return [], []
            return entity_service.resolve_for_search(session, params.entity)

    entities, warnings = await run_in_threadpool(look_up)
    applied, clauses = related.build_filters(params, entities)
    answer = await related.related(
        backend=backend,
        article_id=article_id,
        params=params,
        applied=applied,
        clauses=clauses,
        warnings=warnings,
    )
    # As /search: the hits carry only the chosen fields, as built (the model documents it).
    return search_response(answer)
