"""Mixed read/write load at rising concurrency against `newsarchive serve --workers 2`.

Seeds a fresh SQLite archive (Reuters-21578 from ../shared/data when present, otherwise
generated text) and a fresh local Meilisearch, starts the API with two worker processes on
loopback, then for each concurrency level (1, 2, 4, ... 64) runs, for a fixed time:

- 80% GET /search: keywords, phrases, exclusions, date ranges, sources, sort, facets,
  highlights, unknown entities;
- 10% GET /articles/{id} of a seeded article;
- 10% POST /articles of a new article (a write key, so the outbox and index worker run too).

Reports p50/p95/p99 latency, requests/s and error rate per step, and names the knee: the
first step where throughput stops rising (< 10% more than the step before) or p95 more
than doubles.

    .venv/bin/python -m bench.load [--articles N] [--seconds S] [--max-concurrency C]

Loopback only; every step is bounded in time and requests, and everything it starts is
stopped at the end.
"""

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.paths import PROJECT_ROOT, SHARED_DATA

REUTERS = SHARED_DATA / "reuters21578"
LEVELS = (1, 2, 4, 8, 16, 32, 64)
#: Time at the start of each step that is run but not measured (connections, caches).
WARM_UP_SECONDS = 1.0
MAX_REQUESTS_PER_STEP = 50_000
REQUEST_TIMEOUT_SECONDS = 30.0
WORDS = [
    *("harbour", "bridge", "council", "budget", "election", "minister", "trade", "oil"),
    *("prices", "shipping", "grain", "strike", "union", "bank", "rates", "inflation"),
    *("court", "ruling", "storm", "flood", "rescue", "hospital", "school", "railway"),
    *("airport", "tariff", "export", "import", "merger", "profit", "loss", "shares"),
]
SOURCES = ("Reuters", "Example Gazette", "Harbour Herald")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def generated_articles(count: int) -> list[dict[str, Any]]:
    rng = random.Random(64)
    articles = []
    for n in range(count):
        title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
        body = ". ".join(
            " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() for _ in range(8)
        )
        articles.append(
            {
                "external_id": f"load-seed-{n}",
                "title": title,
                "body": body + ".",
                "source": SOURCES[n % len(SOURCES)],
                "published_at": f"1987-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00+00:00",
            }
        )
    return articles


def reuters_articles(count: int) -> list[dict[str, Any]]:
    from app.ingestion.reuters import iter_reuters, to_parsed_article

    articles = []
    for record in iter_reuters(REUTERS):
        payload = to_parsed_article(record).to_article_payload()
        payload.pop("entities", None)
        articles.append(payload)
        if len(articles) >= count:
            break
    return articles


def seed(database_url: str, count: int) -> tuple[int, str, list[str]]:
    """Store `count` articles through the archive's own service; return how many, the corpus
    name and a vocabulary of title words for queries."""
    from sqlmodel import Session

    from app import migrate
    from app.articles import service
    from app.articles.schemas import ArticleCreate
    from app.config import Settings
    from app.db import make_engine

    if REUTERS.is_dir():
        corpus, payloads = "Reuters-21578", reuters_articles(count)
    else:
        corpus, payloads = "generated text", generated_articles(count)
    migrate.upgrade(database_url)
    engine = make_engine(
        Settings(_env_file=None, DATABASE_URL=database_url, ENTITY_EXTRACTION_ENABLED=False)
    )
    words: set[str] = set()
    stored = 0
    with Session(engine, expire_on_commit=False) as session:
        for payload in payloads:
            try:
                data = ArticleCreate.model_validate(payload)
            except ValueError:
                continue  # a record the API would refuse too
            service.upsert(session=session, data=data, extract=False)
            words.update(w.lower() for w in data.title.split() if w.isalpha() and len(w) > 4)
            stored += 1
    engine.dispose()
    return stored, corpus, sorted(words) or list(WORDS)


