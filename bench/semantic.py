"""Semantic search figures on Reuters-21578 (../shared/data), all in one run:

- embedding throughput of the bundled model on one core (documents/s, title + opening
  paragraphs cut at 256 tokens) and the process's peak memory;
- hybrid search p50 (query embedding included) against keyword search p50 on the same
  queries and the same index (target: <= 1.5x), and semantic p50;
- related articles (`/similar`) p50;
- related-articles quality: the share of an article's 10 nearest neighbours that share one
  of its TOPICS tags (target >= 0.6), against 10 random articles;
- known-item search: 20 paraphrased queries, each written for one article, recall@10 for
  keyword, hybrid (0.5) and semantic (target: hybrid >= keyword).

Latencies are measured at Meilisearch's HTTP API through the API server's own transport
(app/search/meili_http.py), the query vector computed in this process as the server
computes it; the API's own overhead is what bench/search.py measures.

    .venv/bin/python -m bench.semantic [--limit 1500] [--queries 200] [--sample 300]
        [--vectors /tmp/reuters-vectors.npy]

With --vectors, the articles' vectors are kept in that file (outside the repository) and a
rerun embeds only a sample of 200 for the throughput figure.

Corpus text stays outside the repository: the queries below are our own words.
"""

import argparse
import asyncio
import json
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from app.embeddings.model import TextEmbedder
from app.embeddings.provider import EmbeddingProvider
from app.embeddings.text import article_text
from app.ingestion.reuters import ReutersRecord, iter_reuters
from app.paths import SHARED_DATA
from app.search.client import build_client, wait_for_success
from app.search.index_settings import EMBEDDER, ensure_index
from app.search.meili_http import AsyncMeiliHttp
from app.search.meili_process import MeiliProcess

REUTERS = SHARED_DATA / "reuters21578"
INDEX = "semantic_bench"

#: Known items: a paraphrase of one article (by NEWID), sharing few of its words.
KNOWN_ITEMS: list[tuple[int, str]] = [
    (1, "rain eases dry spell in brazilian cocoa growing region"),
    (48, "new zealand foreign currency holdings decline"),
    (136, "study finds government crop vouchers cost more than cash payments"),
    (232, "disagreement among exporters complicates coffee export limit negotiations"),
    (272, "japanese firm keeps reducing primary aluminium smelting"),
    (293, "india produced more sugar in the first months of the season"),
    (309, "south african black mine workers back plan to seize mines"),
    (322, "bank of japan moves to free up deposit rates"),
    (488, "more gold and silver deposits found at nevada mine"),
    (516, "canadian decision on whether american maize exports harmed ontario farmers"),
    (688, "american sale of tin stockpile will not hurt producers agreement"),
    (857, "canadian sailors likely to walk out over pay cuts"),
    (974, "american index of leading economic indicators dropped"),
    (1246, "heavy rainfall has not damaged peru coffee harvest"),
    (1299, "dry autumn and cold winter threaten soviet winter crops"),
    (1570, "cold snap unlikely to ruin polish winter wheat"),
    (1723, "kenya agrees deal to set up a national shipping company"),
    (1915, "thai paddy production forecast lowered"),
    (1949, "naira strengthens after banks barred from currency auction"),
    (2246, "turkey tender to buy white sugar"),
]


def records(limit: int) -> list[ReutersRecord]:
    chosen = []
    for record in iter_reuters(REUTERS):
        if record.body.strip() and record.topics:
            chosen.append(record)
            if len(chosen) == limit:
                break
    return chosen


