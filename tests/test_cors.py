"""CORS: preflights and simple requests from allowed and other origins."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

ALLOWED = "https://reader.example"
OTHER = "https://elsewhere.example"

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def cors_client(settings: Settings) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"CORS_ALLOW_ORIGINS": [ALLOWED]})
    with TestClient(create_app(configured)) as client:
        yield client


def test_preflight_from_an_allowed_origin(cors_client: TestClient) -> None:
    response = cors_client.options(
        "/articles",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers and "x-api-key" in allowed_headers
    assert "access-control-allow-credentials" not in response.headers


def test_preflight_from_another_origin_is_refused(cors_client: TestClient) -> None:
    response = cors_client.options(
        "/articles",
        headers={"Origin": OTHER, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_simple_request_from_an_allowed_origin_exposes_api_headers(
    cors_client: TestClient,
) -> None:
    response = cors_client.get("/articles", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"x-request-id", "location", "ratelimit-limit", "ratelimit-remaining"} <= exposed
    assert {"ratelimit-reset", "retry-after"} <= exposed


def test_simple_request_from_another_origin_gets_no_cors_headers(
    cors_client: TestClient,
) -> None:
    response = cors_client.get("/articles", headers={"Origin": OTHER})
    assert response.status_code == 200  # the browser, not the server, withholds the body
    assert "access-control-allow-origin" not in response.headers


def test_no_cors_headers_by_default(client: TestClient) -> None:
    response = client.get("/articles", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in response.headers
    assert (
        client.options(
            "/articles", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"}
        ).status_code
        == 405
    )
