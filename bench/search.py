"""Search latency and throughput through the API against the same query sent to Meilisearch.

Loads a corpus from ../shared/data (Reuters-21578, short answers; or with `--corpus allsides`
modern AllSides articles, ~150 KB per 20 hits) into a fresh SQLite archive and a local
Meilisearch, runs `newsarchive serve` on loopback, then in one run measures:

- /search p50/p95 against a direct Meilisearch query with the same parameters and result
  size, through httpx (targets: API p50 <= 1.3x direct);
- throughput at concurrency 16 for both (target: API >= 0.5x direct);
- write -> searchable latency through the API (target: p50 <= 300 ms).

With --wrk, the same comparison through a C client (`wrk`, Debian package `wrk`), which hides
no client cost on either side: p50 at concurrency 1 and requests/s at concurrency 16, each on
kept-alive connections and on a fresh connection per request (`Connection: close`, as curl
scripts call), the same queries and answer size sent to the API and straight to Meilisearch
(targets: p50 <= 1.15x direct, c16 >= 0.9x direct, kept alive). `--wrk-runs N` repeats the
comparison and prints each figure's median; `--wrk-only` skips the rest. Under 16 kept-alive
connections each process's CPU milliseconds per request are printed (API workers, Meilisearch,
wrk itself) and the throughput ratio they bound when every core is busy (`cpu_bound_rps_ratio`).

    .venv/bin/python -m bench.search [--corpus reuters|allsides] [--limit N] [--queries N]
        [--wrk] [--wrk-only] [--wrk-seconds 10] [--wrk-runs 3] [--workdir DIR]
        [--floor] [--serve-arg=ARG ...]   # extra `newsarchive serve` arguments

With `--floor`, bench/pass_through.py is served beside the API and sent the API's own wrk
requests: a Python server that only passes each search on to Meilisearch and its answer back.
Its ratios to direct (`*_floor_*`) are the best any Python layer could reach on this machine,
and the API's over it (`*_api_over_floor_*`) is what our own work per search costs.

`--workdir DIR` keeps the loaded archive (SQLite and Meilisearch data) there and uses it again
on the next run with the same corpus and limit. Loopback only; every loop is bounded in count
and time.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from app.paths import PROJECT_ROOT, SHARED_DATA
from bench.search_requests import api_params, direct_body
from bench.search_wrk import (
    CONCURRENCY,
    free_port,
    start_floor,
    wrk_comparison,
)

REUTERS = SHARED_DATA / "reuters21578"
ALLSIDES = SHARED_DATA / "allsides" / "jsons"
CORPORA = {"reuters": REUTERS, "allsides": ALLSIDES}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def corpus_articles(corpus: str) -> Iterator[tuple[dict[str, Any], str]]:
    """(article payload, title) of every article of `corpus`, in a fixed order."""
    if corpus == "allsides":
        from app.ingestion.allsides import iter_allsides

        for article in iter_allsides(ALLSIDES):
            yield article.to_article_payload(), article.title
        return
    from app.ingestion.reuters import iter_reuters, to_parsed_article

    for record in iter_reuters(REUTERS):
        yield to_parsed_article(record).to_article_payload(), record.title


def load_archive(database_url: str, limit: int | None, corpus: str) -> tuple[int, list[str]]:
    """Store a corpus through the archive's own service; return count and a vocabulary."""
    from sqlmodel import Session

    from app import migrate
    from app.articles import service
    from app.articles.schemas import ArticleCreate
    from app.config import Settings
    from app.db import make_engine

    migrate.upgrade(database_url)
    engine = make_engine(Settings(_env_file=None, DATABASE_URL=database_url))
    words: list[str] = []
    count = 0
    with Session(engine, expire_on_commit=False) as session:
        for payload, title in corpus_articles(corpus):
            payload.pop("entities", None)
            service.upsert(session=session, data=ArticleCreate.model_validate(payload))
            words += [w.lower() for w in title.split() if w.isalpha() and len(w) > 4][:2]
            count += 1
            if count % 500 == 0:
                print(f"  stored {count} articles", file=sys.stderr)
            if limit and count >= limit:
                break
    engine.dispose()
    return count, sorted(set(words))


