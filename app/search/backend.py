"""The search side of a running app: Meilisearch client, target index and the sync worker."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.alerts.queue import enqueue_indexed
from app.config import Settings
from app.embeddings import queue as embedding_queue
from app.embeddings.provider import EmbeddingProvider
from app.embeddings.vectors import load_vectors
from app.embeddings.worker import EmbedSync, EmbedWorker
from app.entities.service import load_document_entities
from app.search.client import SearchClient, build_client
from app.search.index_settings import ensure_index
from app.search.meili_http import AsyncMeiliHttp
from app.search.sync import EntityLoader, IndexSync
from app.search.sync_worker import SyncWorker

logger = logging.getLogger(__name__)


@dataclass
class SearchBackend:
    client: SearchClient
    index_uid: str
    sync: IndexSync
    #: Searches from the API go through this, on the event loop: no thread hop per search.
    async_http: AsyncMeiliHttp
    worker: SyncWorker | None = None
    #: The process's embedding model (loaded on first use) for query vectors and the worker.
    embeddings: EmbeddingProvider = field(default_factory=lambda: EmbeddingProvider(enabled=False))
    #: The weight of the meaning side of a hybrid search that names none.
    semantic_ratio_default: float = 0.5
    embed_sync: EmbedSync | None = None
    embed_worker: EmbedWorker | None = None

    def wake(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    def close(self) -> None:
        if self.embed_worker is not None:
            self.embed_worker.stop()
        if self.worker is not None:
            self.worker.stop()
        self.client.close()

    async def aclose(self) -> None:
        self.close()
        await self.async_http.aclose()


def build_backend(
    settings: Settings,
    engine: Engine,
    *,
    entity_loader: EntityLoader = load_document_entities,
) -> SearchBackend | None:
    """None when no Meilisearch is configured: writes still queue in the outbox."""
    if not settings.MEILI_URL:
        logger.warning("MEILI_URL is not set: search is unavailable, writes are queued")
        return None
    key = settings.MEILI_MASTER_KEY.get_secret_value() if settings.MEILI_MASTER_KEY else None
    client = build_client(settings.MEILI_URL, key, timeout=settings.MEILI_TIMEOUT_SECONDS)
    embeddings = EmbeddingProvider(
        enabled=settings.EMBEDDINGS_ENABLED,
        model_path=settings.EMBEDDING_MODEL_PATH,
        threads=settings.EMBEDDING_THREADS,
        precision=settings.EMBEDDING_PRECISION,
        data_dir=settings.DATA_DIR,
    )

    def after_index(session: Session, article_ids: Sequence[int]) -> None:
        enqueue_indexed(session, article_ids)
        if settings.EMBEDDINGS_ENABLED:
            embedding_queue.enqueue_indexed(session, article_ids)

    sync = IndexSync(
        engine=engine,
        client=client,
        index_uid=settings.MEILI_INDEX,
        batch_size=settings.SYNC_BATCH_SIZE,
        max_attempts=settings.SYNC_MAX_ATTEMPTS,
        entity_loader=entity_loader,
        after_index=after_index,
        vector_loader=load_vectors if settings.EMBEDDINGS_ENABLED else None,
    )
    backend = SearchBackend(
        client=client,
        index_uid=settings.MEILI_INDEX,
        sync=sync,
        async_http=AsyncMeiliHttp(settings.MEILI_URL, key, settings.MEILI_TIMEOUT_SECONDS),
        embeddings=embeddings,
        semantic_ratio_default=settings.SEMANTIC_RATIO_DEFAULT,
    )
    if settings.EMBEDDINGS_ENABLED:
        backend.embed_sync = EmbedSync(
            engine=engine, provider=embeddings, batch_size=settings.EMBED_BATCH_SIZE
        )
    try:
        # Settings first, so the first searches can already filter and sort.
        ensure_index(client, settings.MEILI_INDEX, embeddings=settings.EMBEDDINGS_ENABLED)
    except Exception as exc:
        # Meilisearch may be down at start-up; the worker retries before it sends anything.
        logger.warning("search index not prepared at start-up", extra={"error": type(exc).__name__})
    if settings.SYNC_WORKER_ENABLED:
        backend.worker = SyncWorker(
            sync,
            poll_seconds=settings.SYNC_POLL_SECONDS,
            idle_max_seconds=settings.WORKER_IDLE_POLL_MAX_SECONDS,
        )
        backend.worker.start()
        if backend.embed_sync is not None and settings.EMBED_WORKER_ENABLED:
            backend.embed_worker = EmbedWorker(
                backend.embed_sync, idle_max_seconds=settings.WORKER_IDLE_POLL_MAX_SECONDS
            )
            backend.embed_worker.start()
    return backend
