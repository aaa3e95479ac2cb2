"""A request's database work is stopped when it runs too long, on both databases: the
statement is cancelled (not only the answer abandoned), and the client gets a problem
document saying so."""

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.db import make_engine, statement_timeout_seconds
from app.deps import EngineDep
from app.main import create_app

#: Counts for ever: only a time limit ends it.
ENDLESS = sa.text(
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
)


@pytest.fixture
def quick_settings(settings: Settings) -> Settings:
    # 0.05 s x 6: statements may run 0.3 s.
    return settings.model_copy(update={"DATABASE_TIMEOUT_SECONDS": 0.05})


def test_a_statement_past_the_limit_is_cancelled(quick_settings: Settings) -> None:
    engine = make_engine(quick_settings)
    try:
        with engine.connect() as connection:
            started = time.monotonic()
            with pytest.raises(sa.exc.OperationalError):
                connection.execute(ENDLESS)
            elapsed = time.monotonic() - started
            connection.rollback()
            # The connection is usable again, and ordinary statements are not affected.
            assert connection.execute(sa.text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()
    assert statement_timeout_seconds(quick_settings) <= elapsed < 5


@pytest.fixture
def endless_client(quick_settings: Settings) -> Iterator[TestClient]:
    app = create_app(quick_settings)

    @app.get("/endless")
    def endless(engine: EngineDep) -> int:
        with Session(engine) as session:
            return int(session.execute(ENDLESS).scalar_one())

    with TestClient(app) as client:
        yield client


def test_a_request_whose_statement_runs_too_long_gets_a_problem(
    endless_client: TestClient,
) -> None:
    response = endless_client.get("/endless")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/statement-timeout")
    assert "ran longer than the server allows" in problem["detail"]
    assert "Retry-After" not in response.headers
    # The server is fine afterwards.
    assert endless_client.get("/health").status_code == 200
