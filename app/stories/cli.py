"""`newsarchive clusters`: recompute the near-duplicate story clusters."""

from __future__ import annotations

from typing import Annotated

import typer

clusters = typer.Typer(help="Near-duplicate story clusters.")


@clusters.command()
def rebuild(
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Articles clustered per transaction.")
    ] = 500,
) -> None:
    """Recompute every cluster from the stored texts (progress bar); articles whose cluster
    changed are queued for re-indexing. Needed once for articles stored before clustering."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from app.config import get_settings
    from app.db import make_engine
    from app.logs import configure_logging
    from app.stories.clustering import ClusterConfig
    from app.stories.rebuild import rebuild as rebuild_clusters

    settings = get_settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    config = ClusterConfig.from_settings(settings)
    if not config.enabled:
        typer.echo("error: CLUSTERING_ENABLED is false; nothing to rebuild", err=True)
        raise typer.Exit(1)
    engine = make_engine(settings)
    try:
        columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeRemainingColumn(), console=Console(stderr=True)) as bar:
            job = bar.add_task("clustering", total=None)
            result = rebuild_clusters(
                engine=engine,
                config=config,
                batch_size=batch_size,
                progress=lambda done, total: bar.update(job, completed=done, total=total),
            )
    finally:
        engine.dispose()
    typer.echo(
        f"{result.articles} articles in {result.clusters} clusters "
        f"({result.stories_with_copies} with more than one article); "
        f"{result.requeued} queued for re-indexing; {result.seconds:.1f} s"
    )
