"""Logs carry the shape of a failed statement, not the data; a client's unusable HTML is not
logged as a server error."""

import logging

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import Article
from app.config import Settings
from app.db import make_engine
from app.ingestion.html import parse_html
from app.ingestion.parsed import ParseError
from app.logs import JsonFormatter

SECRET = "Confidential source says the minister resigned"


def logged_text(records: list[logging.LogRecord]) -> str:
    json_lines = [JsonFormatter().format(record) for record in records]
    console = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    console_lines = []
    for record in records:
        console_lines.append(console.format(record))
    return "\n".join(json_lines + console_lines)


def test_engine_errors_leave_the_parameters_out(settings: Settings) -> None:
    engine = make_engine(settings)
    try:
        with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError) as raised:
            connection.execute(
                sa.text("SELECT title FROM no_such_table WHERE title = :t"), {"t": SECRET}
            )
    finally:
        engine.dispose()
    assert SECRET not in str(raised.value)
    assert "SELECT title FROM no_such_table" in str(raised.value)


def test_an_unhandled_database_error_is_logged_without_the_data(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def failing_get(*, session: Session, article_id: int) -> Article:
        # A NOT NULL violation: PostgreSQL's message quotes the whole failing row.
        statement = sa.text("INSERT INTO articles (title, body) VALUES (:title, :body)")
        session.execute(statement, {"title": SECRET, "body": SECRET})
        raise AssertionError("the insert should have failed")

    monkeypatch.setattr(articles_service, "get", failing_get)
    caplog.set_level(logging.INFO)
    # As a server would: the error is answered, not raised into the test.
    unraised = TestClient(client.app, headers=client.headers, raise_server_exceptions=False)
    response = unraised.get("/articles/1")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.name == "app.errors"
    assert record.exc_info is None
    text = logged_text(caplog.records)
    assert SECRET not in text
    assert "INSERT INTO articles (title, body) VALUES" in text
    assert "failing_get" in text  # the stack is kept
    assert record.__dict__["error_type"] == "IntegrityError"
    assert record.__dict__["sqlstate"] in ("23502", "SQLITE_CONSTRAINT_NOTNULL")


def test_unusable_html_is_not_logged_as_an_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ParseError):
        parse_html("<!-- -->")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_import_of_unusable_html_is_a_quiet_422(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.post(
        "/articles/import", content=b"<!-- -->", headers={"content-type": "text/html"}
    )
    assert response.status_code == 422
    assert [r.name for r in caplog.records if r.levelno >= logging.WARNING] == []
