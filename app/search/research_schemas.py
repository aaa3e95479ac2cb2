"""Contracts of /search/export, /search/timeline and /search/counts.

Each takes the search's own query fields (SearchQuery: q, dates, entities, filters), so a
query that works on /search works here. Timelines and counts also take labelled queries:
the top-level fields apply to every one of them, and a field a labelled query sets itself
replaces the top-level value for that query.
"""

import enum
from collections import Counter
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from app import time_buckets
from app.field_types import Text
from app.search.export_formats import ExportFormat
from app.search.schemas import (
    FIELD_NAMES_SCHEMA,
    MAX_LIST_VALUES,
    CommaList,
    JsonBool,
    JsonCommaList,
    SearchQuery,
    SearchQueryBody,
)
from app.time_buckets import Interval

MAX_SERIES = 10
MAX_BUCKETS = 1000
#: Buckets times series: the counts one timeline asks Meilisearch for.
MAX_SERIES_BUCKETS = 2000
MAX_COUNT_QUERIES = 100
#: /search parameters that choose a page or shape hits: an export has no pages.
NOT_FOR_EXPORT = (
    "page",
    "per_page",
    "cursor",
    "facets",
    "highlight",
    "highlight_pre_tag",
    "highlight_post_tag",
    "crop_length",
    "limit",
)

#: A datetime written as ISO 8601 with its own offset (a timeline's zone), as elsewhere "+00:00".
ZonedDateTime = Annotated[datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str)]
Label = Annotated[str, Text(max_length=100)]


class ExportSort(enum.StrEnum):
    newest = "newest"
    oldest = "oldest"


class Compression(enum.StrEnum):
    gzip = "gzip"
    none = "none"


class ExportParams(SearchQuery):
    """Every article matching the query, streamed in a stable order."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "q": "harbour bridge",
                    "from": "2024-01-01",
                    "source": ["Example Gazette"],
                    "format": "csv",
                    "fields": ["id", "published_at", "title", "url", "tags"],
                }
            ]
        },
    )

    format: ExportFormat = Field(
        default=ExportFormat.ndjson, description="ndjson (one article per line) | csv (RFC 4180)."
    )
    sort: ExportSort = Field(
        default=ExportSort.newest,
        description="newest (published_at, then id, descending) | oldest; undated articles last.",
    )
    fields: CommaList = Field(
        default_factory=list,
        max_length=MAX_LIST_VALUES,
        json_schema_extra=FIELD_NAMES_SCHEMA,
        description="Fields to export (default all); `id` and `_cursor` are always included.",
    )
    after: str | None = Field(
        default=None,
        max_length=200,
        description="Continue after this position: the `_cursor` of the last article received "
        "(or a /search `next` of the same sort).",
    )
    compress: Compression | None = Field(
        default=None,
        description="gzip the stream (Content-Encoding: gzip); default: when the request's "
        "Accept-Encoding allows gzip. `none` turns it off.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_paging(cls, data: Any) -> Any:
        if isinstance(data, dict):
            given = [name for name in NOT_FOR_EXPORT if name in data]
            if given:
                raise ValueError(
                    f"{', '.join(given)}: not taken by an export, which streams every match; "
                    "continue an interrupted one with `after`"
                )
        return data


class ExportBody(ExportParams):
    """ExportParams as a JSON body takes them: booleans and arrays as JSON writes them."""

    include_places_within: JsonBool = ExportParams.model_fields["include_places_within"]  # type: ignore[assignment]
    include_duplicates: JsonBool = ExportParams.model_fields["include_duplicates"]  # type: ignore[assignment]
    entity: JsonCommaList = ExportParams.model_fields["entity"]  # type: ignore[assignment]
    any_entity: JsonCommaList = ExportParams.model_fields["any_entity"]  # type: ignore[assignment]
    fields: JsonCommaList = ExportParams.model_fields["fields"]  # type: ignore[assignment]


def _known_zone(value: str) -> str:
    time_buckets.zone(value)
    return value


class TimelineOptions(BaseModel):
    interval: Interval = Field(default=Interval.month, description="day | week | month | year.")
    tz: str = Field(
        default="UTC",
        max_length=100,
        description="IANA time zone whose midnights bound the buckets (Europe/Berlin).",
    )

    _check_tz = field_validator("tz")(_known_zone)


class LabelledQuery(SearchQueryBody):
    """One query among several; fields it sets replace the request's top-level ones."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"examples": [{"label": "Obama", "entity": ["barack-obama"]}]},
    )

    label: Label


