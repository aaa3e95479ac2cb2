"""Migrations build the schema from nothing, go down and up again, and match the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app import migrate
from app.config import Settings
from app.db import make_engine
from app.tables import metadata

EXPECTED_TABLES = {"articles", "search_outbox", "search_sync_state"}


def table_names(url: str) -> set[str]:
    engine = make_engine(Settings(_env_file=None, DATABASE_URL=url))
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.fixture
def empty_database_url(database_url: str) -> str:
    """The per-test database with every migration undone."""
    migrate.downgrade(database_url, "base")
    return database_url


def test_upgrade_from_empty_then_down_and_up(empty_database_url: str) -> None:
    assert table_names(empty_database_url) == set()
    migrate.upgrade(empty_database_url)
    assert table_names(empty_database_url) >= EXPECTED_TABLES
    migrate.downgrade(empty_database_url, "base")
    assert table_names(empty_database_url) == set()
    migrate.upgrade(empty_database_url)
    assert table_names(empty_database_url) == set(metadata.tables)


def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    engine = make_engine(Settings(_env_file=None, DATABASE_URL=database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
