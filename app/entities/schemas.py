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
    "type_source": "evidence",
    "type_evidence": [{"type": "person", "articles": 12}],
    "forms": [
        {"form": "Nikol Pashinyan", "articles": 10, "in_context": 0},
        {"form": "Pashinyan", "articles": 12, "in_context": 9},
    ],
    "merges": [],
}


class SurfaceForm(BaseModel):
    form: str = Field(examples=["Pashinyan"])
    articles: int = Field(description="Articles that named the entity this way.")
    in_context: int = Field(
        description="Of those, articles whose own text tied this form to the entity's fuller name:"
        " the evidence that resolves the form in articles that use it alone."
    )


class TypeEvidence(BaseModel):
    type: EntityType
    articles: int = Field(description="Articles whose text made the entity this type.")


class MergePublic(BaseModel):
    """One entity folded into another, automatically or by an operator."""

    id: int
    into: str = Field(description="Slug of the entity that was kept.")
    merged: str = Field(description="Slug of the entity folded in; it now leads to `into`.")
    merged_name: str
    automatic: bool
    evidence: dict[str, Any] = Field(
        examples=[{"form": "pashinyan", "articles_tying_form_to_entity": 12}]
    )
    actor: str
    reason: str | None
    created_at: _UTCDateTimeOut
    undone_at: _UTCDateTimeOut | None
    undone_by: str | None


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
    type_source: str = Field(
        description="What decides the type: `evidence` (the articles' majority, or knowledge of"
        " countries and bodies) or `operator` (set by hand; evidence never overrules it)."
    )
    type_evidence: list[TypeEvidence] = Field(description="Articles per type, most first.")
    forms: list[SurfaceForm] = Field(description="How articles name it, most used first.")
    merges: list[MergePublic] = Field(description="Merges that formed it, newest first.")


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
    force: bool = Field(
        default=False,
        description="Merge even when the two types differ or the two were marked distinct.",
    )
    reason: str | None = Field(default=None, max_length=2000, description="Why, for the audit log.")


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


class Curation(BaseModel):
    """Who asked for a change, and why: kept in the audit log."""

    reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Why, for the audit log.",
        examples=["same person"],
    )


class DistinctCreate(Curation):
    """Mark two entities as different things: they are never merged automatically, and a
    manual merge of the two needs `force`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"first": "bernie-sanders", "second": "sarah-huckabee-sanders"}]
        },
    )

    first: Slug
    second: Slug


class DistinctPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "first": "bernie-sanders",
                    "second": "sarah-huckabee-sanders",
                    "actor": "key:editor#3",
                    "reason": "two people",
                    "created_at": "2026-12-01T10:00:00+00:00",
                }
            ]
        }
    )

    first: str
    second: str
    actor: str
    reason: str | None
    created_at: _UTCDateTimeOut


class BlockCreate(Curation):
    """A name that must never become an entity of its own."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"form": "State", "reason": "not a name"}]}
    )

    form: EntityName


class BlockedPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "form": "State",
                    "normalised": "state",
                    "actor": "key:editor#3",
                    "reason": "not a name",
                    "created_at": "2026-12-01T10:00:00+00:00",
                }
            ]
        }
    )

    form: str
    normalised: str
    actor: str
    reason: str | None
    created_at: _UTCDateTimeOut


class SplitCreate(Curation):
    """Move one way of naming an entity, and the articles that named it only that way, to an
    entity of its own."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"form": "Sanders", "name": "Sarah Huckabee Sanders"}]},
    )

    form: EntityName
    name: EntityName | None = Field(
        default=None, description="The new entity's name; the form if absent."
    )
    type: EntityType | None = Field(
        default=None, description="The new entity's type; the old one's if absent."
    )


class AuditEntryPublic(BaseModel):
    id: int
    at: _UTCDateTimeOut
    actor: str = Field(examples=["key:editor#3"])
    action: str = Field(examples=["merge"])
    entity: str
    other: str | None
    detail: dict[str, Any]
    reason: str | None


class AuditList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": [
                        {
                            "id": 7,
                            "at": "2026-12-01T10:00:00+00:00",
                            "actor": "system",
                            "action": "merge",
                            "entity": "barack-obama",
                            "other": "obama",
                            "detail": {"merge_id": 3, "automatic": True},
                            "reason": "short form resolved by the archive's evidence",
                        }
                    ],
                    "next": None,
                }
            ]
        }
    )

    data: list[AuditEntryPublic]
    next: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null at the end."
    )


class ConsolidationReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"short_forms_checked": 1200, "merged": 14, "entities": 9800}]
        }
    )

    short_forms_checked: int
    merged: int
    entities: int
