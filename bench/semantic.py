"""Semantic search figures on Reuters-21578 (../shared/data), all in one run:

- embedding throughput of the bundled model at --precision (int8 or fp32, as
  EMBEDDING_PRECISION) on one core (documents/s, title + opening paragraphs cut at 256
  tokens) and the process's peak memory;
- the two precisions side by side, interleaved on one core each: a query's model run (p50),
  documents per second on the same 200 articles, and the cosine of their vectors;
- the latency breakdown of a hybrid search, each part's p50 over the same queries, every
  variant once per query in a shuffled order: the query's tokens, its vector (the model
  run), Meilisearch's keyword, keyword-with-ranking-scores, hybrid and semantic searches in
  the exact shape the API sends them (app/search/service.py: page 1 of 20, the default
  filter, every public field), and hybrid with the query embedding included against keyword
  (target: <= 1.5x);
- a hybrid search on a query not seen before split in two (bench/hybrid_merge.py): the
  keyword side (with ranking scores) sent while the model runs (on a worker thread, or on
  the loop's own thread once the request is out), then the vector side, merged as
  Meilisearch merges them, against the model run on a worker thread then Meilisearch's
  hybrid search (what the API does); both sides sent at once with the vector at hand,
  against Meilisearch's hybrid; whether the machine lets Meilisearch's keyword search and
  the model run overlap at all (the two at once against one after the other); and on how
  many queries the split page (hits, order, total, semantic hits) is Meilisearch's;
- the semantic and hybrid bodies with one thing changed each (no `facets` key, offset+limit
  for page+hitsPerPage, no filter, the id only, ranking scores, highlight and crop): p50,
  over the body as sent, and on how many queries the hits stayed the same;
- a query's model run under other onnxruntime session options (graph optimisation level,
  spinning, two threads), interleaved, and the queries' token counts (never padded);
- with --binary-quantized, the same hybrid and semantic searches on a binaryQuantized copy
  of the index, and its quality below; with --experimental-store, the same on a copy kept in
  Meilisearch 1.21's experimental vector store (the `vectorStoreSetting` feature, an index's
  `vectorStore: "experimental"`), and how many of the default store's semantic top 20 it
  returns;
- end to end through `newsarchive serve` at --precision (unless --no-api): GET /search
  keyword, hybrid on a query the server has not seen (the vector computed in the request),
  the same hybrid again (the vector kept), semantic; with --baseline REVISION (repeatable),
  that revision's app served beside this one's (same virtualenv, same Meilisearch), the two
  interleaved query by query, and this one's p50s over each baseline's;
- related articles (`/similar`) p50;
- related-articles quality: the share of an article's 10 nearest neighbours that share one
  of its TOPICS tags (target >= 0.6), against 10 random articles;
- known-item search: 20 paraphrased queries, each written for one article, recall@10 for
  keyword, hybrid (0.5) and semantic (target: hybrid >= keyword).

Meilisearch is reached through the API server's own transport (app/search/meili_http.py).

    .venv/bin/python -m bench.semantic [--limit 1500] [--queries 200] [--sample 300]
        [--precision int8|fp32] [--vectors /tmp/reuters-vectors.npy] [--binary-quantized]
        [--experimental-store]
        [--no-api] [--baseline main]

Quality at each precision takes a run each (`--precision int8`, then `--precision fp32`).
With --vectors, the articles' vectors are kept in a file named after that one and the model
(outside the repository) and a rerun embeds only a sample of 200 for the throughput figure.

The import with embeddings against extraction and embedding alone is bench/semantic_import.py.

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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from app.config import Settings
from app.embeddings.model import TextEmbedder
from app.embeddings.provider import EmbeddingProvider
from app.embeddings.text import article_text
from app.ingestion.reuters import ReutersRecord, iter_reuters
from app.paths import SHARED_DATA
from app.search import service
from app.search.client import build_client, wait_for_success
from app.search.index_settings import EMBEDDER, ensure_index, index_settings
from app.search.meili_http import AsyncMeiliHttp
from app.search.meili_process import MeiliProcess
from app.search.schemas import SearchMode, SearchParams
from bench import hybrid_merge
from bench.semantic_api import ApiServer, baseline_source, through_the_api
from bench.semantic_model import p50, precision_comparison, session_options

REUTERS = SHARED_DATA / "reuters21578"
INDEX = "semantic_bench"
#: Copies of the index with one thing changed, measured beside it: option name -> index uid.
INDEX_COPIES = {
    "binary_quantized": "semantic_bench_quantized",
    "experimental_store": "semantic_bench_experimental_store",
}

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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Meili:
    """Meilisearch through the API server's transport, from synchronous code."""

    def __init__(self, url: str, key: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.http = AsyncMeiliHttp(url, key, 30.0)
        self.pool = ThreadPoolExecutor(1)  # the API's model runs leave the loop too

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.loop.run_until_complete(self.http.post(path, body))
        if response.status >= 400:
            raise RuntimeError(f"{path}: {response.status} {response.body[:300]!r}")
        answer: dict[str, Any] = response.json()
        return answer

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()
        self.pool.shutdown()

    def search(self, body: dict[str, Any]) -> list[int]:
        return [hit["id"] for hit in self.post(f"/indexes/{INDEX}/search", body)["hits"]]

    def similar(self, article_id: int, limit: int = 10, index: str = INDEX) -> list[int]:
        body = {
            "id": article_id,
            "embedder": EMBEDDER,
            "limit": limit,
            "attributesToRetrieve": ["id"],
        }
        return [hit["id"] for hit in self.post(f"/indexes/{index}/similar", body)["hits"]]


def api_body(index: str, q: str, mode: str = "keyword", vector: list[float] | None = None) -> Any:
    """The body the API sends Meilisearch for `/search?q=...&mode=...` (page 1, 20 hits, the
    default filter and every public field), built by the API's own planner."""
    search_plan = service.plan(index_uid=index, params=SearchParams(q=q, mode=SearchMode(mode)))
    if vector is not None:
        search_plan.with_vector(vector)
    body = dict(search_plan.queries[0])
    body.pop("indexUid")
    return body


def ids_of(api: Meili, index: str, body: dict[str, Any]) -> list[int]:
    return [hit["id"] for hit in api.post(f"/indexes/{index}/search", body)["hits"]]


def split_answer(api: Meili, q: str, vector_of: Any, *, on_loop: bool = False) -> dict[str, Any]:
    """A hybrid search split in two, page 1 at ratio 0.5: the keyword side sent at once,
    `vector_of()` (the model run) on a worker thread meanwhile (`on_loop`: on the event
    loop's own thread, once the keyword side is sent), then the vector side, merged by
    bench/hybrid_merge.py."""
    request = api_body(INDEX, q, "hybrid")
    path = f"/indexes/{INDEX}/search"

    async def run() -> dict[str, Any]:
        keyword_side = hybrid_merge.keyword_request(request)
        keyword_sent = asyncio.ensure_future(api.http.post(path, keyword_side))
        if on_loop:
            await asyncio.sleep(0)  # the keyword side goes out on a kept connection
            vector = vector_of()
        else:
            vector = await asyncio.get_running_loop().run_in_executor(api.pool, vector_of)
        keyword = (await keyword_sent).json()
        if hybrid_merge.keyword_suffices(keyword, keyword_side["hitsPerPage"], 0.5):
            return hybrid_merge.keyword_answer(request, keyword)
        semantic = (await api.http.post(path, hybrid_merge.vector_request(request, vector))).json()
        return hybrid_merge.merge(request, keyword, semantic, 0.5)

    return api.loop.run_until_complete(run())


def build_index(
    client: Any,
    uid: str,
    corpus: list[ReutersRecord],
    vectors: Any,
    *,
    copy: str | None = None,
    meili: MeiliProcess | None = None,
) -> None:
    ensure_index(client, uid, embeddings=True)
    if copy == "experimental_store":
        assert meili is not None
        use_experimental_store(client, uid, meili)
    if copy == "binary_quantized":
        embedders = index_settings(embeddings=True)["embedders"]
        embedders[EMBEDDER]["binaryQuantized"] = True
        task = client.index(uid).update_embedders(embedders)
        wait_for_success(client, task.task_uid, timeout_s=600)
    documents = [
        {
            "id": r.newid,
            "title": r.title,
            "body": r.body,
            "summary": None,
            "tags": list(r.topics),
            "source": "reuters",
            "duplicate_of": None,
            "_vectors": {EMBEDDER: vector.tolist()},
        }
        for r, vector in zip(corpus, vectors, strict=True)
    ]
    for start in range(0, len(documents), 500):
        task = client.index(uid).add_documents(documents[start : start + 500], "id")
        wait_for_success(client, task.task_uid, timeout_s=600)


def copies(args: argparse.Namespace) -> list[str]:
    """The index copies asked for on the command line."""
    return [copy for copy in INDEX_COPIES if getattr(args, copy)]


def use_experimental_store(client: Any, uid: str, meili: MeiliProcess) -> None:
    """Turn on Meilisearch's `vectorStoreSetting` feature and put index `uid` (made empty, before
    any document) in the experimental vector store."""
    import httpx

    headers = {"Authorization": f"Bearer {meili.master_key}"}
    features = {"vectorStoreSetting": True}
    httpx.patch(
        f"{meili.url}/experimental-features", json=features, headers=headers
    ).raise_for_status()
    ensure_index(client, uid, embeddings=True)
    task = client.index(uid).update_settings({"vectorStore": "experimental"})
    wait_for_success(client, task.task_uid, timeout_s=600)
    held = httpx.get(f"{meili.url}/indexes/{uid}/settings", headers=headers).json()
    if held.get("vectorStore") != "experimental":
        raise SystemExit(f"this Meilisearch kept vectorStore {held.get('vectorStore')!r}")


def shared_top(api: Meili, index: str, queries: list[str], vectors: dict[str, Any]) -> float:
    """Mean share of the default index's semantic top 20 that `index` also returns."""
    shares = []
    for q in queries:
        ours = ids_of(api, index, api_body(index, q, "semantic", vectors[q]))
        theirs = ids_of(api, INDEX, api_body(INDEX, q, "semantic", vectors[q]))
        shares.append(len(set(ours) & set(theirs)) / max(len(theirs), 1))
    return round(statistics.mean(shares), 3)


def search_main(args: argparse.Namespace) -> None:
    if not REUTERS.is_dir():
        sys.exit(f"Reuters-21578 not found at {REUTERS}; see ../shared/data/README.md")

    corpus = records(args.limit)
    topics = {r.newid: set(r.topics) for r in corpus}
    print(f"{len(corpus)} Reuters articles with a body and TOPICS", file=sys.stderr)

    data_dir = Path(tempfile.mkdtemp(prefix="semantic-bench-"))
    rss_before = peak_rss_mb()
    loaded = time.perf_counter()
    embedder = load(args.precision, data_dir)
    load_seconds = time.perf_counter() - loaded
    print(f"model {embedder.model_id} loaded in {load_seconds:.1f}s", file=sys.stderr)
    texts = [article_text(r.title, None, r.body) for r in corpus]
    vectors_file = None
    if args.vectors is not None:  # one file per model: vectors of two models never mix
        tag = embedder.model_id.replace("@", "-")
        vectors_file = args.vectors.with_name(f"{args.vectors.stem}-{tag}{args.vectors.suffix}")
    cached = vectors_file is not None and vectors_file.is_file()
    timed = texts[:200] if cached else texts
    started = time.perf_counter()
    timed_vectors = embedder.embed(timed)
    embed_seconds = time.perf_counter() - started
    docs_per_second = len(timed) / embed_seconds
    print(
        f"embedded {len(timed)} in {embed_seconds:.1f}s: {docs_per_second:.1f} docs/s",
        file=sys.stderr,
    )
    vectors = np.load(vectors_file) if cached and vectors_file is not None else timed_vectors
    if len(vectors) != len(texts):
        sys.exit(f"{vectors_file} holds {len(vectors)} vectors, not {len(texts)}: delete it")
    if vectors_file is not None and not cached:
        np.save(vectors_file, vectors)
    other = load("fp32" if args.precision == "int8" else "int8", data_dir)
    both = {e.model_id.split("@")[0]: e for e in (embedder, other)}
    compared = precision_comparison(both, latency_queries(corpus, args.queries, 3), texts[:200])

    meili = MeiliProcess(data_dir=data_dir / "meili", binary=None)
    meili.start()
    try:
        client = build_client(meili.url, meili.master_key, timeout=30)
        build_index(client, INDEX, corpus, vectors)
        for copy in copies(args):
            build_index(client, INDEX_COPIES[copy], corpus, vectors, copy=copy, meili=meili)
        api = Meili(meili.url, meili.master_key)
        try:
            figures = measure(api, embedder, corpus, topics, args)
            if args.api:
                figures["through_the_api"] = api_figures(meili, data_dir, corpus, args)
        finally:
            api.close()
    finally:
        meili.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    figures |= {
        "model": embedder.model_id,
        "precisions_compared": compared,
        "articles": len(corpus),
        "embed_docs_per_second_one_core": round(docs_per_second, 1),
        "embedded_for_throughput": len(timed),
        "model_load_seconds": round(load_seconds, 2),
        "peak_rss_mb": round(peak_rss_mb(), 0),
        "rss_before_model_mb": round(rss_before, 0),
    }
    print(json.dumps(figures, indent=2))


def api_figures(
    meili: MeiliProcess, data_dir: Path, corpus: list[ReutersRecord], args: argparse.Namespace
) -> dict[str, Any]:
    """GET/POST /search through `newsarchive serve`; with --baseline, that revision's server
    (repeatable) beside this one's, interleaved, and this one's p50s over each's."""
    servers: dict[str, ApiServer] = {}
    try:
        servers["this"] = ApiServer(
            meili.url, meili.master_key, data_dir, index=INDEX, precision=args.precision
        )
        for n, revision in enumerate(args.baseline):
            source = baseline_source(revision, data_dir / f"baseline{n}")
            servers[revision] = ApiServer(
                meili.url,
                meili.master_key,
                data_dir,
                index=INDEX,
                precision=args.precision,
                source=source,
                name=f"baseline{n}",
            )
        figures = through_the_api(
            servers, latency_queries(corpus, args.queries, 13), latency_queries(corpus, 10, 14)
        )
    finally:
        for server in servers.values():
            server.stop()
    this = figures["this"]["p50_ms"]
    for revision in args.baseline:
        baseline = figures[revision]["p50_ms"]
        figures[f"this_over_{revision}_p50"] = {
            kind: round(this[kind] / baseline[kind], 2) for kind in this
        }
    return figures


def load(precision: Any, data_dir: Path) -> TextEmbedder:
    """The bundled model at `precision`, its int8 variant derived under `data_dir`."""
    provider = EmbeddingProvider(enabled=True, threads=1, precision=precision, data_dir=data_dir)
    return provider.get()


def latency_queries(corpus: list[ReutersRecord], count: int, seed: int) -> list[str]:
    """Four-word openings of random titles (lower case, as typed), and the known items."""
    rng = random.Random(seed)
    return [" ".join(r.title.lower().split()[:4]) for r in rng.sample(corpus, count)]


def measure(
    api: Meili,
    embedder: TextEmbedder,
    corpus: list[ReutersRecord],
    topics: dict[int, set[str]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Every variant once per query, in a shuffled order per query, so each sees the same
    machine conditions (this machine is shared: only same-run ratios are worth comparing)."""
    rng = random.Random(7)
    queries = latency_queries(corpus, args.queries, 7) + [q for _, q in KNOWN_ITEMS]
    for q in latency_queries(corpus, 10, 8):  # warm up every path on other queries
        vector = embedder.embed([q])[0].tolist()
        for mode in ("keyword", "hybrid", "semantic"):
            api.search(api_body(INDEX, q, mode, None if mode == "keyword" else vector))

    def timed_search(index: str, body_of: Any) -> Any:
        def run(q: str, vector: list[float]) -> None:
            api.search(body_of(index, q, vector))

        return run

    def split(q: str, _vector: list[float]) -> None:
        """A hybrid query not seen before split in two: the keyword side while the model
        runs on a worker thread, then the vector side."""
        split_answer(api, q, lambda: embedder.embed_tokens(embedder.tokens(q))[0].tolist())

    def split_on_loop(q: str, _vector: list[float]) -> None:
        """As `split`, the model run on the loop's thread while Meilisearch searches."""
        vector_of = lambda: embedder.embed_tokens(embedder.tokens(q))[0].tolist()  # noqa: E731
        split_answer(api, q, vector_of, on_loop=True)

    def embed_on_a_thread_then(q: str, _vector: list[float]) -> None:
        """What the API does unsplit: the model run on a worker thread, then the search."""

        async def run() -> None:
            tokens = embedder.tokens(q)
            loop = asyncio.get_running_loop()
            fresh = await loop.run_in_executor(api.pool, embedder.embed_tokens, tokens)
            await api.http.post(
                f"/indexes/{INDEX}/search", api_body(INDEX, q, "hybrid", fresh[0].tolist())
            )

        api.loop.run_until_complete(run())

    def overlapped(q: str, _vector: list[float]) -> None:
        """The keyword side sent, the model run on this thread meanwhile, then its answer."""

        async def run() -> None:
            keyword_side = hybrid_merge.keyword_request(api_body(INDEX, q, "hybrid"))
            sent = asyncio.ensure_future(api.http.post(f"/indexes/{INDEX}/search", keyword_side))
            await asyncio.sleep(0)  # the request goes out
            embedder.embed_tokens(embedder.tokens(q))
            await sent

        api.loop.run_until_complete(run())

    def one_after_the_other(q: str, _vector: list[float]) -> None:
        keyword_side = hybrid_merge.keyword_request(api_body(INDEX, q, "hybrid"))
        api.post(f"/indexes/{INDEX}/search", keyword_side)
        embedder.embed_tokens(embedder.tokens(q))

    def sides_at_once(q: str, vector: list[float]) -> None:
        """Both sides of the split with the vector at hand, sent at the same time."""
        request = api_body(INDEX, q, "hybrid")
        path = f"/indexes/{INDEX}/search"

        async def both() -> Any:
            return await asyncio.gather(
                api.http.post(path, hybrid_merge.keyword_request(request)),
                api.http.post(path, hybrid_merge.vector_request(request, vector)),
            )

        keyword, semantic = api.loop.run_until_complete(both())
        hybrid_merge.merge(request, keyword.json(), semantic.json(), 0.5)

    def embed_then(index: str, mode: str) -> Any:
        """A query not seen before: the model run on this thread, then the search."""

        def run(q: str, _vector: list[float]) -> None:
            fresh = embedder.embed_tokens(embedder.tokens(q))[0].tolist()
            api.search(api_body(index, q, mode, fresh))

        return run

    variants: dict[str, Any] = {
        "meili_keyword": timed_search(INDEX, lambda i, q, v: api_body(i, q)),
        "meili_keyword_with_ranking_score": timed_search(
            INDEX, lambda i, q, v: api_body(i, q) | {"showRankingScore": True}
        ),
        "meili_hybrid": timed_search(INDEX, lambda i, q, v: api_body(i, q, "hybrid", v)),
        "meili_semantic": timed_search(INDEX, lambda i, q, v: api_body(i, q, "semantic", v)),
        "meili_hybrid_limit_ids_only": timed_search(
            INDEX,
            lambda i, q, v: {
                "q": q,
                "limit": 20,
                "attributesToRetrieve": ["id"],
                "vector": v,
                "hybrid": {"embedder": EMBEDDER, "semanticRatio": 0.5},
            },
        ),
        "query_embedding": lambda q, v: embedder.embed_tokens(embedder.tokens(q)),
        "query_tokens_only": lambda q, v: embedder.tokens(q),
        "hybrid_with_query_embedding": embed_then(INDEX, "hybrid"),
        "hybrid_split_with_query_embedding": split,
        "hybrid_split_model_on_loop_with_query_embedding": split_on_loop,
        "hybrid_with_query_embedding_on_a_thread": embed_on_a_thread_then,
        "meili_hybrid_split_sides_at_once_vector_kept": sides_at_once,
        "keyword_side_and_model_run_at_once": overlapped,
        "keyword_side_then_model_run": one_after_the_other,
        "semantic_with_query_embedding": embed_then(INDEX, "semantic"),
    }
    bodies = body_variants()
    for mode, shapes in bodies.items():
        for shape, body_of in shapes.items():
            variants[f"body:{mode}:{shape}"] = timed_search(
                INDEX, lambda i, q, v, body_of=body_of, mode=mode: body_of(api_body(i, q, mode, v))
            )
    for copy in copies(args):
        for mode in ("hybrid", "semantic"):
            variants[f"meili_{mode}_{copy}"] = timed_search(
                INDEX_COPIES[copy], lambda i, q, v, mode=mode: api_body(i, q, mode, v)
            )
    times: dict[str, list[float]] = {name: [] for name in variants}
    vectors = {q: embedder.embed([q])[0].tolist() for q in queries}
    for q in queries:
        order = list(variants.items())
        rng.shuffle(order)
        for name, run in order:
            started = time.perf_counter()
            run(q, vectors[q])
            times[name].append(time.perf_counter() - started)
    split_same = split_sufficed = 0
    for q in queries:  # the split answers exactly as Meilisearch's hybrid search
        theirs = api.post(f"/indexes/{INDEX}/search", api_body(INDEX, q, "hybrid", vectors[q]))
        ours = split_answer(api, q, lambda q=q: vectors[q])
        split_same += [h["id"] for h in ours["hits"]] == [h["id"] for h in theirs["hits"]] and (
            ours["totalHits"],
            ours["semanticHitCount"],
        ) == (theirs["totalHits"], theirs["semanticHitCount"])
        split_sufficed += theirs["semanticHitCount"] == 0
    same_hits = {
        f"{mode}:{shape}": sum(
            ids_of(api, INDEX, body_of(api_body(INDEX, q, mode, vectors[q])))
            == ids_of(api, INDEX, api_body(INDEX, q, mode, vectors[q]))
            for q in queries
        )
        for mode, shapes in bodies.items()
        for shape, body_of in shapes.items()
    }
    p50s = {name: p50(values) for name, values in times.items()}
    body_p50s = {name.split(":", 1)[1]: p50s.pop(name) for name in list(p50s) if ":" in name}
    keyword = p50s["meili_keyword"]
    model_runs = session_options(embedder, queries)

    quality = {"exact": neighbour_quality(api, INDEX, embedder, corpus, topics, args)}
    for copy in copies(args):
        quality[copy] = neighbour_quality(api, INDEX_COPIES[copy], embedder, corpus, topics, args)
        quality[copy]["semantic_top20_shared_with_default"] = shared_top(
            api, INDEX_COPIES[copy], queries, vectors
        )
    return {
        "queries": len(queries),
        "p50_ms": {name: round(value, 2) for name, value in p50s.items()},
        "over_meili_keyword_p50": {name: round(value / keyword, 2) for name, value in p50s.items()},
        "hybrid_over_keyword_p50": round(p50s["hybrid_with_query_embedding"] / keyword, 2),
        "hybrid_split_over_keyword_p50": round(
            p50s["hybrid_split_with_query_embedding"] / keyword, 2
        ),
        "hybrid_split_over_unsplit_p50": round(
            p50s["hybrid_split_with_query_embedding"]
            / p50s["hybrid_with_query_embedding_on_a_thread"],
            2,
        ),
        "hybrid_split_model_on_loop_over_unsplit_p50": round(
            p50s["hybrid_split_model_on_loop_with_query_embedding"]
            / p50s["hybrid_with_query_embedding_on_a_thread"],
            2,
        ),
        "meili_hybrid_split_sides_at_once_over_meili_hybrid_p50": round(
            p50s["meili_hybrid_split_sides_at_once_vector_kept"] / p50s["meili_hybrid"], 2
        ),
        "keyword_side_and_model_run_at_once_over_one_after_the_other_p50": round(
            p50s["keyword_side_and_model_run_at_once"] / p50s["keyword_side_then_model_run"], 2
        ),
        "split": {
            "same_page_as_meili_hybrid": split_same,
            "keyword_side_sufficed": split_sufficed,
            "queries": len(queries),
        },
        "meili_body_variants": {
            name: {
                "p50_ms": round(value, 2),
                "over_as_sent": round(value / body_p50s[name.split(":")[0] + ":as_sent"], 2),
                "same_hits": same_hits[name],
            }
            for name, value in body_p50s.items()
        },
        "query_model_run_p50_ms_by_session_options": model_runs,
        "query_tokens_p50": statistics.median(len(embedder.tokens(q)) for q in queries),
        "related_p50_ms": quality["exact"].pop("related_p50_ms"),
        "quality": quality,
    }


def _without(*keys: str) -> Any:
    return lambda body: {key: value for key, value in body.items() if key not in keys}


def body_variants() -> dict[str, dict[str, Any]]:
    """The API's semantic and hybrid bodies (page 1 of 20) with one thing changed each."""
    shapes: dict[str, Any] = {
        "as_sent": lambda body: body,
        "no_facets_key": _without("facets"),
        "offset_limit": lambda body: _without("page", "hitsPerPage")(body) | {"limit": 20},
        "no_filter": _without("filter"),
        "id_only": lambda body: body | {"attributesToRetrieve": ["id"]},
        "ranking_score": lambda body: body | {"showRankingScore": True},
        "highlight_crop": lambda body: (
            body
            | {
                "attributesToHighlight": ["title", "summary", "body"],
                "attributesToCrop": ["body"],
                "showMatchesPosition": True,
            }
        ),
    }
    return {"semantic": shapes, "hybrid": shapes}


def neighbour_quality(
    api: Meili,
    index: str,
    embedder: TextEmbedder,
    corpus: list[ReutersRecord],
    topics: dict[int, set[str]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Topic-neighbour share of `/similar`, against random articles, and known-item recall."""
    rng = random.Random(11)
    sample = rng.sample(corpus, min(args.sample, len(corpus)))
    related_times, shares, random_shares = [], [], []
    ids = [r.newid for r in corpus]
    for record in sample:
        started = time.perf_counter()
        neighbours = api.similar(record.newid, index=index)
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
        for mode in recall:
            body = api_body(index, q, mode, None if mode == "keyword" else vector)
            recall[mode] += target in ids_of(api, index, body)[:10]
    return {
        "related_p50_ms": round(p50(related_times), 2),
        "related_topic_neighbour_share": round(statistics.mean(shares), 3),
        "random_topic_neighbour_share": round(statistics.mean(random_shares), 3),
        "known_items": len(KNOWN_ITEMS),
        "recall_at_10": {mode: round(hits / len(KNOWN_ITEMS), 2) for mode, hits in recall.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=1500, help="Reuters articles to index.")
    parser.add_argument("--queries", type=int, default=200, help="Latency queries per variant.")
    parser.add_argument("--sample", type=int, default=300, help="Articles for neighbour quality.")
    parser.add_argument("--vectors", type=Path, help="Keep the articles' vectors in this file.")
    parser.add_argument(
        "--binary-quantized",
        action="store_true",
        help="Also build a binaryQuantized copy of the index and compare speed and quality.",
    )
    parser.add_argument(
        "--experimental-store",
        action="store_true",
        help="Also build a copy in Meilisearch's experimental vector store and compare.",
    )
    parser.add_argument(
        "--precision",
        choices=["int8", "fp32"],
        default=Settings.model_fields["EMBEDDING_PRECISION"].default,
        help="The bundled model's variant for the articles, the queries and the API server "
        "(default: EMBEDDING_PRECISION's); the other is measured beside it for speed.",
    )
    parser.add_argument(
        "--no-api", dest="api", action="store_false", help="Skip the end-to-end API figures."
    )
    parser.add_argument(
        "--baseline",
        metavar="REVISION",
        action="append",
        default=[],
        help="Also serve this git revision's app (same virtualenv) and time it interleaved "
        "with this one through the API (e.g. main); repeatable.",
    )
    search_main(parser.parse_args())


if __name__ == "__main__":
    main()
