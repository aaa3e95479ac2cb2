from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import meilisearch
import pytest
import requests
from meilisearch.errors import MeilisearchApiError, MeilisearchCommunicationError
from urllib3 import HTTPConnectionPool

from app.search.client import PooledHttpRequests, SearchClient, build_client
from app.search.meili_process import MeiliProcess
from tests.meili_plugin import MeiliServer

# Enough text that a page of hits spans several TCP segments when compressed.
DOCS = [{"id": i, "title": f"report {i}", "body": "market news " * 40} for i in range(200)]


@pytest.fixture
def loaded_index(meili_client: SearchClient, meili_index_uid: str) -> str:
    task = meili_client.index(meili_index_uid).add_documents(DOCS, primary_key="id")
    assert meili_client.wait_for_task(task.task_uid, timeout_in_ms=30_000).status == "succeeded"
    return meili_index_uid


class ResponseLog:
    """Records the responses a session receives, with the connection each came on."""

    def __init__(self, session: requests.Session) -> None:
        self.responses: list[requests.Response] = []
        session.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.responses.append(response)


def _only_pool(client: SearchClient, url: str) -> HTTPConnectionPool:
    adapter = client.session.get_adapter(url)
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    # urllib3's pool container refuses plain iteration, hence keys().
    pools = [adapter.poolmanager.pools[key] for key in adapter.poolmanager.pools.keys()]  # noqa: SIM118
    assert len(pools) == 1
    assert isinstance(pools[0], HTTPConnectionPool)
    return pools[0]


def test_search_reuses_one_connection_and_refuses_compression(
    meili_server: MeiliServer, meili_client: SearchClient, loaded_index: str
) -> None:
    """Compressed responses are streamed in chunks, which is what stalls on a warm
    connection; a plain Content-Length body on one reused connection is the fix."""
    log = ResponseLog(meili_client.session)
    pool = _only_pool(meili_client, meili_server.url)
    opened_before, sent_before = pool.num_connections, pool.num_requests
    index = meili_client.index(loaded_index)

    for _ in range(5):
        result = index.search("", {"limit": 100})
        assert len(result["hits"]) == 100

    assert len(log.responses) == 5
    for response in log.responses:
        assert response.request.headers["Accept-Encoding"] == "identity"
        assert "Content-Encoding" not in response.headers
        assert "Transfer-Encoding" not in response.headers
        assert int(response.headers["Content-Length"]) > 30_000
    # Every request went through the shared pool, on at most one new connection.
    assert pool.num_requests - sent_before == 5
    assert pool.num_connections - opened_before <= 1


def test_stock_client_gets_chunked_compressed_responses(
    meili_server: MeiliServer, loaded_index: str
) -> None:
    """Pins the server behaviour the fix relies on: with the library's default headers
    Meilisearch compresses and streams, so the header choice is what matters."""
    response = requests.post(
        f"{meili_server.url}/indexes/{loaded_index}/search",
        json={"q": "", "limit": 100},
        headers={"Authorization": f"Bearer {meili_server.master_key}"},
        timeout=10,
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Transfer-Encoding"] == "chunked"


def test_index_and_task_handles_share_the_pool(meili_client: SearchClient) -> None:
    index = meili_client.index("anything")
    transports = [meili_client.http, meili_client.task_handler.http]
    transports += [index.http, index.task_handler.http]
    for transport in transports:
        assert isinstance(transport, PooledHttpRequests)
        assert transport.session is meili_client.session


def test_real_search_and_typed_errors(meili_client: SearchClient, loaded_index: str) -> None:
    assert isinstance(meili_client, meilisearch.Client)
    index = meili_client.get_index(loaded_index)
    assert index.primary_key == "id"
    result = index.search("report", {"limit": 1000, "attributesToRetrieve": ["id"]})
    assert sorted(hit["id"] for hit in result["hits"]) == list(range(200))
    listed = meili_client.get_indexes({"limit": 1000})["results"]
    assert all(isinstance(i.http, PooledHttpRequests) for i in listed)

    with pytest.raises(MeilisearchApiError) as err:
        meili_client.index(loaded_index).search("", {"filter": "nope = 1"})
    assert err.value.code == "invalid_search_filter"
    with pytest.raises(MeilisearchApiError) as missing:
        meili_client.get_index("no_such_index_here")
    assert missing.value.code == "index_not_found"


def test_recovers_after_server_restart(tmp_path: Path) -> None:
    with MeiliProcess(tmp_path / "meili") as proc, build_client(proc.url, proc.master_key) as c:
        assert c.health()["status"] == "available"
        proc.kill()
        with pytest.raises(MeilisearchCommunicationError):
            c.health()
        proc.start()
        # The pooled connection died with the server; the next request must not fail.
        assert c.health()["status"] == "available"


@pytest.fixture
def dead_url() -> Iterator[str]:
    yield "http://127.0.0.1:9"


def test_unreachable_server_is_a_communication_error(dead_url: str) -> None:
    with (
        build_client(dead_url, "key", timeout=1.0) as c,
        pytest.raises(MeilisearchCommunicationError),
    ):
        c.health()


def test_bodyless_requests_send_no_body_so_keep_alive_connections_stay_clean(
    meili_client: SearchClient, meili_index_uid: str
) -> None:
    """Meilisearch answers a DELETE before reading a body; bytes sent after it would be read
    as the start of the next request on that kept-alive connection, which then hangs."""
    sent: list[tuple[str, object]] = []
    real_request = meili_client.session.request

    def recording_request(method: str, url: str, **kwargs: Any) -> Any:
        sent.append((method, kwargs.get("data")))
        return real_request(method, url, **kwargs)

    meili_client.session.request = recording_request  # type: ignore[method-assign,assignment]
    meili_client.wait_for_task(meili_client.create_index(meili_index_uid).task_uid)
    meili_client.wait_for_task(meili_client.delete_index(meili_index_uid).task_uid)
    assert ("DELETE", None) in sent
    assert meili_client.health() == {"status": "available"}
