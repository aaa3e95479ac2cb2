"""A throwaway PostgreSQL cluster for the test session, and a fresh database per test.

Uses TEST_DATABASE_URL when given. Otherwise starts Debian's PostgreSQL 15 binaries in a temp
dir; PostgreSQL refuses to run as root, so under root the cluster runs as the `postgres` user.
The schema is built once by the migrations into a template database; each test gets a copy.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import migrate

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
TEMPLATE_DB = "newsarchive_template"


@dataclass
class PostgresServer:
    admin_url: str  # a URL to the maintenance database, for CREATE/DROP DATABASE
    data_dir: Path | None = None
    #: What the cluster was started with, so `start()` brings it back the same way.
    start_args: tuple[str, ...] = ()

    def url_for(self, database: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + database

    def pg_ctl(self, *args: str) -> None:
        """Run pg_ctl on our own cluster (tests use it to stop and start PostgreSQL)."""
        assert self.data_dir is not None, "only a cluster started by the tests can be controlled"
        _run_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-w", *args])

    def is_running(self) -> bool:
        assert self.data_dir is not None, "only a cluster started by the tests can be controlled"
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "status"]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, check=False).returncode == 0

    def start(self) -> None:
        """Start the cluster again after `pg_ctl("stop")`, with its original options."""
        if not self.is_running():
            self.pg_ctl(*self.start_args, "start")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run_as_postgres(command: list[str]) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, text=True)


def _start_cluster(root: Path, settings: Mapping[str, str] | None = None) -> PostgresServer:
    """Start a cluster in `root`; `settings` (name -> value) override the test defaults."""
    if not (PG_BIN / "initdb").exists():
        pytest.exit(f"PostgreSQL binaries not found in {PG_BIN}; set PG_BIN or TEST_DATABASE_URL")
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(root, postgres.pw_uid, postgres.pw_gid)
    data = root / "data"
    _run_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"])
    port = _free_port()
    # Durability is not needed for throwaway test data; skipping fsync keeps the suite fast.
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    options += "".join(f" -c {name}={value}" for name, value in (settings or {}).items())
    server = PostgresServer(
        admin_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
        data_dir=data,
        start_args=("-o", options, "-l", str(root / "log")),
    )
    server.start()
    return server


def _admin(server: PostgresServer, statement: str) -> None:
    engine = sa.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        server = PostgresServer(
            admin_url=given.replace("postgresql://", "postgresql+psycopg://", 1)
        )
        _admin(server, f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")
        _admin(server, f"CREATE DATABASE {TEMPLATE_DB}")
        migrate.upgrade(server.url_for(TEMPLATE_DB))
        yield server
        return
    root = Path(tempfile.mkdtemp(prefix="newsarchive-pg-"))
    server = _start_cluster(root)
    try:
        _admin(server, f"CREATE DATABASE {TEMPLATE_DB}")
        migrate.upgrade(server.url_for(TEMPLATE_DB))
        yield server
    finally:
        try:
            server.pg_ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    _admin(postgres_server, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    yield postgres_server.url_for(name)
    _admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
