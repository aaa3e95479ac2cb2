"""The /search contract: parameters (query string or JSON body) and the response."""

import enum
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.articles.schemas import DateSource
from app.field_types import WHITESPACE, JsonStrict, Text
from app.input_rules import MAX_VALUES_PER_PARAMETER

MAX_PER_PAGE = 100
#: Values in one list parameter, in a query string or a JSON body, as for every repeated
#: query parameter (app/input_rules.py): each is a condition, resolved or sent on.
MAX_LIST_VALUES = MAX_VALUES_PER_PARAMETER
MAX_QUERY_CHARS = 1000
CURSOR_START = "*"


class SearchSort(enum.StrEnum):
    relevance = "relevance"
    newest = "newest"
    oldest = "oldest"


class SearchMode(enum.StrEnum):
    keyword = "keyword"
    hybrid = "hybrid"
    semantic = "semantic"


class Collapse(enum.StrEnum):
    cluster = "cluster"


class Counted(enum.StrEnum):
    articles = "articles"
    stories = "stories"


class Facet(enum.StrEnum):
    entity = "entity"
    entity_type = "entity_type"
    source = "source"
    section = "section"
    language = "language"
    month = "month"
    tag = "tag"
    published_at_source = "published_at_source"


class EntityTypeName(enum.StrEnum):
    person = "person"
    organization = "organization"
    place = "place"
    group = "group"
    facility = "facility"
    event = "event"
    product = "product"
    work = "work"
    law = "law"


#: Fields a hit can carry; `fields=` chooses among them.
PUBLIC_FIELDS = (
    "id",
    "url",
    "external_id",
    "title",
    "summary",
    "body",
    "authors",
    "source",
    "section",
    "language",
    "tags",
    "published_at",
    "published_at_source",
    "modified_at",
    "entities",
    "duplicate_of",
    "cluster_id",
    "cluster_size",
    "image_caption",
    "credit",
    "related_titles",
)


_SPACES = "[" + "".join(f"\\u{ord(char):04x}" for char in WHITESPACE) + "]*"
_FIELD_NAME = f"{_SPACES}(?:(?:{'|'.join(PUBLIC_FIELDS)}){_SPACES})?"
#: One field name, or several joined by commas; spaces around a name and empty names are
#: ignored, as `_split_commas` reads them.
_FIELD_NAMES_PATTERN = f"^{_FIELD_NAME}(?:,{_FIELD_NAME})*$"
#: The schema of a `fields` list: each item one name or several joined by commas.
FIELD_NAMES_SCHEMA: dict[str, Any] = {"items": {"type": "string", "pattern": _FIELD_NAMES_PATTERN}}


def _split_commas(value: Any) -> Any:
    """Accept `fields=a,b` as well as repeated `fields=a&fields=b`.

    The list as sent is held to the schema first (text items, at most MAX_LIST_VALUES of
    them), so that dropping blank names never lets through a list the schema refuses."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        if len(value) > MAX_LIST_VALUES:
            raise ValueError(f"at most {MAX_LIST_VALUES} values")
        if not all(isinstance(item, str) for item in value):
            raise ValueError("every value must be text")
        parts = [part.strip() for item in value for part in item.split(",") if part.strip()]
        parts = list(dict.fromkeys(parts))  # a value given twice is one value
        if len(parts) > MAX_LIST_VALUES:
            raise ValueError(
                f"at most {MAX_LIST_VALUES} values in all, counting each comma-separated one"
            )
        return parts
    return value


def _date_or_datetime(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(
                "must be an ISO 8601 date (2024-05-17) or datetime with offset (2024-05-17T09:30:00+02:00)"
            ) from exc
        if parsed.tzinfo is None:
            raise ValueError("datetime needs a timezone offset, e.g. 2024-05-17T09:30:00Z")
        return parsed
    if not isinstance(value, date):
        # Not a Unix timestamp either: ISO 8601 text only, as for every datetime of the API.
        raise ValueError("must be an ISO 8601 date (2024-05-17) or datetime with offset")
    return value


#: A source, section, language or tag to match: Meilisearch trims facet values and keeps no
#: blank one, so a blank value could never match and is refused.
FilterValue = Annotated[str, Text()]
DateOrDateTime = Annotated[date | datetime, BeforeValidator(_date_or_datetime)]
CommaList = Annotated[list[str], BeforeValidator(_split_commas)]


def _json_list(value: Any) -> Any:
    """A JSON body writes a list as an array: one bare string is not one."""
    if not isinstance(value, list):
        raise ValueError("must be an array of strings")
    return value


#: A CommaList as a JSON body takes it: an array, never a bare string.
JsonCommaList = Annotated[CommaList, BeforeValidator(_json_list)]


def start_of(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


def end_of(value: date | datetime) -> datetime:
    """Inclusive end: a bare date means the whole UTC day."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.max, tzinfo=UTC)


