"""The request gateway: one ASGI layer doing what every request needs before a route.

In order: a request id (a client's sane X-Request-ID, else a new one) echoed on the answer
and written to the access log; metrics (app/metrics.py); the rate limit (app/ratelimit.py);
the body-size limit; the input rules on the query string (app/input_rules.py). One layer
instead of five: each layer costs a coroutine, a wrapped `send` and a walk over the
headers on every request, which on a keyword search was a visible share of the API's own
time (bench/search.py). The rules themselves live in their modules; this one only applies
them, reading the headers once.
"""

import logging
import os
import re
import time

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.auth.deps import STATE_KEY_ID
from app.errors import api_error_response, problem_response
from app.input_rules import query_error
from app.ratelimit import RateLimitRules, presented_key_id, refused

logger = logging.getLogger("app.access")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
#: The request headers the gateway reads; the rest are not looked at.
_WANTED = frozenset(
    {b"x-request-id", b"content-type", b"content-length", b"authorization", b"x-api-key"}
)


def new_request_id() -> str:
    """32 random hex digits (as a UUID4's hex, without building a UUID)."""
    return os.urandom(16).hex()


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413 problem+json, counting while streaming.

    A declared Content-Length over the limit is refused before anything is read; a chunked
    body fails as soon as it passes the limit, so a huge upload never sits in memory.
    `streamed` names (path, media type) pairs whose handler reads the body as a stream and
    limits it record by record instead (NDJSON bulk import): any total size is fine there.
    """

    def __init__(self, max_bytes: int, streamed: frozenset[tuple[str, str]]) -> None:
        self.max_bytes = max_bytes
        self.streamed = streamed

    def too_large(self) -> StarletteHTTPException:
        detail = f"Request body is larger than the limit of {self.max_bytes} bytes."
        return StarletteHTTPException(status_code=413, detail=detail)

    def applies(self, path: str, content_type: bytes) -> bool:
        media_type = content_type.split(b";", 1)[0].strip().decode("latin-1").lower()
        return (path, media_type) not in self.streamed

    def declared_too_large(self, content_length: bytes) -> bool:
        return content_length.isdigit() and int(content_length) > self.max_bytes

    def limited(self, receive: Receive) -> Receive:
        """`receive`, raising 413 (rendered by the app's handler) once the body passes the limit."""
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self.too_large()
            return message

        return limited_receive


class _Answer:
    """What the gateway notes of one answer as it goes out: its status (500 until the app
    starts one) and the headers it adds to it."""

    __slots__ = ("extra_headers", "status")

    def __init__(self, extra_headers: list[tuple[bytes, bytes]]) -> None:
        self.extra_headers = extra_headers
        self.status = 500


class Gateway:
    """The one ASGI layer between the server (or CORS) and the app: see the module docstring."""

    def __init__(self, app: ASGIApp, rate_limit: RateLimitRules, body_limit: BodySizeLimit) -> None:
        self.app = app
        self.rate_limit = rate_limit
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name: value for name, value in scope["headers"] if name in _WANTED}
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SAFE_REQUEST_ID.match(given) else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        # Every answer carries the request id; an allowed, limited one its budget too.
        answer = _Answer([(b"x-request-id", request_id.encode())])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.status = message["status"]
                message.setdefault("headers", []).extend(answer.extra_headers)
            await send(message)

        method, path = scope["method"], scope["path"]
        started = time.perf_counter()
        metrics.request_started()
        try:
            await self._limited(scope, receive, send_with_headers, headers, answer)
        finally:
            route = getattr(scope.get("route"), "path", None)
            seconds = time.perf_counter() - started
            status = answer.status
            metrics.request_finished(method, route, status, seconds)
            logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": method,
                    "path": path,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )

    async def _limited(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[bytes, bytes],
        answer: _Answer,
    ) -> None:
        """Rate limit, then body size and input rules, then the app."""
        kind = self.rate_limit.kind_of(scope["method"], scope["path"])
        if kind is None:
            await self._checked(scope, receive, send, headers)
            return
        key_id = presented_key_id(
            headers.get(b"authorization", b""), headers.get(b"x-api-key", b"")
        )
        decision = self.rate_limit.limiter.hit(
            kind, self.rate_limit.client(key_id, scope.get("client"))
        )
        if not decision.allowed:
            await refused(kind, decision)(scope, receive, send)
            return
        answer.extra_headers.extend(decision.raw_headers())
        await self._checked(scope, receive, send, headers)
        self.rate_limit.settle(scope.get("state", {}).get(STATE_KEY_ID), key_id, answer.status)

    async def _checked(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]
    ) -> None:
        if self.body_limit.applies(scope["path"], headers.get(b"content-type", b"")):
            if self.body_limit.declared_too_large(headers.get(b"content-length", b"")):
                too_large = self.body_limit.too_large()
                await problem_response(413, too_large.detail)(scope, receive, send)
                return
            receive = self.body_limit.limited(receive)
        error = query_error(scope["query_string"])
        if error is not None:
            await api_error_response(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)
