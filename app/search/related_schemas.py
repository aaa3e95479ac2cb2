"""The GET /articles/{id}/related contract: filters, score threshold and the response."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.search.schemas import (
    FIELD_NAMES_SCHEMA,
    PUBLIC_FIELDS,
    CommaList,
    DateOrDateTime,
    FilterValue,
    SearchHit,
)
from app.search.schemas import MAX_LIST_VALUES as MAX_VALUES

MAX_RELATED = 100


class RelatedParams(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: DateOrDateTime | None = Field(
        default=None, alias="from", description="Published on or after (date or datetime)."
    )
    to: DateOrDateTime | None = Field(
        default=None, description="Published on or before; a bare date includes the whole day."
    )
    source: list[FilterValue] = Field(default_factory=list, max_length=MAX_VALUES)
    entity: CommaList = Field(
        default_factory=list,
        max_length=MAX_VALUES,
        description="Every one must match (slug or name).",
    )
    include_duplicates: bool = Field(
        default=False, description="Also return articles recorded as duplicates of another."
    )
    min_score: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Least similarity (0 to 1; 0.5 is unrelated, 1 the same text).",
    )
    limit: int = Field(default=10, ge=1, le=MAX_RELATED)
    fields: CommaList = Field(
        default_factory=list,
        max_length=MAX_VALUES,
        json_schema_extra=FIELD_NAMES_SCHEMA,
        description=f"Fields to return (default all): {', '.join(PUBLIC_FIELDS)}.",
    )


class RelatedHit(SearchHit):
    score: float = Field(description="Similarity to the article, 0 to 1 (higher is closer).")


class RelatedResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "article_id": 1,
                    "filters": {"source": ["Example Gazette"]},
                    "warnings": [],
                    "hits": [
                        {
                            "id": 7,
                            "title": "Harbour bridge to close for repairs",
                            "published_at": "2024-05-02T07:30:00+00:00",
                            "source": "Example Gazette",
                            "score": 0.87,
                        }
                    ],
                    "processing_time_ms": 2,
                }
            ]
        }
    )

    article_id: int
    filters: dict[str, Any] = Field(description="The filters in force, as resolved.")
    warnings: list[str]
    hits: list[RelatedHit] = Field(description="Closest first; the article itself is left out.")
    processing_time_ms: int
