"""End-to-end figures of bench/semantic.py: `newsarchive serve` over the benchmark's index,
GET and POST /search by keyword and by meaning, timed from a client on loopback."""

import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

#: A server starts in seconds, but in over 30 on a busy shared machine.
STARTUP_SECONDS = 300


class ApiServer:
    """`newsarchive serve` on loopback over the benchmark's index, embeddings on."""

    def __init__(
        self, meili_url: str, master_key: str, data_dir: Path, *, index: str, precision: str
    ) -> None:
        import httpx

        from app.paths import PROJECT_ROOT
        from bench.search import free_port

        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{data_dir / 'archive.db'}",
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


def through_the_api(server: ApiServer, queries: list[str], warm_up: list[str]) -> dict[str, Any]:
    """/search end to end: keyword (GET, which anonymous readers get through the lean path,
    and POST, through the route as every search by meaning goes), hybrid on a query the
    server has not seen (its vector computed in the request), the same again (vector kept),
    and semantic."""
    import httpx

    times: dict[str, list[float]] = {
        "keyword": [],
        "keyword_post_through_the_route": [],
        "hybrid_first_time": [],
        "hybrid_again": [],
        "semantic_vector_kept": [],
    }
    with httpx.Client(base_url=server.url, timeout=30) as http:

        def get(q: str, mode: str) -> float:
            started = time.perf_counter()
            response = http.get("/search", params={"q": q, "mode": mode, "per_page": 20})
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            return elapsed

        for q in warm_up:  # loads the model in the server
            get(q, "keyword")
            get(q, "hybrid")

        def post(q: str) -> float:
            started = time.perf_counter()
            response = http.post("/search", json={"q": q, "per_page": 20})
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            return elapsed

        for q in queries:
            times["keyword"].append(get(q, "keyword"))
            times["keyword_post_through_the_route"].append(post(q))
            times["hybrid_first_time"].append(get(q, "hybrid"))
            times["hybrid_again"].append(get(q, "hybrid"))
            times["semantic_vector_kept"].append(get(q, "semantic"))
    p50s = {name: p50(values) for name, values in times.items()}
    return {
        "queries": len(queries),
        "p50_ms": {name: round(value, 2) for name, value in p50s.items()},
        "over_keyword_p50": {
            name: round(value / p50s["keyword"], 2) for name, value in p50s.items()
        },
    }
