"""`newsarchive import --index` with embeddings, against extraction and embedding alone.

One run, in a fresh temp directory (SQLite, a local Meilisearch with bench/ingest.py's
limits):

1. `newsarchive import --index` of the first --limit Reuters-21578 records, as a user runs it:
   entities extracted by --processes processes, each article queued for indexing and for
   embedding as it is stored, every article embedded (EMBEDDING_THREADS=--threads: a
   one-thread model during the import beside the processes, what it has not reached once the
   import is done one run per core) and sent with its vector while the next ones are made;
   the command returns when every article is searchable both ways;
2. entity extraction alone over the same texts (same batch size and processes), then the
   embedding alone of the same articles' texts (title and opening, as the worker embeds
   them), in this process with the same thread count and precision (--precision, the
   EMBEDDING_PRECISION default unless given; the int8 model is derived before either is
   timed);
3. the second write, measured both ways on the imported archive: every article sent again
   in full with its vector (what the index worker does when a vector arrives), and a partial
   update carrying only `id` and `_vectors` (PUT /documents).

Reported: the import's docs/s against extraction + embedding alone (target >= 0.8), how many
articles were embedded before the import phase ended (the rest were embedded after it), the same
comparison in CPU seconds (the import command and its workers against this process and its
extraction workers; on a shared machine wall time follows the neighbours' load), the
embedding throughput per core, the import's phases (the command's start-up, the import
itself, then embedding what is left and sending the vectors), the peak RSS of every process (the importing process, its extraction workers,
Meilisearch; and of this process while embedding alone), and both second writes' seconds.

    .venv/bin/python -m bench.semantic_import [--limit 1000] [--processes 2]
        [--batch-size 64] [--threads 1] [--precision int8|fp32]

Data: Reuters-21578 (../shared/data); nothing of it is written outside the temp directory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.config import Settings
from app.embeddings.provider import Precision
from app.embeddings.quantized import verified_int8
from bench.ingest import (
    DEFAULT_DATA,
    MEILI_LIMITS,
    MemorySampler,
    command_env,
    entity_inputs,
    extraction_alone,
    mib,
    run_import,
    sqlite_database,
)

TARGET_RATIO = 0.8
INDEX = "bench_semantic"


def run(args: argparse.Namespace) -> dict[str, Any]:
    from pydantic import SecretStr

    from app.config import Settings
    from app.db import make_engine
    from app.embeddings import queue
    from app.ingestion.importer import ImportOptions
    from app.ingestion.sources import Format, discover
    from app.search.meili_process import MeiliProcess

    figures: dict[str, Any] = {"records": args.limit, "threads": args.threads}
    root = Path(tempfile.mkdtemp(prefix="newsarchive-semantic-bench-"))
    try:
        with (
            sqlite_database(root) as (url, _),
            MeiliProcess(root / "meili", extra_args=MEILI_LIMITS) as meili,
        ):
            settings = Settings(
                _env_file=None,
                DATA_DIR=root,
                DATABASE_URL=url,
                MEILI_URL=meili.url,
                MEILI_MASTER_KEY=SecretStr(meili.master_key),
                MEILI_INDEX=INDEX,
                LOG_LEVEL="WARNING",
                SYNC_WORKER_ENABLED=False,
                EMBEDDINGS_ENABLED=True,
                EMBEDDING_THREADS=args.threads,
                EMBEDDING_PRECISION=args.precision,
            )
            env = command_env(settings) | {
                "EMBEDDINGS_ENABLED": "true",
                "EMBEDDING_THREADS": str(args.threads),
                "EMBEDDING_PRECISION": args.precision,
            }
            if args.precision == "int8":
                # Derived once per DATA_DIR: before the clock, as for the model alone below.
                verified_int8(root)
            sampler = MemorySampler(roots=[])
            sampler.start()
            started, cpu_before = time.perf_counter(), cpu_seconds(children_only=True)
            finished = run_import(args, env)
            figures["import_with_embeddings_seconds"] = time.perf_counter() - started
            # From the "import finished" record to the command's exit: embedding what is left
            # and sending the vectors (the rest before the import phase is the start-up).
            figures["after_import_seconds"] = (
                time.time() - datetime.fromisoformat(finished["ts"]).timestamp()
            )
            figures["import_cpu_seconds"] = cpu_seconds(children_only=True) - cpu_before
            sampler.stop()
            figures["import_phase_seconds"] = finished["seconds"]
            figures["articles"] = finished["articles_created"]
            figures["memory"] = {
                role: {"processes": its.processes, "peak_rss_bytes": its.peaks.rss}
                for role, its in sampler.by_role().items()
            }
            engine = make_engine(settings)
            figures["vectors_stored"] = queue.vector_count(engine)
            figures["embedded_during_import"] = embedded_by(engine, finished["ts"])
            figures["second_write"] = second_write(settings, engine)
            engine.dispose()

        options = ImportOptions(
            batch_size=args.batch_size, processes=args.processes, limit=args.limit
        )
        inputs = entity_inputs(discover([args.data], Format.reuters), options)
        print(f"extraction alone over {len(inputs)} texts...", file=sys.stderr)
        cpu_before = cpu_seconds()
        figures["extraction_alone_seconds"] = extraction_alone(inputs, options)
        figures["extraction_alone_cpu_seconds"] = cpu_seconds() - cpu_before
        print(f"embedding alone over {len(inputs)} texts...", file=sys.stderr)
        alone = MemorySampler(roots=[], include_self=True)
        alone.start()
        (
            figures["embedding_alone_seconds"],
            figures["embedding_alone_cpu_seconds"],
        ) = embedding_alone(inputs, args.threads, args.precision, root)
        alone.stop()
        figures["embedding_alone_peak_rss_bytes"] = alone.max_concurrent
        figures["embedded_alone"] = len(inputs)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return figures


def embedded_by(engine: Any, timestamp: str) -> int:
    """How many vectors were stored by `timestamp` (the import's "import finished" record):
    the articles embedded during the import rather than after it."""
    import sqlalchemy as sa
    from sqlmodel import Session, col

    from app.embeddings.models import ArticleEmbedding

    moment = datetime.fromisoformat(timestamp)
    with Session(engine) as session:
        stored = session.execute(sa.select(col(ArticleEmbedding.embedded_at))).scalars().all()
    return sum(1 for at in stored if (at if at.tzinfo else at.replace(tzinfo=UTC)) <= moment)


def cpu_seconds(*, children_only: bool = False) -> float:
    """User and system CPU seconds of the children that have ended (the import command and
    its extraction workers; not Meilisearch, which runs until the end), and of this process
    unless `children_only` (its memory sampler is no part of the import)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = used.ru_utime + used.ru_stime
    if not children_only:
        own = resource.getrusage(resource.RUSAGE_SELF)
        total += own.ru_utime + own.ru_stime
    return total


def embedding_alone(
    inputs: list[Any], threads: int, precision: Precision, data_dir: Path
) -> tuple[float, float]:
    """Seconds and CPU seconds (of this thread, where a one-thread model runs; not the
    memory sampler's) to embed the texts as the embedding worker does, model load included."""
    from app.config import Settings
    from app.embeddings.model import TextEmbedder
    from app.embeddings.provider import EmbeddingProvider
    from app.embeddings.text import article_text

    texts = [article_text(text.title, text.summary or None, text.body) for text, _ in inputs]
    # More than one thread: the model's own threads count too, so the whole process.
    clock = time.thread_time if threads == 1 else time.process_time
    started, cpu_before = time.perf_counter(), clock()
    embedder: TextEmbedder = EmbeddingProvider(
        enabled=True, threads=threads, precision=precision, data_dir=data_dir
    ).get()
    batch = Settings.model_fields["EMBED_BATCH_SIZE"].default
    for start in range(0, len(texts), batch):
        embedder.embed(texts[start : start + batch])
    return time.perf_counter() - started, clock() - cpu_before


def second_write(settings: Any, engine: Any) -> dict[str, float]:
    """Seconds to give the index every stored vector again: the full documents (as the
    index worker sends them), then only `id` and `_vectors` (a partial update)."""
    from sqlmodel import Session, select

    from app import outbox
    from app.articles.models import Article
    from app.embeddings.models import ArticleEmbedding
    from app.embeddings.vectors import decode
    from app.search.backend import build_backend
    from app.search.client import wait_for_success
    from app.search.index_settings import EMBEDDER
    from app.search.sync import drain

    backend = build_backend(settings, engine)
    assert backend is not None
    try:
        with Session(engine) as session:
            ids = list(session.exec(select(Article.id)).all())
            for article_id in ids:
                assert article_id is not None
                outbox.enqueue_upsert(session=session, article_id=article_id)
            session.commit()
        started = time.perf_counter()
        drain(backend.sync, timeout=None)
        full = time.perf_counter() - started

        started = time.perf_counter()
        with Session(engine) as session:
            rows = session.exec(select(ArticleEmbedding.article_id, ArticleEmbedding.vector)).all()
            documents = [
                {"id": article_id, "_vectors": {EMBEDDER: decode(blob)}}
                for article_id, blob in rows
            ]
        http = backend.client.http
        for start in range(0, len(documents), backend.sync.batch_size):
            task = http.put(
                f"indexes/{INDEX}/documents?primaryKey=id",
                documents[start : start + backend.sync.batch_size],
            )
            wait_for_success(backend.client, task["taskUid"], timeout_s=600)
        partial = time.perf_counter() - started
    finally:
        backend.close()
    return {
        "documents": len(ids),
        "full_documents_seconds": full,
        "id_and_vectors_only_seconds": partial,
    }


def report(figures: dict[str, Any]) -> dict[str, Any]:
    docs = figures["embedded_alone"]
    alone = figures["extraction_alone_seconds"] + figures["embedding_alone_seconds"]
    whole = figures["import_with_embeddings_seconds"]
    second = figures["second_write"]
    result = {
        "records": figures["records"],
        "articles": figures["articles"],
        "vectors_stored": figures["vectors_stored"],
        "vectors_made_during_the_import_phase": figures["embedded_during_import"],
        "embedding_threads": figures["threads"],
        "import_with_embeddings_seconds": round(whole, 1),
        "of_which_start_up_seconds": round(
            whole - figures["import_phase_seconds"] - figures["after_import_seconds"], 1
        ),
        "of_which_import_seconds": round(figures["import_phase_seconds"], 1),
        "of_which_embedding_the_rest_and_sending_vectors_seconds": round(
            figures["after_import_seconds"], 1
        ),
        "extraction_alone_seconds": round(figures["extraction_alone_seconds"], 1),
        "embedding_alone_seconds": round(figures["embedding_alone_seconds"], 1),
        "import_docs_per_second": round(figures["articles"] / whole, 1),
        "extraction_plus_embedding_alone_docs_per_second": round(docs / alone, 1),
        "ratio_import_to_alone": round((figures["articles"] / whole) / (docs / alone), 2),
        "target_ratio": TARGET_RATIO,
        # CPU seconds hardly depend on what else the machine runs, unlike wall time.
        "import_cpu_seconds": round(figures["import_cpu_seconds"], 1),
        "extraction_plus_embedding_alone_cpu_seconds": round(
            figures["extraction_alone_cpu_seconds"] + figures["embedding_alone_cpu_seconds"], 1
        ),
        "cpu_ratio_alone_to_import": round(
            (figures["extraction_alone_cpu_seconds"] + figures["embedding_alone_cpu_seconds"])
            / figures["import_cpu_seconds"],
            2,
        ),
        "embedding_docs_per_second_per_core": round(
            docs / figures["embedding_alone_seconds"] / figures["threads"], 1
        ),
        "peak_rss_mib_by_process_role": {
            role: round(its["peak_rss_bytes"] / 1024**2)
            for role, its in sorted(figures["memory"].items())
        },
        "embedding_alone_peak_rss_mib": round(figures["embedding_alone_peak_rss_bytes"] / 1024**2),
        "second_write_documents": second["documents"],
        "second_write_full_documents_seconds": round(second["full_documents_seconds"], 2),
        "second_write_id_and_vectors_only_seconds": round(second["id_and_vectors_only_seconds"], 2),
    }
    print(
        f"import --index with embeddings: {result['import_docs_per_second']} docs/s; "
        f"extraction + embedding alone: "
        f"{result['extraction_plus_embedding_alone_docs_per_second']} docs/s; "
        f"ratio {result['ratio_import_to_alone']} (target >= {TARGET_RATIO}); "
        f"this process embedding alone peaked at "
        f"{mib(figures['embedding_alone_peak_rss_bytes'])}",
        file=sys.stderr,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=1000, help="records to import")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="EMBEDDING_THREADS")
    parser.add_argument(
        "--precision",
        choices=("int8", "fp32"),
        default=Settings.model_fields["EMBEDDING_PRECISION"].default,
        help="EMBEDDING_PRECISION, for the import and the model alone",
    )
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"Reuters-21578 not found at {args.data}; see ../shared/data/README.md")
    # What bench/ingest.py's import helper reads: indexing in the importing process.
    args.index_worker = "importer"
    args.index_batch_size = 10_000
    args.fill_seconds = 120.0
    print(json.dumps(report(run(args)), indent=2))


if __name__ == "__main__":
    main()
