"""GET /articles/{id}/revisions and /articles/{id}/revisions/{number}."""

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from app.articles import revisions, service
from app.articles.schemas import DateSource, UTCDateTimeOut
from app.auth.deps import RequireRead
from app.deps import SessionDep
from app.errors import problem_responses

router = APIRouter(prefix="/articles", tags=["articles"])


class RevisionSummary(BaseModel):
    """One earlier version of an article, and what the next version changed."""

    model_config = ConfigDict(from_attributes=True)

    number: int = Field(examples=[1], description="1 is the first version stored.")
    title: str = Field(examples=["Bridge closed for repairs"])
    published_at: UTCDateTimeOut | None = Field(examples=["2024-05-17T07:30:00+00:00"])
    published_at_source: DateSource | None = Field(default=None, examples=["html_meta"])
    modified_at: UTCDateTimeOut | None = Field(default=None, examples=[None])
    stored_at: UTCDateTimeOut = Field(description="When this version was stored.")
    replaced_at: UTCDateTimeOut = Field(description="When the next version replaced it.")
    changed: list[str] = Field(
        description="Fields the next version changed.", examples=[["title", "body"]]
    )


_REVISION_EXAMPLE: dict[str, JsonValue] = {
    "number": 1,
    "title": "Bridge closed for repairs",
    "published_at": "2024-05-17T07:30:00+00:00",
    "stored_at": "2024-05-17T07:31:00+00:00",
    "replaced_at": "2024-05-18T09:00:00+00:00",
    "changed": ["title", "body"],
}


class RevisionList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "article_id": 4,
                    "current_updated_at": "2024-05-18T09:00:00+00:00",
                    "revisions": [_REVISION_EXAMPLE],
                }
            ]
        }
    )

    article_id: int = Field(examples=[4])
    current_updated_at: UTCDateTimeOut = Field(description="When the current version was stored.")
    revisions: list[RevisionSummary] = Field(description="Earlier versions, newest first.")


class FieldChange(BaseModel):
    field: str = Field(examples=["title"])
    before: str | list[str] | UTCDateTimeOut | None = Field(examples=["Bridge closed for repairs"])
    after: str | list[str] | UTCDateTimeOut | None = Field(
        examples=["Bridge reopens after repairs"]
    )


class RevisionDetail(RevisionSummary):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_REVISION_EXAMPLE,
                    "summary": None,
                    "body": "The bridge closed on Monday.",
                    "url": "https://example.org/news/bridge",
                    "authors": ["A. Writer"],
                    "replaced_by": "current",
                    "changes": [
                        {
                            "field": "title",
                            "before": "Bridge closed for repairs",
                            "after": "Bridge reopens after repairs",
                        }
                    ],
                    "body_diff": "--- revision 1\n+++ current\n@@ -1 +1 @@\n-The bridge closed on Monday.\n+The bridge reopened on Friday.\n",
                }
            ]
        },
    )

    summary: str | None
    body: str
    url: str | None
    authors: list[str]
    replaced_by: str = Field(
        description="The version compared against: `revision N` or `current`.",
        examples=["current"],
    )
    changes: list[FieldChange] = Field(
        description="What the next version changed, except the body (see body_diff)."
    )
    body_diff: str = Field(
        description="Unified diff of the body against the next version ('' when unchanged).",
        examples=["--- revision 1\n+++ current\n@@ -1 +1 @@\n-closed\n+reopened\n"],
    )


@router.get(
    "/{article_id}/revisions",
    response_model=RevisionList,
    dependencies=[RequireRead],
    responses=problem_responses(401, 404, 422),
    summary="Earlier versions of an article, newest first",
)
def list_revisions(article_id: int, session: SessionDep) -> RevisionList:
    """An update that changes the title, summary, body, date, url or authors keeps the version
    it replaces. An article never changed has none."""
    article = service.get(session=session, article_id=article_id)
    return RevisionList(
        article_id=article_id,
        current_updated_at=article.updated_at,
        revisions=[
            RevisionSummary.model_validate(r) for r in revisions.list_revisions(session, article_id)
        ],
    )


@router.get(
    "/{article_id}/revisions/{number}",
    response_model=RevisionDetail,
    dependencies=[RequireRead],
    responses=problem_responses(401, 404, 422),
    summary="One earlier version of an article, and what the next version changed",
)
def get_revision(
    article_id: int,
    number: Annotated[int, Path(ge=1, le=revisions.MAX_REVISION_NUMBER)],
    session: SessionDep,
) -> RevisionDetail:
    article = service.get(session=session, article_id=article_id)
    revision, after = revisions.get_revision(session, article, number)
    after_name = "current" if after is article else f"revision {number + 1}"
    changes = [
        FieldChange(field=name, before=getattr(revision, name), after=getattr(after, name))
        for name in revision.changed
        if name != "body"
    ]
    return RevisionDetail(
        number=revision.number,
        title=revision.title,
        published_at=revision.published_at,
        published_at_source=revision.published_at_source,
        modified_at=revision.modified_at,
        stored_at=revision.stored_at,
        replaced_at=revision.replaced_at,
        changed=revision.changed,
        summary=revision.summary,
        body=revision.body,
        url=revision.url,
        authors=revision.authors,
        replaced_by=after_name,
        changes=changes,
        body_diff=revisions.body_diff(revision.body, after.body, number=number, to_name=after_name),
    )
