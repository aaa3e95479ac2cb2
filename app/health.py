"""Liveness (/health) and readiness with index freshness (/ready)."""

import logging
from datetime import datetime

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.db import utcnow
from app.deps import EngineDep
from app.embeddings import queue as embedding_queue
from app.search import sync
from app.search.backend import SearchBackend

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str = Field(examples=["ok"])


class Dependency(BaseModel):
    ok: bool
    error: str | None = Field(default=None, examples=["unreachable"])


class IndexLag(BaseModel):
    """How far the search index is behind the database."""

    pending: int = Field(description="Changes waiting to be indexed.", examples=[0])
    failed: int = Field(description="Changes Meilisearch rejected after every retry.", examples=[0])
    oldest_pending_age_seconds: float | None = Field(examples=[0.4])
    last_synced_at: datetime | None = Field(examples=["2024-05-17T07:30:00+00:00"])
    in_flight: int = Field(
        description="Pending changes an index worker is sending now (its lease is current).",
        examples=[0],
    )
    lease_expired: int = Field(
        description="Pending changes whose worker stopped renewing its lease (it died or lost "
        "the database); a running worker takes them at its next look. Above 0 for longer than "
        "a poll means no index worker is running.",
        examples=[0],
    )


class EmbeddingLag(BaseModel):
    """How far vectors are behind the index: articles keyword-searchable but not yet by
    meaning. Does not make the server unready (keyword search is unaffected)."""

    enabled: bool = Field(description="EMBEDDINGS_ENABLED.", examples=[True])
    model_loaded: bool = Field(
        description="This process has loaded the model (it loads on first use).", examples=[True]
    )
    pending: int = Field(description="Articles waiting for an embedding worker.", examples=[0])
    failed: int = Field(description="Articles the model failed on after every retry.", examples=[0])
    oldest_pending_age_seconds: float | None = Field(examples=[1.2])


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "database": {"ok": True, "error": None},
                    "meilisearch": {"ok": True, "error": None},
                    "index": {
                        "pending": 0,
                        "failed": 0,
                        "oldest_pending_age_seconds": None,
                        "last_synced_at": "2024-05-17T07:30:00+00:00",
                        "in_flight": 0,
                        "lease_expired": 0,
                    },
                }
            ]
        }
    )

    status: str = Field(description="ok, or unavailable when a dependency is down.")
    database: Dependency
    meilisearch: Dependency
    index: IndexLag | None
    embeddings: EmbeddingLag | None = None


@router.get("/health", response_model=Health, summary="The process is up")
def health() -> Health:
    return Health(status="ok")


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is down"}},
    summary="Database and Meilisearch reachable, and how fresh the index is",
)
def ready(request: Request, engine: EngineDep) -> JSONResponse:
    backend: SearchBackend | None = request.app.state.search
    database = Dependency(ok=True)
    index = None
    embeddings = None
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        lag = sync.lag(engine, backend.index_uid if backend else "")
        age = (utcnow() - lag.oldest_pending_at).total_seconds() if lag.oldest_pending_at else None
        index = IndexLag(
            pending=lag.pending,
            failed=lag.failed,
            oldest_pending_age_seconds=age,
            last_synced_at=lag.last_synced_at,
            in_flight=lag.in_flight,
            lease_expired=lag.lease_expired,
        )
        if backend is not None:
            waiting = embedding_queue.lag(engine)
            embeddings = EmbeddingLag(
                enabled=backend.embeddings.enabled,
                model_loaded=backend.embeddings.loaded,
                pending=waiting.pending,
                failed=waiting.failed,
                oldest_pending_age_seconds=(utcnow() - waiting.oldest_pending_at).total_seconds()
                if waiting.oldest_pending_at
                else None,
            )
    except sa.exc.SQLAlchemyError as exc:
        logger.warning("database not ready", extra={"error_type": type(exc).__name__})
        database = Dependency(ok=False, error="unreachable")
    meili = Dependency(ok=False, error="not configured (MEILI_URL unset)")
    if backend is not None:
        try:
            backend.client.health()
            meili = Dependency(ok=True)
        except Exception as exc:
            logger.warning("meilisearch not ready", extra={"error_type": type(exc).__name__})
            meili = Dependency(ok=False, error="unreachable")
    ok = database.ok and meili.ok
    body = Readiness(
        status="ok" if ok else "unavailable",
        database=database,
        meilisearch=meili,
        index=index,
        embeddings=embeddings,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if ok else 503)
