"""The alert worker: one thread matching newly indexed articles, one delivering webhooks (with
its own small pool), until stopped. Started by `newsarchive serve` beside the index worker, or
on its own by `newsarchive alerts run`."""

import logging
import threading
from collections.abc import Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.alerts.delivery import Deliverer
from app.alerts.matching import Matcher, MeilisearchUnavailable
from app.alerts.webhook import WebhookSender
from app.config import Settings
from app.polling import IdleBackoff
from app.search.client import SearchClient

logger = logging.getLogger(__name__)


def _resolve_entities(session: Session, values: Sequence[str]) -> tuple[list[str], list[str]]:
    from app.entities.service import resolve_for_search

    return resolve_for_search(session, values)


def build_matcher(settings: Settings, engine: Engine, client: SearchClient) -> Matcher:
    return Matcher(
        engine=engine,
        client=client,
        index_uid=settings.MEILI_INDEX,
        batch_size=settings.ALERT_MATCH_BATCH_SIZE,
        resolve_entities=_resolve_entities,
    )


def build_deliverer(settings: Settings, engine: Engine) -> Deliverer:
    sender = WebhookSender(
        timeout=settings.ALERT_WEBHOOK_TIMEOUT_SECONDS,
        allow_private=settings.ALERT_WEBHOOK_ALLOW_PRIVATE,
    )
    return Deliverer(
        engine=engine,
        sender=sender,
        max_attempts=settings.ALERT_DELIVERY_MAX_ATTEMPTS,
        retry_base_seconds=settings.ALERT_RETRY_BASE_SECONDS,
        retry_max_seconds=settings.ALERT_RETRY_MAX_SECONDS,
        concurrency=settings.ALERT_DELIVERY_CONCURRENCY,
    )


class AlertWorker:
    def __init__(
        self,
        matcher: Matcher,
        deliverer: Deliverer,
        *,
        poll_seconds: float,
        idle_max_seconds: float | None = None,
    ) -> None:
        self.matcher = matcher
        self.deliverer = deliverer
        self.poll_seconds = poll_seconds
        self.idle_max_seconds = idle_max_seconds
        self._stop = threading.Event()
        self._deliveries_due = threading.Event()
        self._threads = [
            threading.Thread(target=self._match_loop, name="alert-match", daemon=True),
            threading.Thread(target=self._deliver_loop, name="alert-deliver", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._deliveries_due.set()
        for thread in self._threads:
            thread.join(timeout)
        self.deliverer.close()

    def _match_loop(self) -> None:
        outage = 0
        idle = IdleBackoff(self.poll_seconds, self.idle_max_seconds)
        while not self._stop.is_set():
            try:
                taken, stored = self.matcher.run_once()
                outage = 0
            except MeilisearchUnavailable:
                outage += 1
                if outage == 1:
                    logger.warning("meilisearch unreachable; alert matching paused")
                self._stop.wait(min(30.0, self.poll_seconds * 2**outage))
                continue
            except Exception:
                logger.exception("alert matching error")
                self._stop.wait(max(1.0, self.poll_seconds))
                continue
            if stored:
                self._deliveries_due.set()
            if taken == 0:
                self._stop.wait(idle.idle())
            else:
                idle.reset()

    def _deliver_loop(self) -> None:
        idle = IdleBackoff(self.poll_seconds, self.idle_max_seconds)
        while not self._stop.is_set():
            try:
                attempted = self.deliverer.run_once()
            except Exception:
                logger.exception("alert delivery error")
                attempted = 0
            if attempted == 0:
                if self._deliveries_due.wait(idle.idle()):
                    idle.reset()  # new matches were stored: deliveries are due
                self._deliveries_due.clear()
            else:
                idle.reset()


def start(settings: Settings, engine: Engine, client: SearchClient) -> AlertWorker:
    worker = AlertWorker(
        build_matcher(settings, engine, client),
        build_deliverer(settings, engine),
        poll_seconds=settings.ALERT_POLL_SECONDS,
        idle_max_seconds=settings.WORKER_IDLE_POLL_MAX_SECONDS,
    )
    worker.start()
    return worker
