"""Timelines: matching articles per calendar bucket, beside all articles of that bucket.

Each bucket is counted by a range filter on `published_at` (Unix seconds), one count query
per series and bucket plus one per bucket for the denominator, all sent as multi-searches
(app/search/totals.py). Range filters bound buckets at any zone's midnights; the `month`
facet the documents carry would only give UTC months.

The range counted is `from` to `to`, else the earliest to the latest dated match of any
series. A bare date in `from` or `to` is a day in the timeline's zone (in /search, a UTC
day), so that `to=2024-05-31&tz=Europe/Berlin` ends with Berlin's May. The first and last buckets count only the part of them inside the range, so the
counts of a series add up to the total /search gives for the same query and dates. Undated
articles fall in no bucket.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from app import time_buckets
from app.errors import InvalidParameter
from app.search import filters, service
from app.search.backend import SearchBackend
from app.search.labelled_queries import PlannedQuery
from app.search.research_schemas import (
    MAX_BUCKETS,
    MAX_SERIES_BUCKETS,
    TimelineBucket,
    TimelineResponse,
    TimelineSeries,
)
from app.search.schemas import SearchParams, SearchQuery, end_of, start_of
from app.search.totals import count_request, exact_totals
from app.time_buckets import Bucket, Interval


def in_zone(params: SearchParams, tz_name: str) -> SearchParams:
    """`params` with a bare date in `from` or `to` made that whole day in the zone."""
    tz = time_buckets.zone(tz_name)
    changes: dict[str, datetime] = {}
    if params.from_ is not None and not isinstance(params.from_, datetime):
        changes["from_"] = datetime.combine(params.from_, time.min, tzinfo=tz)
    if params.to is not None and not isinstance(params.to, datetime):
        changes["to"] = datetime.combine(params.to, time.max, tzinfo=tz)
    return params.model_copy(update=changes)


@dataclass(frozen=True)
class _Range:
    start: datetime
    end: datetime

    def clause(self, bucket: Bucket) -> list[str]:
        """The part of `bucket` inside the range, as `published_at` filter clauses."""
        low = max(filters.timestamp(bucket.start), filters.timestamp(self.start))
        high = min(filters.timestamp(bucket.end) - 1, filters.timestamp(self.end))
        return [f"published_at >= {low}", f"published_at <= {high}"]


async def _dated_extent(
    backend: SearchBackend, series: list[PlannedQuery]
) -> tuple[datetime | None, datetime | None]:
    """The earliest and latest `published_at` of any series' matches."""
    queries = [
        {
            "indexUid": backend.index_uid,
            "q": planned.q,
            "filter": [*planned.clauses, "published_at IS NOT NULL"],
            "sort": [f"published_at:{direction}"],
            "limit": 1,
            "matchingStrategy": "all",
            "attributesToRetrieve": ["published_at"],
        }
        for planned in series
        for direction in ("asc", "desc")
    ]
    stamps = [
        hit["published_at"]
        for result in await service.run_async(backend, queries)
        for hit in result["hits"]
    ]
    if not stamps:
        return None, None
    return (
        datetime.fromtimestamp(min(stamps), UTC),
        datetime.fromtimestamp(max(stamps), UTC),
    )


def _buckets(
    counted: _Range, interval: Interval, tz: ZoneInfo, series: int, where: str
) -> list[Bucket]:
    limit = min(MAX_BUCKETS, MAX_SERIES_BUCKETS // series)
    try:
        return time_buckets.buckets(counted.start, counted.end, interval, tz, limit=limit)
    except time_buckets.TooManyBuckets as exc:
        why = f"at most {MAX_BUCKETS} buckets"
        if limit < MAX_BUCKETS:
            why += f", and {MAX_SERIES_BUCKETS} for all {series} series together"
        raise InvalidParameter(
            [where, "interval"],
            f"{counted.start.date()} to {counted.end.date()} makes more than {exc.limit} "
            f"{interval.value} buckets ({why}): choose a longer interval or a shorter range",
        ) from exc
    except ValueError as exc:
        raise InvalidParameter([where, "tz"], str(exc)) from exc


async def timeline(
    *,
    backend: SearchBackend,
    series: list[PlannedQuery],
    base: SearchQuery,
    interval: Interval,
    tz_name: str,
    where: str,
) -> TimelineResponse:
    """The timeline of each planned series over the range of `base`'s from/to."""
    tz = time_buckets.zone(tz_name)
    base = in_zone(
        SearchParams.model_validate(base.model_dump(include=set(SearchQuery.model_fields))), tz_name
    )
    start = start_of(base.from_) if base.from_ else None
    end = end_of(base.to) if base.to else None
    if start is None or end is None:
        earliest, latest = await _dated_extent(backend, series)
        start = start or (min(earliest, end) if earliest and end else earliest or end)
        end = end or (max(latest, start) if latest and start else latest or start)
    if start is None or end is None:
        return TimelineResponse.model_validate(
            {
                "interval": interval,
                "tz": tz_name,
                "from": None,
                "to": None,
                "series": [_series(planned, [], [], []) for planned in series],
            }
        )
    counted = _Range(start=start, end=end)
    buckets = _buckets(counted, interval, tz, len(series), where)

    requests = [
        count_request(backend.index_uid, planned.q, [*planned.clauses, *counted.clause(bucket)])
        for planned in series
        for bucket in buckets
    ]
    # The denominator: every article in the bucket, duplicates as the series takes them.
    baselines = sorted({planned.include_duplicates for planned in series})
    for include_duplicates in baselines:
        requests += [
            count_request(
                backend.index_uid,
                "",
                counted.clause(bucket) + ([] if include_duplicates else ["duplicate_of IS NULL"]),
            )
            for bucket in buckets
        ]
    totals = await exact_totals(backend, requests)
    width = len(buckets)
    all_articles = {
        include_duplicates: totals[(len(series) + n) * width : (len(series) + n + 1) * width]
        for n, include_duplicates in enumerate(baselines)
    }
    return TimelineResponse.model_validate(
        {
            "interval": interval,
            "tz": tz_name,
            "from": counted.start.astimezone(tz),
            "to": counted.end.astimezone(tz),
            "series": [
                _series(
                    planned,
                    buckets,
                    totals[n * width : (n + 1) * width],
                    all_articles[planned.include_duplicates],
                )
                for n, planned in enumerate(series)
            ],
        }
    )


def _series(
    planned: PlannedQuery, buckets: list[Bucket], counts: list[int], all_articles: list[int]
) -> TimelineSeries:
    points: list[dict[str, Any]] = [
        {
            "label": bucket.label,
            "start": bucket.start,
            "end": bucket.end,
            "count": count,
            "all_articles": everything,
            "share": count / everything if everything else None,
        }
        for bucket, count, everything in zip(buckets, counts, all_articles, strict=True)
    ]
    return TimelineSeries.model_validate(
        {
            "label": planned.label,
            "query": planned.applied,
            "total": sum(counts),
            "buckets": [TimelineBucket.model_validate(point) for point in points],
        }
    )
