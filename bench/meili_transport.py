"""Latency of one large search response through different HTTP transports.

Starts its own loopback Meilisearch, loads a few thousand small synthetic documents and
times the same search (empty query, 100 full documents) through each transport, all
in one run. The kept-alive transports that accept compressed responses stall ~40 ms
per request (see app/search/client.py); ours keeps the connection without the stall.
The API's async path (app/search/meili_http.py) is timed on one event loop against
httpx's async client with the same headers.

Run: ``.venv/bin/python -m bench.meili_transport [--docs 3000] [--rounds 60]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import meilisearch
import requests

from app.search.client import build_client
from app.search.meili_http import AsyncMeiliHttp
from app.search.meili_process import MeiliProcess

INDEX = "bench"
QUERY: dict[str, Any] = {"q": "", "limit": 100}
WORDS = [
    "market", "election", "city", "council", "storm", "court", "vaccine", "league",
    "budget", "strike", "energy", "harbour", "festival", "minister", "river", "school",
]  # fmt: skip


def _documents(count: int, rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "title": " ".join(rng.choices(WORDS, k=6)),
            "summary": " ".join(rng.choices(WORDS, k=20)),
            "source": rng.choice(["wire", "daily", "weekly"]),
            "published_at": 1_600_000_000 + i * 3600,
            "tags": rng.sample(WORDS, k=3),
        }
        for i in range(count)
    ]


def _time(call: Callable[[], dict[str, Any]], rounds: int) -> tuple[list[float], int]:
    for _ in range(5):  # warm-up: connection set-up and server caches
        payload = call()
    # Every transport must fetch the same result, or the comparison means nothing.
    hits = payload["hits"]
    assert [hit["id"] for hit in hits] == list(range(100)), "unexpected result"
    size = len(json.dumps(hits))
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return sorted(samples), size


def _time_async(
    call: Callable[[], Awaitable[dict[str, Any]]], rounds: int
) -> tuple[list[float], int]:
    """Like _time, with every round inside one event loop (as in the API)."""

    async def run() -> tuple[list[float], int]:
        for _ in range(5):
            payload = await call()
        hits = payload["hits"]
        assert [hit["id"] for hit in hits] == list(range(100)), "unexpected result"
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            await call()
            samples.append((time.perf_counter() - start) * 1000)
        return sorted(samples), len(json.dumps(hits))

    return asyncio.run(run())


def _p95(samples: list[float]) -> float:
    return samples[max(0, round(0.95 * len(samples)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, MeiliProcess(tmp) as proc:
        url, key = proc.url, proc.master_key
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        search_url = f"{url}/indexes/{INDEX}/search"
        body = json.dumps(QUERY).encode()

        stock = meilisearch.Client(url, key, timeout=10)
        task = stock.index(INDEX).add_documents(_documents(args.docs, random.Random(7)), "id")
        stock.wait_for_task(task.task_uid, timeout_in_ms=60_000, interval_in_ms=20)

        ours = build_client(url, key, timeout=10)
        ours_index = ours.index(INDEX)
        stock_index = stock.index(INDEX)
        session = requests.Session()
        raw_httpx = httpx.Client(headers=auth)
        plain_httpx = httpx.Client(headers={**auth, "Accept-Encoding": "identity"})

        # Every variant decodes the JSON, as the API will.
        def fresh() -> Any:
            with requests.Session() as one_off:
                return one_off.post(search_url, data=body, headers=auth, timeout=10).json()

        variants: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("our client (pooled, identity)", lambda: ours_index.search("", QUERY)),
            ("stock meilisearch client", lambda: stock_index.search("", QUERY)),
            ("fresh connection per request", fresh),
            ("requests.Session (kept alive, gzip)", lambda: session.post(search_url, data=body, headers=auth, timeout=10).json()),
            ("raw httpx.Client (kept alive, gzip)", lambda: raw_httpx.post(search_url, content=body).json()),
            ("httpx.Client + identity", lambda: plain_httpx.post(search_url, content=body).json()),
        ]  # fmt: skip

        results = [(name, *_time(call, args.rounds)) for name, call in variants]

        lean = AsyncMeiliHttp(url, key, timeout=10)
        async_httpx: dict[str, httpx.AsyncClient] = {}  # opened inside its event loop

        async def lean_call() -> dict[str, Any]:
            answer: dict[str, Any] = (await lean.post(f"/indexes/{INDEX}/search", QUERY)).json()
            return answer

        async def httpx_async_call() -> dict[str, Any]:
            if "client" not in async_httpx:
                identity = {**auth, "Accept-Encoding": "identity"}
                async_httpx["client"] = httpx.AsyncClient(headers=identity)
            answer: dict[str, Any] = (
                await async_httpx["client"].post(search_url, content=body)
            ).json()
            return answer

        results.append(("async: API transport (meili_http)", *_time_async(lean_call, args.rounds)))
        results.append(
            ("async: httpx.AsyncClient + identity", *_time_async(httpx_async_call, args.rounds))
        )
        ours.close()
        session.close()
        raw_httpx.close()
        plain_httpx.close()

    base = statistics.median(results[0][1])
    print(f"{args.docs} documents, search {QUERY}, {args.rounds} rounds per transport")
    print(f"{'transport':40} {'median ms':>10} {'p95 ms':>8} {'x ours':>7} {'hit bytes':>9}")
    for name, samples, size in results:
        median = statistics.median(samples)
        print(f"{name:40} {median:10.2f} {_p95(samples):8.2f} {median / base:7.1f} {size:9}")


if __name__ == "__main__":
    main()
