"""Commands that keep the search index in step with the database: worker, reindex, stats."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from app.config import Settings
    from app.search.backend import SearchBackend

# Every `newsarchive` process imports this module to build the command line, so the
# database, Meilisearch and rich imports wait until a command runs.


def _console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def _backend(*, worker: bool) -> Iterator[tuple[Settings, SearchBackend]]:
    from app.config import get_settings
    from app.db import make_engine
    from app.logs import configure_logging
    from app.search.backend import build_backend

    settings = get_settings().model_copy(update={"SYNC_WORKER_ENABLED": worker})
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    engine = make_engine(settings)
    backend = build_backend(settings, engine)
    if backend is None:
        _console().print(
            "[red]MEILI_URL is not set: point it (and MEILI_MASTER_KEY) at Meilisearch."
        )
        raise typer.Exit(2)
    try:
        yield settings, backend
    finally:
        backend.close()
        engine.dispose()


def worker(
    once: Annotated[bool, typer.Option(help="Drain what is pending, then exit.")] = False,
    fill_seconds: Annotated[
        float,
        typer.Option(
            min=0,
            help="Let a partial batch wait until its oldest entry is this old: fewer, larger "
            "Meilisearch batches during a bulk import (0: send at once).",
        ),
    ] = 0.0,
) -> None:
    """Send pending index work to Meilisearch until stopped (Ctrl-C or SIGTERM).

    Safe to run several against PostgreSQL: each claims its own batches.
    """
    from app.search import sync

    console = _console()
    if once:
        with _backend(worker=False) as (_settings, backend):
            sync.drain(backend.sync, timeout=3600)
            console.print("outbox drained")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _backend(worker=True) as (_settings, backend), suppress(KeyboardInterrupt):
        if backend.worker is not None:
            backend.worker.fill_seconds = fill_seconds
            # The writes it serves come from other processes, which cannot wake it: it keeps
            # looking at its base interval rather than backing off when idle.
            backend.worker.idle.cap = None
        console.print("index worker running; Ctrl-C to stop")
        stop.wait()


def reindex(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Articles per batch.")] = 1000,
) -> None:
    """Rebuild the whole index from the database into a fresh index and swap it in atomically."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from app.search.reindex import reindex as rebuild_index

    console = _console()
    with _backend(worker=False) as (_settings, backend):
        columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeRemainingColumn(), console=console) as bar:
            job = bar.add_task("reindexing", total=None)
            result = rebuild_index(
                engine=backend.sync.engine,
                client=backend.client,
                index_uid=backend.index_uid,
                entity_loader=backend.sync.entity_loader,
                vector_loader=backend.sync.vector_loader,
                batch_size=batch_size,
                progress=lambda done, total: bar.update(job, completed=done, total=total),
            )
        console.print(
            f"indexed {result.documents} articles into {backend.index_uid} in {result.seconds:.1f}s; "
            f"{result.requeued} changed meanwhile re-queued, {result.strays_deleted} stray documents queued for deletion"
        )


def stats() -> None:
    """Print archive counts and how far the index is behind."""
    import sqlalchemy as sa
    from rich.console import Console
    from rich.table import Table
    from sqlmodel import Session, col, select

    from app.articles.models import Article
    from app.db import utcnow
    from app.embeddings import queue as embedding_queue
    from app.search import sync

    with _backend(worker=False) as (_settings, backend):
        engine = backend.sync.engine
        with Session(engine) as session:
            articles = session.exec(select(sa.func.count()).select_from(Article)).one()
            sources = session.exec(select(sa.func.count(sa.distinct(col(Article.source))))).one()
            newest, oldest = session.exec(
                select(sa.func.max(Article.published_at), sa.func.min(Article.published_at))
            ).one()
        lag = sync.lag(engine, backend.index_uid)
        waiting = embedding_queue.lag(engine)
        vectors = embedding_queue.vector_count(engine)
        try:
            indexed: int | str = (
                backend.client.index(backend.index_uid).get_stats().number_of_documents
            )
        except Exception:
            indexed = "unreachable"
        table = Table(title="newsarchive", show_header=False)
        age = (utcnow() - lag.oldest_pending_at).total_seconds() if lag.oldest_pending_at else 0.0
        for name, value in (
            ("articles", articles),
            ("sources", sources),
            ("published from", oldest or "-"),
            ("published to", newest or "-"),
            ("indexed documents", indexed),
            ("pending index work", lag.pending),
            ("oldest pending (s)", f"{age:.1f}"),
            ("failed index work", lag.failed),
            ("last sync", lag.last_synced_at or "never"),
            ("embeddings", "on" if backend.embeddings.enabled else "off"),
            ("articles w/ vector", vectors),
            ("pending embeddings", waiting.pending),
            (
                "oldest embed (s)",
                f"{(utcnow() - waiting.oldest_pending_at).total_seconds():.1f}"
                if waiting.oldest_pending_at
                else "0.0",
            ),
            ("failed embeddings", waiting.failed),
        ):
            table.add_row(name, str(value))
        Console().print(table)