def start_api(
    env: dict[str, str], port: int, workers: int, extra: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    command = [
        str(PROJECT_ROOT / ".venv/bin/newsarchive"),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *extra,
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 180  # a busy machine loads the app slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("API did not start")


def wait_indexed(api: str, meili: str, key: str, expected: int, timeout: float = 900) -> float:
    """Wait until the outbox is empty and Meilisearch has no task left to run (a search
    measured beside indexing measures the indexing)."""
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {key}"}
    while time.monotonic() - started < timeout:
        lag = httpx.get(f"{api}/ready", timeout=10).json()["index"]
        tasks = httpx.get(
            f"{meili}/tasks",
            params={"statuses": "enqueued,processing", "limit": 1},
            headers=headers,
            timeout=10,
        ).json()["total"]
        if lag["pending"] == 0 and tasks == 0:
            return time.monotonic() - started
        print(f"  indexing: {lag['pending']} pending, {tasks} Meilisearch tasks", file=sys.stderr)
        time.sleep(2)
    raise SystemExit(f"index did not catch up with {expected} articles")


def timed(call: Callable[[], httpx.Response]) -> float:
    started = time.perf_counter()
    response = call()
    response.raise_for_status()
    response.json()
    return (time.perf_counter() - started) * 1000


def latency(queries: list[str], api: str, meili: str, key: str, uid: str) -> dict[str, list[float]]:
    headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}
    results: dict[str, list[float]] = {"api": [], "direct": []}
    with (
        httpx.Client(base_url=api) as api_client,
        httpx.Client(base_url=meili, headers=headers) as direct,
    ):
        for q in queries[:20]:  # warm both paths
            api_client.get("/search", params=api_params(q))
            direct.post(f"/indexes/{uid}/search", json=direct_body(q))
        for q in queries:
            # Alternate so both paths see the same machine conditions.
            results["api"].append(timed(partial(api_client.get, "/search", params=api_params(q))))
            results["direct"].append(
                timed(partial(direct.post, f"/indexes/{uid}/search", json=direct_body(q)))
            )
    return results


def throughput(
    make_call: Callable[[httpx.Client, str], httpx.Response],
    client_factory: Callable[[], httpx.Client],
    queries: list[str],
    per_thread: int,
) -> float:
    done = 0
    lock = threading.Lock()

    def worker(seed: int) -> None:
        nonlocal done
        rng = random.Random(seed)
        with client_factory() as client:
            for _ in range(per_thread):
                make_call(client, rng.choice(queries)).raise_for_status()
                with lock:
                    done += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONCURRENCY)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return done / (time.perf_counter() - started)


def write_to_searchable(api: str, write_key: str, samples: int) -> list[float]:
    headers = {"Authorization": f"Bearer {write_key}"}
    delays = []
    with httpx.Client(base_url=api, headers=headers) as client:
        for n in range(samples):
            token = f"zq{uuid.uuid4().hex[:10]}"
            started = time.perf_counter()
            response = client.post(
                "/articles",
                json={"title": f"Probe {token}", "body": f"Probe body {n}.", "source": "bench"},
            )
            response.raise_for_status()
            while time.perf_counter() - started < 10:
                if client.get("/search", params={"q": token}).json()["total"] == 1:
                    break
            delays.append((time.perf_counter() - started) * 1000)
    return delays


