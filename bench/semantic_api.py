"""End-to-end figures of bench/semantic.py: `newsarchive serve` over the benchmark's index,
GET and POST /search by keyword and by meaning, timed from a client on loopback; with a
baseline revision, its server beside this one's, the two interleaved."""

import os
import random
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: A server starts in seconds, but in over 30 on a busy shared machine.
STARTUP_SECONDS = 300


class ApiServer:
    """`newsarchive serve` on loopback over the benchmark's index, embeddings on."""

    def __init__(
        self,
        meili_url: str,
        master_key: str,
        data_dir: Path,
        *,
        index: str,
        precision: str,
        source: Path | None = None,
        name: str = "archive",
    ) -> None:
        """`source`: a checkout of another revision whose `app` package the server runs
        (the same virtualenv), to time it against this one in the same run."""
        import httpx

        from app.paths import PROJECT_ROOT
        from bench.search_wrk import free_port

        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{data_dir / f'{name}.db'}",
            "DATA_DIR": str(data_dir),
            "MEILI_URL": meili_url,
            "MEILI_MASTER_KEY": master_key,
            "MEILI_INDEX": index,
            "RATE_LIMIT_READS_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
            "EMBEDDINGS_ENABLED": "true",
            "EMBEDDING_THREADS": "1",
            "EMBEDDING_PRECISION": precision,
        }
        if source is not None:
            env["PYTHONPATH"] = str(source)
        command = [str(PROJECT_ROOT / ".venv/bin/newsarchive"), "serve", "--port", str(port)]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit(f"the API did not answer /health within {STARTUP_SECONDS} s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def p50(values: list[float]) -> float:
    return statistics.median(values) * 1000


def baseline_source(revision: str, into: Path) -> Path:
    """The `app` package, migrations and alembic.ini of `revision`, extracted under `into`."""
    from app.paths import PROJECT_ROOT

    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "archive", revision, "app", "migrations", "alembic.ini"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


KINDS = (
    "keyword",
    "keyword_post_through_the_route",
    "hybrid_first_time",
    "hybrid_again",
    "semantic_vector_kept",
)


def through_the_api(
    servers: dict[str, ApiServer], queries: list[str], warm_up: list[str], seed: int = 17
) -> dict[str, Any]:
    """/search end to end on each server (this revision's, and a baseline's if given), each
    kind of search asked of every server in turn, in a shuffled order: keyword (GET, which anonymous readers get
    through the lean path, and POST, through the route as every search by meaning goes),
    hybrid on a query the server has not seen (its vector computed in the request), the same
    again (vector kept), and semantic."""
    import httpx

    times: dict[str, dict[str, list[float]]] = {
        name: {kind: [] for kind in KINDS} for name in servers
    }
    clients = {
        name: httpx.Client(base_url=server.url, timeout=30) for name, server in servers.items()
    }
    try:

        def get(http: httpx.Client, q: str, mode: str) -> float:
            started = time.perf_counter()
            response = http.get("/search", params={"q": q, "mode": mode, "per_page": 20})
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            return elapsed

        def post(http: httpx.Client, q: str) -> float:
            started = time.perf_counter()
            response = http.post("/search", json={"q": q, "per_page": 20})
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            return elapsed

        for http in clients.values():
            for q in warm_up:  # loads the model in the server
                get(http, q, "keyword")
                get(http, q, "hybrid")

        ask: dict[str, Callable[[httpx.Client, str], float]] = {
            "keyword": lambda http, q: get(http, q, "keyword"),
            "keyword_post_through_the_route": post,
            "hybrid_first_time": lambda http, q: get(http, q, "hybrid"),
            "hybrid_again": lambda http, q: get(http, q, "hybrid"),
            "semantic_vector_kept": lambda http, q: get(http, q, "semantic"),
        }
        rng = random.Random(seed)
        names = list(servers)
        for q in queries:
            for kind in KINDS:  # in this order: the first hybrid search makes the vector
                rng.shuffle(names)
                for name in names:
                    times[name][kind].append(ask[kind](clients[name], q))
    finally:
        for http in clients.values():
            http.close()
    figures: dict[str, Any] = {"queries": len(queries)}
    for name, kinds in times.items():
        p50s = {kind: p50(values) for kind, values in kinds.items()}
        figures[name] = {
            "p50_ms": {kind: round(value, 2) for kind, value in p50s.items()},
            "over_keyword_p50": {
                kind: round(value / p50s["keyword"], 2) for kind, value in p50s.items()
            },
        }
    return figures