class SearchQuery(BaseModel):
    """Which articles: keywords, dates and filters. /search adds paging and presentation
    (SearchParams); export, timelines and counts take these as they are."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    q: str | None = Field(
        default=None,
        max_length=MAX_QUERY_CHARS,
        description='Keywords (typo tolerant); "exact phrase"; -excluded word.',
    )
    from_: DateOrDateTime | None = Field(
        default=None, alias="from", description="Published on or after (date or datetime)."
    )
    to: DateOrDateTime | None = Field(
        default=None, description="Published on or before; a bare date includes the whole day."
    )
    entity: CommaList = Field(
        default_factory=list,
        max_length=MAX_LIST_VALUES,
        description="Every one must match (slug or name).",
    )
    any_entity: CommaList = Field(
        default_factory=list, max_length=MAX_LIST_VALUES, description="At least one must match."
    )
    entity_type: list[EntityTypeName] = Field(
        default_factory=list,
        max_length=MAX_LIST_VALUES,
        description="Articles mentioning an entity of one of these types.",
    )
    include_places_within: bool = Field(
        default=False, description="A place entity also matches articles naming places inside it."
    )
    source: list[FilterValue] = Field(default_factory=list, max_length=MAX_LIST_VALUES)
    section: list[FilterValue] = Field(default_factory=list, max_length=MAX_LIST_VALUES)
    language: list[FilterValue] = Field(default_factory=list, max_length=MAX_LIST_VALUES)
    tag: list[FilterValue] = Field(default_factory=list, max_length=MAX_LIST_VALUES)
    published_at_source: list[DateSource] = Field(
        default_factory=list,
        max_length=MAX_LIST_VALUES,
        description="Where `published_at` came from; at least one must match (`feed` and "
        "`html_meta`: dates the publisher stated).",
    )
    include_duplicates: bool = Field(
        default=False, description="Also return articles recorded as duplicates of another."
    )


class SearchParams(SearchQuery):
    """What to search for. The same fields work as query parameters (GET) or a JSON body (POST)."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "q": 'oil prices -futures "opec meeting"',
                    "from": "1987-03-01",
                    "to": "1987-03-31",
                    "entity": ["saudi-arabia"],
                    "sort": "newest",
                    "facets": ["source", "month"],
                    "highlight": True,
                }
            ]
        },
    )

    mode: SearchMode = Field(
        default=SearchMode.keyword,
        description="keyword (default) | hybrid: keywords and meaning blended by "
        "`semantic_ratio` | semantic: by meaning only. hybrid and semantic need `q` and sort "
        "by relevance (no `cursor`); they answer 503 when embeddings are off or the model "
        "is unavailable.",
    )
    semantic_ratio: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="mode=hybrid only: weight of the meaning side, 0 (keywords only) to 1 "
        "(meaning only); default SEMANTIC_RATIO_DEFAULT (0.5).",
    )
    collapse: Collapse | None = Field(
        default=None,
        description="cluster: one hit per near-duplicate story (its best-ranked member), with "
        "`cluster_size`; `total` and `facets` then count stories. Not with `cursor`.",
    )
    sort: SearchSort | None = Field(
        default=None, description="relevance (default when q is given) | newest | oldest."
    )
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=20, ge=1, le=MAX_PER_PAGE)
    cursor: str | None = Field(
        default=None,
        min_length=1,
        description="Walk a newest/oldest result set with no depth cap: pass '*' first, then `next`.",
    )
    facets: list[Facet] = Field(
        default_factory=list,
        max_length=MAX_LIST_VALUES,
        description="Counts per value, under the filters.",
    )
    highlight: bool = False
    highlight_pre_tag: str = Field(default="<mark>", max_length=100)
    highlight_post_tag: str = Field(default="</mark>", max_length=100)
    crop_length: int = Field(default=40, ge=5, le=500, description="Words in the body snippet.")
    fields: CommaList = Field(
        default_factory=list,
        max_length=MAX_LIST_VALUES,
        json_schema_extra=FIELD_NAMES_SCHEMA,
        description=f"Fields to return (default all): {', '.join(PUBLIC_FIELDS)}.",
    )


JsonBool = Annotated[bool, JsonStrict()]
JsonInt = Annotated[int, JsonStrict()]


class SearchQueryBody(SearchQuery):
    """The query fields as a JSON body takes them: booleans as JSON writes them."""

    include_places_within: JsonBool = SearchQuery.model_fields["include_places_within"]  # type: ignore[assignment]
    include_duplicates: JsonBool = SearchQuery.model_fields["include_duplicates"]  # type: ignore[assignment]
    entity: JsonCommaList = SearchQuery.model_fields["entity"]  # type: ignore[assignment]
    any_entity: JsonCommaList = SearchQuery.model_fields["any_entity"]  # type: ignore[assignment]


