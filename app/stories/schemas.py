"""The story cluster contract: GET /articles/{id}/cluster."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.articles.schemas import UTCDateTimeOut

CLUSTER_EXAMPLE: dict[str, Any] = {
    "cluster_id": 1,
    "size": 2,
    "first_article_id": 1,
    "members": [
        {
            "id": 1,
            "title": "Harbour bridge reopens after two-year repair",
            "source": "Example Wire",
            "url": "https://wire.example/bridge",
            "published_at": "2024-05-17T07:30:00+00:00",
            "duplicate_of": None,
        },
        {
            "id": 4,
            "title": "City's main bridge open again",
            "source": "Example Gazette",
            "url": "https://gazette.example/bridge",
            "published_at": "2024-05-17T09:00:00+00:00",
            "duplicate_of": None,
        },
    ],
}


class ClusterMember(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    source: str | None
    url: str | None
    published_at: UTCDateTimeOut | None
    duplicate_of: int | None = Field(
        description="Set when the member repeats another's exact text (see articles)."
    )


class ClusterPublic(BaseModel):
    """The articles that tell one story, the first publisher first."""

    model_config = ConfigDict(json_schema_extra={"examples": [CLUSTER_EXAMPLE]})

    cluster_id: int = Field(description="The id of the article that started the cluster.")
    size: int = Field(description="Articles in the cluster.")
    first_article_id: int = Field(
        description="The first publisher: the earliest published member (undated ones last, "
        "then by id)."
    )
    members: list[ClusterMember] = Field(
        description="In order of publication (undated last); at most `limit` of them."
    )
