"""Rebuild the search index from the database and swap it in atomically.

Searches keep hitting the old index until the swap, which Meilisearch performs as one task.
Writes that land while the rebuild runs still go through the outbox to the live index; after
the swap, every article changed since the rebuild started is queued again and documents
whose article no longer exists are deleted, so nothing written meanwhile is lost.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app import outbox
from app.articles.models import Article
from app.db import utcnow
from app.search.client import SearchClient, wait_for_success
from app.search.documents import article_to_document
from app.search.index_settings import EMBEDDER, ensure_index
from app.search.sync import EntityLoader, VectorLoader, no_entities

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
TASK_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class ReindexResult:
    documents: int
    requeued: int
    strays_deleted: int
    seconds: float


def _index_ids(client: SearchClient, uid: str, page: int = 10_000) -> set[int]:
    ids: set[int] = set()
    offset = 0
    while True:
        batch = client.index(uid).get_documents({"fields": ["id"], "limit": page, "offset": offset})
        ids.update(int(document.id) for document in batch.results)
        if len(batch.results) < page:
            return ids
        offset += page


def reindex(
    *,
    engine: Engine,
    client: SearchClient,
    index_uid: str,
    batch_size: int = 1000,
    entity_loader: EntityLoader = no_entities,
    progress: Progress | None = None,
    vector_loader: VectorLoader | None = None,
) -> ReindexResult:
    started_clock = time.monotonic()
    started_at = utcnow()
    rebuild_uid = f"{index_uid}_rebuild_{int(time.time())}"
    embeddings = vector_loader is not None
    ensure_index(client, index_uid, embeddings=embeddings)  # a swap needs both sides to exist
    ensure_index(client, rebuild_uid, embeddings=embeddings)
    with Session(engine) as session:
        total = session.exec(select(sa.func.count()).select_from(Article)).one()
    sent = 0
    last_id = 0
    pending_tasks: list[int] = []
    while True:
        with Session(engine) as session:
            articles = session.exec(
                select(Article)
                .where(col(Article.id) > last_id)
                .order_by(col(Article.id))
                .limit(batch_size)
            ).all()
            if not articles:
                break
            ids = [a.id for a in articles if a.id is not None]
            entities = entity_loader(session, ids)
            documents = [article_to_document(a, entities.get(a.id or 0, [])) for a in articles]
            # Stored vectors go into the new index as they are: no model run.
            vectors = vector_loader(session, articles) if vector_loader is not None else {}
            for document in documents:
                document["_vectors"] = {EMBEDDER: vectors.get(document["id"])}
        last_id = ids[-1]
        task = client.index(rebuild_uid).add_documents(documents, primary_key="id")
        pending_tasks.append(task.task_uid)
        # Bound what Meilisearch holds in its queue: wait for all but the newest few batches.
        while len(pending_tasks) > 4:
            wait_for_success(client, pending_tasks.pop(0), timeout_s=TASK_TIMEOUT_S)
        sent += len(documents)
        if progress:
            progress(sent, total)
    for task_uid in pending_tasks:
        wait_for_success(client, task_uid, timeout_s=TASK_TIMEOUT_S)

    swap = client.swap_indexes([{"indexes": [index_uid, rebuild_uid]}])
    wait_for_success(client, swap.task_uid, timeout_s=TASK_TIMEOUT_S)
    wait_for_success(client, client.delete_index(rebuild_uid).task_uid, timeout_s=TASK_TIMEOUT_S)
    logger.info("index swapped", extra={"index": index_uid, "documents": sent})

    with Session(engine) as session:
        changed = session.exec(
            select(Article.id).where(col(Article.updated_at) >= started_at)
        ).all()
        for article_id in changed:
            if article_id is not None:
                outbox.enqueue_upsert(session=session, article_id=article_id)
        stored = set(session.exec(select(Article.id)).all())
        strays = _index_ids(client, index_uid) - stored
        for article_id in strays:
            outbox.enqueue_delete(session=session, article_id=article_id)
        session.commit()
    return ReindexResult(
        documents=sent,
        requeued=len(changed),
        strays_deleted=len(strays),
        seconds=time.monotonic() - started_clock,
    )
