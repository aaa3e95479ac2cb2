"""The index worker's thread: IndexSync (app/search/sync.py) run in the background until
stopped, woken at once by its own process's writes, backing off when idle (app/polling.py)."""

import logging
import threading
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from app.db import utcnow
from app.polling import IdleBackoff
from app.search.sync import IndexSync, MeilisearchUnavailable

logger = logging.getLogger(__name__)


class SyncWorker:
    """Runs IndexSync in a background thread until stopped.

    With `fill_seconds`, a batch smaller than the batch size waits until its oldest entry is
    that old before it is sent: under a steady stream of writes (a bulk import) Meilisearch
    then gets fewer, larger batches, which cost it far less (Reuters-21578 in batches of 500
    took a third of the CPU of batches of 128). 0 sends whatever is pending at once.
    """

    def __init__(
        self,
        sync: IndexSync,
        *,
        poll_seconds: float = 0.1,
        fill_seconds: float = 0.0,
        idle_max_seconds: float | None = None,
    ) -> None:
        self.sync = sync
        self.poll_seconds = poll_seconds
        self.fill_seconds = fill_seconds
        #: Idle polls back off up to `idle_max_seconds` (app/polling.py); a wake-up resets them.
        self.idle = IdleBackoff(poll_seconds, idle_max_seconds)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        outage = 0
        while not self._stop.is_set():
            if self.fill_seconds > 0 and self._filling():
                self._sleep(self.poll_seconds)
                continue
            try:
                done = self.sync.run_once()
                outage = 0
            except MeilisearchUnavailable:
                outage += 1
                if outage == 1:
                    logger.warning("meilisearch unreachable; indexing paused")
                self._sleep(min(5.0, 0.2 * 2**outage))
                continue
            except Exception:
                logger.exception("index sync error")
                self._sleep(1.0)
                continue
            if done == 0:
                self._sleep(self.idle.idle())
            else:
                self.idle.reset()

    def _filling(self) -> bool:
        """Whether to wait for more: nothing is ready yet, or the pending batch is still partial
        and young enough. (Running the batch when nothing was ready would send whatever was
        written between this look and the claim, however young.)"""
        try:
            count, oldest = self.sync.ready()
        except SQLAlchemyError:
            return False  # run_once meets the same problem and reports it
        if count == 0:
            return True
        if count >= self.sync.batch_size or oldest is None:
            return False
        return utcnow() - oldest < timedelta(seconds=self.fill_seconds)

    def _sleep(self, seconds: float) -> None:
        if self._wake.wait(seconds):
            self.idle.reset()
        self._wake.clear()
