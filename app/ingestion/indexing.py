"""Indexing beside an import: what `newsarchive import --index` runs in the importing process.

A thread sends the outbox to Meilisearch as the import stores articles, exactly as a server's
index worker would, with no server or `newsarchive worker` needed (and none of their memory).
A partial batch waits up to `fill_seconds` for more, up to `batch_size`: Meilisearch indexes a
few large batches for far less CPU and memory than many small ones. When the import ends,
`finish` sends the rest at once and returns when every article is searchable.

Several senders may share the outbox (other importers on other hosts, a running server's
worker): each claims its own batches, and sending an article twice is harmless.

An import that embeds queues its articles for embedding as it stores them, and a thread
embeds them during the import (`embeds_during_import`), even where the extraction processes
take every core: a one-thread model run then takes the time those processes and this one
leave idle (waiting for the database, for each other, for spaCy to load) or a fair share of a
core, and what is left when the import is done is a short tail (app.embeddings.backfill)
rather than every article; most keyword documents then reach Meilisearch with their vector,
in one write rather than two.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable

from app.embeddings.provider import EmbeddingsUnavailable
from app.embeddings.worker import EmbedSync, EmbedWorker
from app.search.sync import TASK_TIMEOUT_MS, IndexSync, drain
from app.search.sync_worker import SyncWorker

#: How long `finish` waits for the thread's batch in flight: Meilisearch's task timeout.
_IN_FLIGHT_SECONDS = TASK_TIMEOUT_MS / 1000
#: Embedding beside the import: how often it looks for stored articles, and how long
#: stopping waits for the batch in hand (about 2 s on an idle core).
EMBED_POLL_SECONDS = 0.5
EMBED_STOP_SECONDS = 120.0


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
        self._embedder: EmbedWorker | None = None

    def start(self) -> None:
        self._worker.start()

    def start_embedding(self, *, during_import: bool) -> None:
        """Get the embedding going while the import runs: with `during_import` a thread
        loads the model (while the extraction workers load spaCy), then embeds what is stored
        as it is stored; otherwise the model is only loaded (most of its load waits for the
        disk) for the end of the import.
        """
        assert self.embed_sync is not None
        self.embed_sync.runs = tail_runs(self.embed_sync.provider.threads)
        if during_import:
            self._embedder = EmbedWorker(
                self.embed_sync, poll_seconds=EMBED_POLL_SECONDS, load_first=True
            )
            self._embedder.start()
            return
        provider = self.embed_sync.provider

        def load() -> None:
            # A failure is remembered by the provider, and reported by the embedding step.
            with contextlib.suppress(EmbeddingsUnavailable):
                provider.get()

        threading.Thread(target=load, name="embedding-model", daemon=True).start()

    def stop_embedding(self) -> None:
        """Stop embedding beside the import, once the batch in hand is stored."""
        if self._embedder is not None:
            self._embedder.stop(timeout=EMBED_STOP_SECONDS)
            self._embedder = None

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
        self.stop_embedding()
        self._worker.stop(timeout=_IN_FLIGHT_SECONDS)


def embeds_during_import(processes: int, threads: int) -> bool:
    """Whether the import embeds while it extracts. A one-thread model run always does: it
    shares the cores with the `processes` extraction workers (each a fair share, and every
    moment they wait), which ends the import sooner than embedding every article after it.
    A run of more threads (0: one per core) does only on cores the processes leave idle: its
    threads wait for each other, and one of them kept waiting by a busy core holds up the rest.
    """
    if threads == 1:
        return True
    return threads >= 1 and _cores() - processes >= threads


def tail_runs(threads: int) -> int:
    """Model runs at once for what is left to embed when the import is done: as many as the
    cores hold runs of `threads` threads (0: one per core, a single run)."""
    if threads < 1:
        return 1
    return max(1, _cores() // threads)


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
