"""The `newsarchive` command line."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from app.alerts.cli import alerts
from app.auth.cli import keys
from app.embeddings.cli import embed
from app.entities.cli import entities
from app.ingestion.cli import import_articles
from app.search import cli as search_cli
from app.search.export_cli import export_articles
from app.stories.cli import clusters

if TYPE_CHECKING:
    from app.config import Settings

# Every `newsarchive` process imports this module, the importer's spawned extraction workers
# included (they re-import the parent's main script), so each command imports what it runs
# (uvicorn, alembic, the database, pydantic-settings) only when it runs.

app = typer.Typer(help="newsarchive: a self-hostable news archive API.", no_args_is_help=True)
app.add_typer(keys, name="keys", no_args_is_help=True)
app.add_typer(entities, name="entities", no_args_is_help=True)
app.add_typer(alerts, name="alerts", no_args_is_help=True)
app.add_typer(clusters, name="clusters", no_args_is_help=True)
app.command("import")(import_articles)
app.command()(search_cli.worker)
app.command()(search_cli.reindex)
app.command()(search_cli.stats)
app.command()(embed)
app.command("export")(export_articles)
logger = logging.getLogger("app.cli")


#: How long a worker of `serve --workers N` may take to start (see `serve`).
STARTUP_SECONDS = 120


def _settings() -> Settings:
    from app.config import get_settings
    from app.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    return settings


@contextmanager
def local_meilisearch(settings: Settings) -> Iterator[Settings]:
    """Start a Meilisearch on loopback unless MEILI_URL names one; yield settings pointing at it."""
    if settings.MEILI_URL:
        yield settings
        return
    from app.config import get_settings
    from app.search.meili_process import MeiliProcess

    process = MeiliProcess(data_dir=settings.DATA_DIR / "meilisearch", binary=settings.MEILI_BINARY)
    process.start()
    logger.info("started local meilisearch", extra={"meili_url": process.url})
    # Worker processes spawned by uvicorn read their settings from the environment.
    os.environ["MEILI_URL"] = process.url
    os.environ["MEILI_MASTER_KEY"] = process.master_key
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        process.stop()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Apply migrations and run the API (starting a local Meilisearch when MEILI_URL is unset)."""
    from app import migrate as migrations

    settings = _settings()
    migrations.upgrade(settings.DATABASE_URL)
    with local_meilisearch(settings):
        import uvicorn

        from app.server_protocol import ProblemHttpToolsProtocol

        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            # The app writes its own access log line (app/middleware.py).
            access_log=False,
            proxy_headers=True,
            http=ProblemHttpToolsProtocol,
            # A worker must have imported the app and started within this many seconds or
            # it is killed and spawned again: uvicorn's 5 s is too short on a busy machine,
            # where start-up then never finishes.
            timeout_worker_healthcheck=STARTUP_SECONDS,
        )


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations up to REVISION (default: the latest)."""
    from app import migrate as migrations

    settings = _settings()
    migrations.upgrade(settings.DATABASE_URL, revision)
    typer.echo(f"database migrated to {revision}")


if __name__ == "__main__":
    app()
