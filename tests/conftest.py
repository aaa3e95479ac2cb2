"""Shared fixtures: a fresh migrated database per test on SQLite and on PostgreSQL."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session

from app import migrate
from app.auth import service as auth_service
from app.auth.models import Scope
from app.config import Settings, get_settings
from app.db import make_engine
from app.main import create_app
from app.search.sync import IndexSync, drain
from app.stories import clustering

if TYPE_CHECKING:
    from tests.meili_plugin import MeiliServer

pytest_plugins = ["tests.pg_plugin", "tests.meili_plugin"]

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _clustering_where_tested(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Story clustering is on only in tests marked `clusters` (it is off by default): as
    copies join a story its members are queued for re-indexing again, and the tests of other
    features post many copies of one text and count one outbox row per write."""
    if request.node.get_closest_marker("clusters") is None:
        disabled = clustering.ClusterConfig(enabled=False)
        monkeypatch.setattr(clustering, "current_config", lambda: disabled)
        return
    monkeypatch.setenv("CLUSTERING_ENABLED", "true")
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)


@pytest.fixture(autouse=True)
def _embeddings_where_tested(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands run in tests read the environment: embeddings are on there only in tests
    marked `embeddings` (other tests count documents sent and add bare ones)."""
    enabled = request.node.get_closest_marker("embeddings") is not None
    monkeypatch.setenv("EMBEDDINGS_ENABLED", "true" if enabled else "false")
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file built once by the migrations; each test copies it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "archive.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        DATA_DIR=tmp_path,
        DATABASE_URL=database_url,
        SYNC_WORKER_ENABLED=False,
        LOG_FORMAT="console",
        # On only where tested (tests/test_semantic_*.py): other tests add bare documents.
        EMBEDDINGS_ENABLED=False,
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An engine on the test database, for tests that call services directly."""
    engine = make_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def auth_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def write_key(settings: Settings) -> str:
    """A write-scoped API key in the test database."""
    engine = make_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        created = auth_service.create(session=session, name="tests", scope=Scope.write)
    engine.dispose()
    return created.plaintext


@pytest.fixture
def admin_key(settings: Settings) -> str:
    """An admin-scoped API key in the test database (entity curation)."""
    engine = make_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        created = auth_service.create(session=session, name="admin", scope=Scope.admin)
    engine.dispose()
    return created.plaintext


@pytest.fixture
def client(settings: Settings, write_key: str) -> Iterator[TestClient]:
    """A client that sends a write key with every request."""
    with TestClient(create_app(settings), headers=auth_headers(write_key)) as test_client:
        yield test_client


@pytest.fixture
def anonymous_client(settings: Settings) -> Iterator[TestClient]:
    """A client that sends no API key."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def search_settings(
    settings: Settings, meili_server: "MeiliServer", meili_index_uid: str
) -> Settings:
    """Settings pointing at the session's Meilisearch and a fresh index; the worker is off
    so tests decide when the outbox is drained."""
    return settings.model_copy(
        update={
            "MEILI_URL": meili_server.url,
            "MEILI_MASTER_KEY": SecretStr(meili_server.master_key or ""),
            "MEILI_INDEX": meili_index_uid,
        }
    )


@pytest.fixture
def search_client(search_settings: Settings, write_key: str) -> Iterator[TestClient]:
    app = create_app(search_settings)
    with TestClient(app, headers=auth_headers(write_key)) as test_client:
        yield test_client


def index_sync(client: TestClient) -> IndexSync:
    sync: IndexSync = client.app.state.search.sync  # type: ignore[attr-defined]
    return sync


def sync_index(client: TestClient) -> None:
    """Send everything pending in the outbox to Meilisearch and wait for it."""
    drain(index_sync(client))
