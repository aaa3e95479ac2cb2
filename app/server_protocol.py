"""uvicorn's HTTP protocol, with the requests it refuses before the app sees them answered as
problem+json like every other error, and each answer's head written with its body.

uvicorn's httptools parser answers a request it can't read with a text/plain 400 of its own.
`newsarchive serve` runs this subclass instead, which words those answers: 405 with `Allow`
for a method the parser does not know (as the app answers methods a path does not take),
414 for a URL over httptools' 65,535-byte limit, and 400 for the rest.
"""

import asyncio
import sys
from http import HTTPStatus
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.errors import problem_response

#: The methods some route of the API takes: the `Allow` of a method no route could take.
SERVER_METHODS = "GET, POST, PUT, PATCH, DELETE"


def refusal(error: BaseException | None) -> tuple[int, str, dict[str, str]]:
    """Status, detail and extra headers for a request the parser refused with `error`."""
    if isinstance(error, httptools.HttpParserInvalidMethodError):
        return 405, "The request method is not one this server knows.", {"Allow": SERVER_METHODS}
    cause = error.__context__ if error is not None else None
    if isinstance(cause, httptools.HttpParserInvalidURLError) and "too long" in str(cause):
        return 414, "The URL is longer than the limit of 65535 bytes.", {}
    return 400, "The request is not valid HTTP/1.1.", {}


class HeadWithBody:
    """A response's transport that holds the status line and headers until the first body
    bytes, then writes both at once.

    uvicorn writes the head as soon as the app starts its answer and the body as a second
    write: two system calls, and on loopback the first one also wakes the client for a
    packet it can do nothing with. A search answer (one head, one body) then costs one
    write instead of two. Interim `100 Continue` answers go at once; anything held is
    written with the next write or on close (every answer but HEAD's writes a body, if only
    an empty one).
    """

    __slots__ = ("held", "started", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.held = b""
        self.started = False

    def write(self, data: bytes) -> None:
        if self.started:
            if self.held:
                data, self.held = self.held + data, b""
            self.transport.write(data)
        elif data.startswith(b"HTTP/1.1 100 "):
            self.transport.write(data)
        else:
            self.started, self.held = True, data

    def flush(self) -> None:
        if self.held:
            held, self.held = self.held, b""
            self.transport.write(held)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        # A HEAD answer has no body write to carry its head: it is written as before.
        fresh = cycle is not None and cycle.transport is self.transport
        if fresh and cycle.scope["method"] != "HEAD":
            cycle.transport = HeadWithBody(self.transport)  # type: ignore[assignment]

    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this from its `except HttpParserError:` block, so the parser's error
        # is the one being handled.
        status, detail, headers = refusal(sys.exc_info()[1])
        response = problem_response(status, detail, headers=headers)
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()]
        for name, value in [
            *self.server_state.default_headers,
            *response.raw_headers,
            (b"connection", b"close"),
        ]:
            lines.append(name + b": " + value + b"\r\n")
        self.transport.write(b"".join(lines) + b"\r\n" + bytes(response.body))
        self.transport.close()
