"""The article API contract: what clients send and what they get back."""

import enum
from datetime import UTC, datetime
from typing import Annotated, Any

import pycountry
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    PlainSerializer,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from app.entities.schemas import ArticleEntityPublic, EntityIn
from app.field_types import Text
from app.input_rules import NUL_MESSAGE, nul_location

TITLE_MAX_CHARS = 1000
MAX_LIST_ITEMS = 100
URL_MAX_CHARS = 2048


#: ISO 639-1 codes, lower case, as the schema lists them: "en", "fr", ...
LanguageCode = enum.StrEnum(  # type: ignore[misc]
    "LanguageCode",
    sorted(
        (language.alpha_2, language.alpha_2)
        for language in pycountry.languages
        if hasattr(language, "alpha_2")
    ),
)
_LANGUAGE_CODES = frozenset(LanguageCode.__members__)


def _iso_language(value: Any) -> Any:
    if not isinstance(value, str) or value not in _LANGUAGE_CODES:
        raise ValueError("must be an ISO 639-1 code in lower case, such as 'en' or 'fr'")
    return value


#: A lower-case ISO 639-1 code; the schema lists them (LanguageCode).
Language = Annotated[LanguageCode, BeforeValidator(_iso_language)]


_HTTP_URL = TypeAdapter(HttpUrl)


def _canonical_url(value: str) -> str:
    # The fragment never names a different article, so it is dropped before uniqueness checks.
    url = str(_HTTP_URL.validate_python(value)).split("#", 1)[0]
    if len(url) > URL_MAX_CHARS:
        raise ValueError(f"URL is longer than {URL_MAX_CHARS} characters")
    return url


def _unique_in_order(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _iso_text_only(value: Any) -> Any:
    # Pydantic would read a bare number as a Unix timestamp; the API promises ISO 8601 only.
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        raise ValueError("must be an ISO 8601 datetime with an offset, e.g. 2024-05-17T09:30:00Z")
    return value


def _is_number(text: str) -> bool:
    # Whatever reads as a number ("-8.1e-15", ".5", "5."), which no ISO 8601 text does.
    try:
        float(text)
    except ValueError:
        return False
    return True


def _utc_representable(value: datetime) -> datetime:
    # Year 1 at +14:00 or year 9999 at -14:00 is a valid ISO 8601 text but has no UTC time
    # within datetime's range; stored, compared and indexed in UTC, it must have one.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "must fall between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z once converted to UTC"
        ) from None
    return value


#: A timezone-aware ISO 8601 datetime with a UTC equivalent; naive values and bare numbers are
#: refused.
IsoDateTime = Annotated[
    AwareDatetime, BeforeValidator(_iso_text_only), AfterValidator(_utc_representable)
]

NonBlank = Annotated[str, Text()]
Title = Annotated[str, Text(max_length=TITLE_MAX_CHARS)]
ShortText = Annotated[str, Text(max_length=200)]
OptionalShortText = Annotated[str | None, Text(max_length=200, blank_is_null=True)]
OptionalText = Annotated[str | None, Text(blank_is_null=True)]
CanonicalUrl = Annotated[
    str, AfterValidator(_canonical_url), WithJsonSchema({"type": "string", "format": "uri"})
]
ExternalId = Annotated[str, Text(max_length=512)]
Tag = Annotated[str, Text(max_length=100)]
Tags = Annotated[list[Tag], Field(max_length=MAX_LIST_ITEMS), AfterValidator(_unique_in_order)]
Authors = Annotated[list[ShortText], Field(max_length=MAX_LIST_ITEMS)]
OptionalCaption = Annotated[str | None, Text(max_length=5000, blank_is_null=True)]
RelatedTitles = Annotated[list[Title], Field(max_length=MAX_LIST_ITEMS)]
ClientEntities = Annotated[list[EntityIn], Field(max_length=MAX_LIST_ITEMS)]
#: Datetimes leave the API as ISO 8601 with an explicit UTC offset ("+00:00").
UTCDateTimeOut = Annotated[
    datetime, PlainSerializer(lambda d: d.astimezone(UTC).isoformat(), return_type=str)
]