def p50(values: list[float]) -> float:
    return statistics.median(values) * 1000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Meili:
    """Meilisearch through the API server's transport, from synchronous code."""

    def __init__(self, url: str, key: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.http = AsyncMeiliHttp(url, key, 30.0)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.loop.run_until_complete(self.http.post(path, body))
        if response.status >= 400:
            raise RuntimeError(f"{path}: {response.status} {response.body[:300]!r}")
        answer: dict[str, Any] = response.json()
        return answer

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()

    def search(self, body: dict[str, Any]) -> list[int]:
        return [hit["id"] for hit in self.post(f"/indexes/{INDEX}/search", body)["hits"]]

    def similar(self, article_id: int, limit: int = 10) -> list[int]:
        body = {
            "id": article_id,
            "embedder": EMBEDDER,
            "limit": limit,
            "attributesToRetrieve": ["id"],
        }
        return [hit["id"] for hit in self.post(f"/indexes/{INDEX}/similar", body)["hits"]]


def keyword_body(q: str) -> dict[str, Any]:
    return {"q": q, "limit": 20, "attributesToRetrieve": ["id", "title"]}


def hybrid_body(q: str, vector: list[float], ratio: float) -> dict[str, Any]:
    return keyword_body(q) | {
        "vector": vector,
        "hybrid": {"embedder": EMBEDDER, "semanticRatio": ratio},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=1500, help="Reuters articles to index.")
    parser.add_argument("--queries", type=int, default=200, help="Latency queries per mode.")
    parser.add_argument("--sample", type=int, default=300, help="Articles for neighbour quality.")
    parser.add_argument("--vectors", type=Path, help="Keep the articles' vectors in this file.")
    args = parser.parse_args()
    if not REUTERS.is_dir():
        sys.exit(f"Reuters-21578 not found at {REUTERS}; see ../shared/data/README.md")

    corpus = records(args.limit)
    topics = {r.newid: set(r.topics) for r in corpus}
    print(f"{len(corpus)} Reuters articles with a body and TOPICS", file=sys.stderr)

    rss_before = peak_rss_mb()
    loaded = time.perf_counter()
    embedder: TextEmbedder = EmbeddingProvider(enabled=True, threads=1).get()
    load_seconds = time.perf_counter() - loaded
    texts = [article_text(r.title, None, r.body) for r in corpus]
    cached = args.vectors is not None and args.vectors.is_file()
    timed = texts[:200] if cached else texts
    started = time.perf_counter()
    timed_vectors = embedder.embed(timed)
    embed_seconds = time.perf_counter() - started
    docs_per_second = len(timed) / embed_seconds
    print(
        f"embedded {len(timed)} in {embed_seconds:.1f}s: {docs_per_second:.1f} docs/s",
        file=sys.stderr,
    )
    vectors = np.load(args.vectors) if cached else timed_vectors
    if len(vectors) != len(texts):
        sys.exit(f"{args.vectors} holds {len(vectors)} vectors, not {len(texts)}: delete it")
    if args.vectors is not None and not cached:
        np.save(args.vectors, vectors)

    data_dir = Path(tempfile.mkdtemp(prefix="semantic-bench-"))
    meili = MeiliProcess(data_dir=data_dir / "meili", binary=None)
    meili.start()
    try:
        client = build_client(meili.url, meili.master_key, timeout=30)
        ensure_index(client, INDEX, embeddings=True)
        documents = [
            {
                "id": r.newid,
                "title": r.title,
                "body": r.body,
                "tags": list(r.topics),
                "_vectors": {EMBEDDER: vector.tolist()},
            }
            for r, vector in zip(corpus, vectors, strict=True)
        ]
        for start in range(0, len(documents), 500):
            task = client.index(INDEX).add_documents(documents[start : start + 500], "id")
            wait_for_success(client, task.task_uid, timeout_s=600)
        api = Meili(meili.url, meili.master_key)
        try:
            figures = measure(api, embedder, corpus, topics, args)
        finally:
            api.close()
    finally:
        meili.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    figures |= {
        "articles": len(corpus),
        "embed_docs_per_second_one_core": round(docs_per_second, 1),
        "embedded_for_throughput": len(timed),
        "model_load_seconds": round(load_seconds, 2),
        "peak_rss_mb": round(peak_rss_mb(), 0),
        "rss_before_model_mb": round(rss_before, 0),
    }
    print(json.dumps(figures, indent=2))


def measure(
    api: Meili,
    embedder: TextEmbedder,
    corpus: list[ReutersRecord],
    topics: dict[int, set[str]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    rng = random.Random(7)
    queries = [" ".join(r.title.lower().split()[:4]) for r in rng.sample(corpus, args.queries)]
    queries += [q for _, q in KNOWN_ITEMS]
    for q in queries[:10]:  # warm up both paths
        api.search(keyword_body(q))
        api.search(hybrid_body(q, embedder.embed([q])[0].tolist(), 0.5))

    keyword_times, hybrid_times, semantic_times, embed_times = [], [], [], []
    for q in queries:
        started = time.perf_counter()
        api.search(keyword_body(q))
        keyword_times.append(time.perf_counter() - started)

        started = time.perf_counter()
        vector = embedder.embed([q])[0].tolist()
        embed_times.append(time.perf_counter() - started)
        api.search(hybrid_body(q, vector, 0.5))
        hybrid_times.append(time.perf_counter() - started)

        started = time.perf_counter()
        api.search(hybrid_body(q, embedder.embed([q])[0].tolist(), 1.0))
        semantic_times.append(time.perf_counter() - started)

    sample = rng.sample(corpus, min(args.sample, len(corpus)))
    related_times, shares, random_shares = [], [], []
    ids = [r.newid for r in corpus]
    for record in sample:
        started = time.perf_counter()
        neighbours = api.similar(record.newid)
        related_times.append(time.perf_counter() - started)
        if neighbours:
            shares.append(
                sum(bool(topics[n] & topics[record.newid]) for n in neighbours) / len(neighbours)
            )
        others = rng.sample([i for i in ids if i != record.newid], 10)
        random_shares.append(sum(bool(topics[n] & topics[record.newid]) for n in others) / 10)

    recall = {"keyword": 0, "hybrid": 0, "semantic": 0}
    for target, q in KNOWN_ITEMS:
        vector = embedder.embed([q])[0].tolist()
        recall["keyword"] += target in api.search(keyword_body(q))[:10]
        recall["hybrid"] += target in api.search(hybrid_body(q, vector, 0.5))[:10]
        recall["semantic"] += target in api.search(hybrid_body(q, vector, 1.0))[:10]

    keyword_p50 = p50(keyword_times)
    hybrid_p50 = p50(hybrid_times)
    return {
        "queries": len(queries),
        "keyword_p50_ms": round(keyword_p50, 2),
        "hybrid_p50_ms_with_query_embedding": round(hybrid_p50, 2),
        "hybrid_over_keyword_p50": round(hybrid_p50 / keyword_p50, 2),
        "semantic_p50_ms_with_query_embedding": round(p50(semantic_times), 2),
        "query_embedding_p50_ms": round(p50(embed_times), 2),
        "related_p50_ms": round(p50(related_times), 2),
        "related_topic_neighbour_share": round(statistics.mean(shares), 3),
        "random_topic_neighbour_share": round(statistics.mean(random_shares), 3),
        "known_items": len(KNOWN_ITEMS),
        "recall_at_10": {mode: round(hits / len(KNOWN_ITEMS), 2) for mode, hits in recall.items()},
    }


if __name__ == "__main__":
    main()