def newsarchive(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def create_write_key(env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        newsarchive("keys", "create", "--name", "load", "--scope", "write"),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def start_api(env: dict[str, str], cwd: Path, port: int) -> "subprocess.Popen[bytes]":
    process = subprocess.Popen(
        newsarchive("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"),
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=(cwd / "serve.log").open("wb"),
        start_new_session=True,  # so the uvicorn workers are stopped with it
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"API exited at start-up; see {cwd / 'serve.log'}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_api(process)
    raise SystemExit("API did not start in 90 s")


def stop_api(process: "subprocess.Popen[bytes]") -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_indexed(api: str, timeout: float = 600) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        ready = httpx.get(f"{api}/ready", timeout=10)
        if ready.status_code == 200 and ready.json()["index"]["pending"] == 0:
            return time.monotonic() - started
        time.sleep(1)
    raise SystemExit("the index did not catch up in time")


@dataclass
class Workload:
    vocabulary: list[str]
    article_count: int
    run_id: str
    written: int = 0

    def search_params(self, rng: random.Random) -> dict[str, Any]:
        words = rng.sample(self.vocabulary, k=min(3, len(self.vocabulary)))
        params: dict[str, Any] = {"q": " ".join(words[: rng.randint(1, 2)])}
        roll = rng.random()
        if roll < 0.15:
            params["q"] = f'"{words[0]}"'
        elif roll < 0.25:
            params["q"] = f"{words[0]} -{words[1]}"
        if rng.random() < 0.3:
            month = rng.randint(1, 12)
            params["from"] = f"1987-{month:02d}-01"
            params["to"] = f"1987-{month:02d}-28"
        if rng.random() < 0.2:
            params["source"] = rng.choice(SOURCES)
        if rng.random() < 0.3:
            params["sort"] = rng.choice(["newest", "oldest"])
        if rng.random() < 0.2:
            params["facets"] = ["source", "month"]
        if rng.random() < 0.2:
            params["highlight"] = "true"
        if rng.random() < 0.1:
            params["entity"] = rng.choice(["united-states", "opec", "japan"])
        if rng.random() < 0.2:
            params["per_page"] = 50
        return params

    def new_article(self) -> dict[str, Any]:
        self.written += 1
        word = self.vocabulary[self.written % len(self.vocabulary)]
        return {
            "url": f"https://example.org/load/{self.run_id}/{self.written}",
            "title": f"Load test {word} report {self.written}",
            "body": f"Written under load: {word} and {' '.join(self.vocabulary[:20])}.",
            "source": "Load Gazette",
            "published_at": "1987-06-01T12:00:00+00:00",
        }


@dataclass
class Step:
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


async def run_step(
    api: str, key: str, workload: Workload, concurrency: int, seconds: float
) -> Step:
    step = Step(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    started = time.monotonic()
    measure_from = started + WARM_UP_SECONDS
    stop_at = measure_from + seconds
    sent = 0

    async def user(client: httpx.AsyncClient, seed: int) -> None:
        nonlocal sent
        rng = random.Random(seed)
        while time.monotonic() < stop_at and sent < MAX_REQUESTS_PER_STEP:
            sent += 1
            roll = rng.random()
            if roll < 0.8:
                kind, request = (
                    "search",
                    client.build_request("GET", "/search", params=workload.search_params(rng)),
                )
            elif roll < 0.9:
                article_id = rng.randint(1, workload.article_count)
                kind, request = "read", client.build_request("GET", f"/articles/{article_id}")
            else:
                kind, request = (
                    "write",
                    client.build_request("POST", "/articles", json=workload.new_article()),
                )
            begun = time.monotonic()
            try:
                response = await client.send(request)
                ok = response.status_code < 400
            except httpx.HTTPError:
                ok = False
            ended = time.monotonic()
            if begun < measure_from:
                continue
            if ok:
                step.latencies_ms.append((ended - begun) * 1000)
            else:
                step.errors += 1
            step.by_kind[kind] = step.by_kind.get(kind, 0) + 1

    async with httpx.AsyncClient(
        base_url=api, headers=headers, limits=limits, timeout=REQUEST_TIMEOUT_SECONDS
    ) as client:
        await asyncio.gather(*(user(client, concurrency * 1000 + i) for i in range(concurrency)))
    step.seconds = min(time.monotonic(), stop_at) - measure_from
    return step


def knee(steps: list[Step]) -> tuple[Step | None, str]:
    """The first step past which more concurrency stops paying: throughput rises < 10%, or
    p95 more than doubles."""
    for previous, step in itertools.pairwise(steps):
        gain = step.rps / previous.rps - 1 if previous.rps else 0.0
        p95_ratio = percentile(step.latencies_ms, 0.95) / percentile(previous.latencies_ms, 0.95)
        if gain < 0.10:
            return previous, (
                f"throughput stops rising: {previous.rps:.0f} -> {step.rps:.0f} req/s "
                f"({gain:+.0%}) going from {previous.concurrency} to {step.concurrency}"
            )
        if p95_ratio > 2:
            return previous, (
                f"p95 rises sharply: x{p95_ratio:.1f} going from {previous.concurrency} "
                f"to {step.concurrency} for {gain:+.0%} throughput"
            )
    return None, "no knee within the levels run"


def report(steps: list[Step]) -> None:
    print(
        f"{'conc':>5} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7}  mix (search/read/write)"
    )
    for step in steps:
        mix = "/".join(str(step.by_kind.get(k, 0)) for k in ("search", "read", "write"))
        print(
            f"{step.concurrency:>5} {step.requests:>9} {step.rps:>8.1f} "
            f"{percentile(step.latencies_ms, 0.50):>8.1f} "
            f"{percentile(step.latencies_ms, 0.95):>8.1f} "
            f"{percentile(step.latencies_ms, 0.99):>8.1f} {step.error_rate:>7.2%}  {mix}"
        )
    at, why = knee(steps)
    best = max(steps, key=lambda s: s.rps)
    print(f"peak throughput: {best.rps:.1f} req/s at concurrency {best.concurrency}")
    print(f"knee: concurrency {at.concurrency} ({why})" if at else f"knee: {why}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=3000, help="articles seeded (default 3000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per step")
    parser.add_argument("--max-concurrency", type=int, default=64, choices=LEVELS)
    parser.add_argument(
        "--extract",
        action="store_true",
        help="extract entities on write (spaCy), as the production default does",
    )
    args = parser.parse_args()

    from app.search.meili_process import MeiliProcess

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    database_url = f"sqlite:///{workdir / 'archive.db'}"
    print(f"seeding {args.articles} articles into {workdir}", file=sys.stderr)
    seeded, corpus, vocabulary = seed(database_url, args.articles)
    with MeiliProcess(workdir / "meili") as meili:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MEILI_", "DATABASE_"))}
        env.update(
            {
                "DATABASE_URL": database_url,
                "DATA_DIR": str(workdir),
                "MEILI_URL": meili.url,
                "MEILI_MASTER_KEY": meili.master_key,
                "MEILI_INDEX": "articles",
                "RATE_LIMIT_READS_PER_MINUTE": "0",
                "RATE_LIMIT_WRITES_PER_MINUTE": "0",
                "LOG_LEVEL": "WARNING",
                "ENTITY_EXTRACTION_ENABLED": "true" if args.extract else "false",
                "PYTHONPATH": str(PROJECT_ROOT),
            }
        )
        key = create_write_key(env, workdir)
        port = free_port()
        server = start_api(env, workdir, port)
        api = f"http://127.0.0.1:{port}"
        steps: list[Step] = []
        try:
            index_seconds = wait_indexed(api)
            print(
                f"{seeded} articles ({corpus}) indexed in {index_seconds:.1f} s; "
                f"{args.seconds:.0f} s per step; serve --workers 2; "
                f"entity extraction {'on' if args.extract else 'off'}; {os.cpu_count()} CPUs"
            )
            workload = Workload(vocabulary, seeded, run_id=workdir.name)
            for level in (c for c in LEVELS if c <= args.max_concurrency):
                step = asyncio.run(run_step(api, key, workload, level, args.seconds))
                steps.append(step)
                print(
                    f"  concurrency {level}: {step.rps:.1f} req/s, "
                    f"p95 {percentile(step.latencies_ms, 0.95):.1f} ms",
                    file=sys.stderr,
                )
        finally:
            stop_api(server)
    report(steps)
    summary = [
        {
            "concurrency": s.concurrency,
            "rps": round(s.rps, 1),
            "p50_ms": round(percentile(s.latencies_ms, 0.5), 1),
            "p95_ms": round(percentile(s.latencies_ms, 0.95), 1),
            "p99_ms": round(percentile(s.latencies_ms, 0.99), 1),
            "error_rate": round(s.error_rate, 4),
        }
        for s in steps
    ]
    print(json.dumps(summary), file=sys.stderr)


if __name__ == "__main__":
    main()