class DateSource(enum.StrEnum):
    """Where an article's `published_at` came from, most reliable first."""

    #: Stated by whoever stored the article (a JSON field, a query parameter, --published-at).
    client = "client"
    #: A corpus's or feed's own date field (Reuters' <DATE>, AllSides' date).
    feed = "feed"
    #: The page's metadata: JSON-LD datePublished, article:published_time and other date
    #: metas, <time datetime>.
    html_meta = "html_meta"
    #: A date in the URL's path (/2024/05/17/, /2024-05-17/).
    url = "url"
    #: A date written on the page or in the text ("Published 17 May 2024").
    text = "text"


#: Why a date source without a date is refused (a rule beyond the schema).
DATE_SOURCE_WITHOUT_DATE = "is given without a published_at"


def _without_nul(data: Any) -> Any:
    # One rule for every way an article arrives (JSON, bulk, raw text, the import command),
    # and for both databases: PostgreSQL can't store a NUL (app/input_rules.py).
    loc = nul_location(data)
    if loc is not None:
        where = ".".join(str(part) for part in loc) or "the article"
        raise ValueError(f"{where} {NUL_MESSAGE}")
    return data


ARTICLE_EXAMPLE: dict[str, Any] = {
    "url": "https://example.org/news/2024/05/harbour-bridge-reopens",
    "external_id": "example-2024-0517",
    "title": "Harbour bridge reopens after two-year repair",
    "summary": "Traffic returned to the city's main crossing on Friday.",
    "body": "The harbour bridge reopened to traffic on Friday after a repair that took two years...",
    "authors": ["Ana Lima"],
    "source": "Example Gazette",
    "section": "city",
    "language": "en",
    "tags": ["transport", "infrastructure"],
    "published_at": "2024-05-17T09:30:00+02:00",
    "published_at_source": "client",
    "modified_at": "2024-05-17T14:05:00+02:00",
}


