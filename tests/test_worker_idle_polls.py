"""Background workers back off when idle (app/polling.py): fewer database polls on a quiet
server, and the index worker still answers its own process's writes at once."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.alerts import worker as alert_worker
from app.polling import IdleBackoff
from app.search.sync_worker import SyncWorker
from tests.conftest import index_sync
from tests.test_articles_api import make_article
from tests.test_search_sync_fill import pending

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_idle_waits_double_up_to_the_cap_and_work_resets_them() -> None:
    backoff = IdleBackoff(0.2, 2.0)
    assert [backoff.idle() for _ in range(6)] == [0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    backoff.reset()
    assert backoff.idle() == 0.2
    assert [IdleBackoff(0.5).idle() for _ in range(3)] == [0.5, 0.5, 0.5]  # no cap: no backoff
    below = IdleBackoff(1.0, 0.5)
    assert [below.idle() for _ in range(3)] == [1.0, 1.0, 1.0]  # never below the base


def counting(target: Any, name: str) -> list[float]:
    """Record when `target.name` is called (instrumentation of the real method)."""
    calls: list[float] = []
    real: Callable[..., Any] = getattr(target, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(time.monotonic())
        return real(*args, **kwargs)

    setattr(target, name, counted)
    return calls


@SQLITE
def test_an_idle_index_worker_polls_less_and_a_write_still_wakes_it(
    search_client: TestClient,
) -> None:
    sync = index_sync(search_client)
    looks = counting(sync, "run_once")
    worker = SyncWorker(sync, poll_seconds=0.05, idle_max_seconds=2.0)
    worker.start()
    try:
        time.sleep(1.6)
        # 0.05, 0.1, 0.2, 0.4, 0.8 s between looks: 5 or 6 of them, against 32 at 0.05 s.
        assert 3 <= len(looks) <= 7, looks
        search_client.post("/articles", json=make_article(1))
        assert pending(search_client) == 1
        woken = time.monotonic()
        worker.wake()  # what the API does after a write (app/deps.py)
        while pending(search_client) and time.monotonic() - woken < 10:
            time.sleep(0.02)
        assert pending(search_client) == 0
        # It looked at once, not in the 1.6 s the next idle look was due in.
        assert min(t for t in looks if t >= woken) - woken < 0.3
    finally:
        worker.stop()


@SQLITE
def test_an_idle_alert_worker_polls_less(search_client: TestClient) -> None:
    app: Any = search_client.app
    settings = app.state.settings
    worker = alert_worker.AlertWorker(
        alert_worker.build_matcher(settings, app.state.engine, app.state.search.client),
        alert_worker.build_deliverer(settings, app.state.engine),
        poll_seconds=0.05,
        idle_max_seconds=2.0,
    )
    matches = counting(worker.matcher, "run_once")
    deliveries = counting(worker.deliverer, "run_once")
    worker.start()
    try:
        time.sleep(1.6)
    finally:
        worker.stop()
    assert 3 <= len(matches) <= 7, matches
    assert 3 <= len(deliveries) <= 7, deliveries
