"""The entity API contract, and the entity parts of the article contract."""

import enum
from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

from app.entities.gazetteer import slugify
from app.entities.models import NAME_MAX_CHARS, SLUG_MAX_CHARS
from app.entities.types import EntitySource, EntityType

EntityName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_CHARS)
]
Slug = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=SLUG_MAX_CHARS, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
    ),
]
_UTCDateTimeOut = Annotated[
    datetime, PlainSerializer(lambda d: d.astimezone(UTC).isoformat(), return_type=str)
]


class EntitySort(enum.StrEnum):
    articles = "articles"
    name = "name"


class EntityIn(BaseModel):
    """An entity the client names for an article; kept as given, never overridden."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Harbour Authority", "type": "organization"},
                {"name": "Lisbon", "type": "place", "slug": "lisbon"},
            ]
        },
    )

    name: EntityName
    type: EntityType
    slug: Slug | None = Field(
        default=None, description="Lowercase words joined by hyphens; derived from name if absent."
    )

    @model_validator(mode="after")
    def _has_a_slug(self) -> Self:
        if self.slug is None:
            derived = slugify(self.name)
            if not derived:
                raise ValueError(
                    "name has no Latin letters or digits to make a slug from; give a slug"
                )
            if len(derived) > SLUG_MAX_CHARS:
                raise ValueError(f"name makes a slug over {SLUG_MAX_CHARS} characters; give a slug")
        return self


class ArticleEntityPublic(BaseModel):
    """An entity an article names."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "lisbon",
                    "name": "Lisbon",
                    "type": "place",
                    "mentions": 3,
                    "source": "extracted",
                }
            ]
        }
    )

    slug: str
    name: str
    type: EntityType
    mentions: int = Field(description="How often the article names it (0: only the client did).")
    source: EntitySource


class EntitySummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"slug": "armenia", "name": "Armenia", "type": "place", "article_count": 42}
            ]
        }
    )

    slug: str
    name: str
    type: EntityType
    article_count: int


class EntityList(BaseModel):
    """A page of entities. Pass `next` back as `cursor` for the following page."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": [
                        {"slug": "armenia", "name": "Armenia", "type": "place", "article_count": 42}
                    ],
                    "next": "eyJzIjoiYXJ0aWNsZXMiLCJjIjo0MiwiaSI6N30",
                }
            ]
        }
    )

    data: list[EntitySummary]
    next: str | None = Field(
        description="Opaque cursor for the next page; null on the last page and for `q`."
    )


class CoOccurrence(BaseModel):
    slug: str
    name: str
    type: EntityType
    count: int = Field(description="Articles naming both entities.")


class MonthCount(BaseModel):
    month: str = Field(examples=["2024-05"], description="UTC year and month.")
    count: int


ENTITY_EXAMPLE: dict[str, Any] = {
    "slug": "nikol-pashinyan",
    "name": "Nikol Pashinyan",
    "type": "person",
    "aliases": ["Nikol Pashinyan", "Pashinyan"],
    "within": None,
    "article_count": 12,
    "first_seen": "2020-09-28T08:00:00+00:00",
    "last_seen": "2021-05-27T10:15:00+00:00",
    "co_occurring": [{"slug": "armenia", "name": "Armenia", "type": "place", "count": 12}],
    "months": [{"month": "2020-09", "count": 4}, {"month": "2021-05", "count": 8}],
}


class EntityDetail(BaseModel):
    """An entity with what the archive knows about it."""

    model_config = ConfigDict(json_schema_extra={"examples": [ENTITY_EXAMPLE]})

    slug: str
    name: str
    type: EntityType
    aliases: list[str] = Field(description="Other names that find this entity, sorted.")
    within: str | None = Field(description="Slug of the place containing this one, if any.")
    article_count: int
    first_seen: _UTCDateTimeOut | None = Field(description="Earliest published_at of its articles.")
    last_seen: _UTCDateTimeOut | None = Field(description="Latest published_at of its articles.")
    co_occurring: list[CoOccurrence] = Field(
        description="Entities most often named in the same articles, most frequent first."
    )
    months: list[MonthCount] = Field(description="Dated articles per month, oldest first.")


class AliasCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"alias": "PM"}]})

    alias: EntityName


class EntityMerge(BaseModel):
    """Merge entity `merge` into entity `into`; `merge` disappears."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"into": "nikol-pashinyan", "merge": "pashinyan"}]},
    )

    into: Slug
    merge: Slug
    force: bool = Field(default=False, description="Merge even when the two types differ.")


class EntityUpdate(BaseModel):
    """Body of PATCH /entities/{slug}: only the fields given are changed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Nikol Pashinyan", "type": "person"}]},
    )

    name: EntityName | None = None
    type: EntityType | None = None

    @model_validator(mode="after")
    def _not_nulled(self) -> Self:
        for name in ("name", "type"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self
