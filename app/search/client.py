"""The Meilisearch client the API uses: pooled keep-alive connections, no compression.

Meilisearch compresses a response when asked (requests and httpx send ``Accept-Encoding:
gzip`` by default) and streams it as several chunked writes on a socket without
TCP_NODELAY, so Nagle holds each small write until the previous one is ACKed, while the
client, on a warm keep-alive connection, delays that ACK by ~40 ms (a fresh connection
starts in quick-ACK mode, hence no stall per-request). Our side already sets TCP_NODELAY
(urllib3 and httpx do), so only an uncompressed, single-write response avoids the stall:
we keep one pooled ``requests.Session`` and send ``Accept-Encoding: identity``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Self

import requests
from meilisearch import Client
from meilisearch._httprequests import HttpRequests
from meilisearch.config import Config
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchTimeoutError,
)
from meilisearch.index import Index
from meilisearch.models.task import Task
from requests.adapters import HTTPAdapter

logger = logging.getLogger(__name__)

#: Sent on every request; see the module docstring for why compression is refused.
NO_COMPRESSION = {"Accept-Encoding": "identity"}
#: Matches the default worker-thread limit of FastAPI's thread pool (anyio: 40), so
#: concurrent sync routes never queue for a connection or open throwaway ones.
DEFAULT_POOL_SIZE = 40
DEFAULT_CONNECT_TIMEOUT = 2.0


class MeiliTaskError(RuntimeError):
    """A Meilisearch task ended in another state than ``succeeded``.

    ``code`` is Meilisearch's error code (e.g. ``invalid_settings_filterable_attributes``),
    or ``task_canceled`` when the task was canceled.
    """

    def __init__(self, task: Task) -> None:
        error = task.error or {}
        self.task_uid = task.uid
        self.task_type = task.type
        self.status = task.status
        self.code: str = error.get("code") or f"task_{task.status}"
        self.message: str = error.get("message") or f"task {task.uid} {task.status}"
        super().__init__(f"{task.type} task {task.uid} {task.status}: [{self.code}] {self.message}")


class PooledHttpRequests(HttpRequests):
    """The stock transport, sending through a shared ``requests.Session``.

    The stock one calls ``requests.post`` and friends, which open a new connection per
    request, and it mutates shared headers per call, which races between threads
    sharing an ``Index``; here headers are built per request.
    """

    def __init__(
        self,
        config: Config,
        session: requests.Session,
        *,
        timeout: float,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        super().__init__(config, NO_COMPRESSION)
        self.session = session
        self.timeout = (connect_timeout, timeout)

    def send_request(
        self,
        http_method: Callable[..., Any],
        path: str,
        body: Any = None,
        content_type: str | None = None,
        *,
        serializer: type[json.JSONEncoder] | None = None,
    ) -> Any:
        # The stock methods pass requests.get/post/...: only the verb is taken from them.
        method = http_method.__name__.upper()
        headers = dict(self.headers)
        headers.pop("Content-Type", None)
        if content_type:
            headers["Content-Type"] = content_type
        data: bytes | Iterator[bytes] | None
        if isinstance(body, Iterator):
            # Streamed as it is produced (chunked transfer encoding).
            data = body
        elif method == "GET" or body is None:
            # No body at all rather than the stock "null": Meilisearch answers some bodyless
            # routes (DELETE) without reading a body, and the unread bytes left on a kept-alive
            # connection corrupt the next request on it, which then hangs until the timeout.
            data = None
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, (bool, dict)) or body:
            data = json.dumps(body, cls=serializer).encode()
        else:
            # Same encoding of empty bodies as the stock transport.
            data = b"" if body == "" else b"null"
        url = f"{self.config.url}/{path}"
        try:
            response = self.session.request(
                method, url, data=data, headers=headers, timeout=self.timeout
            )
        except requests.exceptions.Timeout as err:
            raise MeilisearchTimeoutError(str(err)) from err
        except requests.exceptions.ConnectionError as err:
            raise MeilisearchCommunicationError(str(err)) from err
        except requests.exceptions.InvalidSchema as err:
            raise MeilisearchCommunicationError(f"invalid Meilisearch URL {url!r}") from err
        if not response.ok:
            raise MeilisearchApiError(str(response.status_code), response)
        if response.content == b"":
            return response
        return response.json()


def new_session(pool_size: int = DEFAULT_POOL_SIZE) -> requests.Session:
    """A session with a connection pool sized for the API's worker threads."""
    session = requests.Session()
    session.headers.update(NO_COMPRESSION)
    # Proxies from the environment must not capture traffic to our own search engine.
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class SearchClient(Client):
    """A ``meilisearch.Client`` whose client-, index- and task-level requests share one
    connection pool.

    Index handles must come from :meth:`index`, :meth:`get_index` or
    :meth:`get_indexes` of this client to use the pool; ``Index`` objects built by hand
    fall back to the stock per-request connections (still correct, just slower).
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        timeout: float = 5.0,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        super().__init__(url.rstrip("/"), api_key, custom_headers=NO_COMPRESSION)
        self.session = new_session(pool_size)
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self.pooled_http = self._transport()
        self.http = self.pooled_http
        self.task_handler.http = self._transport()

    def _transport(self) -> PooledHttpRequests:
        return PooledHttpRequests(
            self.config, self.session, timeout=self._timeout, connect_timeout=self._connect_timeout
        )

    def _adopt(self, index: Index) -> Index:
        index.http = self._transport()
        index.task_handler.http = self._transport()
        return index

    def index(self, uid: str) -> Index:
        return self._adopt(super().index(uid))

    def get_index(self, uid: str) -> Index:
        return self.index(uid).fetch_info()

    def get_indexes(self, parameters: Any = None) -> dict[str, list[Index]]:
        response: dict[str, list[Index]] = super().get_indexes(parameters)
        response["results"] = [self._adopt(index) for index in response["results"]]
        return response

    def add_documents_stream(self, uid: str, lines: Iterator[bytes], primary_key: str) -> int:
        """Add documents given as NDJSON lines, sent while they are produced; return the task
        uid. One task however many documents, without holding them all in memory."""
        response = self.pooled_http.send_request(
            requests.post,
            f"indexes/{uid}/documents?primaryKey={primary_key}",
            body=lines,
            content_type="application/x-ndjson",
        )
        return int(response["taskUid"])

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def build_client(
    url: str,
    api_key: str | None,
    *,
    timeout: float = 5.0,
    pool_size: int = DEFAULT_POOL_SIZE,
) -> SearchClient:
    """The client the API uses: one per process, shared by all request threads."""
    logger.info(
        "meilisearch client configured",
        extra={"meili_url": url, "timeout_s": timeout, "pool_size": pool_size},
    )
    return SearchClient(url, api_key, timeout=timeout, pool_size=pool_size)


def wait_for_success(client: Client, task_uid: int, *, timeout_s: float = 60.0) -> Task:
    """Wait for a task and insist it succeeded: an accepted (202) write is not a done one.

    Raises :class:`MeiliTaskError` if the task failed or was canceled, and
    ``MeilisearchTimeoutError`` if it is still pending after ``timeout_s``.
    """
    task: Task = client.wait_for_task(
        task_uid, timeout_in_ms=int(timeout_s * 1000), interval_in_ms=20
    )
    if task.status != "succeeded":
        logger.warning(
            "meilisearch task did not succeed",
            extra={
                "task_uid": task.uid,
                "task_type": task.type,
                "task_status": task.status,
                "error_code": (task.error or {}).get("code"),
            },
        )
        raise MeiliTaskError(task)
    return task
