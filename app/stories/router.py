"""GET /articles/{id}/cluster."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.articles import service as articles_service
from app.auth.deps import RequireRead
from app.deps import SessionDep
from app.errors import problem_responses
from app.stories import service
from app.stories.schemas import ClusterPublic

router = APIRouter(prefix="/articles", tags=["stories"])


@router.get(
    "/{article_id}/cluster",
    response_model=ClusterPublic,
    dependencies=[RequireRead],
    responses=problem_responses(401, 404, 422),
    summary="The near-duplicate story an article belongs to, first publisher first",
)
def get_cluster(
    article_id: int,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most members listed.")] = 100,
) -> ClusterPublic:
    """Every article whose text is nearly the same as this one's (syndicated copies, edits,
    other headlines), with their sources and dates. 404 when the article does not exist or
    has not been clustered yet (stored before clustering; run `newsarchive clusters rebuild`)."""
    article = articles_service.get(session=session, article_id=article_id)
    return service.cluster_of(session=session, article=article, limit=limit)
