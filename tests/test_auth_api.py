"""API keys over HTTP on SQLite and PostgreSQL: 401 / 403 problems, header forms, public reads."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.auth import service
from app.auth.deps import ReadAccess, RequireAdmin, WriteKey
from app.auth.models import Scope
from app.config import Settings
from app.db import make_engine, utcnow
from app.main import create_app

MakeKey = Callable[..., str]

probe = APIRouter(prefix="/probe")


@probe.get("/read")
def probe_read(key: ReadAccess) -> dict[str, Any]:
    return {"key": key.name if key else None}


@probe.post("/write")
def probe_write(key: WriteKey) -> dict[str, Any]:
    return {"key": key.name}


@probe.post("/admin", dependencies=[RequireAdmin])
def probe_admin() -> dict[str, Any]:
    return {"ok": True}


@pytest.fixture
def make_key(settings: Settings) -> Iterator[MakeKey]:
    engine = make_engine(settings)

    def make(scope: str, name: str | None = None, **options: Any) -> str:
        with Session(engine, expire_on_commit=False) as session:
            created = service.create(
                session=session, name=name or f"{scope}-key", scope=Scope(scope), **options
            )
        return created.plaintext

    yield make
    engine.dispose()


def _client(settings: Settings) -> TestClient:
    app = create_app(settings)
    app.include_router(probe)
    return TestClient(app)


@pytest.fixture
def probe_client(settings: Settings) -> Iterator[TestClient]:
    with _client(settings) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    return problem


def test_write_without_a_key_is_401(probe_client: TestClient) -> None:
    problem = assert_problem(probe_client.post("/probe/write"), 401)
    assert "write scope" in problem["detail"]
    assert problem["type"].endswith("/unauthorized")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Bearer na_0123456789ab_" + "x" * 43},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"X-API-Key": "na_"},
    ],
)
def test_invalid_keys_are_401(probe_client: TestClient, headers: dict[str, str]) -> None:
    problem = assert_problem(probe_client.post("/probe/write", headers=headers), 401)
    assert (
        'error="invalid_token"'
        in probe_client.post("/probe/write", headers=headers).headers["www-authenticate"]
    )
    assert "na_" not in problem["detail"]


def test_right_id_with_wrong_secret_is_401(probe_client: TestClient, make_key: MakeKey) -> None:
    key = make_key("write")
    prefix, key_id, secret = key.split("_", 2)
    tampered = f"{prefix}_{key_id}_{secret[::-1]}"
    assert_problem(probe_client.post("/probe/write", headers=bearer(tampered)), 401)


def test_expired_and_revoked_keys_are_401(
    probe_client: TestClient, make_key: MakeKey, settings: Settings
) -> None:
    expired = make_key(
        "write", name="old", expires_in=timedelta(hours=1), now=utcnow() - timedelta(hours=2)
    )
    problem = assert_problem(probe_client.post("/probe/write", headers=bearer(expired)), 401)
    assert "expired" in problem["detail"]

    key = make_key("write")
    assert probe_client.post("/probe/write", headers=bearer(key)).status_code == 200
    engine = make_engine(settings)
    with Session(engine) as session:
        record = service.get_by_id_or_name(session=session, ident="write-key")
        service.revoke(session=session, record=record)
    engine.dispose()
    problem = assert_problem(probe_client.post("/probe/write", headers=bearer(key)), 401)
    assert "revoked" in problem["detail"]


def test_weaker_scope_is_403(probe_client: TestClient, make_key: MakeKey) -> None:
    read, write, admin = make_key("read"), make_key("write"), make_key("admin")
    problem = assert_problem(probe_client.post("/probe/write", headers=bearer(read)), 403)
    assert problem["type"].endswith("/forbidden")
    assert "needs write" in problem["detail"]
    assert_problem(probe_client.post("/probe/admin", headers=bearer(write)), 403)
    assert probe_client.post("/probe/write", headers=bearer(admin)).json() == {"key": "admin-key"}
    assert probe_client.post("/probe/admin", headers=bearer(admin)).json() == {"ok": True}


def test_bearer_and_x_api_key_both_work(probe_client: TestClient, make_key: MakeKey) -> None:
    key = make_key("write")
    for headers in (bearer(key), {"Authorization": f"bearer  {key}"}, {"X-API-Key": key}):
        response = probe_client.post("/probe/write", headers=headers)
        assert response.status_code == 200, (headers, response.text)
        assert response.json() == {"key": "write-key"}


def test_reads_are_public_by_default(probe_client: TestClient, make_key: MakeKey) -> None:
    assert probe_client.get("/probe/read").json() == {"key": None}
    read = make_key("read")
    assert probe_client.get("/probe/read", headers=bearer(read)).json() == {"key": "read-key"}
    # A key that is sent is checked even where none is needed.
    assert_problem(probe_client.get("/probe/read", headers=bearer("na_nonsense")), 401)


def test_reads_need_a_key_when_configured(settings: Settings, make_key: MakeKey) -> None:
    keyed = settings.model_copy(update={"REQUIRE_KEY_FOR_READS": True})
    with _client(keyed) as client:
        problem = assert_problem(client.get("/probe/read"), 401)
        assert "Reading needs an API key" in problem["detail"]
        for scope in ("read", "write", "admin"):
            response = client.get("/probe/read", headers={"X-API-Key": make_key(scope)})
            assert response.json() == {"key": f"{scope}-key"}


ARTICLE = {"title": "Keyed story", "body": "Only key holders may write."}


def test_article_writes_need_a_write_key(
    anonymous_client: TestClient, client: TestClient, make_key: MakeKey
) -> None:
    assert_problem(anonymous_client.post("/articles", json=ARTICLE), 401)
    read = make_key("read")
    assert_problem(anonymous_client.post("/articles", json=ARTICLE, headers=bearer(read)), 403)
    created = client.post("/articles", json=ARTICLE)
    assert created.status_code == 201
    path = created.headers["location"]
    assert_problem(anonymous_client.put(path, json=ARTICLE), 401)
    assert_problem(anonymous_client.patch(path, json={"title": "x"}), 401)
    assert_problem(anonymous_client.delete(path), 401)
    # Unauthenticated requests learn nothing about the body: 401 comes before 415.
    assert_problem(anonymous_client.post("/articles", content=b"<a/>"), 401)
    assert anonymous_client.get(path).json()["title"] == "Keyed story"
    assert anonymous_client.get("/articles").json()["data"][0]["title"] == "Keyed story"
    assert client.delete(path).status_code == 204


def test_article_reads_need_a_key_when_configured(settings: Settings, make_key: MakeKey) -> None:
    keyed = settings.model_copy(update={"REQUIRE_KEY_FOR_READS": True})
    with TestClient(create_app(keyed)) as client:
        assert_problem(client.get("/articles"), 401)
        assert_problem(client.get("/articles/1"), 401)
        response = client.get("/articles", headers={"X-API-Key": make_key("read")})
        assert response.status_code == 200
        assert response.json()["data"] == []
