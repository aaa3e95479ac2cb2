"""`newsarchive embed`: give every article a vector (backfill) and send them to the index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from app.embeddings.worker import EmbedSync
    from app.search.sync import IndexSync

# Imported by every `newsarchive` process: the model, database and rich wait for the command.


def embed(
    everything: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Queue every article, not only those without a vector of the current model "
            "(those whose vector still fits their text are skipped without a model run).",
        ),
    ] = False,
) -> None:
    """Embed every article that has no vector yet, then send the vectors to Meilisearch.

    Safe beside running servers and other `embed` runs (on PostgreSQL each takes its own
    batches). Starts a local Meilisearch when MEILI_URL is unset, as serve does.
    """
    from rich.console import Console

    from app import migrate as migrations
    from app.cli import local_meilisearch
    from app.config import get_settings
    from app.db import make_engine
    from app.embeddings import queue
    from app.embeddings.provider import EmbeddingsUnavailable
    from app.logs import configure_logging
    from app.search.backend import build_backend
    from app.search.sync import MeilisearchUnavailable

    settings = get_settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    err = Console(stderr=True)
    if not settings.EMBEDDINGS_ENABLED:
        err.print("[red]Embeddings are turned off (EMBEDDINGS_ENABLED=false).")
        raise typer.Exit(2)
    migrations.upgrade(settings.DATABASE_URL)
    engine = make_engine(settings)
    try:
        with local_meilisearch(settings) as search_settings:
            backend = build_backend(
                search_settings.model_copy(update={"SYNC_WORKER_ENABLED": False}), engine
            )
            assert backend is not None and backend.embed_sync is not None
            try:
                model = backend.embeddings.get()
                queued = queue.enqueue_backfill(
                    engine, model_id=model.model_id, everything=everything
                )
                err.print(f"{queued:,} articles queued for embedding ({model.model_id})")
                made = run_with_progress(backend.embed_sync, backend.sync, err)
            finally:
                backend.close()
    except EmbeddingsUnavailable as error:
        err.print(f"[red]{error}")
        raise typer.Exit(1) from error
    except MeilisearchUnavailable as error:
        err.print(
            f"[red]Meilisearch is unreachable[/] ({error}): the vectors are stored and queued "
            "for indexing; a server or `newsarchive worker` sends them once it is back."
        )
        raise typer.Exit(1) from error
    finally:
        engine.dispose()
    err.print(f"{made:,} vectors made; every vector is in the index.")


def run_with_progress(embed_sync: EmbedSync, index_sync: IndexSync, err: Console) -> int:
    """embed_and_send, with progress bars for both halves."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from app.embeddings import queue
    from app.embeddings.backfill import embed_and_send

    total = queue.lag(embed_sync.engine).pending
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=err) as bar:
        embedding = bar.add_task("embedding", total=total)
        indexing = bar.add_task("indexing", total=None)
        return embed_and_send(
            embed_sync=embed_sync,
            index_sync=index_sync,
            on_embedded=lambda done: bar.advance(embedding, done),
            on_indexed=lambda done: bar.advance(indexing, done),
        )
