"""Embed what is queued and send the new vectors to the index, for one-shot commands
(`newsarchive embed`, `newsarchive import --index`).

The vectors are sent while the model makes the next ones: the model takes one core, and
Meilisearch indexes the vectors already made beside it rather than after it, so the command
ends about one batch of vectors after the model does.
"""

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Final

from app.db import utcnow
from app.embeddings.worker import EmbedSync, drain
from app.search import sync as index

logger = logging.getLogger(__name__)

#: How long a made vector waits for others before it is sent: Meilisearch indexes a few
#: larger batches for less than many small ones, and what is left when the model is done
#: (at most this long's worth of vectors) is sent at once.
SEND_EVERY_SECONDS: Final = 10.0
POLL_SECONDS: Final = 0.2


class VectorSender:
    """Sends the outbox to the index in a background thread until stopped (what is left then
    is the caller's to send)."""

    def __init__(
        self,
        sync: index.IndexSync,
        *,
        fill_seconds: float = SEND_EVERY_SECONDS,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.sync = sync
        self.fill_seconds = fill_seconds
        self.on_batch = on_batch
        self.batches = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vector-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop once the batch in flight, if any, is in the index."""
        self._stop.set()
        self._thread.join(index.TASK_TIMEOUT_MS / 1000)

    def _due(self) -> bool:
        count, oldest = self.sync.ready()
        if count == 0:
            return False
        if count >= self.sync.batch_size or oldest is None:
            return True
        return utcnow() - oldest >= timedelta(seconds=self.fill_seconds)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._due():
                    done = self.sync.run_once()
                    self.batches += 1
                    if done and self.on_batch is not None:
                        self.on_batch(done)
                    continue
            except Exception as exc:
                # Meilisearch or the database away: the caller's last send meets the same
                # problem and reports it; until then, try again now and then.
                logger.warning("vectors not sent yet", extra={"error_type": type(exc).__name__})
                self._stop.wait(1.0)
                continue
            self._stop.wait(POLL_SECONDS)


def embed_and_send(
    *,
    embed_sync: EmbedSync,
    index_sync: index.IndexSync,
    on_embedded: Callable[[int], None] | None = None,
    on_indexed: Callable[[int], None] | None = None,
    send_every: float = SEND_EVERY_SECONDS,
) -> int:
    """Embed every queued article while sending the outbox (vectors made, and anything else
    queued) to the index, then send the rest; return how many vectors were made. Raises
    MeilisearchUnavailable or EmbeddingsUnavailable."""
    sender = VectorSender(index_sync, fill_seconds=send_every, on_batch=on_indexed)
    sender.start()
    try:
        made = drain(embed_sync, on_batch=on_embedded, only_queued=True)
    finally:
        sender.stop()
    index.drain(index_sync, timeout=None, on_batch=on_indexed, wait_for_others=True)
    # Indexing queues its articles for embedding again; their vectors fit, so this round
    # runs no model and sends nothing.
    drain(embed_sync)
    return made
