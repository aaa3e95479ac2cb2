"""GET /search for anonymous readers, answered without FastAPI's routing and dependency solving.

Keyword searches are the hot path, and on a small index FastAPI's per-request machinery
(route matching, dependency solving, query-model parsing, exception middleware) costs about
half as much as Meilisearch's own work (bench/search.py). This ASGI layer answers the common
case, a GET /search without an API key and without entity names on a server whose reads are
public, with the same plan, the same query vector (for hybrid and semantic modes), the same
Meilisearch round trip and the same JSON as the route in app/search/router.py. Everything else goes on to that route, which stays the contract: it
documents the endpoint, checks keys, resolves entity names and words every validation error.

It sits inside CORS and the request gateway (app/middleware.py: request id, metrics, rate
limit, body limit, input rules), so those apply alike.
"""

from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import ApiError, api_error_response
from app.search import service
from app.search.backend import SearchBackend
from app.search.router import run_plan, search_response
from app.search.schemas import SearchParams

PATH = "/search"
#: Query parameter name -> whether it repeats (list-valued), as SearchParams declares them.
PARAMETERS: dict[str, bool] = {
    (field.alias or name): getattr(field.annotation, "__origin__", None) is list
    for name, field in SearchParams.model_fields.items()
}
KEY_HEADERS = (b"authorization", b"x-api-key")


class _Route:
    """What the metrics and access log read from `scope["route"]`: the route template."""

    path = PATH


class SearchFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == PATH:
            params = self._params_if_fast(scope)
            if params is not None:
                await self._answer(scope, params, receive, send)
                return
        await self.app(scope, receive, send)

    def _params_if_fast(self, scope: Scope) -> SearchParams | None:
        state = scope["app"].state
        if state.search is None or state.settings.REQUIRE_KEY_FOR_READS:
            return None
        if any(name in KEY_HEADERS for name, _ in scope["headers"]):
            return None  # a presented key is always checked, by the route's dependency
        data: dict[str, Any] = {}
        for name, value in parse_qsl(scope["query_string"].decode("latin-1"), True):
            repeats = PARAMETERS.get(name)
            if repeats is None:
                return None  # unknown: the route says so
            if repeats:
                data.setdefault(name, []).append(value)
            elif name in data:
                return None  # given twice: the route refuses it
            else:
                data[name] = value
        try:
            params = SearchParams.model_validate(data)
        except ValidationError:
            return None  # the route words the 422
        if params.entity or params.any_entity:
            return None  # names are resolved in the database, on the route's thread
        return params

    async def _answer(
        self, scope: Scope, params: SearchParams, receive: Receive, send: Send
    ) -> None:
        scope["route"] = _Route()
        backend: SearchBackend = scope["app"].state.search
        try:
            search_plan = service.plan(
                index_uid=backend.index_uid,
                params=params,
                default_semantic_ratio=backend.semantic_ratio_default,
            )
            answer = await run_plan(backend, search_plan, params.q)
        except ApiError as exc:
            await api_error_response(exc)(scope, receive, send)
            return
        await search_response(answer)(scope, receive, send)
