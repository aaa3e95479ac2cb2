"""Webhook delivery to real HTTP receivers on loopback: signed, once per article, retried with
backoff through failures and hangs, given up after the cap, refused at delivery time when the
address is not allowed; a real Meilisearch, SQLite and PostgreSQL."""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.alerts import worker as alert_worker
from app.alerts.delivery import Deliverer
from app.cli import app as cli
from app.config import Settings, get_settings
from app.main import create_app
from tests.conftest import auth_headers, sync_index
from tests.test_alerts_matching import index_and_match, post_article

SECRET = "receiver-secret-0123456789"
TIMEOUT = 0.5


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """An HTTP server on loopback answering each POST as `script` says: ok (200), fail (500)
    or hang (no answer until released); then ok."""

    script: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def next_mode(self) -> str:
        return self.script.pop(0) if self.script else "ok"


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    servers: list[tuple[ThreadingHTTPServer, Receiver]] = []

    def start(*script: str) -> Receiver:
        receiver = Receiver(script=list(script))

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received = Received(dict(self.headers.items()), body, time.monotonic())
                receiver.received.append(received)
                mode = receiver.next_mode()
                if mode == "hang":
                    receiver.release.wait(10)
                self.send_response(500 if mode == "fail" else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        servers.append((server, receiver))
        return receiver

    yield start
    for server, receiver in servers:
        receiver.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def delivery_settings(search_settings: Settings) -> Settings:
    return search_settings.model_copy(
        update={
            "ENTITY_EXTRACTION_ENABLED": False,
            "ALERT_WEBHOOK_ALLOW_PRIVATE": True,
            "ALERT_WEBHOOK_TIMEOUT_SECONDS": TIMEOUT,
            "ALERT_RETRY_BASE_SECONDS": 0.05,
            "ALERT_RETRY_MAX_SECONDS": 0.1,
            "ALERT_DELIVERY_MAX_ATTEMPTS": 3,
        }
    )


@pytest.fixture
def api(delivery_settings: Settings, write_key: str) -> Iterator[TestClient]:
    with TestClient(create_app(delivery_settings), headers=auth_headers(write_key)) as client:
        yield client


@pytest.fixture
def deliverer(delivery_settings: Settings, api: TestClient) -> Iterator[Deliverer]:
    app: Any = api.app
    built = alert_worker.build_deliverer(delivery_settings, app.state.engine)
    yield built
    built.close()


def save_hook(client: TestClient, url: str, **search: Any) -> dict[str, Any]:
    body = {"name": "hook", "search": search, "webhook": {"url": url, "secret": SECRET}}
    response = client.post("/saved-searches", json=body)
    assert response.status_code == 201, response.text
    saved: dict[str, Any] = response.json()
    return saved


def deliveries(client: TestClient, search: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/saved-searches/{search['id']}/deliveries", params=params)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def deliver_until_settled(deliverer: Deliverer, client: TestClient, search: dict[str, Any]) -> None:
    """Attempt due deliveries until none of the search's is pending (short polls, no sleeps
    beyond the backoff the settings shrink)."""
    deadline = time.monotonic() + 10
    while any(d["status"] == "pending" for d in deliveries(client, search)):
        assert time.monotonic() < deadline, "deliveries did not settle"
        if deliverer.run_once() == 0:
            time.sleep(0.02)


def verify(received: Received) -> dict[str, Any]:
    """What a receiver does, as README documents it."""
    timestamp = received.headers["X-Newsarchive-Timestamp"]
    expected = hmac.new(
        SECRET.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(received.headers["X-Newsarchive-Signature"], f"sha256={expected}")
    assert abs(time.time() - int(timestamp)) < 60
    payload: dict[str, Any] = json.loads(received.body)
    return payload


def test_signed_delivery_once_per_article(
    api: TestClient, deliverer: Deliverer, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers()
    search = save_hook(api, receiver.url, q="bridge")
    article = post_article(
        api, 1, "Harbour bridge reopens", "Traffic is back.", published_at="2024-05-17T09:30:00Z"
    )
    post_article(api, 2, "Grain prices", "Wheat.")
    assert index_and_match(api) == 1
    deliver_until_settled(deliverer, api, search)

    [request] = receiver.received
    payload = verify(request)
    [delivery] = deliveries(api, search)
    key = delivery["idempotency_key"]
    assert request.headers["Idempotency-Key"] == key
    assert request.headers["X-Newsarchive-Event"] == "saved_search.match"
    assert request.headers["Content-Type"] == "application/json"
    matched_at = datetime.fromisoformat(payload.pop("matched_at"))
    assert matched_at == datetime.fromisoformat(delivery["matched_at"])
    assert payload == {
        "event": "saved_search.match",
        "idempotency_key": key,
        "saved_search": {"id": search["id"], "name": "hook"},
        "article": {
            "id": article,
            "title": "Harbour bridge reopens",
            "url": "https://ex.org/1",
            "source": None,
            "published_at": "2024-05-17T09:30:00+00:00",
            "api_path": f"/articles/{article}",
        },
        "why": {
            "terms": ["bridge"],
            "highlights": {"title": "Harbour <mark>bridge</mark> reopens"},
            "matches_position": {"title": [{"start": 8, "length": 6}]},
            "filters": {},
        },
    }
    assert key.endswith(f":{article}")
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "delivered",
        1,
        200,
    )
    assert delivery["next_attempt_at"] is None
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in delivery["log"]] == [
        (1, 200, "delivered")
    ]

    # The article is edited and indexed again: it was delivered already, so it is not re-sent.
    api.patch(f"/articles/{article}", json={"title": "Harbour bridge reopens fully"})
    assert index_and_match(api) == 0
    assert deliverer.run_once() == 0
    assert len(receiver.received) == 1


def test_a_failing_receiver_is_retried_with_backoff_until_it_recovers(
    api: TestClient, deliverer: Deliverer, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers("fail", "fail", "ok")
    search = save_hook(api, receiver.url, q="bridge")
    post_article(api, 1, "Bridge", "A bridge.")
    index_and_match(api)
    deliver_until_settled(deliverer, api, search)

    [delivery] = deliveries(api, search)
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in delivery["log"]] == [
        (1, 500, "retrying"),
        (2, 500, "retrying"),
        (3, 200, "delivered"),
    ]
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 3)
    # Same body and key every time; each one signed afresh; waits doubled.
    assert len({r.body for r in receiver.received}) == 1
    assert {r.headers["Idempotency-Key"] for r in receiver.received} == {
        delivery["idempotency_key"]
    }
    for request in receiver.received:
        verify(request)
    first, second, third = (r.at for r in receiver.received)
    assert second - first >= 0.05
    assert third - second >= 0.1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_hanging_receiver_times_out_without_holding_up_others(
    api: TestClient, deliverer: Deliverer, receivers: Callable[..., Receiver]
) -> None:
    hanging, healthy = receivers("hang"), receivers()
    stuck = save_hook(api, hanging.url, q="bridge")
    fine = save_hook(api, healthy.url, q="bridge")
    post_article(api, 1, "Bridge", "A bridge.")
    index_and_match(api)

    started = time.monotonic()
    assert deliverer.run_once() == 2
    assert time.monotonic() - started < TIMEOUT + 1.0
    assert [d["status"] for d in deliveries(api, fine)] == ["delivered"]
    [timed_out] = deliveries(api, stuck)
    assert (timed_out["status"], timed_out["last_error"]) == ("pending", "timed out after 0.5s")
    [attempt] = timed_out["log"]
    assert (attempt["status_code"], attempt["outcome"]) == (None, "retrying")
    assert TIMEOUT * 1000 - 50 <= attempt["duration_ms"] < TIMEOUT * 1000 + 500

    # The receiver answers again: the next attempt delivers, once.
    deliver_until_settled(deliverer, api, stuck)
    [recovered] = deliveries(api, stuck)
    assert [a["outcome"] for a in recovered["log"]] == ["retrying", "delivered"]
    assert len(hanging.received) == 2
    assert len(healthy.received) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_delivery_gives_up_after_the_cap_and_can_be_retried(
    api: TestClient, deliverer: Deliverer, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers("fail", "fail", "fail")
    search = save_hook(api, receiver.url, q="bridge")
    post_article(api, 1, "Bridge", "A bridge.")
    index_and_match(api)
    deliver_until_settled(deliverer, api, search)

    [failed] = deliveries(api, search, status="failed")
    assert (failed["attempts"], failed["next_attempt_at"], failed["last_status_code"]) == (
        3,
        None,
        500,
    )
    assert [a["outcome"] for a in failed["log"]] == ["retrying", "retrying", "failed"]
    assert deliveries(api, search, status="delivered") == []

    retried = api.post(f"/saved-searches/{search['id']}/deliveries/retry")
    assert retried.status_code == 200
    assert retried.json() == {"requeued": 1}
    deliver_until_settled(deliverer, api, search)
    [delivered] = deliveries(api, search)
    assert delivered["status"] == "delivered"
    assert len(receiver.received) == 4


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_address_is_checked_again_at_delivery_time(
    api: TestClient, delivery_settings: Settings, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers()
    search = save_hook(api, receiver.url, q="bridge")
    post_article(api, 1, "Bridge", "A bridge.")
    index_and_match(api)
    # A deliverer under the default rules (say the setting was turned off since).
    app: Any = api.app
    strict = alert_worker.build_deliverer(
        delivery_settings.model_copy(update={"ALERT_WEBHOOK_ALLOW_PRIVATE": False}),
        app.state.engine,
    )
    try:
        assert strict.run_once() == 1
    finally:
        strict.close()
    [refused] = deliveries(api, search)
    assert refused["last_error"] == "refused: 127.0.0.1 is a loopback address"
    assert refused["log"][0]["status_code"] is None
    assert receiver.received == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_removing_the_webhook_cancels_pending_deliveries(
    api: TestClient, deliverer: Deliverer, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers()
    search = save_hook(api, receiver.url, q="bridge")
    post_article(api, 1, "Bridge", "A bridge.")
    index_and_match(api)
    patched = api.patch(f"/saved-searches/{search['id']}", json={"webhook": None, "feed": True})
    assert patched.status_code == 200
    assert [d["status"] for d in deliveries(api, search)] == ["cancelled"]
    assert deliverer.run_once() == 0
    assert receiver.received == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_alerts_run_once_from_the_command_line(
    api: TestClient,
    delivery_settings: Settings,
    receivers: Callable[..., Receiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver = receivers()
    save_hook(api, receiver.url, q="bridge")
    post_article(api, 1, "Bridge", "A bridge.")
    post_article(api, 2, "Ferry", "A ferry.")
    sync_index(api)
    assert delivery_settings.MEILI_URL is not None
    for name, value in {
        "DATABASE_URL": delivery_settings.DATABASE_URL,
        "MEILI_URL": delivery_settings.MEILI_URL,
        "MEILI_MASTER_KEY": (
            delivery_settings.MEILI_MASTER_KEY.get_secret_value()
            if delivery_settings.MEILI_MASTER_KEY
            else ""
        ),
        "MEILI_INDEX": delivery_settings.MEILI_INDEX,
        "ALERT_WEBHOOK_ALLOW_PRIVATE": "true",
        "LOG_FORMAT": "console",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["alerts", "run", "--once"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == (
        "2 articles matched: 1 new matches; 1 deliveries attempted, 0 waiting for a retry"
    )
    [request] = receiver.received
    assert verify(request)["article"]["title"] == "Bridge"
