"""`newsarchive keys ...`: create, list and revoke API keys against DATABASE_URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from app.auth.scopes import Scope

if TYPE_CHECKING:
    from sqlmodel import Session

    from app.auth.models import ApiKey
    from app.errors import ApiError

# Every `newsarchive` process imports this module to build the command line, so the
# database, service and rich imports wait until a command runs.

keys = typer.Typer(help="Manage API keys (shown once at creation, stored hashed).")


@contextmanager
def _session() -> Iterator[Session]:
    from sqlmodel import Session

    from app.config import get_settings
    from app.db import make_engine

    engine = make_engine(get_settings())
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


def _state(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    return "active" if key.is_active(now) else "expired"


def _fail(error: ApiError) -> typer.Exit:
    typer.echo(f"error: {error.detail}", err=True)
    return typer.Exit(code=1)


@keys.command("create")
def create(
    name: Annotated[str, typer.Option(help="A unique label, e.g. the client that uses it.")],
    scope: Annotated[Scope, typer.Option(help="admin includes write, write includes read.")],
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, help="Expire after N days (default: never).")
    ] = None,
) -> None:
    """Create a key and print it once, alone on the last line."""
    from rich.console import Console

    from app.auth import service
    from app.errors import ApiError

    expires_in = timedelta(days=expires_in_days) if expires_in_days else None
    with _session() as session:
        try:
            created = service.create(session=session, name=name, scope=scope, expires_in=expires_in)
        except ApiError as exc:
            raise _fail(exc) from exc
    record = created.record
    console = Console(highlight=False)
    console.print(f"Created key {record.key_id} ({record.name!r}, scope {record.scope}).")
    console.print(f"Expires: {_when(record.expires_at) if record.expires_at else 'never'}")
    console.print("Store it now; it cannot be shown again:")
    # Plain echo, so no console wrapping can split the key.
    typer.echo(created.plaintext)


@keys.command("list")
def list_() -> None:
    """List keys with their state; secrets are never stored, so never shown."""
    from rich.console import Console
    from rich.table import Table

    from app.auth import service
    from app.db import utcnow

    with _session() as session:
        records = service.list_keys(session=session)
    now = utcnow()
    table = Table("key id", "name", "scope", "state", "created", "expires", "last used")
    for record in records:
        table.add_row(
            record.key_id,
            record.name,
            record.scope,
            _state(record, now),
            _when(record.created_at),
            _when(record.expires_at),
            _when(record.last_used_at),
        )
    Console(highlight=False, width=160).print(table)


@keys.command("revoke")
def revoke(
    key: Annotated[str, typer.Argument(metavar="KEY_ID_OR_NAME", help="Key id or name.")],
) -> None:
    """Revoke a key at once; requests with it get 401 from then on."""
    from app.auth import service
    from app.errors import ApiError

    with _session() as session:
        try:
            record = service.get_by_id_or_name(session=session, ident=key)
        except ApiError as exc:
            raise _fail(exc) from exc
        already = record.revoked_at is not None
        service.revoke(session=session, record=record)
    verb = "was already revoked" if already else "revoked"
    typer.echo(f"key {record.key_id} ({record.name!r}) {verb} at {_when(record.revoked_at)}")