def _unique_labels(queries: list[LabelledQuery]) -> list[LabelledQuery]:
    repeated = [label for label, n in Counter(q.label for q in queries).items() if n > 1]
    if repeated:
        raise ValueError(f"labels must be unique; repeated: {', '.join(map(repr, repeated))}")
    return queries


class TimelineParams(SearchQuery, TimelineOptions):
    """A timeline of one query (GET)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    label: Label = Field(default="query", description="The series' label in the answer.")


class TimelineRequest(SearchQueryBody, TimelineOptions):
    """A timeline of one query, or of several labelled ones side by side (`series`)."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "from": "2020-01-01",
                    "to": "2020-12-31",
                    "interval": "month",
                    "tz": "America/New_York",
                    "source": ["Example Gazette"],
                    "series": [
                        {"label": "Biden", "entity": ["joe-biden"]},
                        {"label": "Trump", "entity": ["donald-trump"]},
                    ],
                }
            ]
        },
    )

    series: list[LabelledQuery] = Field(
        default_factory=list,
        max_length=MAX_SERIES,
        description=f"Up to {MAX_SERIES} labelled queries; empty: the top-level query alone.",
    )

    _check_labels = field_validator("series")(_unique_labels)


class CountsRequest(SearchQueryBody):
    """Totals of many labelled queries in one request."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "from": "2024-01-01",
                    "queries": [
                        {"label": "harbour", "q": "harbour"},
                        {"label": "opec", "entity": ["opec"]},
                        {"label": "gazette bridges", "q": "bridge", "source": ["Example Gazette"]},
                    ],
                }
            ]
        },
    )

    queries: list[LabelledQuery] = Field(
        min_length=1,
        max_length=MAX_COUNT_QUERIES,
        description=f"1 to {MAX_COUNT_QUERIES} labelled queries.",
    )

    _check_labels = field_validator("queries")(_unique_labels)


class QueryApplied(BaseModel):
    q: str | None
    filters: dict[str, Any] = Field(description="The filters in force, as resolved.")
    warnings: list[str]


class TimelineBucket(BaseModel):
    label: str = Field(examples=["2024-05"], description="2024-05-17, 2024-W20, 2024-05 or 2024.")
    start: ZonedDateTime = Field(description="First instant, in the requested zone.")
    end: ZonedDateTime = Field(description="First instant of the next bucket.")
    count: int = Field(description="Matching articles published in the bucket.")
    all_articles: int = Field(
        description="Every article published in the bucket, whatever the query and filters "
        "(duplicates counted only when the series includes them)."
    )
    share: float | None = Field(description="count / all_articles; null when the bucket is empty.")


class TimelineSeries(BaseModel):
    label: str
    query: QueryApplied
    total: int = Field(description="Matching articles in the whole range (the sum of counts).")
    buckets: list[TimelineBucket]


TIMELINE_EXAMPLE: dict[str, Any] = {
    "interval": "month",
    "tz": "UTC",
    "from": "2024-03-01T00:00:00+00:00",
    "to": "2024-04-30T23:59:59+00:00",
    "series": [
        {
            "label": "query",
            "query": {"q": "bridge", "filters": {}, "warnings": []},
            "total": 3,
            "buckets": [
                {
                    "label": "2024-03",
                    "start": "2024-03-01T00:00:00+00:00",
                    "end": "2024-04-01T00:00:00+00:00",
                    "count": 3,
                    "all_articles": 40,
                    "share": 0.075,
                },
                {
                    "label": "2024-04",
                    "start": "2024-04-01T00:00:00+00:00",
                    "end": "2024-05-01T00:00:00+00:00",
                    "count": 0,
                    "all_articles": 0,
                    "share": None,
                },
            ],
        }
    ],
}


class TimelineResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [TIMELINE_EXAMPLE]})

    interval: Interval
    tz: str
    from_: ZonedDateTime | None = Field(
        alias="from",
        description="Start of the range counted: `from`, else the earliest matching article; "
        "null when nothing dated matches.",
    )
    to: ZonedDateTime | None = Field(
        description="End of the range counted (inclusive): `to`, else the latest match."
    )
    series: list[TimelineSeries]


class LabelledCount(BaseModel):
    label: str
    total: int = Field(description="Matching articles (exact).")
    query: QueryApplied


class CountsResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "counts": [
                        {
                            "label": "harbour",
                            "total": 12,
                            "query": {"q": "harbour", "filters": {}, "warnings": []},
                        },
                        {
                            "label": "opec",
                            "total": 3,
                            "query": {"q": None, "filters": {"entity": ["opec"]}, "warnings": []},
                        },
                    ]
                }
            ]
        }
    )

    counts: list[LabelledCount] = Field(description="One per query, in the order asked.")
