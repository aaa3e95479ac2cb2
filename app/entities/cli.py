"""`newsarchive entities ...`: resolution and operators' corrections from the command line,
against DATABASE_URL. Changes are queued for re-indexing like the API's (a running server or
`newsarchive worker` sends them to Meilisearch) and written to the audit log as `cli:<user>`."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlmodel import Session

    from app.errors import ApiError

# Every `newsarchive` process imports this module to build the command line, so the
# database and rich imports wait until a command runs.

entities = typer.Typer(help="Entity resolution and curation (merges, splits, blocks).")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def _session() -> Iterator[Session]:
    from sqlmodel import Session

    from app.config import get_settings
    from app.db import make_engine
    from app.errors import ApiError
    from app.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    engine = make_engine(settings)
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
            except ApiError as exc:
                session.rollback()
                raise _fail(exc) from exc
    finally:
        engine.dispose()


def _fail(error: ApiError) -> typer.Exit:
    typer.echo(f"error: {error.detail}", err=True)
    return typer.Exit(1)


@entities.command()
def consolidate() -> None:
    """Re-run resolution over the whole archive, with a progress bar: merge short-form
    entities the evidence resolves and give every entity the type its articles say."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from app.entities.consolidation import consolidate_all

    console = Console(stderr=True)
    with _session() as session:
        columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeRemainingColumn(), console=console) as bar:
            job = bar.add_task("consolidating", total=None)
            report = consolidate_all(
                session,
                actor=_actor(),
                progress=lambda done, total: bar.update(job, completed=done, total=total),
            )
    typer.echo(
        f"checked {report['short_forms_checked']} short forms and {report['entities']} types; "
        f"{report['merged']} merges"
    )


@entities.command()
def merge(
    into: Annotated[str, typer.Argument(help="Slug of the entity to keep.")],
    merged: Annotated[str, typer.Argument(help="Slug of the entity folded into it.")],
    force: Annotated[bool, typer.Option(help="Across types, or despite a distinct mark.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
) -> None:
    """Merge one entity into another."""
    from app.entities import curation, queries

    with _session() as session:
        keep = queries.get_by_slug(session=session, slug=into)
        gone = queries.get_by_slug(session=session, slug=merged)
        curation.merge(
            session=session, into=keep, merged=gone, force=force, actor=_actor(), reason=reason
        )
    typer.echo(f"merged {merged} into {into}")


@entities.command("merges")
def list_merges(slug: Annotated[str, typer.Argument(help="Slug of the kept entity.")]) -> None:
    """List the merges that formed an entity, with their ids (for undo-merge)."""
    from app.entities import queries

    with _session() as session:
        entity = queries.get_by_slug(session=session, slug=slug)
        for merge in queries.detail(session=session, entity=entity).merges:
            state = f"undone {merge.undone_at:%Y-%m-%d}" if merge.undone_at else "active"
            kind = "automatic" if merge.automatic else merge.actor
            typer.echo(f"{merge.id}\t{merge.merged}\t{kind}\t{state}\t{merge.evidence}")


@entities.command("undo-merge")
def undo_merge(
    merge_id: Annotated[int, typer.Argument(help="Merge id, from `entities merges SLUG`.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
) -> None:
    """Undo a merge; the two entities are then marked distinct."""
    from app.entities import curation

    with _session() as session:
        merge = curation.get_merge(session=session, merge_id=merge_id)
        restored = curation.undo_merge(session=session, merge=merge, actor=_actor(), reason=reason)
    typer.echo(f"restored {restored.slug}")


@entities.command()
def split(
    slug: Annotated[str, typer.Argument(help="The entity to split.")],
    form: Annotated[str, typer.Argument(help="The name to give an entity of its own.")],
    name: Annotated[str | None, typer.Option(help="The new entity's name.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
) -> None:
    """Move a name, and the articles that use only it, to a new entity."""
    from app.entities import curation, queries

    with _session() as session:
        entity = queries.get_by_slug(session=session, slug=slug)
        created = curation.split(
            session=session,
            entity=entity,
            form=form,
            name=name,
            type=None,
            actor=_actor(),
            reason=reason,
        )
    typer.echo(f"created {created.slug}")


@entities.command()
def distinct(
    first: Annotated[str, typer.Argument(help="A slug.")],
    second: Annotated[str, typer.Argument(help="Another slug.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
) -> None:
    """Mark two entities as different things, never to be merged automatically."""
    from app.entities import curation, queries

    with _session() as session:
        a = queries.get_by_slug(session=session, slug=first)
        b = queries.get_by_slug(session=session, slug=second)
        curation.mark_distinct(session=session, first=a, second=b, actor=_actor(), reason=reason)
    typer.echo(f"{first} and {second} are distinct")


@entities.command()
def block(
    form: Annotated[str, typer.Argument(help="The name that must not become an entity.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
) -> None:
    """Block a name from becoming an entity."""
    from app.entities import curation

    with _session() as session:
        curation.block_form(session=session, form=form, actor=_actor(), reason=reason)
    typer.echo(f"blocked {form!r}")


@entities.command()
def delete(
    slug: Annotated[str, typer.Argument(help="The false entity.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
) -> None:
    """Delete a false entity (and block its name)."""
    from app.entities import curation

    with _session() as session:
        entity = curation.get_own(session=session, slug=slug)
        count = curation.delete_entity(
            session=session, entity=entity, actor=_actor(), reason=reason
        )
    typer.echo(f"deleted {slug}; {count} articles re-queued for indexing")
