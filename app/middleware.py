"""ASGI middleware: request ids with an access log line, and a streaming body-size limit."""

import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response

logger = logging.getLogger("app.access")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class RequestContext:
    """Give every request an id (a client's X-Request-ID when it is sane), echo it, log the result."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": getattr(route, "path", None),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413 problem+json, counting while streaming.

    A declared Content-Length over the limit is refused before anything is read; a chunked
    body fails as soon as it passes the limit, so a huge upload never sits in memory.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, streamed: frozenset[tuple[str, str]] = frozenset()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        #: (path, media type) pairs whose handler reads the body as a stream and limits it
        #: record by record instead (NDJSON bulk import): any total size is fine there.
        self.streamed = streamed

    def _too_large(self) -> StarletteHTTPException:
        detail = f"Request body is larger than the limit of {self.max_bytes} bytes."
        return StarletteHTTPException(status_code=413, detail=detail)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        media_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().decode("latin-1")
        if (scope["path"], media_type.lower()) in self.streamed:
            await self.app(scope, receive, send)
            return
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            error = self._too_large()
            response = problem_response(error.status_code, error.detail)
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTP exceptions from body reading; our handler renders it.
                    raise self._too_large()
            return message

        await self.app(scope, limited_receive, send)
