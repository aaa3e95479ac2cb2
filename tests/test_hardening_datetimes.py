"""Datetimes with no UTC equivalent, and Unix timestamps, are refused with 422 everywhere."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.test_articles_api import ARTICLE, make_article
from tests.test_articles_bad_input import assert_problem, stored_count

#: Valid ISO 8601 texts whose UTC time falls outside years 1..9999.
NO_UTC_TIME = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
RAW_PAGE = "Harbour bridge reopens\n\nThe harbour bridge reopened to traffic on Friday."


def only_error_loc(problem: dict[str, Any]) -> list[Any]:
    [error] = problem["errors"]
    assert "0001-01-01T00:00:00Z" in error["msg"] or "ISO 8601" in error["msg"]
    loc: list[Any] = error["loc"]
    return loc


@pytest.mark.parametrize("moment", NO_UTC_TIME)
def test_create_and_replace_refuse_a_datetime_with_no_utc_time(
    client: TestClient, moment: str
) -> None:
    problem = assert_problem(
        client.post("/articles", json={**ARTICLE, "published_at": moment}), 422
    )
    assert only_error_loc(problem) == ["body", "published_at"]
    created = client.post("/articles", json=ARTICLE)
    assert created.status_code == 201
    put = client.put("/articles/1", json={**ARTICLE, "published_at": moment})
    assert only_error_loc(assert_problem(put, 422)) == ["body", "published_at"]
    patch = client.patch("/articles/1", json={"published_at": moment})
    assert only_error_loc(assert_problem(patch, 422)) == ["body", "published_at"]
    assert client.get("/articles/1").json()["published_at"] == "2024-05-17T07:30:00+00:00"


@pytest.mark.parametrize("moment", NO_UTC_TIME)
@pytest.mark.parametrize("name", ["published_from", "published_to"])
def test_list_filters_refuse_a_datetime_with_no_utc_time(
    client: TestClient, moment: str, name: str
) -> None:
    problem = assert_problem(client.get("/articles", params={name: moment}), 422)
    assert only_error_loc(problem) == ["query", name]


@pytest.mark.parametrize("moment", NO_UTC_TIME)
def test_entity_articles_refuse_a_datetime_with_no_utc_time(
    client: TestClient, moment: str
) -> None:
    response = client.get("/entities/anyone/articles", params={"published_to": moment})
    assert only_error_loc(assert_problem(response, 422)) == ["query", "published_to"]


@pytest.mark.parametrize("moment", [*NO_UTC_TIME, "-1", "1715931000", "1715931000.5"])
def test_import_refuses_timestamps_and_datetimes_with_no_utc_time(
    client: TestClient, moment: str
) -> None:
    response = client.post(
        "/articles/import",
        params={"published_at": moment},
        content=RAW_PAGE.encode(),
        headers={"content-type": "text/plain"},
    )
    assert only_error_loc(assert_problem(response, 422)) == ["query", "published_at"]
    assert stored_count(client) == 0


def test_import_takes_an_iso_datetime(client: TestClient) -> None:
    response = client.post(
        "/articles/import",
        params={"published_at": "2024-05-17T09:30:00+02:00"},
        content=RAW_PAGE.encode(),
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["published_at"] == "2024-05-17T07:30:00+00:00"


def test_bulk_item_with_no_utc_time_fails_alone(client: TestClient) -> None:
    items = [
        {**ARTICLE, "published_at": NO_UTC_TIME[0]},
        {**ARTICLE, "url": "https://example.org/other", "external_id": "ex-2"},
    ]
    ndjson = "\n".join(json.dumps(item) for item in items).encode()
    response = client.post(
        "/articles/bulk", content=ndjson, headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 200, response.text
    statuses = [item["status"] for item in response.json()["items"]]
    assert statuses == ["error", "created"]
    assert "published_at" in response.json()["items"][0]["error"]
    # A JSON array is typed, an article per item: one that is not fails the whole array.
    refused = client.post("/articles/bulk", json=[items[0], make_article(3)])
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", 0, "published_at"]


@pytest.mark.parametrize(
    ("moment", "stored"),
    [
        ("0001-01-01T00:00:00-14:00", "0001-01-01T14:00:00+00:00"),
        ("9999-12-31T23:59:59+14:00", "9999-12-31T09:59:59+00:00"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00"),
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59+00:00"),
    ],
)
def test_the_extremes_with_a_utc_time_are_stored_and_listed(
    client: TestClient, moment: str, stored: str
) -> None:
    response = client.post("/articles", json={**ARTICLE, "published_at": moment})
    assert response.status_code == 201, response.text
    assert response.json()["published_at"] == stored
    listed = client.get("/articles", params={"published_from": moment, "published_to": moment})
    assert [a["published_at"] for a in listed.json()["data"]] == [stored]
    walked = client.get("/articles", params={"limit": 1}).json()
    assert walked["next"] is None
