"""/saved-searches: create, read, change, delete; who may; and bad input refused with nothing
stored, on SQLite and PostgreSQL."""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.alerts.models import SavedSearch
from app.auth import service as auth_service
from app.auth.models import Scope
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.search.schemas import PUBLIC_FIELDS
from tests.conftest import auth_headers
from tests.contract_rules import beyond_the_schema

SECRET = "a-webhook-secret-1234"
HOOK = "http://127.0.0.1:9/hook"


def read_key_for(settings: Settings) -> str:
    engine = make_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        created = auth_service.create(session=session, name="reader", scope=Scope.read)
    engine.dispose()
    return created.plaintext


@pytest.fixture
def private_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"ALERT_WEBHOOK_ALLOW_PRIVATE": True, "ENTITY_EXTRACTION_ENABLED": False}
    )


@pytest.fixture
def api(private_settings: Settings, write_key: str) -> Iterator[TestClient]:
    with TestClient(create_app(private_settings), headers=auth_headers(write_key)) as client:
        yield client


def stored_count(settings: Settings) -> int:
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            return int(session.exec(select(sa.func.count()).select_from(SavedSearch)).one())
    finally:
        engine.dispose()


def create(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/saved-searches", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_read_list_patch_delete(api: TestClient) -> None:
    created = create(
        api,
        name="  Harbour bridge ",
        search={"q": "bridge", "source": ["Gazette"], "from": "2024-01-01"},
        webhook={"url": HOOK, "secret": SECRET},
        feed=True,
    )
    search_id = created["id"]
    token = created["feed"]["token"]
    assert len(token) == 43
    assert created == {
        "id": search_id,
        "name": "Harbour bridge",
        "search": {"q": "bridge", "source": ["Gazette"], "from": "2024-01-01"},
        "webhook": {"url": HOOK, "secret_hint": "…1234"},
        "feed": {"url": f"http://testserver/saved-searches/{search_id}/feed", "token": token},
        "active": True,
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
        "warnings": [],
    }
    shown = api.get(f"/saved-searches/{search_id}")
    assert shown.status_code == 200
    # The secret is never shown back, and the feed token only when issued.
    assert SECRET not in shown.text
    assert token not in shown.text
    assert shown.json() == created | {"feed": {"url": created["feed"]["url"], "token": None}}

    patched = api.patch(
        f"/saved-searches/{search_id}",
        json={"name": "Bridges", "search": {"q": "bridges"}, "webhook": None, "active": False},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["name"], body["search"], body["webhook"], body["active"]) == (
        "Bridges",
        {"q": "bridges"},
        None,
        False,
    )
    assert body["feed"]["token"] is None

    rotated = api.patch(f"/saved-searches/{search_id}", json={"rotate_feed_token": True}).json()
    assert rotated["feed"]["token"] not in (None, token)

    second = create(api, name="Feed only", search={}, feed=True)
    listing = api.get("/saved-searches", params={"limit": 1})
    assert listing.status_code == 200
    assert [item["id"] for item in listing.json()["data"]] == [search_id]
    rest = api.get("/saved-searches", params={"limit": 1, "cursor": listing.json()["next"]})
    assert [item["id"] for item in rest.json()["data"]] == [second["id"]]
    assert rest.json()["next"] is None

    assert api.delete(f"/saved-searches/{search_id}").status_code == 204
    assert api.get(f"/saved-searches/{search_id}").status_code == 404
    assert [item["id"] for item in api.get("/saved-searches").json()["data"]] == [second["id"]]


def test_unknown_entities_are_warned_about(api: TestClient) -> None:
    created = create(api, name="Watch", search={"entity": ["Nobody Known"]}, feed=True)
    assert created["warnings"] == [
        "entity 'Nobody Known' matches no known entity; it matches no article"
    ]


def test_keys_and_scopes(private_settings: Settings, write_key: str) -> None:
    reader = read_key_for(private_settings)
    with TestClient(create_app(private_settings)) as client:
        body = {"name": "x", "search": {}, "feed": True}
        assert client.post("/saved-searches", json=body).status_code == 401
        refused = client.post("/saved-searches", json=body, headers=auth_headers(reader))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        made = client.post("/saved-searches", json=body, headers=auth_headers(write_key))
        assert made.status_code == 201
        # Reading needs a key too (saved searches show webhook URLs), any scope.
        assert client.get("/saved-searches").status_code == 401
        assert client.get("/saved-searches", headers=auth_headers(reader)).status_code == 200
        search_id = made.json()["id"]
        patch = client.patch(
            f"/saved-searches/{search_id}", json={"name": "y"}, headers=auth_headers(reader)
        )
        assert patch.status_code == 403
        assert client.delete(f"/saved-searches/{search_id}").status_code == 401
    assert stored_count(private_settings) == 1


VALID = {"name": "n", "search": {"q": "bridge"}, "webhook": {"url": HOOK, "secret": SECRET}}


BAD_INPUT: list[tuple[dict[str, Any], list[str | int], str]] = [
    (
        VALID | {"webhook": {"url": "ftp://hooks.example.org/", "secret": SECRET}},
        ["body", "webhook", "url"],
        "must be an http:// or https:// URL",
    ),
    (
        VALID | {"webhook": {"url": HOOK, "secret": "short"}},
        ["body", "webhook", "secret"],
        "String should have at least 16 characters",
    ),
    (
        {"name": "n", "search": {"q": "bridge"}},
        ["body"],
        "give a way to deliver matches: a webhook, `feed: true`, or both",
    ),
    (
        VALID | {"search": {"q": "x", "from": "2024-02-01", "to": "2024-01-01"}},
        ["body", "search", "from"],
        "must not be after `to`",
    ),
    (
        VALID | {"search": {"cursor": "*", "sort": "newest"}},
        ["body", "search", "cursor"],
        "a saved search matches new articles as they come; cursor does not apply",
    ),
    (
        VALID | {"search": {"q": "x", "colour": "red"}},
        ["body", "search", "colour"],
        "Extra inputs are not permitted",
    ),
    (
        VALID | {"search": {"fields": ["title", "nonsense"]}},
        ["body", "search", "fields"],
        f"unknown field(s) nonsense; choose from {', '.join(PUBLIC_FIELDS)}",
    ),
    (VALID | {"name": "   "}, ["body", "name"], "must not be empty or only whitespace"),
    (
        VALID | {"search": {"source": [" "]}},
        ["body", "search", "source", 0],
        "must not be empty or only whitespace",
    ),
]


def test_bad_input_is_422_and_stores_nothing(api: TestClient, private_settings: Settings) -> None:
    for body, loc, msg in BAD_INPUT:
        response = api.post("/saved-searches", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [(e["loc"], e["msg"]) for e in response.json()["errors"]] == [(loc, msg)]
    assert stored_count(private_settings) == 0


REFUSED_BY_DEFAULT = [
    ("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address"),
    ("http://localhost:8080/hook", "localhost is a loopback host"),
    ("http://10.0.0.5/hook", "10.0.0.5 is a private or otherwise non-public address"),
    ("http://[::ffff:127.0.0.1]/", "127.0.0.1 is a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
    ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"),
    ("http://testserver/hook", "testserver:80 is this API's own host"),
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_webhooks_to_internal_addresses_are_refused_by_default(
    settings: Settings, write_key: str
) -> None:
    with TestClient(create_app(settings), headers=auth_headers(write_key)) as client:
        made = create(client, name="n", search={}, feed=True)
        for url, reason in REFUSED_BY_DEFAULT:
            body = {"name": "n", "search": {}, "webhook": {"url": url, "secret": SECRET}}
            response = client.post("/saved-searches", json=body)
            assert response.status_code == 422
            error = {"loc": ["body", "webhook", "url"], "msg": reason}
            assert response.json()["errors"] == [error]
            # Not by PATCH either.
            patched = client.patch(
                f"/saved-searches/{made['id']}", json={"webhook": {"url": url, "secret": SECRET}}
            )
            assert patched.status_code == 422
            assert patched.json()["errors"] == [error]
        assert client.get(f"/saved-searches/{made['id']}").json()["webhook"] is None
    assert stored_count(settings) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_name_resolving_to_loopback_is_refused_by_default(
    settings: Settings, write_key: str
) -> None:
    import socket

    host = socket.gethostname()
    with TestClient(create_app(settings), headers=auth_headers(write_key)) as client:
        body = {
            "name": "n",
            "search": {},
            "webhook": {"url": f"http://{host}:9/", "secret": SECRET},
        }
        response = client.post("/saved-searches", json=body)
    # This machine's own name leads to loopback or to one of its own addresses.
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "webhook", "url"]
    assert error["msg"].endswith(("is a loopback address", "is this server's own address"))


def test_metadata_stays_refused_when_private_addresses_are_allowed(api: TestClient) -> None:
    body = {
        "name": "n",
        "search": {},
        "webhook": {"url": "http://169.254.169.254/", "secret": SECRET},
    }
    response = api.post("/saved-searches", json=body)
    assert response.status_code == 422
    assert create(api, name="n", search={}, webhook={"url": HOOK, "secret": SECRET})["webhook"]


def test_patch_refusals_change_nothing(api: TestClient) -> None:
    made = create(api, name="n", search={"q": "a"}, webhook={"url": HOOK, "secret": SECRET})
    path = f"/saved-searches/{made['id']}"
    cases = [
        ({"webhook": None}, ["body"]),  # would leave no delivery
        ({"name": None}, ["body", "name"]),
        ({"rotate_feed_token": True}, ["body", "rotate_feed_token"]),
        ({"feed": False, "rotate_feed_token": True}, ["body", "rotate_feed_token"]),
        ({"search": {"per_page": 1000}}, ["body", "search", "per_page"]),
    ]
    for body, loc in cases:
        response = api.patch(path, json=body)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["loc"] == loc
    assert api.get(path).json() == made | {"warnings": []}


def test_unknown_ids_are_404(api: TestClient) -> None:
    for search_id, method, path in [
        (search_id, method, path)
        for search_id in ("999", "0", "2147483648")
        for method, path in [
            ("GET", ""),
            ("PATCH", ""),
            ("DELETE", ""),
            ("GET", "/deliveries"),
            ("GET", "/feed"),
            ("POST", "/deliveries/retry"),
        ]
    ]:
        kwargs: dict[str, Any] = {"json": {"name": "x"}} if method == "PATCH" else {}
        response = api.request(method, f"/saved-searches/{search_id}{path}", **kwargs)
        assert response.status_code == 404, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_bad_cursors_are_422(api: TestClient) -> None:
    made = create(api, name="n", search={}, feed=True)
    for cursor, path in [
        (cursor, path)
        for cursor in ("nope", "eyJpIjogMH0", "eyJpIjogIjEifQ", "eyJ4IjogMX0")
        for path in ("/saved-searches", f"/saved-searches/{made['id']}/deliveries")
    ]:
        response = api.get(path, params={"cursor": cursor})
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"loc": ["query", "cursor"], "msg": "not a cursor from this API; pass `next` back"}
        ]


def test_a_feed_turned_off_is_not_given_a_token_and_the_schema_says_so(api: TestClient) -> None:
    made = create(api, name="n", search={}, feed=True)
    path = f"/saved-searches/{made['id']}"
    response = api.patch(path, json={"feed": False, "rotate_feed_token": True})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body", "rotate_feed_token"], "msg": "can't be combined with `feed: false`"}
    ]
    assert not beyond_the_schema(response)  # the contract run holds the schema to it
    # Nothing changed (the token is shown only when issued).
    unchanged = made | {"feed": made["feed"] | {"token": None}, "warnings": []}
    assert api.get(path).json() == unchanged
    update = api.get("/openapi.json").json()["components"]["schemas"]["SavedSearchUpdate"]
    assert update["not"] == {
        "required": ["feed", "rotate_feed_token"],
        "properties": {"feed": {"const": False}, "rotate_feed_token": {"const": True}},
    }
    # Without a feed stored, rotating is a rule of the stored state, not of the schema.
    made = create(api, name="m", search={}, webhook={"url": HOOK, "secret": SECRET})
    response = api.patch(f"/saved-searches/{made['id']}", json={"rotate_feed_token": True})
    assert response.json()["errors"] == [
        {"loc": ["body", "rotate_feed_token"], "msg": "this saved search has no feed"}
    ]
    assert beyond_the_schema(response)
