"""API keys on SQLite and PostgreSQL: creation, checking, revocation, and the `keys` CLI."""

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from app.auth import service
from app.auth.models import ApiKey, Scope
from app.cli import app as cli_app
from app.config import Settings, get_settings
from app.db import utcnow
from app.errors import Conflict, NotFound, Unauthorized


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def raw_rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.text("SELECT * FROM api_keys"))]


def test_created_key_is_shown_once_and_stored_only_as_a_hash(
    session: Session, engine: Engine
) -> None:
    created = service.create(session=session, name="ingest", scope=Scope.write)
    key = created.plaintext
    assert key.startswith("na_")
    assert service.key_id_of(key) == created.record.key_id
    [row] = raw_rows(engine)
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    secret = key.split("_", 2)[2]
    for value in row.values():
        assert key not in str(value)
        assert secret not in str(value)
    assert row["name"] == "ingest"
    assert row["scope"] == "write"
    assert row["expires_at"] is None and row["revoked_at"] is None and row["last_used_at"] is None


def test_two_keys_differ_and_names_are_unique(session: Session) -> None:
    first = service.create(session=session, name="a", scope=Scope.read)
    second = service.create(session=session, name="b", scope=Scope.read)
    assert first.plaintext != second.plaintext
    assert first.record.key_id != second.record.key_id
    with pytest.raises(Conflict):
        service.create(session=session, name="a", scope=Scope.admin)
    assert [key.name for key in service.list_keys(session=session)] == ["a", "b"]


def test_authenticate_accepts_the_key_and_touches_last_used_at_at_most_once_a_minute(
    session: Session,
) -> None:
    created = service.create(session=session, name="reader", scope=Scope.read)
    start = utcnow()
    key = service.authenticate(session=session, plaintext=created.plaintext, now=start)
    assert key.id == created.record.id
    assert key.last_used_at == start
    service.authenticate(
        session=session, plaintext=created.plaintext, now=start + timedelta(seconds=30)
    )
    session.expire_all()
    assert session.get(ApiKey, created.record.id).last_used_at == start  # type: ignore[union-attr]
    later = start + timedelta(seconds=61)
    service.authenticate(session=session, plaintext=created.plaintext, now=later)
    session.expire_all()
    assert session.get(ApiKey, created.record.id).last_used_at == later  # type: ignore[union-attr]


def test_wrong_expired_and_revoked_keys_are_refused(session: Session) -> None:
    good = service.create(session=session, name="good", scope=Scope.write)
    prefix, key_id, secret = good.plaintext.split("_", 2)
    forged = f"{prefix}_{key_id}_{'A' * len(secret)}"
    for bad in ("", "nope", forged, "na_000000000000_" + secret):
        with pytest.raises(Unauthorized, match="not valid"):
            service.authenticate(session=session, plaintext=bad)

    old = service.create(
        session=session,
        name="old",
        scope=Scope.write,
        expires_in=timedelta(days=1),
        now=utcnow() - timedelta(days=2),
    )
    with pytest.raises(Unauthorized, match="expired"):
        service.authenticate(session=session, plaintext=old.plaintext)

    service.revoke(session=session, record=good.record)
    with pytest.raises(Unauthorized, match="revoked") as caught:
        service.authenticate(session=session, plaintext=good.plaintext)
    assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")


def test_scope_ladder() -> None:
    assert Scope.admin.allows(Scope.write) and Scope.admin.allows(Scope.read)
    assert Scope.write.allows(Scope.read) and not Scope.write.allows(Scope.admin)
    assert not Scope.read.allows(Scope.write)


def test_lookup_by_id_or_name(session: Session) -> None:
    created = service.create(session=session, name="named", scope=Scope.read)
    key_id = created.record.key_id
    assert service.get_by_id_or_name(session=session, ident=key_id).name == "named"
    assert service.get_by_id_or_name(session=session, ident="named").key_id == key_id
    with pytest.raises(NotFound):
        service.get_by_id_or_name(session=session, ident="missing")


def test_cli_create_prints_the_key_alone_on_the_last_line(cli: CliRunner, session: Session) -> None:
    result = cli.invoke(
        cli_app,
        ["keys", "create", "--name", "loader", "--scope", "write", "--expires-in-days", "30"],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    key = lines[-1]
    assert key.startswith("na_") and " " not in key
    assert all(key not in line for line in lines[:-1])
    record = service.authenticate(session=session, plaintext=key)
    assert (record.name, record.scope) == ("loader", "write")
    assert record.expires_at is not None
    assert timedelta(days=29) < record.expires_at - record.created_at <= timedelta(days=30)


def test_cli_list_shows_keys_without_secrets(cli: CliRunner, session: Session) -> None:
    created = service.create(session=session, name="listed", scope=Scope.admin)
    service.create(session=session, name="gone", scope=Scope.read)
    service.revoke(session=session, record=service.get_by_id_or_name(session=session, ident="gone"))
    result = cli.invoke(cli_app, ["keys", "list"])
    assert result.exit_code == 0, result.output
    assert created.record.key_id in result.output
    assert "listed" in result.output and "admin" in result.output
    assert "revoked" in result.output and "active" in result.output
    secret = created.plaintext.split("_", 2)[2]
    assert secret not in result.output
    assert created.record.key_hash not in result.output


def test_cli_revoke_by_name_and_by_id(cli: CliRunner, session: Session) -> None:
    first = service.create(session=session, name="first", scope=Scope.write)
    second = service.create(session=session, name="second", scope=Scope.write)
    for ident in ("first", second.record.key_id):
        result = cli.invoke(cli_app, ["keys", "revoke", ident])
        assert result.exit_code == 0, result.output
        assert "revoked" in result.output
    session.expire_all()  # the CLI changed the rows behind this session's back
    for created in (first, second):
        with pytest.raises(Unauthorized, match="revoked"):
            service.authenticate(session=session, plaintext=created.plaintext)
    again = cli.invoke(cli_app, ["keys", "revoke", "first"])
    assert again.exit_code == 0 and "already revoked" in again.output


def test_cli_reports_unknown_key_and_duplicate_name(cli: CliRunner, session: Session) -> None:
    service.create(session=session, name="taken", scope=Scope.read)
    missing = cli.invoke(cli_app, ["keys", "revoke", "nobody"])
    assert missing.exit_code == 1
    assert "No API key" in missing.output
    duplicate = cli.invoke(cli_app, ["keys", "create", "--name", "taken", "--scope", "read"])
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output
    bad_scope = cli.invoke(cli_app, ["keys", "create", "--name", "x", "--scope", "root"])
    assert bad_scope.exit_code == 2
