"""The `newsarchive` console script."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings


def test_migrate_creates_the_schema_in_a_new_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "nested" / "archive.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["migrate"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "database migrated to head" in result.output
    engine = sa.create_engine(f"sqlite:///{database}")
    assert {"articles", "search_outbox", "alembic_version"} <= set(
        sa.inspect(engine).get_table_names()
    )
    engine.dispose()


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "migrate"):
        assert command in result.output
