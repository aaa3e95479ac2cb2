"""Embed what is queued and send the new vectors to the index, for one-shot commands
(`newsarchive embed`, `newsarchive import --index`)."""

from collections.abc import Callable

from app.embeddings.worker import EmbedSync, drain
from app.search import sync as index


def embed_and_send(
    *,
    embed_sync: EmbedSync,
    index_sync: index.IndexSync,
    on_embedded: Callable[[int], None] | None = None,
    on_indexed: Callable[[int], None] | None = None,
) -> int:
    """Embed every queued article, then send them (with their vectors) to the index; return
    how many vectors were made. Raises MeilisearchUnavailable or EmbeddingsUnavailable."""
    made = drain(embed_sync, on_batch=on_embedded)
    index.drain(index_sync, timeout=None, on_batch=on_indexed, wait_for_others=True)
    # Indexing queues its articles for embedding again; their vectors fit, so this round
    # runs no model and sends nothing.
    drain(embed_sync)
    return made
