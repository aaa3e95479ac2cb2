"""Pytest fixtures for a real Meilisearch.

Register with ``pytest_plugins = ["tests.meili_plugin"]`` in conftest.py (or
``pytest -p tests.meili_plugin``). Set ``MEILI_URL`` (and ``MEILI_MASTER_KEY``) to test
against an existing server; otherwise one local server is started for the whole run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from app.search.client import SearchClient, build_client
from app.search.meili_process import MeiliProcess


@dataclass(frozen=True)
class MeiliServer:
    url: str
    master_key: str | None
    #: Set only when this run started the server, so fault tests can kill or restart it.
    process: MeiliProcess | None = None


@pytest.fixture(scope="session")
def meili_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeiliServer]:
    url = os.environ.get("MEILI_URL")
    if url:
        yield MeiliServer(url=url.rstrip("/"), master_key=os.environ.get("MEILI_MASTER_KEY"))
        return
    # Indexing threads are capped: CI machines are small and shared with other jobs.
    proc = MeiliProcess(tmp_path_factory.mktemp("meili"), extra_args=("--max-indexing-threads=2",))
    with proc:
        yield MeiliServer(url=proc.url, master_key=proc.master_key, process=proc)


@pytest.fixture
def meili_client(meili_server: MeiliServer) -> Iterator[SearchClient]:
    if meili_server.process is not None and not meili_server.process.is_running():
        # A fault test that stopped the server and failed before restarting it must not
        # take every later test down with it.
        meili_server.process.start()
    with build_client(meili_server.url, meili_server.master_key, timeout=10.0) as client:
        yield client


@pytest.fixture
def meili_index_uid(meili_client: SearchClient) -> Iterator[str]:
    """A fresh index name, unique per test; the index is deleted afterwards if created."""
    uid = f"test_{uuid.uuid4().hex}"
    yield uid
    task = meili_client.delete_index(uid)
    # Deleting an index that was never created fails the task; that is fine here.
    meili_client.wait_for_task(task.task_uid, timeout_in_ms=30_000)
