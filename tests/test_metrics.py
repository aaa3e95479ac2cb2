"""Prometheus metrics: route-template labels, in-flight gauge, Meilisearch tasks, outbox."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from app import metrics

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

REQUESTS = "newsarchive_http_request_duration_seconds_count"


def count(method: str, route: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value(REQUESTS, labels) or 0.0


def scraped_count(text: str, method: str, route: str, status: str) -> float:
    pattern = (
        rf'^{REQUESTS}\{{method="{method}",route="{re.escape(route)}",status="{status}"\}} (\S+)$'
    )
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_requests_are_counted_by_route_template(client: TestClient) -> None:
    before = {
        "list": count("GET", "/articles", "2xx"),
        "missing": count("GET", "/articles/{article_id}", "4xx"),
        "unmatched": count("GET", "<unmatched>", "4xx"),
    }
    client.get("/articles")
    for article_id in (41, 42, 43):
        assert client.get(f"/articles/{article_id}").status_code == 404
    client.get("/no/such/path")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert scraped_count(text, "GET", "/articles", "2xx") == before["list"] + 1
    assert scraped_count(text, "GET", "/articles/{article_id}", "4xx") == before["missing"] + 3
    assert scraped_count(text, "GET", "<unmatched>", "4xx") == before["unmatched"] + 1
    assert "/articles/42" not in text
    # The scrape itself is in flight while it renders, and finished after.
    assert "newsarchive_http_requests_in_flight 1.0" in text
    assert REGISTRY.get_sample_value("newsarchive_http_requests_in_flight") == 0.0


def test_metrics_need_no_key_even_when_reads_do(anonymous_client: TestClient) -> None:
    app = anonymous_client.app
    app.state.settings = app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"REQUIRE_KEY_FOR_READS": True}
    )
    assert anonymous_client.get("/articles").status_code == 401
    assert anonymous_client.get("/metrics").status_code == 200


def test_meili_task_observations(client: TestClient) -> None:
    labels = {"status": "failed"}
    before = REGISTRY.get_sample_value("newsarchive_meili_task_duration_seconds_count", labels)
    metrics.observe_meili_task(0.3, "failed")
    metrics.observe_meili_task(1.2, "failed")
    after = REGISTRY.get_sample_value("newsarchive_meili_task_duration_seconds_count", labels)
    assert after == (before or 0.0) + 2
    assert 'newsarchive_meili_task_duration_seconds_bucket{le="0.5",status="failed"}' in (
        client.get("/metrics").text
    )


@pytest.fixture
def outbox_lag() -> Iterator[list[tuple[int, int] | Exception | None]]:
    answers: list[tuple[int, int] | Exception | None] = []

    def lag() -> tuple[int, int] | None:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    metrics.set_outbox_lag(lag)
    yield answers
    metrics.set_outbox_lag(None)


def test_outbox_gauges_come_from_the_lag_callback(
    client: TestClient, outbox_lag: list[tuple[int, int] | Exception | None]
) -> None:
    outbox_lag.extend([(7, 2), None, RuntimeError("database down")])
    text = client.get("/metrics").text
    assert "newsarchive_outbox_pending 7.0" in text
    assert "newsarchive_outbox_failed 2.0" in text
    assert "newsarchive_outbox_pending" not in client.get("/metrics").text
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "newsarchive_outbox_pending" not in response.text
