"""The application factory."""

import functools
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from starlette.routing import BaseRoute

from app import __version__, metrics
from app.alerts import worker as alert_worker
from app.alerts.router import router as alerts_router
from app.articles.revisions_router import router as revisions_router
from app.articles.router import router as articles_router
from app.auth.deps import RequireRead, key_checked_first
from app.config import Settings, get_settings
from app.cors import add_cors
from app.db import make_engine
from app.entities.curation_router import router as entity_curation_router
from app.entities.extract import default_extractor
from app.entities.router import router as entities_router
from app.errors import concrete_paths_first, documented_concrete_paths, install_error_handlers
from app.health import router as health_router
from app.ingestion.router import router as ingestion_router
from app.input_rules import refuse_nul_in_path, refuse_repeated_single_values
from app.logs import configure_logging
from app.metrics import router as metrics_router
from app.middleware import BodySizeLimit, Gateway
from app.openapi_links import add_links
from app.ratelimit import RateLimiter, RateLimitRules
from app.search import sync
from app.search.backend import build_backend
from app.search.fast_path import SearchFastPath
from app.search.related_router import router as related_router
from app.search.research_router import router as search_research_router
from app.search.router import router as search_router
from app.stories.router import router as stories_router
from app.web.router import router as web_router

DESCRIPTION = """
A self-hostable archive of news articles with keyword, date and entity search.

Errors are RFC 9457 problem details (`application/problem+json`). Datetimes are ISO 8601
with an offset; naive datetimes are rejected.

Rules beyond what the schema states, each refused with 422 naming the parameter: no NUL
character (U+0000) in any text; at most 100 values per repeated query parameter, and per
list counting each comma-separated value (`entity`, `any_entity`, `fields`); a cursor is
taken only as the API issued it, with the query it was issued for, and not with `page` or
`collapse`; pages reach only as deep as a search counts hits (`page` × `per_page`; cursor
mode has no limit); a range must not end before it starts; a time zone is one the server's
zone database knows; labelled queries have distinct labels; a timeline makes at most 1,000
buckets (2,000 across its series); a curation names two different entities; an imported
text needs a headline and a body; a webhook URL leads to a public address (unless the
server allows private ones) and carries no credentials; an edit leaves a saved search a
way to deliver its matches, and rotates a feed token only on one with a feed; an article's `published_at_source` needs a `published_at` to
name (and, in a PATCH, stays set while there is one); a hybrid or semantic search needs
`q` and ranks by relevance (no `sort` by date, no `cursor`), and `semantic_ratio` goes
with `mode=hybrid` only. Related articles of an article still waiting for its vector are a
409 (`no-vector-yet`).
A path the document names as it is (`/articles/bulk`) takes only its own methods, though a
template (`/articles/{article_id}`) would match it (405 otherwise).
"""


@functools.cache
def _api_routes() -> tuple[list[BaseRoute], dict[str, frozenset[str]]]:
    """Every API route with the dependencies it takes, and the untemplated paths.

    FastAPI prepares an included router's routes (dependencies, parameter models) on the
    first request that reaches them, once per inclusion: about 0.1 s of CPU. Included once
    here, the routes are shared by every app the process builds (the tests build hundreds).
    """
    # Routes that take API keys check a presented key before the input rules (a wrong key is
    # a 401 first); health, metrics and the page never read keys, so they leave them alone
    # (a scraper's own bearer token is not one of ours).
    keyed = [Depends(key_checked_first), Depends(refuse_repeated_single_values)]
    unkeyed = [Depends(refuse_repeated_single_values)]
    routers: list[tuple[APIRouter, list[Any]]] = [
        (health_router, unkeyed),
        (metrics_router, unkeyed),
        (articles_router, keyed),
        (stories_router, keyed),
        (revisions_router, keyed),
        (ingestion_router, keyed),
        (entity_curation_router, keyed),
        (entities_router, keyed),
        (search_router, [*keyed, RequireRead]),
        (related_router, [*keyed, RequireRead]),
        (alerts_router, keyed),
        (search_research_router, [*keyed, RequireRead]),
        (web_router, unkeyed),
    ]
    # Every route first answers a concrete path a template caught with 405 and refuses a NUL
    # in the path; then come the dependencies above (a single-value query parameter given
    # twice is refused there), then the route's own.
    api = APIRouter(dependencies=[Depends(concrete_paths_first), Depends(refuse_nul_in_path)])
    for router, dependencies in routers:
        api.include_router(router, dependencies=dependencies)
    return list(api.routes), documented_concrete_paths(router for router, _ in routers)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.ENTITY_EXTRACTION_ENABLED:
            # Load the language model now, in the background, not on the first write.
            threading.Thread(target=lambda: default_extractor().nlp, daemon=True).start()
        app.state.search = build_backend(settings, engine)
        index_name = settings.MEILI_INDEX

        def outbox_lag() -> tuple[int, int]:
            lag = sync.lag(engine, index_name)
            return lag.pending, lag.failed

        metrics.set_outbox_lag(outbox_lag)
        # Matching and webhook delivery run where the index worker runs.
        run_alerts = settings.SYNC_WORKER_ENABLED and settings.ALERT_WORKER_ENABLED
        alerts = None
        if app.state.search is not None and run_alerts:
            alerts = alert_worker.start(settings, engine, app.state.search.client)
        try:
            yield
        finally:
            if alerts is not None:
                alerts.stop()
            if app.state.search is not None:
                await app.state.search.aclose()
            engine.dispose()

    app = FastAPI(
        title="newsarchive",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    build_openapi = app.openapi

    def openapi_with_links() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_links(build_openapi())
        return build_openapi()

    app.openapi = openapi_with_links  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.engine = engine
    app.state.search = None
    install_error_handlers(app)
    app.state.rate_limiter = RateLimiter(
        reads_per_minute=settings.RATE_LIMIT_READS_PER_MINUTE,
        writes_per_minute=settings.RATE_LIMIT_WRITES_PER_MINUTE,
        max_clients=settings.RATE_LIMIT_MAX_CLIENTS,
    )
    # Last added runs first: CORS, the gateway (request id, metrics, rate limit, body limit,
    # input rules), the search fast path, routes.
    app.add_middleware(SearchFastPath)
    app.add_middleware(
        Gateway,
        rate_limit=RateLimitRules(app.state.rate_limiter),
        body_limit=BodySizeLimit(
            settings.MAX_REQUEST_BYTES,
            streamed=frozenset({("/articles/bulk", "application/x-ndjson")}),
        ),
    )
    add_cors(app, settings.CORS_ALLOW_ORIGINS)
    routes, concrete_paths = _api_routes()
    app.router.routes.extend(routes)
    app.state.concrete_paths = concrete_paths
    return app
