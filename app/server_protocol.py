"""uvicorn's HTTP protocol, with the requests it refuses before the app sees them answered as
problem+json like every other error.

uvicorn's httptools parser answers a request it can't read with a text/plain 400 of its own.
`newsarchive serve` runs this subclass instead, which words those answers: 405 with `Allow`
for a method the parser does not know (as the app answers methods a path does not take),
414 for a URL over httptools' 65,535-byte limit, and 400 for the rest.
"""

import sys
from http import HTTPStatus

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


class ProblemHttpToolsProtocol(HttpToolsProtocol):
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