def meili_task_seconds(meili: str, key: str, count: int) -> list[float]:
    """How long Meilisearch itself took over its last `count` document tasks (from enqueued
    to finished): what write -> searchable cannot go below."""
    response = httpx.get(
        f"{meili}/tasks",
        params={"limit": count, "types": "documentAdditionOrUpdate", "statuses": "succeeded"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    response.raise_for_status()
    seconds = []
    for task in response.json()["results"]:
        enqueued = datetime.fromisoformat(task["enqueuedAt"])
        finished = datetime.fromisoformat(task["finishedAt"])
        seconds.append((finished - enqueued).total_seconds())
    return seconds


def create_write_key(env: dict[str, str]) -> str:
    result = subprocess.run(
        [
            str(PROJECT_ROOT / ".venv/bin/newsarchive"),
            "keys",
            "create",
            "--name",
            f"bench-{uuid.uuid4().hex[:8]}",  # unique: a kept archive is used again
            "--scope",
            "write",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


@dataclass(frozen=True)
class Options:
    corpus: str
    limit: int | None
    query_count: int
    api_workers: int
    wrk_seconds: int | None
    wrk_runs: int
    wrk_only: bool
    workdir: Path | None
    serve_args: tuple[str, ...]
    floor: bool = False


def prepared_archive(options: Options) -> tuple[Path, int, list[str]]:
    """A directory holding the loaded archive: `--workdir` again when it was loaded before
    (same corpus and limit), else a new one."""
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="bench-search-"))
    workdir.mkdir(parents=True, exist_ok=True)
    stamp = workdir / "loaded.json"
    wanted = {"corpus": options.corpus, "limit": options.limit}
    if stamp.exists():
        loaded = json.loads(stamp.read_text())
        held = {k: loaded[k] for k in wanted}
        if held != wanted:
            raise SystemExit(f"{workdir} holds another archive: {held}")
        print(f"reusing the {options.corpus} archive in {workdir}", file=sys.stderr)
        return workdir, loaded["articles"], loaded["vocabulary"]
    print(f"loading {options.corpus} into {workdir}", file=sys.stderr)
    database_url = f"sqlite:///{workdir / 'archive.db'}"
    count, vocabulary = load_archive(database_url, options.limit, options.corpus)
    stamp.write_text(json.dumps({**wanted, "articles": count, "vocabulary": vocabulary}))
    return workdir, count, vocabulary


def answer_kilobytes(api: str, queries: list[str]) -> float:
    """Median size of the API's answers to `queries` (20 hits each)."""
    with httpx.Client(base_url=api, timeout=30) as client:
        sizes = [len(client.get("/search", params=api_params(q)).content) for q in queries[:50]]
    return round(statistics.median(sizes) / 1024, 1)


def median_figures(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the runs (a ratio is the median of the runs' ratios, each
    taken between an API and a direct figure measured one after the other)."""
    return {key: round(statistics.median(run[key] for run in runs), 3) for key in runs[0]}


def run(options: Options) -> dict[str, Any]:
    from app.search.meili_process import MeiliProcess

    workdir, loaded, vocabulary = prepared_archive(options)
    database_url = f"sqlite:///{workdir / 'archive.db'}"
    with MeiliProcess(workdir / "meili") as meili:
        uid = "articles"
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DATA_DIR": str(workdir),
            "MEILI_URL": meili.url,
            "MEILI_MASTER_KEY": meili.master_key,
            "MEILI_INDEX": uid,
            "RATE_LIMIT_READS_PER_MINUTE": "0",
            "RATE_LIMIT_WRITES_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
            # The server extracts entities as in production; only the bulk load skipped it.
            "ENTITY_EXTRACTION_ENABLED": "true",
        }
        meili_pid = meili.pid
        if meili_pid is None:
            raise SystemExit("Meilisearch is not running")
        write_key = create_write_key(env)
        server = start_api(env, port, options.api_workers, options.serve_args)
        api = f"http://127.0.0.1:{port}"
        floor_server = start_floor(env) if options.floor else None
        pids = {"api": server.pid, "meili": meili_pid}
        if floor_server is not None:
            pids["floor"] = floor_server.process.pid
        results: dict[str, Any] = {
            "corpus": options.corpus,
            "articles": loaded,
            "api_workers": options.api_workers,
            "serve_args": " ".join(options.serve_args),
        }
        try:
            results["index_wait_seconds"] = round(
                wait_indexed(api, meili.url, meili.master_key, loaded), 1
            )
            rng = random.Random(1987)
            queries = [rng.choice(vocabulary) for _ in range(options.query_count)]
            results["queries"] = options.query_count
            results["answer_kb_p50"] = answer_kilobytes(api, queries)
            if not options.wrk_only:
                results |= python_client_figures(queries, api, meili.url, meili.master_key, uid)
            if options.wrk_seconds:
                runs = []
                for n in range(options.wrk_runs):
                    print(f" wrk run {n + 1} of {options.wrk_runs}", file=sys.stderr)
                    runs.append(
                        wrk_comparison(
                            queries,
                            api,
                            meili.url,
                            meili.master_key,
                            uid,
                            options.wrk_seconds,
                            workdir,
                            pids,
                            floor_server.url if floor_server is not None else None,
                        )
                    )
                results["wrk_runs"] = options.wrk_runs
                results |= median_figures(runs)
            if not options.wrk_only:
                freshness = write_to_searchable(api, write_key, 30)
                task_seconds = meili_task_seconds(meili.url, meili.master_key, 30)
                results |= {
                    "write_to_searchable_p50_ms": round(statistics.median(freshness), 1),
                    "write_to_searchable_p95_ms": round(percentile(freshness, 0.95), 1),
                    "write_to_searchable_max_ms": round(max(freshness), 1),
                    "meili_task_p50_ms": round(statistics.median(task_seconds) * 1000, 1),
                    "meili_task_max_ms": round(max(task_seconds) * 1000, 1),
                }
        finally:
            for process in (server, floor_server.process if floor_server else None):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)
    return results


def python_client_figures(
    queries: list[str], api: str, meili: str, key: str, uid: str
) -> dict[str, float]:
    """p50/p95 and c16 throughput through httpx, API against direct."""
    lat = latency(queries, api, meili, key, uid)
    headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}
    per_thread = max(10, len(queries) // CONCURRENCY)
    api_rps = throughput(
        lambda c, q: c.get("/search", params=api_params(q)),
        lambda: httpx.Client(base_url=api, timeout=30),
        queries,
        per_thread,
    )
    direct_rps = throughput(
        lambda c, q: c.post(f"/indexes/{uid}/search", json=direct_body(q)),
        lambda: httpx.Client(base_url=meili, headers=headers, timeout=30),
        queries,
        per_thread,
    )
    return {
        "api_p50_ms": round(statistics.median(lat["api"]), 2),
        "api_p95_ms": round(percentile(lat["api"], 0.95), 2),
        "direct_p50_ms": round(statistics.median(lat["direct"]), 2),
        "direct_p95_ms": round(percentile(lat["direct"], 0.95), 2),
        "p50_ratio_api_to_direct": round(
            statistics.median(lat["api"]) / statistics.median(lat["direct"]), 2
        ),
        "api_rps_c16": round(api_rps, 1),
        "direct_rps_c16": round(direct_rps, 1),
        "throughput_ratio_api_to_direct": round(api_rps / direct_rps, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--corpus",
        choices=sorted(CORPORA),
        default="reuters",
        help="reuters: short answers; allsides: long modern articles (~150 KB per 20 hits)",
    )
    parser.add_argument("--limit", type=int, default=None, help="load only the first N articles")
    parser.add_argument("--queries", type=int, default=400, help="queries per latency series")
    parser.add_argument("--api-workers", type=int, default=2, help="newsarchive serve --workers")
    parser.add_argument("--wrk", action="store_true", help="also compare through wrk (C client)")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument(
        "--wrk-runs", type=int, default=3, help="wrk comparisons in a row (medians reported)"
    )
    parser.add_argument(
        "--wrk-only",
        action="store_true",
        help="skip the Python-client and write-to-searchable figures (implies --wrk)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the loaded archive here and reuse it on the next run (same corpus, limit)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="with wrk, also measure bench/pass_through.py: a Python layer doing nothing else",
    )
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="extra argument for `newsarchive serve` (repeatable)",
    )
    args = parser.parse_args()
    wrk = args.wrk or args.wrk_only
    if wrk and shutil.which("wrk") is None:
        raise SystemExit("wrk not found: install Debian's `wrk` package (apt-get install wrk)")
    if not CORPORA[args.corpus].is_dir():
        raise SystemExit(
            f"{args.corpus} not found at {CORPORA[args.corpus]}; this benchmark needs ../shared/data"
        )
    os.environ.setdefault("ENTITY_EXTRACTION_ENABLED", "false")
    options = Options(
        corpus=args.corpus,
        limit=args.limit,
        query_count=args.queries,
        api_workers=args.api_workers,
        wrk_seconds=args.wrk_seconds if wrk else None,
        wrk_runs=args.wrk_runs,
        wrk_only=args.wrk_only,
        workdir=args.workdir,
        serve_args=tuple(args.serve_arg),
        floor=args.floor,
    )
    results = run(options)
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    main()
