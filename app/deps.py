"""Request-scoped dependencies as named types, so route signatures read like contracts."""

import contextlib
import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app import outbox
from app.config import Settings
from app.errors import UnsupportedMediaType
from app.input_rules import refuse_nul_in_json

logger = logging.getLogger(__name__)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def _settings_dependency(request: Request) -> Settings:
    # Async so FastAPI calls it inline instead of hopping to the thread pool.
    return get_settings(request)


async def _engine_dependency(request: Request) -> Engine:
    return get_engine(request)


def get_session(
    request: Request, engine: Annotated[Engine, Depends(_engine_dependency)]
) -> Iterator[Session]:
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        if session.info.get(outbox.QUEUED_KEY) and request.app.state.search is not None:
            # Index now rather than at the worker's next poll: keeps write-to-searchable short.
            request.app.state.search.wake()
    finally:
        close_quietly(session)


def close_quietly(session: Session) -> None:
    """Close a request's session without letting a lost database connection escape.

    The session closes after the response has started; a rollback that fails there (the
    database went away mid-request) can no longer change the answer, and raising would
    only make the server drop the client's connection.
    """
    try:
        session.close()
    except DBAPIError as error:
        logger.warning("database connection lost while closing a session", exc_info=error)
        with contextlib.suppress(DBAPIError):
            session.invalidate()


async def require_json(request: Request) -> None:
    """Refuse bodies that are not JSON before validation reports confusing type errors, and
    JSON holding a NUL character (app/input_rules.py), whatever model the route reads."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        shown = media_type or "none"
        raise UnsupportedMediaType(
            f"Content-Type {shown} is not supported here; send application/json."
        )
    refuse_nul_in_json(await request.body())


SettingsDep = Annotated[Settings, Depends(_settings_dependency)]
EngineDep = Annotated[Engine, Depends(_engine_dependency)]
SessionDep = Annotated[Session, Depends(get_session)]
JsonBody = Depends(require_json)
