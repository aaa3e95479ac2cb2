"""A method a path does not take is 405 problem+json with an `Allow` header naming every
method the path takes (Starlette's names only those of the first route matching the path)."""

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.errors import _concrete_paths
from app.main import create_app
from tests.test_articles_bad_input import assert_problem

ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@ON_SQLITE
@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/articles", "GET, POST"),
        ("OPTIONS", "/articles/1", "GET, PUT, PATCH, DELETE"),
        ("TRACE", "/search", "GET, POST"),
        ("PUT", "/health", "GET"),
    ],
)
def test_a_method_the_path_does_not_take_is_405_naming_all_it_takes(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    problem = assert_problem(response, 405)
    assert response.headers["allow"] == allow
    assert problem["detail"] == f"{method} is not allowed here; allowed: {allow}."


@ON_SQLITE
@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("FOO", "/articles", "GET, POST"),
        ("PROPFIND", "/articles/1", "GET, PUT, PATCH, DELETE"),
        ("QUERY", "/health", "GET"),
    ],
)
def test_a_method_http_does_not_define_is_405_too(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    # Not 501: a method the server does not know is the client's mistake, not a server error.
    response = client.request(method, path)
    assert_problem(response, 405)
    assert response.headers["allow"] == allow


def test_concrete_paths_are_the_documents_untemplated_paths() -> None:
    # Read from the routes (the document takes seconds to build on a first request); they
    # must be exactly the paths and methods /openapi.json names without a template.
    app = create_app(Settings(_env_file=None, DATABASE_URL="sqlite://", LOG_FORMAT="console"))
    documented = {
        path: frozenset(method.upper() for method in operations)
        for path, operations in app.openapi()["paths"].items()
        if "{" not in path
    }
    assert _concrete_paths(app) == documented
    assert "/articles/bulk" in documented
