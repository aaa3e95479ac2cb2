"""Database engine, sessions and the column types shared by every table."""

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.config import Settings

#: JSON lists and objects: JSONB on PostgreSQL (indexable containment), JSON text on SQLite.
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware datetimes stored in UTC on every backend.

    SQLite has no timezone type and hands back naive values, so they are stored as naive UTC
    and made aware again on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def integer_max(column_type: sa.types.TypeEngine[Any]) -> int:
    """The largest value an integer column holds on every backend.

    PostgreSQL's INTEGER is 32-bit and refuses a larger parameter outright (an error, not "no
    row"); SQLite's would take 64 bits, but both are held to the declared type so they agree.
    """
    if isinstance(column_type, sa.SmallInteger):
        return 2**15 - 1
    if isinstance(column_type, sa.BigInteger):
        return 2**63 - 1
    return 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


#: A statement may run this many times DATABASE_TIMEOUT_SECONDS before the database stops it.
STATEMENT_TIMEOUT_FACTOR = 6
#: SQLite calls the progress handler every this many virtual-machine instructions.
_SQLITE_PROGRESS_STEPS = 20_000


def statement_timeout_seconds(settings: Settings) -> float:
    return settings.DATABASE_TIMEOUT_SECONDS * STATEMENT_TIMEOUT_FACTOR


def make_engine(settings: Settings) -> Engine:
    """An engine with per-backend safety settings (WAL and busy timeout on SQLite, timeouts on PG).

    Both backends stop a statement that runs longer than `statement_timeout_seconds`: the
    work itself is cancelled, not only the answer (PostgreSQL's statement_timeout; on SQLite a
    progress handler interrupts it). Its errors leave the bound parameters (article text, keys'
    hashes) out of their message, so a logged error carries the statement's shape, not the data.
    """
    url = settings.DATABASE_URL
    if settings.is_sqlite:
        _ensure_sqlite_dir(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": settings.DATABASE_TIMEOUT_SECONDS},
            hide_parameters=True,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        _limit_sqlite_statements(engine, statement_timeout_seconds(settings))
        return engine
    timeout_ms = int(settings.DATABASE_TIMEOUT_SECONDS * 1000)
    return create_engine(
        url,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=settings.DATABASE_POOL_SIZE,
        pool_timeout=settings.DATABASE_TIMEOUT_SECONDS,
        connect_args={
            "connect_timeout": max(1, int(settings.DATABASE_TIMEOUT_SECONDS)),
            "options": (
                f"-c statement_timeout={timeout_ms * STATEMENT_TIMEOUT_FACTOR} "
                f"-c lock_timeout={timeout_ms}"
            ),
        },
    )


def _ensure_sqlite_dir(url: str) -> None:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL keeps every acknowledged write across a crash and lets readers run beside a writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _limit_sqlite_statements(engine: Engine, seconds: float) -> None:
    """Interrupt a statement that runs past `seconds` (sqlite3 raises "interrupted")."""

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        deadline = [math.inf]
        record.info["statement_deadline"] = deadline

        def past_deadline() -> int:
            return 1 if time.monotonic() > deadline[0] else 0

        dbapi_connection.set_progress_handler(past_deadline, _SQLITE_PROGRESS_STEPS)

    def before_execute(connection: Any, *_args: Any) -> None:
        deadline = connection.info.get("statement_deadline")
        if deadline is not None:
            deadline[0] = time.monotonic() + seconds

    sa.event.listen(engine, "connect", on_connect)
    sa.event.listen(engine, "before_cursor_execute", before_execute)


def is_statement_timeout(exc: BaseException) -> bool:
    """Whether a database error is a statement stopped for running too long."""
    driver_error = getattr(exc, "orig", None)
    if getattr(driver_error, "sqlstate", None) == "57014":  # PostgreSQL: query_canceled
        return True
    return type(driver_error).__name__ == "OperationalError" and str(driver_error) == "interrupted"


def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that is closed after use; callers commit explicitly."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
