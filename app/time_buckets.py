"""Calendar buckets (day, ISO week, month, year) in any IANA time zone: where each starts
and ends, and which one an instant falls in.

Pure: no I/O. Search timelines count articles per bucket with it, and entity detail groups
its per-month counts with it, so both draw the same boundaries and labels.

Boundaries are local midnights of the zone: a day that a DST change shortens is 23 hours
long, and a midnight that does not exist (zones that change clocks at midnight) starts its
day at the first instant after the gap. Weeks are ISO weeks (Monday to Sunday).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Interval(enum.StrEnum):
    day = "day"
    week = "week"
    month = "month"
    year = "year"


_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


class TooManyBuckets(ValueError):
    """A range would need more buckets than allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} buckets")
        self.limit = limit


@dataclass(frozen=True)
class Bucket:
    """[start, end) in the bucket's zone; `label` names it (2024-05-17, 2024-W20, 2024-05, 2024)."""

    start: datetime
    end: datetime
    label: str


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name` ("Europe/Berlin", "UTC"); ValueError if there is none."""
    text = name.strip()
    # ZoneInfo reads files under the tz database: refuse anything that is not a plain key.
    if not text or text.startswith("/") or ".." in text.split("/") or "\\" in text:
        raise ValueError(f"not an IANA time zone name: {name!r}")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin"
        ) from exc


def _first_day(day: date, interval: Interval) -> date:
    if interval is Interval.day:
        return day
    if interval is Interval.week:
        return day - timedelta(days=day.weekday())
    if interval is Interval.month:
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next_first_day(first: date, interval: Interval) -> date | None:
    """The first day of the bucket after the one starting on `first` (None after 9999)."""
    if interval in (Interval.day, Interval.week):
        step = timedelta(days=1 if interval is Interval.day else 7)
        return first + step if date.max - first >= step else None
    if interval is Interval.month and first.month < 12:
        return first.replace(month=first.month + 1)
    return date(first.year + 1, 1, 1) if first.year < date.max.year else None


def _label(first: date, interval: Interval) -> str:
    if interval is Interval.day:
        return first.isoformat()
    if interval is Interval.week:
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    if interval is Interval.month:
        return f"{first.year:04d}-{first.month:02d}"
    return f"{first.year:04d}"


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    """Local midnight of `day`; a midnight inside a DST gap moves to the end of the gap."""
    local = datetime.combine(day, time.min, tzinfo=tz)
    # A non-existent wall time does not survive a round trip through UTC.
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        local = local.astimezone(UTC).astimezone(tz)
    return local


def _bucket(first: date, interval: Interval, tz: ZoneInfo) -> Bucket:
    """The bucket starting on local day `first` (the last one of year 9999 ends at the end of
    time); OverflowError if its start is not a time in years 1 to 9999 UTC."""
    following = _next_first_day(first, interval)
    end = _midnight(following, tz) if following is not None else _END_OF_TIME
    return Bucket(start=_midnight(first, tz), end=end, label=_label(first, interval))


def bucket_of(moment: datetime, interval: Interval, tz: ZoneInfo) -> Bucket:
    """The bucket `moment` (timezone-aware) falls in."""
    bucket = _bucket(_first_day(moment.astimezone(tz).date(), interval), interval, tz)
    # Around a DST change at midnight the local date and the [start, end) range can disagree
    # for an hour; the range decides, as it does when counting.
    if moment >= bucket.end:
        return _bucket(bucket.end.astimezone(tz).date(), interval, tz)
    if moment < bucket.start:
        previous = bucket.start.astimezone(tz).date() - timedelta(days=1)
        return _bucket(_first_day(previous, interval), interval, tz)
    return bucket


def iter_buckets(
    start: datetime, end: datetime, interval: Interval, tz: ZoneInfo
) -> Iterator[Bucket]:
    """Every bucket from the one holding `start` to the one holding `end`, empty ones included.

    OverflowError when a bucket would reach outside years 1 to 9999."""
    bucket = bucket_of(start, interval, tz)
    while True:
        yield bucket
        if bucket.end > end or bucket.end == _END_OF_TIME:
            return
        bucket = _bucket(bucket.end.astimezone(tz).date(), interval, tz)


def buckets(
    start: datetime, end: datetime, interval: Interval, tz: ZoneInfo, *, limit: int
) -> list[Bucket]:
    """`iter_buckets` as a list: TooManyBuckets past `limit` (before building more), and
    ValueError for a range whose buckets would reach outside years 1 to 9999."""
    found: list[Bucket] = []
    try:
        for bucket in iter_buckets(start, end, interval, tz):
            if len(found) == limit:
                raise TooManyBuckets(limit)
            found.append(bucket)
    except OverflowError as exc:
        raise ValueError(
            f"{interval.value} buckets in this zone reach outside years 1 to 9999"
        ) from exc
    return found
