"""One small archive per test module: a migrated database (SQLite or PostgreSQL), a fresh
Meilisearch index, articles stored through the API and indexed. For read-only tests, which
then share it instead of building one each."""

import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import Scope
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.search.client import build_client
from tests.conftest import auth_headers, sync_index
from tests.meili_plugin import MeiliServer
from tests.pg_plugin import TEMPLATE_DB, PostgresServer, _admin

#: The origin a browser client of these archives runs at.
BROWSER_ORIGIN = "https://reader.example"


@contextmanager
def _database(request: pytest.FixtureRequest, backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp / "archive.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"test_{uuid.uuid4().hex[:12]}"
    _admin(server, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    try:
        yield server.url_for(name)
    finally:
        _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def module_archive(
    request: pytest.FixtureRequest, backend: str, articles: Sequence[dict[str, Any]]
) -> Iterator[TestClient]:
    """A client of an app over a fresh archive holding `articles` (ids 1, 2, ... in order)."""
    meili: MeiliServer = request.getfixturevalue("meili_server")
    tmp = request.getfixturevalue("tmp_path_factory").mktemp("archive")
    uid = f"test_{uuid.uuid4().hex}"
    with _database(request, backend, tmp) as database_url:
        settings = Settings(
            _env_file=None,
            DATA_DIR=tmp,
            DATABASE_URL=database_url,
            SYNC_WORKER_ENABLED=False,
            ENTITY_EXTRACTION_ENABLED=False,
            LOG_FORMAT="console",
            MEILI_URL=meili.url,
            MEILI_MASTER_KEY=SecretStr(meili.master_key or ""),
            MEILI_INDEX=uid,
            RATE_LIMIT_READS_PER_MINUTE=0,
            CORS_ALLOW_ORIGINS=[BROWSER_ORIGIN],
        )
        engine = make_engine(settings)
        with Session(engine, expire_on_commit=False) as session:
            key = auth_service.create(session=session, name="tests", scope=Scope.write)
        engine.dispose()
        try:
            with TestClient(create_app(settings), headers=auth_headers(key.plaintext)) as client:
                for n, article in enumerate(articles, start=1):
                    response = client.post(
                        "/articles", json={"url": f"https://ex.org/{n}", **article}
                    )
                    assert response.status_code == 201, response.text
                    assert response.json()["id"] == n
                sync_index(client)
                yield client
        finally:
            with build_client(meili.url, meili.master_key, timeout=10.0) as meili_client:
                task = meili_client.delete_index(uid)
                meili_client.wait_for_task(task.task_uid, timeout_in_ms=30_000)
