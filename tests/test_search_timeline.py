"""GET/POST /search/timeline against a real Meilisearch on SQLite and PostgreSQL: counts and
shares per bucket in a time zone, empty buckets, series side by side, the range taken from
the matches, entity detail's months, bad input; and the calendar buckets themselves."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.search.meili_http import MeiliUnreachable
from app.time_buckets import Interval, bucket_of, buckets, zone
from tests.archive_fixture import module_archive

AUTHORITY = [{"name": "Harbour Authority", "type": "organization"}]

ARTICLES: list[dict[str, Any]] = [
    # 1
    {
        "title": "Harbour dredging starts",
        "body": "Dredging of the harbour channel began.",
        "source": "Gazette",
        "published_at": "2024-01-10T10:00:00+00:00",
        "entities": AUTHORITY,
    },
    # 2: January in UTC, February in Berlin
    {
        "title": "Harbour lights at midnight",
        "body": "The harbour lights were switched on late.",
        "source": "Gazette",
        "published_at": "2024-01-31T23:30:00+00:00",
        "entities": AUTHORITY,
    },
    # 3
    {
        "title": "Grain prices rise",
        "body": "Wheat rose on the exchange.",
        "source": "Wire",
        "published_at": "2024-02-15T12:00:00+00:00",
    },
    # 4
    {
        "title": "Harbour ferry returns",
        "body": "The harbour ferry sails again.",
        "source": "Herald",
        "published_at": "2024-03-05T08:00:00+00:00",
        "entities": AUTHORITY,
    },
    # 5
    {
        "title": "Grain prices fall",
        "body": "Maize fell on the exchange.",
        "source": "Wire",
        "published_at": "2024-03-05T09:00:00+00:00",
    },
    # 6: a duplicate of 3
    {
        "title": "Grain prices rise",
        "body": "Wheat rose on the exchange.",
        "source": "Wire",
        "published_at": "2024-02-15T12:00:00+00:00",
    },
    # 7: undated, in no bucket
    {"title": "Harbour history", "body": "Notes on the harbour.", "source": "Archive"},
    # 8: after an empty April
    {
        "title": "Harbour festival",
        "body": "The harbour festival drew crowds.",
        "source": "Gazette",
        "published_at": "2024-05-20T10:00:00+00:00",
    },
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def archive(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    with module_archive(request, request.param, ARTICLES) as client:
        yield client


def points(series: dict[str, Any]) -> list[tuple[str, int, int, float | None]]:
    return [(b["label"], b["count"], b["all_articles"], b["share"]) for b in series["buckets"]]


def test_months_in_utc_with_shares_and_empty_buckets(archive: TestClient) -> None:
    response = archive.get(
        "/search/timeline", params={"q": "harbour", "from": "2024-01-01", "to": "2024-05-31"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["interval"], body["tz"]) == ("month", "UTC")
    assert (body["from"], body["to"]) == (
        "2024-01-01T00:00:00+00:00",
        "2024-05-31T23:59:59.999999+00:00",
    )
    [series] = body["series"]
    assert series["label"] == "query"
    assert series["query"] == {
        "q": "harbour",
        "filters": {"from": "2024-01-01T00:00:00+00:00", "to": "2024-05-31T23:59:59.999999+00:00"},
        "warnings": [],
    }
    assert points(series) == [
        ("2024-01", 2, 2, 1.0),
        ("2024-02", 0, 1, 0.0),
        ("2024-03", 1, 2, 0.5),
        ("2024-04", 0, 0, None),
        ("2024-05", 1, 1, 1.0),
    ]
    assert series["total"] == 4
    assert [(b["start"], b["end"]) for b in series["buckets"][:1]] == [
        ("2024-01-01T00:00:00+00:00", "2024-02-01T00:00:00+00:00")
    ]
    searched = archive.get(
        "/search",
        params={
            "q": "harbour",
            "from": "2024-01-01",
            "to": "2024-05-31",
            "sort": "newest",
            "cursor": "*",
        },
    )
    assert searched.json()["total"] == series["total"]


def test_buckets_and_bare_dates_follow_the_time_zone(archive: TestClient) -> None:
    body = archive.get(
        "/search/timeline",
        params={"q": "harbour", "from": "2024-01-01", "to": "2024-05-31", "tz": "Europe/Berlin"},
    ).json()
    assert (body["from"], body["to"]) == (
        "2024-01-01T00:00:00+01:00",
        "2024-05-31T23:59:59.999999+02:00",
    )
    [series] = body["series"]
    assert points(series) == [
        ("2024-01", 1, 1, 1.0),
        ("2024-02", 1, 2, 0.5),
        ("2024-03", 1, 2, 0.5),
        ("2024-04", 0, 0, None),
        ("2024-05", 1, 1, 1.0),
    ]
    assert series["buckets"][2]["start"] == "2024-03-01T00:00:00+01:00"
    assert series["buckets"][2]["end"] == "2024-04-01T00:00:00+02:00"


def test_without_dates_the_range_is_that_of_the_matches(archive: TestClient) -> None:
    body = archive.get("/search/timeline", params={"q": "grain", "interval": "month"}).json()
    assert (body["from"], body["to"]) == ("2024-02-15T12:00:00+00:00", "2024-03-05T09:00:00+00:00")
    # The first and last buckets count only their part inside the range, all articles too.
    assert points(body["series"][0]) == [("2024-02", 1, 1, 1.0), ("2024-03", 1, 2, 0.5)]
    nothing = archive.get("/search/timeline", params={"q": "zeppelin"}).json()
    assert (nothing["from"], nothing["to"]) == (None, None)
    assert nothing["series"][0]["buckets"] == []
    assert nothing["series"][0]["total"] == 0


def test_weeks_and_days(archive: TestClient) -> None:
    weeks = archive.get(
        "/search/timeline",
        params={"q": "harbour", "interval": "week", "from": "2024-01-29", "to": "2024-02-11"},
    ).json()
    assert points(weeks["series"][0]) == [("2024-W05", 1, 1, 1.0), ("2024-W06", 0, 0, None)]
    days = archive.get(
        "/search/timeline",
        params={"interval": "day", "from": "2024-03-04", "to": "2024-03-06", "source": "Wire"},
    ).json()
    assert points(days["series"][0]) == [
        ("2024-03-04", 0, 0, None),
        ("2024-03-05", 1, 2, 0.5),
        ("2024-03-06", 0, 0, None),
    ]


def test_series_side_by_side_with_shared_and_own_filters(archive: TestClient) -> None:
    response = archive.post(
        "/search/timeline",
        json={
            "from": "2024-01-01",
            "to": "2024-03-31",
            "source": ["Gazette", "Herald"],
            "series": [
                {"label": "harbour", "q": "harbour"},
                {"label": "grain", "q": "grain", "source": ["Wire"]},
                {
                    "label": "grain, duplicates too",
                    "q": "grain",
                    "source": ["Wire"],
                    "include_duplicates": True,
                },
                {"label": "Harbour Authority", "entity": ["harbour authority"]},
            ],
        },
    )
    assert response.status_code == 200
    harbour, grain, with_duplicates, authority = response.json()["series"]
    assert harbour["label"] == "harbour"
    assert harbour["query"]["filters"]["source"] == ["Gazette", "Herald"]
    assert points(harbour) == [
        ("2024-01", 2, 2, 1.0),
        ("2024-02", 0, 1, 0.0),
        ("2024-03", 1, 2, 0.5),
    ]
    assert grain["query"]["filters"]["source"] == ["Wire"]
    assert points(grain) == [("2024-01", 0, 2, 0.0), ("2024-02", 1, 1, 1.0), ("2024-03", 1, 2, 0.5)]
    assert points(with_duplicates) == [
        ("2024-01", 0, 2, 0.0),
        ("2024-02", 2, 2, 1.0),
        ("2024-03", 1, 2, 0.5),
    ]
    assert authority["query"]["filters"]["entity"] == ["harbour-authority"]
    assert points(authority) == [
        ("2024-01", 2, 2, 1.0),
        ("2024-02", 0, 1, 0.0),
        ("2024-03", 1, 2, 0.5),
    ]


def test_entity_detail_months_match_the_entity_timeline(archive: TestClient) -> None:
    detail = archive.get("/entities/harbour-authority").json()
    assert detail["months"] == [{"month": "2024-01", "count": 2}, {"month": "2024-03", "count": 1}]
    timeline = archive.get(
        "/search/timeline", params={"entity": "harbour-authority", "interval": "month"}
    ).json()
    counted = [(b["label"], b["count"]) for b in timeline["series"][0]["buckets"] if b["count"]]
    assert counted == [(m["month"], m["count"]) for m in detail["months"]]


@pytest.mark.parametrize(
    ("query", "loc", "message"),
    [
        (
            "interval=hour",
            ["query", "interval"],
            "Input should be 'day', 'week', 'month' or 'year'",
        ),
        ("tz=Mars/Olympus", ["query", "tz"], "unknown time zone 'Mars/Olympus'"),
        ("tz=../../etc/passwd", ["query", "tz"], "not an IANA time zone name"),
        (
            "interval=day&from=2020-01-01&to=2024-12-31",
            ["query", "interval"],
            "2020-01-01 to 2024-12-31 makes more than 1000 day buckets (at most 1000 buckets)",
        ),
        ("from=2024-05-01&to=2024-04-01", ["query", "from"], "must not be after `to`"),
        ("page=2", ["query", "page"], "Extra inputs are not permitted"),
        ("label=", ["query", "label"], "must not be empty or only whitespace"),
    ],
)
def test_bad_get_input_is_a_422_problem(
    archive: TestClient, query: str, loc: list[str], message: str
) -> None:
    response = archive.get(f"/search/timeline?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["loc"] == loc
    assert message in error["msg"]


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        (
            {"series": [{"label": str(n)} for n in range(11)]},
            ["body", "series"],
            "List should have at most 10 items",
        ),
        (
            {"series": [{"label": "a"}, {"label": "b"}, {"label": " a "}]},
            ["body", "series"],
            "labels must be unique; repeated: 'a'",
        ),
        (
            {
                "interval": "day",
                "from": "2022-01-01",
                "to": "2023-12-31",
                "series": [{"label": "a"}, {"label": "b"}, {"label": "c"}],
            },
            ["body", "interval"],
            "makes more than 666 day buckets (at most 1000 buckets, and 2000 for all 3 series together)",
        ),
        (
            {"series": [{"label": "a", "sort": "newest"}]},
            ["body", "series", 0, "sort"],
            "Extra inputs",
        ),
        (
            {"series": [{"label": "a"}, {"label": "b", "tag": [" "]}]},
            ["body", "series", 1, "tag", 0],
            "must not be empty or only whitespace",
        ),
        ({"series": [{"q": "x"}]}, ["body", "series", 0, "label"], "Field required"),
    ],
)
def test_bad_post_input_is_a_422_problem(
    archive: TestClient, body: dict[str, Any], loc: list[str | int], message: str
) -> None:
    response = archive.post("/search/timeline", json=body)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == loc
    assert message in error["msg"]


def test_meilisearch_down_is_a_503(archive: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    async def refused(path: str, body: Any) -> Any:
        raise MeiliUnreachable("connection refused")

    monkeypatch.setattr(archive.app.state.search.async_http, "post", refused)  # type: ignore[attr-defined]
    response = archive.get("/search/timeline?from=2024-01-01&to=2024-01-31")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


# --- the calendar buckets, on plain data ------------------------------------------------


def test_a_dst_day_is_23_hours_and_weeks_are_iso_weeks() -> None:
    berlin = zone("Europe/Berlin")
    days = buckets(
        datetime(2024, 3, 30, 12, tzinfo=UTC),
        datetime(2024, 4, 1, tzinfo=UTC),
        Interval.day,
        berlin,
        limit=10,
    )
    # (Aware datetimes of one zone subtract as wall clocks: compare instants in UTC.)
    assert [(b.label, b.end.astimezone(UTC) - b.start.astimezone(UTC)) for b in days] == [
        ("2024-03-30", timedelta(hours=24)),
        ("2024-03-31", timedelta(hours=23)),
        ("2024-04-01", timedelta(hours=24)),
    ]
    new_year = bucket_of(datetime(2024, 12, 31, tzinfo=UTC), Interval.week, zone("UTC"))
    assert (new_year.label, new_year.start.date().isoformat()) == ("2025-W01", "2024-12-30")


def test_a_midnight_lost_to_dst_starts_its_day_after_the_gap() -> None:
    santiago = zone("America/Santiago")  # clocks go from 00:00 to 01:00 on 2024-09-08
    day = bucket_of(datetime(2024, 9, 8, 12, tzinfo=UTC), Interval.day, santiago)
    assert (day.label, day.start.isoformat()) == ("2024-09-08", "2024-09-08T01:00:00-03:00")
    before = bucket_of(day.start - timedelta(seconds=1), Interval.day, santiago)
    assert (before.label, before.end) == ("2024-09-07", day.start)


def test_the_last_year_ends_with_time_and_zones_are_checked() -> None:
    [last] = buckets(
        datetime(9999, 6, 1, tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
        Interval.year,
        zone("UTC"),
        limit=5,
    )
    assert (last.label, last.end) == ("9999", datetime.max.replace(tzinfo=UTC))
    with pytest.raises(ValueError, match="reach outside years 1 to 9999"):
        buckets(
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(1, 2, 1, tzinfo=UTC),
            Interval.month,
            zone("Etc/GMT+12"),
            limit=5,
        )
    for name in ("", "/etc/localtime", "Europe/../UTC", "Nowhere/City"):
        with pytest.raises(ValueError):
            zone(name)
