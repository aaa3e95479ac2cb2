"""HTTP routes for /entities."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.articles import service as articles_service
from app.articles.cursor import SortOrder, page_position
from app.articles.schemas import ArticleList, IsoDateTime
from app.auth.deps import RequireRead, RequireWrite, WriteKey
from app.deps import JsonBody, SessionDep
from app.entities import service
from app.entities.curation_router import actor
from app.entities.models import Entity
from app.entities.schemas import (
    AliasCreate,
    EntityDetail,
    EntityList,
    EntityMerge,
    EntitySort,
    EntitySummary,
    EntityUpdate,
)
from app.entities.types import EntityType
from app.errors import InvalidParameter, problem_responses

router = APIRouter(prefix="/entities", tags=["entities"])


def _summary(entity: Entity, count: int) -> EntitySummary:
    return EntitySummary(
        slug=entity.slug, name=entity.name, type=EntityType(entity.type), article_count=count
    )


@router.get(
    "",
    response_model=EntityList,
    dependencies=[RequireRead],
    responses=problem_responses(401, 422),
    summary="List entities with article counts, or complete a name",
)
def list_entities(
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Autocomplete: names and aliases starting with q, then close misspellings.",
        ),
    ] = None,
    type: EntityType | None = None,
    sort: EntitySort = EntitySort.articles,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None, Query(min_length=1, description="`next` from the previous page.")
    ] = None,
) -> EntityList:
    """Without `q`, every entity, most named (or alphabetical) first, a page at a time. With
    `q`, the best `limit` matches, best first, in one page."""
    if q is not None and q.strip():
        if cursor is not None:
            raise InvalidParameter(["query", "cursor"], "autocomplete (q) returns one page only")
        matches = service.autocomplete(session=session, q=q, type=type, limit=limit)
        return EntityList(data=[_summary(e, n) for e, n in matches], next=None)
    position = None
    if cursor is not None:
        try:
            position = service.EntityCursor.decode(cursor, sort)
        except service.InvalidEntityCursor as exc:
            raise InvalidParameter(["query", "cursor"], str(exc)) from exc
    rows, next_cursor = service.list_entities(
        session=session, type=type, sort=sort, limit=limit, cursor=position
    )
    return EntityList(
        data=[_summary(e, n) for e, n in rows],
        next=next_cursor.encode() if next_cursor else None,
    )


@router.get(
    "/{slug}",
    response_model=EntityDetail,
    dependencies=[RequireRead],
    responses=problem_responses(401, 404, 422),
    summary="One entity: aliases, article counts over time, entities named alongside",
)
def get_entity(slug: str, session: SessionDep) -> EntityDetail:
    return service.detail(session=session, entity=service.get_by_slug(session=session, slug=slug))


@router.get(
    "/{slug}/articles",
    response_model=ArticleList,
    dependencies=[RequireRead],
    responses=problem_responses(401, 404, 422),
    summary="Articles naming the entity, newest or oldest first",
)
def entity_articles(
    slug: str,
    session: SessionDep,
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
    entity = service.get_by_slug(session=session, slug=slug)
    rows, next_cursor, total = service.list_articles(
        session=session,
        entity=entity,
        sort=sort,
        limit=limit,
        published_from=published_from,
        published_to=published_to,
        cursor=position,
        with_count=count,
    )
    return ArticleList(
        data=articles_service.to_public(session=session, articles=rows),
        next=next_cursor.encode() if next_cursor else None,
        count=total,
    )


@router.post(
    "/{slug}/aliases",
    response_model=EntityDetail,
    status_code=status.HTTP_201_CREATED,
    dependencies=[RequireWrite, JsonBody],
    responses={
        200: {"model": EntityDetail, "description": "The entity already had this alias"},
        **problem_responses(400, 401, 403, 404, 409, 415, 422),
    },
    summary="Give an entity another name that finds it",
)
def add_alias(
    slug: str, body: AliasCreate, session: SessionDep, response: Response
) -> EntityDetail:
    """409 names the entity that already owns the alias. The entity's articles are
    re-indexed so searches by the alias find them."""
    entity = service.get_by_slug(session=session, slug=slug)
    if not service.add_alias(session=session, entity=entity, alias=body.alias):
        response.status_code = status.HTTP_200_OK
    return service.detail(session=session, entity=entity)


@router.post(
    "/merge",
    response_model=EntityDetail,
    dependencies=[JsonBody],
    responses=problem_responses(400, 401, 403, 404, 409, 415, 422),
    summary="Merge one entity into another",
)
def merge_entities(body: EntityMerge, session: SessionDep, key: WriteKey) -> EntityDetail:
    """`merge` disappears: its articles, mention counts, aliases and name move to `into`, its
    slug keeps leading there, and every affected article is re-indexed. Different types need
    `force`."""
    into = service.get_by_slug(session=session, slug=body.into)
    merged = service.get_by_slug(session=session, slug=body.merge)
    kept = service.merge(
        session=session,
        into=into,
        merged=merged,
        force=body.force,
        actor=actor(key),
        reason=body.reason,
    )
    return service.detail(session=session, entity=kept)


@router.patch(
    "/{slug}",
    response_model=EntityDetail,
    dependencies=[JsonBody],
    responses=problem_responses(400, 401, 403, 404, 409, 415, 422),
    summary="Rename or retype an entity",
)
def patch_entity(
    slug: str, changes: EntityUpdate, session: SessionDep, key: WriteKey
) -> EntityDetail:
    """The old name stays an alias. The entity's articles are re-indexed."""
    entity = service.get_by_slug(session=session, slug=slug)
    service.update(session=session, entity=entity, changes=changes, actor=actor(key))
    return service.detail(session=session, entity=entity)
