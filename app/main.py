"""The application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.articles.router import router as articles_router
from app.config import Settings, get_settings
from app.db import make_engine
from app.errors import install_error_handlers
from app.health import router as health_router
from app.logs import configure_logging
from app.middleware import BodySizeLimit, RequestContext

DESCRIPTION = """
A self-hostable archive of news articles with keyword, date and entity search.

Errors are RFC 9457 problem details (`application/problem+json`). Datetimes are ISO 8601
with an offset; naive datetimes are rejected.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="newsarchive",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.MAX_REQUEST_BYTES)
    app.add_middleware(RequestContext)
    app.include_router(health_router)
    app.include_router(articles_router)
    return app
