"""Prometheus metrics: HTTP latency and concurrency, Meilisearch task times, outbox backlog.

Exposed at `GET /metrics` in the Prometheus text format, without auth or rate limits (keep
it on a private network or behind the proxy). HTTP requests are labelled by method, route
template (`/articles/{article_id}`, never the raw path, so ids cannot blow up the number of
series; `<unmatched>` for paths with no route) and status class (`2xx` ... `5xx`).

Other modules report through plain functions: `observe_meili_task(seconds, status)`, and
`set_outbox_lag(lag)` with a callable returning `(pending, failed)` (or None when unknown),
called at scrape time.

Metrics live in the process that records them. With several uvicorn workers, set
PROMETHEUS_MULTIPROC_DIR to an empty directory before start: every worker then writes its
samples there and a scrape of any worker aggregates all of them (prometheus-client's
multiprocess mode; empty the directory on each deploy). Without it, each scrape shows only
the worker that served it.
"""

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

OutboxLag = Callable[[], tuple[int, int] | None]

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "<unmatched>"
#: Bound on the cache of labelled children below (unknown methods share "other").
MAX_REMEMBERED_SERIES = 1000

HTTP_REQUEST_SECONDS = Histogram(
    "newsarchive_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status class.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_IN_FLIGHT = Gauge(
    "newsarchive_http_requests_in_flight",
    "HTTP requests being handled right now.",
    multiprocess_mode="livesum",
)
MEILI_TASK_SECONDS = Histogram(
    "newsarchive_meili_task_duration_seconds",
    "Time from enqueueing a Meilisearch task to its end, by final status.",
    ["status"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)


def observe_meili_task(seconds: float, status: str) -> None:
    """Record one finished Meilisearch task (`status`: succeeded, failed, canceled, timeout)."""
    MEILI_TASK_SECONDS.labels(status=status).observe(seconds)


class OutboxCollector(Collector):
    """Reads the outbox backlog at scrape time, so the numbers are never stale."""

    def __init__(self, lag: OutboxLag | None = None) -> None:
        self.lag = lag

    def describe(self) -> Iterable[Metric]:
        # Declaring nothing up front keeps registration from calling `lag` (and the database).
        return []

    def collect(self) -> Iterable[Metric]:
        if self.lag is None:
            return []
        try:
            counts = self.lag()
        except Exception:
            logger.warning("could not read the outbox backlog for metrics", exc_info=True)
            return []
        if counts is None:
            return []
        pending, failed = counts
        return [
            GaugeMetricFamily(
                "newsarchive_outbox_pending",
                "Search outbox entries waiting to be indexed.",
                value=pending,
            ),
            GaugeMetricFamily(
                "newsarchive_outbox_failed",
                "Search outbox entries that gave up after their last attempt.",
                value=failed,
            ),
        ]


_outbox = OutboxCollector()
REGISTRY.register(_outbox)


def set_outbox_lag(lag: OutboxLag | None) -> None:
    """Report the outbox backlog from `lag()` on every scrape (None stops reporting it)."""
    _outbox.lag = lag


def exposition() -> bytes:
    """The current metrics in the Prometheus text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(_outbox)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


#: (method, route, status class) -> its histogram child: `labels()` takes a lock and
#: builds a key on every call, and the set of combinations is small and fixed by the routes.
_request_children: dict[tuple[str, str, int], Any] = {}


def request_started() -> None:
    HTTP_IN_FLIGHT.inc()


def request_finished(method: str, route: str | None, status: int, seconds: float) -> None:
    """Count one answered HTTP request (called by the request gateway, app/middleware.py)."""
    HTTP_IN_FLIGHT.dec()
    status_class = status // 100
    key = (method if method in _KNOWN_METHODS else "other", route or UNMATCHED_ROUTE, status_class)
    child = _request_children.get(key)
    if child is None:
        child = HTTP_REQUEST_SECONDS.labels(method=key[0], route=key[1], status=f"{status_class}xx")
        if len(_request_children) < MAX_REMEMBERED_SERIES:
            _request_children[key] = child
    child.observe(seconds)
