"""The index worker's fill wait: partial batches wait for more while writes keep coming."""

import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.db import utcnow
from app.outbox import OutboxEntry
from app.search.sync_worker import SyncWorker
from tests.conftest import index_sync
from tests.test_articles_api import make_article


def pending(client: TestClient) -> int:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return len(session.exec(select(OutboxEntry)).all())


def test_ready_counts_what_may_be_sent_and_dates_the_oldest(search_client: TestClient) -> None:
    sync = index_sync(search_client)
    assert sync.ready() == (0, None)
    before = utcnow()
    for n in range(3):
        search_client.post("/articles", json=make_article(n))
    count, oldest = sync.ready()
    assert count == 3
    assert oldest is not None and before - timedelta(seconds=1) <= oldest <= utcnow()
    sync.batch_size = 2
    assert sync.ready()[0] == 2  # never more than a batch is counted


def test_a_partial_batch_waits_until_full_or_old_enough(search_client: TestClient) -> None:
    sync = index_sync(search_client)
    sync.batch_size = 2
    worker = SyncWorker(sync, poll_seconds=0.05, fill_seconds=60)
    search_client.post("/articles", json=make_article(1))
    assert worker._filling()
    worker.start()
    try:
        time.sleep(0.5)
        assert pending(search_client) == 1  # one of two, and a minute to fill: still waiting
        search_client.post("/articles", json=make_article(2))
        deadline = time.monotonic() + 30
        while pending(search_client) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pending(search_client) == 0  # a full batch goes at once
        search_client.post("/articles", json=make_article(3))
        assert worker._filling()
        worker.fill_seconds = 0.2  # old enough soon: sent without a second article
        deadline = time.monotonic() + 30
        while pending(search_client) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pending(search_client) == 0
    finally:
        worker.stop()


def test_with_nothing_ready_the_worker_waits_rather_than_claiming(
    search_client: TestClient,
) -> None:
    # Claiming after an empty look would send whatever was written in between, however young.
    worker = SyncWorker(index_sync(search_client), fill_seconds=60)
    assert worker._filling()
