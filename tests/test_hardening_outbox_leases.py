"""Outbox leases: a batch whose worker lost the database or died does not stall indexing.

A worker that loses the database in the middle of a batch (a PostgreSQL restart) gets it back
as soon as the database is back, not when the lease runs out; a worker that died leaves its
batch for the others after a short lease, which a live worker renews while it sends; and
/ready tells both apart.
"""

import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.db import utcnow
from app.outbox import OutboxEntry
from app.search.sync import LEASE, IndexSync
from tests.conftest import index_sync
from tests.test_articles_api import make_article


def outbox(client: TestClient) -> list[OutboxEntry]:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return list(session.exec(select(OutboxEntry).order_by(OutboxEntry.id)).all())  # type: ignore[arg-type]


def other_worker(sync: IndexSync, **options: Any) -> IndexSync:
    """Another worker on the same outbox and index (another process or host)."""
    return IndexSync(engine=sync.engine, client=sync.client, index_uid=sync.index_uid, **options)


def index_lag(client: TestClient) -> dict[str, Any]:
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    lag: dict[str, Any] = response.json()["index"]
    return lag


def test_a_batch_cut_off_from_the_database_is_released_as_soon_as_it_is_back(
    search_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    search_client.post("/articles", json=make_article(1))
    sync = index_sync(search_client)
    real_complete = sync._complete

    def database_gone(*_args: Any) -> None:
        raise sa.exc.OperationalError("DELETE FROM search_outbox", {}, Exception("server closed"))

    monkeypatch.setattr(sync, "_complete", database_gone)
    with pytest.raises(sa.exc.OperationalError):
        sync.run_once()
    [entry] = outbox(search_client)
    assert entry.claimed_by == sync.worker_id
    assert entry.next_attempt_at > utcnow() + LEASE - timedelta(seconds=5)
    assert index_lag(search_client) | {"oldest_pending_age_seconds": None} == {
        "pending": 1,
        "failed": 0,
        "in_flight": 1,
        "lease_expired": 0,
        "oldest_pending_age_seconds": None,
        "last_synced_at": None,
    }

    monkeypatch.setattr(sync, "_complete", real_complete)
    # The database is back: the very next run sends the batch, without waiting for the lease.
    assert sync.run_once() == 1
    assert outbox(search_client) == []
    assert index_lag(search_client)["pending"] == 0


def test_a_dead_workers_batch_comes_back_when_its_lease_runs_out(
    search_client: TestClient,
) -> None:
    search_client.post("/articles", json=make_article(1))
    search_client.post("/articles", json=make_article(2))
    live = index_sync(search_client)
    # Long enough that the checks below run inside it even on a busy machine.
    lease_seconds = 2.0
    dead = other_worker(live, lease=timedelta(seconds=lease_seconds))
    claimed = dead._claim()  # ... and the process is killed before it sends them
    lease_ends = time.monotonic() + lease_seconds  # at the latest
    assert [entry.article_id for entry in claimed] == [1, 2]
    assert {e.claimed_by for e in outbox(search_client)} == {dead.worker_id}
    lag = index_lag(search_client)
    assert (lag["in_flight"], lag["lease_expired"]) == (2, 0)
    assert live.run_once() == 0  # leased to the other worker

    time.sleep(max(0.0, lease_ends - time.monotonic()) + 0.1)
    lag = index_lag(search_client)
    assert (lag["pending"], lag["in_flight"], lag["lease_expired"]) == (2, 0, 2)
    assert live.run_once() == 2
    assert outbox(search_client) == []


def test_a_live_worker_renews_the_lease_of_a_long_batch(search_client: TestClient) -> None:
    search_client.post("/articles", json=make_article(1))
    sync = index_sync(search_client)
    slow = other_worker(sync, lease=timedelta(seconds=0.4), lease_renewal=timedelta(seconds=0.1))
    slow._held = slow._claim()
    slow._lease_renewed_at = time.monotonic()
    for _ in range(6):  # 0.6 s in flight: longer than the lease itself
        time.sleep(0.1)
        slow._renew_lease_if_due()
        assert sync._claim() == [], "a batch in flight was taken by another worker"
    [entry] = outbox(search_client)
    assert entry.claimed_by == slow.worker_id


def test_renewing_never_takes_back_a_batch_another_worker_took_over(
    search_client: TestClient,
) -> None:
    search_client.post("/articles", json=make_article(1))
    sync = index_sync(search_client)
    stalled = other_worker(sync, lease=timedelta(seconds=0.2), lease_renewal=timedelta(0))
    stalled._held = stalled._claim()
    time.sleep(0.3)
    taken = sync._claim()
    assert [entry.article_id for entry in taken] == [1]
    stalled._renew_lease_if_due()
    stalled._release(stalled._held)
    [entry] = outbox(search_client)
    assert entry.claimed_by == sync.worker_id
    assert entry.next_attempt_at > utcnow() + LEASE - timedelta(seconds=5)
