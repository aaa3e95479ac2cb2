"""HTTP routes for operators' corrections of entities (admin scope), all in the audit log.

Registered before `/entities/{slug}` so their fixed paths are not taken for slugs.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlmodel import col, select

from app.auth.deps import AdminKey
from app.auth.models import ApiKey
from app.deps import JsonBody, SessionDep
from app.entities import consolidation, curation, queries
from app.entities.models import EntityAuditEntry, EntityBlockedForm, EntityDistinctPair
from app.entities.schemas import (
    AuditEntryPublic,
    AuditList,
    BlockCreate,
    BlockedPublic,
    ConsolidationReport,
    Curation,
    DistinctCreate,
    DistinctPublic,
    EntityDetail,
    SplitCreate,
)
from app.errors import InvalidParameter, problem_responses

router = APIRouter(prefix="/entities", tags=["entity curation"])


def actor(key: ApiKey) -> str:
    """How the audit log names whoever made a change."""
    return f"key:{key.name}#{key.id}"


@router.get(
    "/audit",
    response_model=AuditList,
    responses=problem_responses(401, 403, 422),
    summary="The audit log of entity changes, newest first",
)
def audit_log(
    session: SessionDep,
    key: AdminKey,
    entity: Annotated[str | None, Query(max_length=200, description="Only this slug.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(min_length=1, description="`next` from the previous page.")
    ] = None,
) -> AuditList:
    query = select(EntityAuditEntry).order_by(col(EntityAuditEntry.id).desc())
    if entity is not None:
        query = query.where(
            (col(EntityAuditEntry.entity_slug) == entity)
            | (col(EntityAuditEntry.other_slug) == entity)
        )
    if cursor is not None:
        if not (cursor.isascii() and cursor.isdigit()) or not 0 < int(cursor) < 2**31:
            raise InvalidParameter(["query", "cursor"], "pass back a `next` value")
        query = query.where(col(EntityAuditEntry.id) < int(cursor))
    rows = list(session.exec(query.limit(limit + 1)).all())
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return AuditList(
        data=[
            AuditEntryPublic(
                id=row.id or 0,
                at=row.at,
                actor=row.actor,
                action=row.action,
                entity=row.entity_slug,
                other=row.other_slug,
                detail=row.detail,
                reason=row.reason,
            )
            for row in rows[:limit]
        ],
        next=next_cursor,
    )


@router.post(
    "/consolidate",
    response_model=ConsolidationReport,
    responses=problem_responses(401, 403),
    summary="Re-run resolution over the whole archive",
)
def consolidate(session: SessionDep, key: AdminKey) -> ConsolidationReport:
    """Short-form entities the archive's evidence now resolves are merged (each merge recorded
    and undoable) and every type follows its evidence. Articles are re-indexed as needed.
    `newsarchive entities consolidate` does the same with a progress bar."""
    report = consolidation.consolidate_all(session, actor=actor(key))
    return ConsolidationReport(**report)


@router.post(
    "/merges/{merge_id}/undo",
    response_model=EntityDetail,
    dependencies=[JsonBody],
    responses=problem_responses(400, 401, 403, 404, 409, 415, 422),
    summary="Undo a merge: the merged entity comes back with its articles",
)
def undo_merge(merge_id: int, body: Curation, session: SessionDep, key: AdminKey) -> EntityDetail:
    """Merge ids are listed in `merges` of GET /entities/{slug}. The two entities are then
    marked distinct, so the archive does not merge them again. 409 if already undone."""
    merge = curation.get_merge(session=session, merge_id=merge_id)
    restored = curation.undo_merge(
        session=session, merge=merge, actor=actor(key), reason=body.reason
    )
    return queries.detail(session=session, entity=restored)


@router.post(
    "/distinct",
    response_model=DistinctPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[JsonBody],
    responses={
        200: {"model": DistinctPublic, "description": "The pair was already marked"},
        **problem_responses(400, 401, 403, 404, 415, 422),
    },
    summary="Mark two entities as different things",
)
def mark_distinct(
    body: DistinctCreate, session: SessionDep, key: AdminKey, response: Response
) -> DistinctPublic:
    """They are never merged automatically; a manual merge of the two needs `force`."""
    first = queries.get_by_slug(session=session, slug=body.first)
    second = queries.get_by_slug(session=session, slug=body.second)
    if not curation.mark_distinct(
        session=session, first=first, second=second, actor=actor(key), reason=body.reason
    ):
        response.status_code = status.HTTP_200_OK
    low, high = sorted((first.slug, second.slug))
    pair = session.get(EntityDistinctPair, (low, high))
    assert pair is not None
    return DistinctPublic(
        first=pair.first,
        second=pair.second,
        actor=pair.actor,
        reason=pair.reason,
        created_at=pair.created_at,
    )


def _blocked(row: EntityBlockedForm) -> BlockedPublic:
    return BlockedPublic(
        form=row.form,
        normalised=row.normalised,
        actor=row.actor,
        reason=row.reason,
        created_at=row.created_at,
    )


@router.get(
    "/blocked-forms",
    response_model=list[BlockedPublic],
    responses=problem_responses(401, 403),
    summary="Names that never become entities",
)
def list_blocked(session: SessionDep, key: AdminKey) -> list[BlockedPublic]:
    rows = session.exec(select(EntityBlockedForm).order_by(col(EntityBlockedForm.normalised)))
    return [_blocked(row) for row in rows]


@router.post(
    "/blocked-forms",
    response_model=BlockedPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[JsonBody],
    responses={
        200: {"model": BlockedPublic, "description": "The form was already blocked"},
        **problem_responses(400, 401, 403, 409, 415, 422),
    },
    summary="Block a name from becoming an entity",
)
def block_form(
    body: BlockCreate, session: SessionDep, key: AdminKey, response: Response
) -> BlockedPublic:
    """Articles naming it alone no longer link an entity for it; where it is a secondary name
    of an entity, it stops finding that entity. 409 when it is an entity's only name: delete
    the entity instead (which blocks its name too)."""
    row, added = curation.block_form(
        session=session, form=body.form, actor=actor(key), reason=body.reason
    )
    if not added:
        response.status_code = status.HTTP_200_OK
    return _blocked(row)


@router.delete(
    "/blocked-forms/{form}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
    summary="Let a blocked name become an entity again",
)
def unblock_form(form: str, session: SessionDep, key: AdminKey) -> Response:
    curation.unblock_form(session=session, form=form, actor=actor(key))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{slug}/split",
    response_model=EntityDetail,
    status_code=status.HTTP_201_CREATED,
    dependencies=[JsonBody],
    responses=problem_responses(400, 401, 403, 404, 409, 415, 422),
    summary="Give one of an entity's names an entity of its own",
)
def split_entity(slug: str, body: SplitCreate, session: SessionDep, key: AdminKey) -> EntityDetail:
    """Articles whose text names the entity only by `form` move to the new entity; the two are
    marked distinct. 422 when `form` is not one of the entity's forms, or its only one."""
    entity = queries.get_by_slug(session=session, slug=slug)
    created = curation.split(
        session=session,
        entity=entity,
        form=body.form,
        name=body.name,
        type=body.type,
        actor=actor(key),
        reason=body.reason,
    )
    return queries.detail(session=session, entity=created)


@router.delete(
    "/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Delete a false entity",
)
def delete_entity(
    slug: str,
    session: SessionDep,
    key: AdminKey,
    reason: Annotated[str | None, Query(max_length=2000, description="For the audit log.")] = None,
) -> Response:
    """Its links go and its articles are re-indexed without it; its name is blocked so that
    extraction does not bring it back (DELETE /entities/blocked-forms/{form} lifts that).
    409 for the slug of an entity merged into another: name the survivor itself."""
    entity = curation.get_own(session=session, slug=slug)
    curation.delete_entity(session=session, entity=entity, actor=actor(key), reason=reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
