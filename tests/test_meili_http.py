"""The API's async Meilisearch transport: against the real server, and against tiny servers
that misbehave on purpose (stale kept-alive connections, chunked answers, hangs, resets),
faults a healthy Meilisearch can't be made to show on demand."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app.search.meili_http import AsyncMeiliHttp, MeiliUnreachable
from tests.meili_plugin import MeiliServer

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
JSON_OK = (
    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head + await reader.readexactly(length)


async def with_server(handler: Handler, use: Callable[[str], Awaitable[Any]]) -> Any:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await use(f"http://127.0.0.1:{port}")
    finally:
        server.close()


def test_real_meilisearch_answers_and_connection_is_reused(meili_server: MeiliServer) -> None:
    async def scenario() -> None:
        http = AsyncMeiliHttp(meili_server.url, meili_server.master_key, timeout=5)
        missing = await http.post("/indexes/no_such_index_here/search", {"q": "x"})
        assert missing.status == 404
        assert missing.json()["code"] == "index_not_found"
        health = [await http.post("/multi-search", {"queries": []}) for _ in range(3)]
        assert [answer.status for answer in health] == [200, 200, 200]
        assert health[0].json() == {"results": []}
        assert len(http._idle) == 1  # one kept-alive connection served all four
        await http.aclose()

    asyncio.run(scenario())


def test_wrong_key_is_an_answer_not_an_outage(meili_server: MeiliServer) -> None:
    async def scenario() -> None:
        http = AsyncMeiliHttp(meili_server.url, "not-the-key", timeout=5)
        answer = await http.post("/multi-search", {"queries": []})
        assert answer.status in (401, 403)
        await http.aclose()

    asyncio.run(scenario())


def test_idle_connection_closed_by_the_server_is_not_reused() -> None:
    accepted = 0

    async def answer_once_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nonlocal accepted
        accepted += 1
        await read_request(reader)
        writer.write(JSON_OK)  # says keep-alive (HTTP/1.1 default) ...
        await writer.drain()
        writer.close()  # ... then closes the idle connection, as servers do after a while

    async def use(url: str) -> list[int]:
        http = AsyncMeiliHttp(url, None, timeout=2)
        first = await http.post("/search", {})
        await asyncio.sleep(0.05)  # let the close arrive
        second = await http.post("/search", {})
        return [first.status, second.status]

    assert asyncio.run(with_server(answer_once_then_close, use)) == [200, 200]
    assert accepted == 2


def test_connection_closed_before_answering_is_retried_once_on_a_fresh_one() -> None:
    accepted = 0

    async def drop_second_request(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nonlocal accepted
        accepted += 1
        first_connection = accepted == 1
        await read_request(reader)
        writer.write(JSON_OK)
        await writer.drain()
        if first_connection:
            await read_request(reader)  # the server gave up on this connection meanwhile
            writer.close()
            return
        while True:
            try:
                await read_request(reader)
            except asyncio.IncompleteReadError:
                return
            writer.write(JSON_OK)
            await writer.drain()

    async def use(url: str) -> list[int]:
        http = AsyncMeiliHttp(url, None, timeout=2)
        return [(await http.post("/search", {})).status for _ in range(3)]

    assert asyncio.run(with_server(drop_second_request, use)) == [200, 200, 200]
    assert accepted == 2


def test_chunked_answer_and_path_prefix() -> None:
    seen: list[bytes] = []

    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'5\r\n{"a":\r\n6\r\n[1,2]}\r\n0\r\n\r\n'
        )
        await writer.drain()

    async def use(url: str) -> Any:
        http = AsyncMeiliHttp(url + "/meili/", "secret", timeout=2)
        answer = await http.post("/indexes/articles/search", {"q": "é"})
        await http.aclose()
        return answer.json()

    assert asyncio.run(with_server(chunked, use)) == {"a": [1, 2]}
    request = seen[0]
    assert request.startswith(b"POST /meili/indexes/articles/search HTTP/1.1\r\n")
    assert b"\r\nAuthorization: Bearer secret\r\n" in request
    assert b"\r\nAccept-Encoding: identity\r\n" in request
    assert request.endswith('{"q":"é"}'.encode())


def test_connection_close_answer_is_not_kept() -> None:
    async def close_after(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(JSON_OK.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
        await writer.drain()
        writer.close()

    async def use(url: str) -> int:
        http = AsyncMeiliHttp(url, None, timeout=2)
        assert (await http.post("/x", {})).status == 200
        return len(http._idle)

    assert asyncio.run(with_server(close_after, use)) == 0


def test_reset_mid_answer_is_unreachable_without_a_second_try() -> None:
    accepted = 0

    async def half_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        await read_request(reader)
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial')
        await writer.drain()
        writer.close()

    async def use(url: str) -> None:
        http = AsyncMeiliHttp(url, None, timeout=2)
        with pytest.raises(MeiliUnreachable, match="mid-answer"):
            await http.post("/x", {})

    asyncio.run(with_server(half_answer, use))
    assert accepted == 1


def test_no_answer_times_out() -> None:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async def use(url: str) -> float:
        http = AsyncMeiliHttp(url, None, timeout=0.3)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(MeiliUnreachable, match="no answer within"):
            await http.post("/x", {})
        return loop.time() - started

    assert asyncio.run(with_server(hang, use)) < 2


def test_refused_connection_is_unreachable() -> None:
    async def scenario() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        http = AsyncMeiliHttp(f"http://127.0.0.1:{port}", None, timeout=2)
        with pytest.raises(MeiliUnreachable):
            await http.post("/x", {})

    asyncio.run(scenario())


def test_garbage_answer_is_unreachable() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()

    async def use(url: str) -> None:
        http = AsyncMeiliHttp(url, None, timeout=2)
        with pytest.raises(MeiliUnreachable, match="unparseable"):
            await http.post("/x", {})

    asyncio.run(with_server(garbage, use))


def test_not_an_http_url_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="not an http"):
        AsyncMeiliHttp("meili.internal:7700", None, timeout=1)
