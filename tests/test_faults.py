"""Faults with real processes: Meilisearch killed mid-import, PostgreSQL restarted under load,
the API killed mid-import on SQLite. Nothing acknowledged may be lost, and the API recovers on
its own. The slow ones are named test_slow_*.
"""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from meilisearch.errors import MeilisearchApiError
from sqlmodel import Session, select

from app.articles.models import Article
from app.config import Settings
from app.db import make_engine
from app.deps import close_quietly
from app.main import create_app
from app.paths import PROJECT_ROOT
from app.search.client import SearchClient
from tests.conftest import auth_headers
from tests.meili_plugin import MeiliServer
from tests.pg_plugin import PostgresServer

PROBLEM_JSON = "application/problem+json"


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f}s")
        time.sleep(0.1)


def article(n: int, *, prefix: str = "fault") -> dict[str, Any]:
    return {
        "url": f"https://example.org/{prefix}/{n}",
        "title": f"Fault story {n}",
        "body": f"Harbour news item number {n}, written while something was failing.",
        "source": "Fault Gazette",
        "published_at": "2024-05-17T09:30:00+00:00",
    }


def index_ids(meili_client: SearchClient, uid: str) -> list[int]:
    """Every document id in the index, page by page (a list, so duplicates would show)."""
    ids: list[int] = []
    index = meili_client.index(uid)
    for offset in range(0, 1_000_000, 1000):
        page = index.get_documents({"fields": ["id"], "limit": 1000, "offset": offset})
        ids += [int(document.id) for document in page.results]
        if len(page.results) < 1000:
            return ids
    raise AssertionError("index larger than expected")


# --- Meilisearch killed in the middle of a bulk import ----------------------------------------


@pytest.mark.timeout(600)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_slow_meilisearch_killed_mid_bulk_import_loses_nothing(
    search_settings: Settings,
    meili_server: MeiliServer,
    meili_client: SearchClient,
    write_key: str,
) -> None:
    process = meili_server.process
    if process is None:
        pytest.skip("needs a Meilisearch started by the tests (MEILI_URL was given)")
    total = 2500
    settings = search_settings.model_copy(
        update={
            "SYNC_WORKER_ENABLED": True,
            "ENTITY_EXTRACTION_ENABLED": False,
            "RATE_LIMIT_WRITES_PER_MINUTE": 0,
        }
    )
    body = "".join(json.dumps(article(n)) + "\n" for n in range(total))
    watcher_engine = make_engine(settings)
    timeline: list[str] = []
    watcher_error: list[BaseException] = []

    def stored() -> int:
        with Session(watcher_engine) as session:
            return session.exec(select(sa.func.count()).select_from(Article)).one()

    def indexed_some() -> bool:
        try:
            return bool(meili_client.index(settings.MEILI_INDEX).get_stats().number_of_documents)
        except MeilisearchApiError:  # the index is created by the first batch
            return False

    def kill_then_restart() -> None:
        try:
            # Kill once the worker has indexed part of the import and more is still arriving.
            # Generous waits: a loaded machine slows the import, never the outcome checked.
            wait_until(lambda: stored() >= 500 and indexed_some(), timeout=180, what="indexing")
            process.kill()
            timeline.append(f"killed at {stored()} stored")
            wait_until(lambda: stored() >= 1500, timeout=180, what="import past 1500")
            timeline.append(f"restarting at {stored()} stored")
        except BaseException as error:  # reported by the test thread
            watcher_error.append(error)
        finally:
            process.start()

    watcher = threading.Thread(target=kill_then_restart, daemon=True)
    try:
        with TestClient(create_app(settings), headers=auth_headers(write_key)) as client:
            watcher.start()
            response = client.post(
                "/articles/bulk",
                content=body.encode(),
                headers={"Content-Type": "application/x-ndjson"},
            )
            watcher.join(400)
            assert not watcher.is_alive()
            assert not watcher_error, watcher_error
            assert response.status_code == 200, response.text
            assert response.json()["totals"]["created"] == total
            assert len(timeline) == 2, timeline
            assert int(timeline[0].split()[2]) < total, timeline  # the kill really was mid-import

            def caught_up() -> bool:
                ready = client.get("/ready")
                pending: int = ready.json()["index"]["pending"]
                return ready.status_code == 200 and pending == 0

            wait_until(caught_up, timeout=90, what="index worker catching up")
            assert client.get("/ready").json()["index"]["failed"] == 0
            with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
                database = sorted(i for i in session.exec(select(Article.id)).all() if i)
    finally:
        watcher_engine.dispose()
        process.start()  # whatever happened, later tests get their Meilisearch back
    in_index = index_ids(meili_client, settings.MEILI_INDEX)
    assert len(database) == total
    assert len(in_index) == len(set(in_index)), "a document is in the index twice"
    assert sorted(in_index) == database
    stats = meili_client.index(settings.MEILI_INDEX).get_stats()
    assert stats.number_of_documents == total


