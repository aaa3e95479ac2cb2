"""The entity API contract, and the entity parts of the article contract."""

import enum
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue, SkipJsonSchema
from pydantic_core import CoreSchema

from app.entities.gazetteer import slugify
from app.entities.models import NAME_MAX_CHARS, SLUG_MAX_CHARS
from app.entities.types import EntitySource, EntityType
from app.field_types import JsonStrict, Text

EntityName = Annotated[str, Text(max_length=NAME_MAX_CHARS)]
Slug = Annotated[
    str, StringConstraints(max_length=SLUG_MAX_CHARS, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
]


def _makes_slug(char: str) -> bool:
    # What `slugify` keeps of a character: the ASCII letters and digits of its decomposition.
    return any(part.isascii() and part.isalnum() for part in unicodedata.normalize("NFKD", char))


@lru_cache(maxsize=1)
def sluggable_class() -> str:
    """A regex class of the characters a slug can be made from: those whose compatibility
    decomposition holds an ASCII letter or digit ("é", "ﬁ", "①"), as `slugify` reads them.

    Written with \\uXXXX escapes, which Python, ECMA 262 and Rust read alike, so it covers
    the Basic Multilingual Plane only (the mathematical letters beyond it are left out).
    Built with the schema, not at import: it walks the whole plane.
    """
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if not _makes_slug(chr(code)):
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = (
        f"\\u{first:04x}" if first == last else f"\\u{first:04x}-\\u{last:04x}"
        for first, last in ranges
    )
    return "[" + "".join(parts) + "]"


def _name_with_letters() -> str:
    # What `store.normalise` keeps: a letter or digit of any script (`[^\W_]`, in Python's
    # reading) or a character that makes a slug.
    return f"(?:[^\\W_]|{sluggable_class()})"


@dataclass(frozen=True)
class _Pattern:
    """A `pattern` for the JSON Schema only, built when the schema is: the server checks
    the same rule in code, with a message of its own."""

    pattern: Callable[[], str]

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(schema), "pattern": self.pattern()}


#: A name or alias that must have letters or digits to be looked up by.
LookupName = Annotated[EntityName, _Pattern(_name_with_letters)]


def _entity_in_schema(schema: dict[str, Any]) -> None:
    # Without a slug, the name must make one (`_has_a_slug`).
    schema["anyOf"] = [
        {"required": ["slug"], "properties": {"slug": {"type": "string"}}},
        {"properties": {"name": {"pattern": sluggable_class()}}},
    ]
    schema["examples"] = [
        {"name": "Harbour Authority", "type": "organization"},
        {"name": "Lisbon", "type": "place", "slug": "lisbon"},
    ]


_UTCDateTimeOut = Annotated[
    datetime, PlainSerializer(lambda d: d.astimezone(UTC).isoformat(), return_type=str)
]


class EntitySort(enum.StrEnum):
    articles = "articles"
    name = "name"


class EntityIn(BaseModel):
    """An entity the client names for an article; kept as given, never overridden."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_entity_in_schema)

    name: EntityName
    type: EntityType
    slug: Slug | None = Field(
        default=None,
        description=(
            "Lowercase words joined by hyphens. If absent, derived from the name (which then "
            f"needs a Latin letter or digit) and cut to {SLUG_MAX_CHARS} characters."
        ),
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
                self.slug = derived[:SLUG_MAX_CHARS].rstrip("-")
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

    alias: LookupName


class EntityMerge(BaseModel):
    """Merge entity `merge` into entity `into`; `merge` disappears."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"into": "nikol-pashinyan", "merge": "pashinyan"}]},
    )

    into: Slug
    merge: Slug
    force: Annotated[bool, JsonStrict()] = Field(
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

    name: EntityName | SkipJsonSchema[None] = None
    type: EntityType | SkipJsonSchema[None] = None

    @field_validator("name", "type", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value


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

    form: LookupName


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

    form: LookupName
    name: Annotated[EntityName, _Pattern(sluggable_class)] | None = Field(
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
