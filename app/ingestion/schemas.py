"""The ingestion API contract: imported pages with their cleaning report, bulk results."""

import enum

from pydantic import BaseModel, Field

from app.articles.schemas import ArticlePublic


class CleaningReport(BaseModel):
    """What the cleaning took out of the submitted text, so it can be checked (and disputed)."""

    removed: list[str] = Field(
        default_factory=list,
        description="Every line or fragment dropped from the body, in reading order.",
    )
    image_caption: str | None = Field(default=None, description="Caption lifted out of the text.")
    credit: str | None = Field(default=None, description='Credit line, e.g. "Reuters".')
    related_titles: list[str] = Field(
        default_factory=list, description='Titles of linked stories ("READ MORE: ...").'
    )


class ImportedArticle(ArticlePublic):
    """The stored article and what cleaning the submitted text involved."""

    cleaning: CleaningReport


class ItemStatus(enum.StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    error = "error"


class BulkItem(BaseModel):
    index: int = Field(description="Position of the article in the request, from 0.")
    status: ItemStatus
    id: int | None = Field(default=None, description="The stored article's id; null on error.")
    error: str | None = Field(default=None, description="Why this article was not stored.")


class BulkTotals(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error: int = 0


class BulkResult(BaseModel):
    """One entry per article sent, in order, and the count of each outcome."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "items": [
                        {"index": 0, "status": "created", "id": 41, "error": None},
                        {
                            "index": 1,
                            "status": "error",
                            "id": None,
                            "error": "line 2 is not JSON: Expecting value",
                        },
                        {"index": 2, "status": "unchanged", "id": 7, "error": None},
                    ],
                    "totals": {"created": 1, "updated": 0, "unchanged": 1, "error": 1},
                }
            ]
        }
    }

    items: list[BulkItem]
    totals: BulkTotals