class SearchBody(SearchParams):
    """The parameters as a JSON body: booleans and numbers as JSON writes them (`true`, not
    `1`; `20`, not `"20"`), where the query string can only send text."""

    include_places_within: JsonBool = SearchParams.model_fields["include_places_within"]  # type: ignore[assignment]
    include_duplicates: JsonBool = SearchParams.model_fields["include_duplicates"]  # type: ignore[assignment]
    entity: JsonCommaList = SearchParams.model_fields["entity"]  # type: ignore[assignment]
    any_entity: JsonCommaList = SearchParams.model_fields["any_entity"]  # type: ignore[assignment]
    fields: JsonCommaList = SearchParams.model_fields["fields"]  # type: ignore[assignment]
    highlight: JsonBool = False
    page: JsonInt = SearchParams.model_fields["page"]  # type: ignore[assignment]
    per_page: JsonInt = SearchParams.model_fields["per_page"]  # type: ignore[assignment]
    crop_length: JsonInt = SearchParams.model_fields["crop_length"]  # type: ignore[assignment]
    semantic_ratio: float | None = Field(
        default=None,
        ge=0,
        le=1,
        strict=True,
        description=SearchParams.model_fields["semantic_ratio"].description,
    )


class AppliedQuery(BaseModel):
    q: str | None
    filters: dict[str, Any] = Field(description="The filters in force, as resolved.")
    sort: SearchSort
    warnings: list[str]


class EntityRef(BaseModel):
    slug: str
    name: str
    type: str


class SearchHit(BaseModel):
    """An article found. Fields not chosen with `fields=` are absent."""

    model_config = ConfigDict(populate_by_name=True)

    id: int
    url: str | None = None
    external_id: str | None = None
    title: str | None = None
    summary: str | None = None
    body: str | None = None
    authors: list[str] | None = None
    source: str | None = None
    section: str | None = None
    language: str | None = None
    tags: list[str] | None = None
    published_at: str | None = None
    published_at_source: DateSource | None = Field(
        default=None, description="Where published_at came from (see ArticlePublic)."
    )
    modified_at: str | None = None
    entities: list[EntityRef] | None = None
    duplicate_of: int | None = None
    cluster_id: int | None = None
    cluster_size: int | None = None
    image_caption: str | None = None
    credit: str | None = None
    related_titles: list[str] | None = None
    highlights: dict[str, str] | None = Field(
        default=None,
        alias="_highlights",
        description="title and summary with matches wrapped in tags; body is a snippet.",
    )
    matches_position: dict[str, list[dict[str, int]]] | None = Field(
        default=None,
        alias="_matches_position",
        description="Byte offsets of the matches per field.",
    )


class SearchResponse(BaseModel):
    """A page of hits. `mode`, `semantic_ratio` and `semantic_hits` say how it was found."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "query": {
                        "q": "bridge",
                        "filters": {"source": ["Example Gazette"]},
                        "sort": "relevance",
                        "warnings": [],
                    },
                    "total": 1,
                    "page": 1,
                    "per_page": 20,
                    "next": None,
                    "hits": [
                        {
                            "id": 1,
                            "title": "Harbour bridge reopens",
                            "published_at": "2024-05-17T07:30:00+00:00",
                            "published_at_source": "html_meta",
                            "source": "Example Gazette",
                            "_highlights": {"title": "Harbour <mark>bridge</mark> reopens"},
                        }
                    ],
                    "facets": {"source": {"Example Gazette": 1}},
                    "processing_time_ms": 1,
                    "mode": "keyword",
                    "semantic_ratio": None,
                    "semantic_hits": None,
                }
            ]
        }
    )

    query: AppliedQuery
    total: int = Field(
        description="Matching articles, or stories with collapse=cluster (exact, up to the "
        "index's maxTotalHits)."
    )
    counts: Counted = Field(
        default=Counted.articles,
        description="What `total` and `facets` count: articles, or stories (collapse=cluster: "
        "each story once, under the facet values of the member shown for it).",
    )
    page: int | None = Field(description="Page mode: this page's number; null in cursor mode.")
    per_page: int
    next: str | None = Field(
        description="Cursor mode: pass as `cursor` for the next page; else null."
    )
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]
    processing_time_ms: int
    mode: SearchMode = SearchMode.keyword
    semantic_ratio: float | None = Field(
        default=None, description="The meaning side's weight in force; null for keyword."
    )
    semantic_hits: int | None = Field(
        default=None,
        description="hybrid and semantic: how many hits of this page the meaning side found "
        "(ranked above their keyword score); null for keyword.",
    )
