"""The API's async path to Meilisearch: kept-alive HTTP/1.1 connections on the event loop.

Searches are the hot path, and a general-purpose client's per-request bookkeeping is a
large share of a search on a small index (bench/meili_transport.py, 100 documents per
answer: 0.95 ms median through this client, 1.38 ms through httpx's async client with the
same headers, in one run). This client does only what the search path needs: POST a JSON body, read one response, reuse the
connection. Responses are parsed by httptools (the C parser uvicorn uses), so
Content-Length and chunked bodies are both handled.

Like the sync client it asks for uncompressed answers: Meilisearch's gzipped, chunked
answers stall ~40 ms on a warm connection (Nagle against delayed ACKs). Long uncompressed
answers (20 modern articles, ~150 KB) stall the same way: Meilisearch writes them in parts,
holds the last part until the previous one is acknowledged, and a warm connection delays
that ACK. So whenever an answer has arrived only in part, the connection acknowledges at
once (TCP_QUICKACK, which Linux clears again by itself); an answer that comes whole costs
nothing more (bench/search.py --corpus allsides).
"""

import asyncio
import contextlib
import socket
import ssl
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import httptools
import orjson

#: Idle connections kept per process; more concurrent searches than this open extra ones.
MAX_IDLE_CONNECTIONS = 32


#: Linux's TCP_QUICKACK (None elsewhere: there the stall may stay).
QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


class MeiliUnreachable(Exception):
    """No answer from Meilisearch: refused, reset, unparseable, or past the timeout."""


@dataclass(frozen=True)
class MeiliAnswer:
    status: int
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


class _StaleConnection(Exception):
    """A kept-alive connection closed before any byte of the answer: safe to send again."""


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[MeiliAnswer] | None = None
        self._body: list[bytes] = []
        self._started = False
        self._socket: socket.socket | None = None
        self.reusable = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self._socket = transport.get_extra_info("socket")

    def data_received(self, data: bytes) -> None:
        self._started = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(MeiliUnreachable(f"unparseable answer: {exc}"))
            self.close()
            return
        if self._answer is not None and not self._answer.done():
            self._acknowledge_now()

    def _acknowledge_now(self) -> None:
        """Send the ACK for what has arrived now rather than after the delayed-ACK timer,
        which the rest of a long answer would wait for (see the module docstring)."""
        if QUICKACK is not None and self._socket is not None:
            with contextlib.suppress(OSError):  # closing already
                self._socket.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.reusable = False
        if self._started:
            self._fail(MeiliUnreachable("connection closed mid-answer"))
        else:
            self._fail(_StaleConnection())

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self.reusable = self._parser.should_keep_alive()
        if self._answer is not None and not self._answer.done():
            status = self._parser.get_status_code()
            self._answer.set_result(MeiliAnswer(status=status, body=b"".join(self._body)))

    # ours
    def _fail(self, error: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)

    @property
    def open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    async def exchange(self, request: bytes) -> MeiliAnswer:
        assert self.transport is not None
        self._parser = httptools.HttpResponseParser(self)
        self._body = []
        self._started = False
        self.reusable = False
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self._answer

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.transport = None
        self.reusable = False


class AsyncMeiliHttp:
    """A pool of kept-alive connections to one Meilisearch, bound to the loop that uses it."""

    def __init__(self, url: str, key: str | None, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self._prefix = parts.path.rstrip("/")
        headers = {
            "Host": parts.netloc.rpartition("@")[2],
            "Accept-Encoding": "identity",
            "Content-Type": "application/json",
            "User-Agent": "newsarchive",
        }
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._timeout = timeout
        self._connect_timeout = min(timeout, 2.0)
        self._idle: list[_Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def post(self, path: str, body: Any) -> MeiliAnswer:
        """POST `body` as JSON. Searches are reads, so a stale kept-alive connection is
        retried once on a fresh one."""
        payload = orjson.dumps(body)
        request = (
            f"POST {self._prefix}{path} HTTP/1.1\r\n{self._head}"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode("latin-1") + payload
        try:
            async with asyncio.timeout(self._timeout):
                connection = self._take_idle()
                if connection is not None:
                    try:
                        return await self._exchange(connection, request)
                    except _StaleConnection:
                        pass
                return await self._exchange(await self._connect(), request)
        except _StaleConnection as exc:
            raise MeiliUnreachable("connection closed before an answer") from exc
        except TimeoutError as exc:
            raise MeiliUnreachable(f"no answer within {self._timeout} s") from exc
        except OSError as exc:
            raise MeiliUnreachable(type(exc).__name__) from exc

    async def _exchange(self, connection: _Connection, request: bytes) -> MeiliAnswer:
        try:
            answer = await connection.exchange(request)
        except BaseException:
            connection.close()  # a half-read answer (or a cancelled one) poisons the connection
            raise
        if connection.reusable and connection.open and len(self._idle) < MAX_IDLE_CONNECTIONS:
            self._idle.append(connection)
        else:
            connection.close()
        return answer

    def _take_idle(self) -> _Connection | None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Connections belong to the loop that opened them (tests run several loops).
            self._idle = []
            self._loop = loop
        while self._idle:
            connection = self._idle.pop()
            if connection.open:
                return connection
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self._connect_timeout):
            _, connection = await loop.create_connection(
                _Connection,
                self._host,
                self._port,
                ssl=self._ssl,
                server_hostname=self._host if self._ssl else None,
            )
        return connection

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
