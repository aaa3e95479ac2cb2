"""`newsarchive alerts`: match newly indexed articles and deliver webhooks from a process of
its own (for deployments whose API processes run no index worker)."""

from __future__ import annotations

import signal
import threading
from contextlib import suppress
from typing import Annotated

import typer

alerts = typer.Typer(help="Saved-search alerts: matching and webhook delivery.")

# Imports wait until a command runs: every `newsarchive` process builds this command line.


@alerts.command()
def run(
    once: Annotated[
        bool,
        typer.Option(help="Match what is queued, attempt the deliveries due now, then exit."),
    ] = False,
) -> None:
    """Match newly indexed articles against saved searches and deliver their webhooks until
    stopped (Ctrl-C or SIGTERM). Several may run against PostgreSQL."""
    from rich.console import Console

    from app.alerts import delivery, matching
    from app.alerts import worker as alert_worker
    from app.config import get_settings
    from app.db import make_engine
    from app.logs import configure_logging
    from app.search.client import build_client

    console = Console(stderr=True)
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    if not settings.MEILI_URL:
        console.print("[red]MEILI_URL is not set: point it (and MEILI_MASTER_KEY) at Meilisearch.")
        raise typer.Exit(2)
    key = settings.MEILI_MASTER_KEY.get_secret_value() if settings.MEILI_MASTER_KEY else None
    engine = make_engine(settings)
    client = build_client(settings.MEILI_URL, key, timeout=settings.MEILI_TIMEOUT_SECONDS)
    try:
        if once:
            matcher = alert_worker.build_matcher(settings, engine, client)
            queued = matching.pending_articles(engine)
            with console.status(f"matching {queued} newly indexed articles"):
                stored = matching.drain(matcher)
            deliverer = alert_worker.build_deliverer(settings, engine)
            attempted = 0
            try:
                with console.status("delivering webhooks"):
                    while done := deliverer.run_once():
                        attempted += done
            finally:
                deliverer.close()
            console.print(
                f"{queued} articles matched: {stored} new matches; {attempted} deliveries "
                f"attempted, {delivery.due(engine)} waiting for a retry"
            )
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        worker = alert_worker.start(settings, engine, client)
        console.print("alert worker running; Ctrl-C to stop")
        with suppress(KeyboardInterrupt):
            stop.wait()
        worker.stop()
    finally:
        client.close()
        engine.dispose()