# --- `newsarchive serve` as a real process ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEILI_", "DATABASE_"))}
    env.update(
        {
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": database_url,
            "ENTITY_EXTRACTION_ENABLED": "false",
            "RATE_LIMIT_READS_PER_MINUTE": "0",
            "RATE_LIMIT_WRITES_PER_MINUTE": "0",
            "LOG_FORMAT": "console",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(PROJECT_ROOT),
            **extra,
        }
    )
    return env


def meili_env(meili_server: MeiliServer, index_uid: str) -> dict[str, str]:
    return {
        "MEILI_URL": meili_server.url,
        "MEILI_MASTER_KEY": meili_server.master_key or "",
        "MEILI_INDEX": index_uid,
    }


def newsarchive(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def run_cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    result = subprocess.run(
        newsarchive(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def create_key(env: dict[str, str], cwd: Path) -> str:
    """Migrate the database and make a write key through the command line."""
    run_cli(env, cwd, "migrate")
    created = run_cli(env, cwd, "keys", "create", "--name", "faults", "--scope", "write")
    return created.strip().splitlines()[-1]


@dataclass
class Server:
    process: "subprocess.Popen[bytes]"
    url: str
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextmanager
def serve(env: dict[str, str], cwd: Path) -> Iterator[Server]:
    """`newsarchive serve` on a free loopback port, stopped (or already killed) afterwards."""
    port = free_port()
    log = cwd / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            newsarchive("serve", "--host", "127.0.0.1", "--port", str(port)),
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(process=process, url=f"http://127.0.0.1:{port}", log=log)
    try:

        def up() -> bool:
            assert process.poll() is None, f"serve exited:\n{server.log_tail()}"
            try:
                return httpx.get(f"{server.url}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, timeout=60, what="newsarchive serve start-up")
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- PostgreSQL restarted under load ------------------------------------------------------------


@dataclass
class Outcome:
    path: str
    status: int | None  # None: no HTTP answer at all
    seconds: float
    content_type: str = ""
    retry_after: str | None = None
    error: str = ""  # the transport error, when there was no HTTP answer


@dataclass
class Load:
    """Reads and writes from a few threads until stopped; every outcome is kept."""

    base_url: str
    key: str
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, worker: int, max_requests: int = 3000) -> None:
        headers = auth_headers(self.key)
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=15) as http:
            for n in range(max_requests):
                if self.stop.is_set():
                    return
                if n % 3 == 0:
                    self._send(http, "POST", "/articles", article(worker * 10_000 + n, prefix="pg"))
                elif n % 3 == 1:
                    self._send(http, "GET", "/articles?limit=5")
                else:
                    self._send(http, "GET", "/articles/1")
                time.sleep(0.01)

    def _send(self, http: httpx.Client, method: str, path: str, body: Any = None) -> None:
        started = time.monotonic()
        try:
            response = http.request(method, path, json=body)
        except httpx.TransportError as error:
            outcome = Outcome(
                f"{method} {path}", None, time.monotonic() - started, error=repr(error)
            )
        else:
            outcome = Outcome(
                f"{method} {path}",
                response.status_code,
                time.monotonic() - started,
                response.headers.get("content-type", ""),
                response.headers.get("retry-after"),
            )
        with self.lock:
            self.outcomes.append(outcome)

    def taken(self) -> list[Outcome]:
        with self.lock:
            taken, self.outcomes = self.outcomes, []
            return taken


def test_slow_postgresql_restart_under_load_fails_fast_and_recovers(
    postgres_server: PostgresServer,
    postgres_url: str,
    meili_server: MeiliServer,
    meili_index_uid: str,
    tmp_path: Path,
) -> None:
    if postgres_server.data_dir is None:
        pytest.skip("needs the PostgreSQL cluster started by the tests (TEST_DATABASE_URL given)")
    env = cli_env(tmp_path, postgres_url, **meili_env(meili_server, meili_index_uid))
    key = create_key(env, tmp_path)
    load = Load(base_url="", key=key)
    with serve(env, tmp_path) as server, ThreadPoolExecutor(max_workers=3) as pool:
        load.base_url = server.url
        with httpx.Client(base_url=server.url, headers=auth_headers(key), timeout=15) as http:
            assert http.post("/articles", json=article(0, prefix="pg")).status_code == 201
        workers = [pool.submit(load.run, worker) for worker in range(1, 4)]
        try:
            time.sleep(2)
            before = load.taken()
            postgres_server.pg_ctl("-m", "fast", "stop")
            time.sleep(4)
            during = load.taken()
            assert server.process.poll() is None, server.log_tail()
        finally:
            postgres_server.start()
        wait_until(
            lambda: any(o.status in (200, 201) for o in load.taken()),
            timeout=30,
            what="a request succeeding after the restart",
        )
        time.sleep(2)
        after = load.taken()
        load.stop.set()
        for worker in workers:
            worker.result(timeout=30)
        # Indexing resumes at once: a batch the worker held when the database went away is
        # not left leased (a lease is 30 s) while /ready says everything is fine.
        with httpx.Client(base_url=server.url, timeout=15) as http:
            wait_until(
                lambda: http.get("/ready").json()["index"]["pending"] == 0,
                timeout=15,
                what="every write indexed after the restart",
            )
        pid_after = server.process.pid
        assert server.process.poll() is None, "the API must not need a restart"
        server_log = server.log_tail()

    assert before and all(o.status in (200, 201) for o in before), before[:5]
    # While PostgreSQL is down: every answer is a fast 503 problem with Retry-After.
    down = [o for o in during if o.status != 200 and o.status != 201]
    assert len(down) >= 10, during[:5]
    for outcome in down:
        assert outcome.status == 503, (outcome, server_log)
        assert outcome.content_type == PROBLEM_JSON, outcome
        assert outcome.retry_after is not None, outcome
        assert outcome.seconds < 5, outcome
    # Once it is back, the same process serves reads and writes again.
    assert after and all(o.status in (200, 201) for o in after), [
        o for o in after if o.status not in (200, 201)
    ][:5]
    assert {o.path.split(" ")[0] for o in after} == {"GET", "POST"}
    assert pid_after == server.process.pid


def test_a_session_whose_connection_was_terminated_closes_quietly(postgres_url: str) -> None:
    """The request's session closes after the answer has started; a connection the database
    dropped meanwhile must not turn into an error there (the server would reset the client's
    connection instead of finishing the answer)."""
    engine = make_engine(Settings(DATABASE_URL=postgres_url))
    try:
        session = Session(engine)
        backend_pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
        close_quietly(session)  # raised OperationalError before
        with Session(engine) as fresh:
            assert fresh.execute(sa.text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


# --- the API killed mid-import on SQLite --------------------------------------------------------


def test_slow_sqlite_keeps_every_acknowledged_article_when_the_api_is_killed(
    sqlite_template: Path,
    meili_server: MeiliServer,
    meili_client: SearchClient,
    meili_index_uid: str,
    tmp_path: Path,
) -> None:
    database = tmp_path / "archive.db"
    env = cli_env(tmp_path, f"sqlite:///{database}", **meili_env(meili_server, meili_index_uid))
    key = create_key(env, tmp_path)
    acknowledged: dict[int, str] = {}  # article id -> url
    lock = threading.Lock()
    stop = threading.Event()

    def post(server: Server, worker: int, max_posts: int = 3000) -> None:
        with httpx.Client(base_url=server.url, headers=auth_headers(key), timeout=10) as http:
            for n in range(max_posts):
                if stop.is_set():
                    return
                payload = article(worker * 10_000 + n, prefix="sqlite")
                try:
                    response = http.post("/articles", json=payload)
                except httpx.TransportError:
                    return  # the server is gone
                if response.status_code == 201:
                    with lock:
                        acknowledged[response.json()["id"]] = payload["url"]

    def count() -> int:
        with lock:
            return len(acknowledged)

    with serve(env, tmp_path) as server, ThreadPoolExecutor(max_workers=4) as pool:
        posters = [pool.submit(post, server, worker) for worker in range(4)]
        try:
            wait_until(lambda: count() >= 150, timeout=60, what="150 acknowledged writes")
            # Writes are in flight on every poster when the process dies.
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(timeout=10)
        finally:
            stop.set()
            for poster in posters:
                poster.result(timeout=30)
    assert server.process.returncode == -signal.SIGKILL

    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = dict(connection.execute("SELECT id, url FROM articles").fetchall())
        queued = {row[0] for row in connection.execute("SELECT article_id FROM search_outbox")}
    finally:
        connection.close()
    missing = {i: url for i, url in acknowledged.items() if stored.get(i) != url}
    assert not missing, f"{len(missing)} acknowledged articles lost"
    not_queued = sorted(set(acknowledged) - queued)
    in_index = set(index_ids(meili_client, meili_index_uid)) if not_queued else set()
    assert set(not_queued) <= in_index, "acknowledged, never queued and not indexed"
