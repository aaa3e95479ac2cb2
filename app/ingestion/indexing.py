"""Indexing beside an import: what `newsarchive import --index` runs in the importing process.

A thread sends the outbox to Meilisearch as the import stores articles, exactly as a server's
index worker would, with no server or `newsarchive worker` needed (and none of their memory).
A partial batch waits up to `fill_seconds` for more, up to `batch_size`: Meilisearch indexes a
few large batches for far less CPU and memory than many small ones. When the import ends,
`finish` sends the rest at once and returns when every article is searchable.

Several senders may share the outbox (other importers on other hosts, a running server's
worker): each claims its own batches, and sending an article twice is harmless.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.embeddings.provider import EmbeddingsUnavailable
from app.search.sync import TASK_TIMEOUT_MS, IndexSync, SyncWorker, drain

if TYPE_CHECKING:
    from app.embeddings.worker import EmbedSync

#: How long `finish` waits for the thread's batch in flight: Meilisearch's task timeout.
_IN_FLIGHT_SECONDS = TASK_TIMEOUT_MS / 1000


class ImportIndexing:
    """The index sync of one import, in a background thread from `start` to `finish`."""

    def __init__(
        self,
        sync: IndexSync,
        *,
        batch_size: int,
        fill_seconds: float,
        poll_seconds: float = 0.2,
    ) -> None:
        self.sync = sync
        #: Set when the import also embeds: once everything is searchable by keyword.
        self.embed_sync: EmbedSync | None = None
        sync.batch_size = batch_size
        self._worker = SyncWorker(sync, poll_seconds=poll_seconds, fill_seconds=fill_seconds)

    def start(self) -> None:
        self._worker.start()

    def start_embedding(self) -> None:
        """Load the embedding model in the background while the import runs (most of its
        load waits for the disk, and it is needed once the import is done)."""
        assert self.embed_sync is not None
        provider = self.embed_sync.provider

        def load() -> None:
            # A failure is remembered by the provider, and reported by the embedding step.
            with contextlib.suppress(EmbeddingsUnavailable):
                provider.get()

        threading.Thread(target=load, name="embedding-model", daemon=True).start()

    def finish(self, on_batch: Callable[[int], None] | None = None) -> int:
        """Send everything still queued, now; return how many entries this call sent.

        Batches that other importers or workers have in flight are waited for: the import ends
        when every article it stored is searchable, whoever sent it.

        Raises MeilisearchUnavailable if Meilisearch can't be reached: the entries stay
        queued for any later worker.
        """
        self._worker.stop(timeout=_IN_FLIGHT_SECONDS)
        return drain(self.sync, timeout=None, on_batch=on_batch, wait_for_others=True)

    def stop(self) -> None:
        """Stop without sending the rest (Ctrl-C): what is queued stays queued."""
        self._worker.stop(timeout=_IN_FLIGHT_SECONDS)