class ArticleContent(BaseModel):
    """Fields a client may write. `published_at` must carry a timezone offset."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ARTICLE_EXAMPLE]})

    url: CanonicalUrl | None = Field(
        default=None, description="Canonical URL; unique when present."
    )
    external_id: ExternalId | None = Field(
        default=None, description="The publisher's or your own id; unique when present."
    )
    title: Title
    summary: OptionalText = None
    body: NonBlank
    authors: Authors = Field(default_factory=list)
    source: OptionalShortText = Field(default=None, description="Publisher name.")
    section: OptionalShortText = None
    language: Language = Field(
        default=LanguageCode("en"), description="ISO 639-1 code in lower case."
    )
    tags: Tags = Field(default_factory=list)
    published_at: IsoDateTime | None = Field(
        default=None,
        description="ISO 8601 with a timezone offset; naive datetimes are rejected. Stored in UTC.",
    )
    published_at_source: DateSource | None = Field(
        default=None,
        validate_default=True,
        description="Where published_at came from; `client` when published_at is given without "
        "it. Only with a published_at.",
    )
    modified_at: IsoDateTime | None = Field(
        default=None,
        description="When the publisher last changed the article, if known; ISO 8601 with an "
        "offset.",
    )
    image_caption: OptionalCaption = None
    credit: OptionalShortText = Field(default=None, description='Credit line, e.g. "Reuters".')
    related_titles: RelatedTitles = Field(
        default_factory=list, description='Titles of linked stories ("READ MORE: ...").'
    )
    entities: ClientEntities = Field(
        default_factory=list,
        description="Entities you name yourself; kept as given. The archive adds those it finds.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        return _without_nul(data)

    @field_validator("published_at_source")
    @classmethod
    def _date_source(cls, value: DateSource | None, info: ValidationInfo) -> DateSource | None:
        # A date without a stated source is the client's own; a source names a date's origin.
        if "published_at" not in info.data:
            return value  # the date itself is invalid, and reported
        if info.data["published_at"] is None:
            if value is not None:
                raise ValueError(DATE_SOURCE_WITHOUT_DATE)
            return None
        return value or DateSource.client


class ArticleCreate(ArticleContent):
    """Body of POST /articles and PUT /articles/{id}."""


class ArticleUpdate(BaseModel):
    """Body of PATCH /articles/{id}: only the fields given are changed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"section": "transport", "tags": ["bridges"]}]},
    )

    url: CanonicalUrl | None = None
    external_id: ExternalId | None = None
    title: Title | SkipJsonSchema[None] = None
    summary: OptionalText = None
    body: NonBlank | SkipJsonSchema[None] = None
    authors: Authors | SkipJsonSchema[None] = None
    source: OptionalShortText = None
    section: OptionalShortText = None
    language: Language | SkipJsonSchema[None] = None
    tags: Tags | SkipJsonSchema[None] = None
    published_at: IsoDateTime | None = Field(
        default=None, description="Without published_at_source, its source becomes `client`."
    )
    published_at_source: DateSource | None = None
    modified_at: IsoDateTime | None = None
    image_caption: OptionalCaption = None
    credit: OptionalShortText = None
    related_titles: RelatedTitles | SkipJsonSchema[None] = None
    entities: ClientEntities | SkipJsonSchema[None] = None

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        return _without_nul(data)

    @field_validator(
        "title", "body", "language", "authors", "tags", "related_titles", "entities", mode="before"
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Left out, these keep their value; null would clear what every article must have.
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value


ARTICLE_PUBLIC_EXAMPLE: dict[str, Any] = {
    "id": 1,
    **ARTICLE_EXAMPLE,
    "published_at": "2024-05-17T07:30:00+00:00",
    "published_at_source": "client",
    "modified_at": "2024-05-17T12:05:00+00:00",
    "created_at": "2024-05-17T08:00:00+00:00",
    "updated_at": "2024-05-17T08:00:00+00:00",
    "content_hash": "4f1c0e5d3b0a9f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899",
    "cluster_id": 1,
    "cluster_size": 3,
    "entities": [
        {
            "slug": "harbour-bridge",
            "name": "Harbour Bridge",
            "type": "facility",
            "mentions": 2,
            "source": "extracted",
        }
    ],
}


class ArticlePublic(BaseModel):
    """An article as stored."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [ARTICLE_PUBLIC_EXAMPLE]}
    )

    id: int
    url: str | None
    external_id: str | None
    title: str
    summary: str | None
    body: str
    authors: list[str]
    source: str | None
    section: str | None
    language: str
    tags: list[str]
    published_at: UTCDateTimeOut | None
    published_at_source: DateSource | None = Field(
        default=None,
        description="Where published_at came from: client, feed, html_meta, url or text "
        "(README: Publication dates). Null when there is no date, and on articles stored before "
        "sources were recorded.",
    )
    modified_at: UTCDateTimeOut | None = Field(
        default=None, description="When the publisher last changed the article, if known."
    )
    created_at: UTCDateTimeOut
    updated_at: UTCDateTimeOut
    content_hash: str = Field(description="SHA-256 of the normalised title, summary and body.")
    image_caption: str | None = None
    credit: str | None = None
    related_titles: list[str] = Field(default_factory=list)
    duplicate_of: int | None = Field(
        default=None,
        description="Id of the first stored article with the same content under another URL.",
    )
    cluster_id: int | None = Field(
        default=None,
        description="Its near-duplicate story cluster (GET /articles/{id}/cluster); null until "
        "clustered.",
    )
    cluster_size: int | None = Field(
        default=None, description="Articles in that cluster, this one included."
    )
    entities: list[ArticleEntityPublic] = Field(
        default_factory=list, description="Entities the article names, in order of first mention."
    )


class ArticleList(BaseModel):
    """A page of articles. Pass `next` back as `cursor` for the following page."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": [ARTICLE_PUBLIC_EXAMPLE],
                    "next": "eyJzIjoibmV3ZXN0IiwicCI6IjIwMjQtMDUtMTdUMDc6MzA6MDArMDA6MDAiLCJpIjoxfQ",
                    "count": None,
                }
            ]
        }
    )

    data: list[ArticlePublic]
    next: str | None = Field(description="Opaque cursor for the next page; null on the last page.")
    count: int | None = Field(
        default=None, description="Total matching articles, when requested with count=true."
    )
