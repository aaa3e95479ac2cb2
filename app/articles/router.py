"""HTTP routes for /articles."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.articles import service
from app.articles.cursor import SortOrder, page_position
from app.articles.schemas import (
    ArticleCreate,
    ArticleList,
    ArticlePublic,
    ArticleUpdate,
    DateSource,
    IsoDateTime,
)
from app.auth.deps import RequireRead, RequireWrite
from app.deps import JsonBody, SessionDep, SettingsDep
from app.errors import PayloadTooLarge, problem_responses

router = APIRouter(prefix="/articles", tags=["articles"])


def _check_body_size(body: str | None, limit: int) -> None:
    if body is not None and len(body) > limit:
        raise PayloadTooLarge(f"body has {len(body)} characters; the limit is {limit}.")


@router.post(
    "",
    response_model=ArticlePublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[RequireWrite, JsonBody],
    responses={
        200: {
            "model": ArticlePublic,
            "description": "Same url or external_id: updated or unchanged",
        },
        **problem_responses(400, 401, 403, 409, 413, 415, 422),
    },
    summary="Create an article, or upsert by url / external_id",
)
def create_article(
    data: ArticleCreate, session: SessionDep, settings: SettingsDep, response: Response
) -> ArticlePublic:
    """201 with Location for a new article. Posting the same url or external_id again returns
    200 with the same id: unchanged when the content is identical, updated otherwise."""
    _check_body_size(data.body, settings.MAX_BODY_CHARS)
    article, outcome = service.upsert(
        session=session, data=data, extract=settings.ENTITY_EXTRACTION_ENABLED
    )
    if outcome is service.Outcome.created:
        response.headers["Location"] = f"/articles/{article.id}"
    else:
        response.status_code = status.HTTP_200_OK
    response.headers["X-Upsert-Outcome"] = outcome.value
    return service.to_public(session=session, articles=[article])[0]


@router.get(
    "",
    response_model=ArticleList,
    dependencies=[RequireRead],
    responses=problem_responses(401, 422),
    summary="List articles from the database, newest or oldest first",
)
def list_articles(
    session: SessionDep,
    source: str | None = None,
    section: str | None = None,
    language: str | None = None,
    tag: Annotated[list[str], Query(description="Repeatable; every tag must match.")] = [],  # noqa: B006
    published_at_source: Annotated[
        list[DateSource],
        Query(
            description="Where `published_at` came from; repeatable, any of them matches "
            "(`feed` and `html_meta`: dates the publisher stated)."
        ),
    ] = [],  # noqa: B006
    published_from: IsoDateTime | None = None,
    published_to: IsoDateTime | None = None,
    sort: SortOrder = SortOrder.newest,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None, Query(min_length=1, description="`next` from the previous page.")
    ] = None,
    count: Annotated[bool, Query(description="Also return the total number of matches.")] = False,
) -> ArticleList:
    position = page_position(
        cursor=cursor, sort=sort, published_from=published_from, published_to=published_to
    )
    filters = service.ListFilters(
        source=source,
        section=section,
        language=language,
        tags=tag,
        published_at_sources=[s.value for s in published_at_source],
        published_from=published_from,
        published_to=published_to,
    )
    rows, next_cursor, total = service.list_articles(
        session=session, filters=filters, sort=sort, limit=limit, cursor=position, with_count=count
    )
    return ArticleList(
        data=service.to_public(session=session, articles=rows),
        next=next_cursor.encode() if next_cursor else None,
        count=total,
    )


@router.get(
    "/{article_id}",
    response_model=ArticlePublic,
    dependencies=[RequireRead],
    responses=problem_responses(401, 404, 422),
)
def get_article(article_id: int, session: SessionDep) -> ArticlePublic:
    article = service.get(session=session, article_id=article_id)
    return service.to_public(session=session, articles=[article])[0]


@router.patch(
    "/{article_id}",
    response_model=ArticlePublic,
    dependencies=[RequireWrite, JsonBody],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
    summary="Change some fields of an article",
)
def patch_article(
    article_id: int, changes: ArticleUpdate, session: SessionDep, settings: SettingsDep
) -> ArticlePublic:
    _check_body_size(changes.body, settings.MAX_BODY_CHARS)
    article = service.get(session=session, article_id=article_id)
    service.update(
        session=session,
        article=article,
        changes=changes,
        extract=settings.ENTITY_EXTRACTION_ENABLED,
    )
    return service.to_public(session=session, articles=[article])[0]


@router.put(
    "/{article_id}",
    response_model=ArticlePublic,
    dependencies=[RequireWrite, JsonBody],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
    summary="Replace an article; omitted optional fields are cleared",
)
def put_article(
    article_id: int, data: ArticleCreate, session: SessionDep, settings: SettingsDep
) -> ArticlePublic:
    _check_body_size(data.body, settings.MAX_BODY_CHARS)
    article = service.get(session=session, article_id=article_id)
    service.replace(
        session=session, article=article, data=data, extract=settings.ENTITY_EXTRACTION_ENABLED
    )
    return service.to_public(session=session, articles=[article])[0]


@router.delete(
    "/{article_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[RequireWrite],
    responses=problem_responses(401, 403, 404, 422),
)
def delete_article(article_id: int, session: SessionDep) -> Response:
    article = service.get(session=session, article_id=article_id)
    service.delete(session=session, article=article)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
