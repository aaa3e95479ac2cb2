"""The floor for any Python layer in front of Meilisearch: an ASGI app that does nothing else.

`GET /search?q=WORD` sends the body bench/search.py sends Meilisearch directly (same filter,
fields and page size) through the API's own transport (app/search/meili_http.py) and
returns Meilisearch's bytes untouched, served by uvicorn with the API server's settings
(uvloop, httptools, one worker, no access log). No validation, planning, rate limit,
metrics or answer shaping: what it costs is what a Python server and one kept-alive
upstream request cost. bench/search.py --floor measures it beside the API, so the API's
overhead splits into what any Python layer pays and what ours adds.

    MEILI_URL=... MEILI_MASTER_KEY=... MEILI_INDEX=articles \\
        .venv/bin/python -m bench.pass_through --port 8001
"""

import argparse
import os
from typing import Any
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from app.search.meili_http import AsyncMeiliHttp
from bench.search_requests import direct_body

_JSON = [(b"content-type", b"application/json")]


class PassThrough:
    """One search path, one upstream request per request, the answer passed on as bytes."""

    def __init__(self, url: str, key: str | None, index: str) -> None:
        self._url, self._key = url, key
        self._path = f"/indexes/{index}/search"
        self._http: AsyncMeiliHttp | None = None  # made on the server's loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if self._http is None:
            self._http = AsyncMeiliHttp(self._url, self._key, 30.0)
        query: dict[str, Any] = parse_qs(scope["query_string"].decode("latin-1"))
        answer = await self._http.post(self._path, direct_body(query.get("q", [""])[0]))
        headers = [*_JSON, (b"content-length", str(len(answer.body)).encode())]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = PassThrough(
        os.environ["MEILI_URL"], os.environ.get("MEILI_MASTER_KEY"), os.environ["MEILI_INDEX"]
    )
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_config=None, access_log=False, http="httptools"
    )


if __name__ == "__main__":
    main()
