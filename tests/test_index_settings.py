from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.search.client import MeiliTaskError, SearchClient, wait_for_success
from app.search.index_settings import (
    FILTERABLE_ATTRIBUTES,
    MAX_TOTAL_HITS,
    IndexPrimaryKeyMismatch,
    ensure_index,
    index_settings,
    settings_diff,
)


def _live(client: SearchClient, uid: str) -> dict[str, Any]:
    settings: dict[str, Any] = client.index(uid).get_settings()
    return settings


def test_settings_diff_ignores_server_defaults_and_attribute_order() -> None:
    desired = index_settings()
    live = {
        **desired,
        "filterableAttributes": list(reversed(FILTERABLE_ATTRIBUTES)),
        "faceting": {**desired["faceting"], "sortFacetValuesBy": {"*": "alpha"}},
        "stopWords": [],
    }
    assert settings_diff(desired, live) == {}


def test_settings_diff_keeps_order_where_it_means_weight() -> None:
    desired = index_settings()
    live = {**desired, "searchableAttributes": list(reversed(desired["searchableAttributes"]))}
    live["pagination"] = {"maxTotalHits": 1000}
    assert settings_diff(desired, live) == {
        "searchableAttributes": desired["searchableAttributes"],
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
    }


def test_first_call_applies_then_nothing_to_do(
    meili_client: SearchClient, meili_index_uid: str
) -> None:
    assert ensure_index(meili_client, meili_index_uid) is True
    info = meili_client.get_raw_index(meili_index_uid)
    assert info["primaryKey"] == "id"
    assert settings_diff(index_settings(), _live(meili_client, meili_index_uid)) == {}

    assert ensure_index(meili_client, meili_index_uid) is False


@pytest.mark.parametrize(
    "drift",
    [
        {"sortableAttributes": ["id"]},
        {"faceting": {"maxValuesPerFacet": 100}},
        {"rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"]},
    ],
)
def test_drifted_setting_is_restored(
    meili_client: SearchClient, meili_index_uid: str, drift: dict[str, Any]
) -> None:
    ensure_index(meili_client, meili_index_uid)
    task = meili_client.index(meili_index_uid).update_settings(drift)
    wait_for_success(meili_client, task.task_uid)

    assert ensure_index(meili_client, meili_index_uid) is True
    assert settings_diff(index_settings(), _live(meili_client, meili_index_uid)) == {}
    assert ensure_index(meili_client, meili_index_uid) is False


def test_claims_primary_key_of_keyless_index(
    meili_client: SearchClient, meili_index_uid: str
) -> None:
    wait_for_success(meili_client, meili_client.create_index(meili_index_uid).task_uid)
    assert ensure_index(meili_client, meili_index_uid) is True
    assert meili_client.get_raw_index(meili_index_uid)["primaryKey"] == "id"


def test_refuses_index_with_another_primary_key(
    meili_client: SearchClient, meili_index_uid: str
) -> None:
    task = meili_client.create_index(meili_index_uid, {"primaryKey": "uuid"})
    wait_for_success(meili_client, task.task_uid)
    with pytest.raises(IndexPrimaryKeyMismatch) as err:
        ensure_index(meili_client, meili_index_uid)
    assert (err.value.expected, err.value.actual) == ("id", "uuid")


def test_failed_task_raises_with_meilisearch_code(
    meili_client: SearchClient, meili_index_uid: str
) -> None:
    wait_for_success(meili_client, meili_client.create_index(meili_index_uid).task_uid)
    again = meili_client.create_index(meili_index_uid)  # accepted with 202, fails later
    with pytest.raises(MeiliTaskError) as err:
        wait_for_success(meili_client, again.task_uid)
    assert err.value.code == "index_already_exists"
    assert err.value.status == "failed"


def test_concurrent_first_calls_all_succeed(
    meili_client: SearchClient, meili_index_uid: str
) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: ensure_index(meili_client, meili_index_uid), range(3)))
    assert any(results), "one of the concurrent calls must have created the index"
    assert settings_diff(index_settings(), _live(meili_client, meili_index_uid)) == {}


def test_sort_outranks_relevance_among_matching_documents(
    meili_client: SearchClient, meili_index_uid: str
) -> None:
    """A 'newest first' search must be in date order even when an older article is a
    better textual match (title vs body)."""
    ensure_index(meili_client, meili_index_uid)
    docs = [
        {"id": 1, "title": "storm warning", "body": "", "published_at": 100},
        {"id": 2, "title": "weather", "body": "a storm warning was issued", "published_at": 300},
        {"id": 3, "title": "harbour", "body": "storm", "published_at": 200},
    ]
    index = meili_client.index(meili_index_uid)
    wait_for_success(meili_client, index.add_documents(docs).task_uid)

    newest = index.search("storm", {"sort": ["published_at:desc", "id:desc"]})
    assert [hit["id"] for hit in newest["hits"]] == [2, 3, 1]
    relevance = index.search("storm warning", {"matchingStrategy": "all"})
    assert [hit["id"] for hit in relevance["hits"]] == [1, 2]
