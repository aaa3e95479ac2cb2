"""A real API server for the browser tests: uvicorn in a thread, an archive of our own short
articles, the session's Meilisearch, and Debian's chromium driven by Playwright."""

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import Scope
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.search.sync import drain

CHROMIUM = Path("/usr/bin/chromium")
#: The system browser, quiet: no downloads, no background traffic, no GPU, no sandbox (root).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_BROWSER = (
    "Debian's chromium is not installed at /usr/bin/chromium: `make pytest` installs it when "
    "run as root (apt-get install chromium)"
)

SOURCES = ("Harbour Gazette", "Valley Times")
PEOPLE = {"name": "Mara Quist", "type": "person"}
AUTHORITY = {"name": "Harbour Authority", "type": "organization"}
PORT_ELIN = {"name": "Port Elin", "type": "place"}
#: Three ferry stories, the rest about the harbour bridge; Mara Quist in every third article.
ARTICLE_COUNT = 45
FERRY = (4, 19, 33)
FIRST_DAY = datetime(2024, 1, 3, 9, 0, tzinfo=UTC)


def article(number: int) -> dict[str, Any]:
    """Article `number` (0-based): dated every 4 days from 3 January 2024."""
    published = FIRST_DAY + timedelta(days=4 * number)
    entities = [AUTHORITY, PORT_ELIN] + ([PEOPLE] if number % 3 == 0 else [])
    if number in FERRY:
        title = f"Night ferry to Port Elin returns, report {number}"
        body = (
            f"The night ferry crossed to Port Elin again on day {number}.\n\n"
            "Harbour Authority staff said bookings were strong."
        )
    else:
        title = f"Harbour bridge works, week {number}"
        body = (
            f"Repairs on the harbour bridge continued in week {number}.\n\n"
            "The Harbour Authority expects the lanes to reopen in spring."
        )
    if number % 3 == 0:
        body += "\n\nMara Quist, who chairs the authority, visited the site."
    return {
        "url": f"https://example.org/harbour/{number}",
        "title": title,
        "body": body,
        "source": SOURCES[number % 2],
        "section": "city",
        "published_at": published.isoformat(),
        "tags": ["transport"],
        "entities": entities,
    }


#: A copy of ferry article 4's text under another url: an exact duplicate, hidden from search
#: unless duplicates are asked for.
DUPLICATE = {
    **article(FERRY[0]),
    "url": "https://example.org/copies/ferry",
    "source": "Valley Times",
}


def with_mara() -> int:
    return len([n for n in range(ARTICLE_COUNT) if n % 3 == 0])


@dataclass
class Served:
    url: str
    port: int
    app: FastAPI


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(settings_for_port: Any) -> Iterator[Served]:
    """The app built by `settings_for_port(port)` behind uvicorn on a port of its own, its
    lifespan run by uvicorn (so its connections belong to the serving loop)."""
    sock = free_socket()
    port = sock.getsockname()[1]
    app = create_app(settings_for_port(port))
    config = uvicorn.Config(app, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive(), "the API server did not start"
            assert time.monotonic() < deadline, "the API server took over 30 s to start"
            time.sleep(0.02)
        yield Served(f"http://127.0.0.1:{port}", port, app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def archive_settings(
    base: Path, template: Path, meili_url: str, meili_key: str | None, index: str
) -> Any:
    """Settings for a fresh SQLite archive (copied from the migrated template) per port."""
    database = base / "archive.db"
    shutil.copy(template, database)

    def for_port(port: int) -> Settings:
        return Settings(
            _env_file=None,
            DATA_DIR=base,
            DATABASE_URL=f"sqlite:///{database}",
            MEILI_URL=meili_url,
            MEILI_MASTER_KEY=SecretStr(meili_key or ""),
            MEILI_INDEX=index,
            SYNC_WORKER_ENABLED=False,
            ENTITY_EXTRACTION_ENABLED=False,
            CORS_ALLOW_ORIGINS=[f"http://localhost:{port}"],
            RATE_LIMIT_READS_PER_MINUTE=0,
            LOG_FORMAT="console",
            LOG_LEVEL="WARNING",
        )

    return for_port


def create_key(served: Served, scope: Scope) -> str:
    """A new API key of `scope` on the served archive, in plain text."""
    engine = make_engine(served.app.state.settings)
    with Session(engine, expire_on_commit=False) as session:
        name = f"browser {scope} {uuid.uuid4().hex[:8]}"
        key = auth_service.create(session=session, name=name, scope=scope)
    engine.dispose()
    return key.plaintext


def seed(served: Served) -> None:
    """Store the articles over HTTP with a write key, then index them."""
    headers = {"Authorization": f"Bearer {create_key(served, Scope.write)}"}
    response = httpx.post(
        f"{served.url}/articles/bulk",
        json=[article(n) for n in range(ARTICLE_COUNT)],
        headers=headers,
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.json()["totals"]["created"] == ARTICLE_COUNT, response.text
    copy = httpx.post(f"{served.url}/articles", json=DUPLICATE, headers=headers, timeout=60)
    assert copy.status_code == 201, copy.text
    assert copy.json()["duplicate_of"] == FERRY[0] + 1, copy.text
    drain(served.app.state.search.sync)


@contextmanager
def seeded(
    base: Path, template: Path, meili_url: str, meili_key: str | None, **overrides: Any
) -> Iterator[Served]:
    """A served archive holding the seed articles, in an index of its own; `overrides`
    change its settings (e.g. REQUIRE_KEY_FOR_READS=True)."""
    for_port = archive_settings(base, template, meili_url, meili_key, f"web_{uuid.uuid4().hex}")
    with serving(lambda port: for_port(port).model_copy(update=overrides)) as served:
        seed(served)
        yield served


def artefact_dir(base: Path) -> Path:
    """Where screenshots of failed browser tests go (BROWSER_ARTEFACTS, else pytest's tmp)."""
    path = Path(os.environ.get("BROWSER_ARTEFACTS") or base / "browser-artefacts")
    path.mkdir(parents=True, exist_ok=True)
    return path
