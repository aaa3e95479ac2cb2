"""Export rate and the API process's memory, for all of Reuters-21578 and for a 200,000-article
archive made by repeating it.

The archive is built directly, to keep the run short: article rows written to a fresh SQLite
database in bulk (no entity extraction, no outbox) and the same articles sent to a fresh local
Meilisearch as the index worker would (app/search/documents.py), with no entities. The copies
get new ids, urls and external ids and are not marked as duplicates, so every one is exported.
Then `newsarchive serve --workers 1` runs on loopback and, for each archive size:

- GET /search/export of every article (NDJSON, all fields; medians of --runs), beside the same
  keyset walk sent to Meilisearch directly (same filter, sort, fields and page size): the
  baseline, measured in the same run;
- the same as CSV, and as gzip-compressed NDJSON (one run each);
- the API process's peak RSS during each export (VmHWM, reset before it through
  /proc/PID/clear_refs) against its RSS before: memory must not grow with the result size.

    .venv/bin/python -m bench.export [--copies 10] [--runs 3] [--limit N]

Loopback only; the data stays in a temporary directory, removed at the end.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from app.paths import SHARED_DATA
from bench.search import start_api
from bench.search_wrk import free_port

REUTERS = SHARED_DATA / "reuters21578"
TARGET_ARCHIVE = 200_000
ROW_BATCH = 5_000


# --- the archive -----------------------------------------------------------------------------


def reuters_rows() -> list[dict[str, Any]]:
    """Reuters-21578 as article rows (without id, url or external_id)."""
    from app.articles.service import content_hash
    from app.db import utcnow
    from app.ingestion.reuters import iter_reuters, to_parsed_article

    now = utcnow()
    rows = []
    for record in iter_reuters(REUTERS):
        parsed = to_parsed_article(record)
        rows.append(
            {
                "title": parsed.title,
                "summary": parsed.summary,
                "body": parsed.body,
                "authors": list(parsed.authors),
                "source": parsed.source,
                "section": parsed.section,
                "language": parsed.language,
                "tags": list(parsed.tags),
                "published_at": parsed.published_at,
                "created_at": now,
                "updated_at": now,
                "content_hash": content_hash(parsed.title, parsed.summary, parsed.body),
                "image_caption": parsed.image_caption,
                "credit": parsed.credit,
                "related_titles": list(parsed.related_titles),
                "duplicate_of": None,
            }
        )
    return rows


def copies_of(rows: list[dict[str, Any]], first_copy: int, copies: int) -> Iterator[dict[str, Any]]:
    for copy in range(first_copy, first_copy + copies):
        for n, row in enumerate(rows, start=1):
            article_id = copy * len(rows) + n
            yield row | {
                "id": article_id,
                "url": f"https://bench.example/{article_id}",
                "external_id": f"bench:{article_id}",
            }


def add_articles(
    database_url: str, meili_url: str, key: str, uid: str, articles: Iterator[dict[str, Any]]
) -> int:
    """Insert rows and index their documents, a batch at a time; return how many."""
    import sqlalchemy as sa

    from app.articles.models import Article
    from app.search.client import build_client, wait_for_success
    from app.search.documents import article_to_document

    engine = sa.create_engine(database_url)
    added = 0
    tasks = []
    with build_client(meili_url, key, timeout=120) as client:
        index = client.index(uid)
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            with engine.begin() as connection:
                connection.execute(sa.insert(Article), batch)
            documents = [article_to_document(Article(**row)) for row in batch]
            tasks.append(index.add_documents(documents).task_uid)

        for row in articles:
            batch.append(row)
            if len(batch) == ROW_BATCH:
                flush()
                added += len(batch)
                batch = []
        if batch:
            flush()
            added += len(batch)
        print(f"  stored {added} rows; waiting for Meilisearch to index them", file=sys.stderr)
        for task in tasks:
            wait_for_success(client, task, timeout_s=3600)
    engine.dispose()
    return added


# --- the API process ---------------------------------------------------------------------------


def _status_bytes(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def reset_peak(pid: int) -> None:
    """Make VmHWM start again from the current RSS (Linux: clear_refs 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


# --- exports ---------------------------------------------------------------------------------


def api_export(api: str, pid: int, params: dict[str, str], gzip: bool) -> dict[str, float]:
    """One export through the API: articles/s, and the process's RSS before and at its peak."""
    reset_peak(pid)
    before = _status_bytes(pid, "VmRSS")
    headers = {"Accept-Encoding": "gzip" if gzip else "identity"}
    separator = b"\r\n" if params.get("format") == "csv" else b"\n"
    lines = 0
    received = 0
    carried = b""
    started = time.perf_counter()
    with httpx.stream(
        "GET", f"{api}/search/export", params=params, headers=headers, timeout=120
    ) as response:
        response.raise_for_status()
        expected = int(response.headers["x-total-count"])
        inflate = zlib.decompressobj(31) if gzip else None
        for chunk in response.iter_raw():
            received += len(chunk)
            data = inflate.decompress(chunk) if inflate is not None else chunk
            # A CSV row ends in CRLF (a line break inside a quoted field is a bare LF here),
            # which two chunks may share: count across the boundary.
            lines += (carried + data).count(separator)
            carried = (carried + data)[-(len(separator) - 1) :] if len(separator) > 1 else b""
    seconds = time.perf_counter() - started
    records = lines - (1 if params.get("format") == "csv" else 0)
    if records != expected:
        raise SystemExit(f"exported {records} records, X-Total-Count said {expected}")
    return {
        "articles": records,
        "seconds": seconds,
        "articles_per_s": records / seconds,
        "mib_sent": received / 2**20,
        "rss_before_mib": before / 2**20,
        "rss_peak_mib": _status_bytes(pid, "VmHWM") / 2**20,
    }


def direct_walk(meili_url: str, key: str, uid: str) -> dict[str, float]:
    """The keyset walk the export makes, straight to Meilisearch (parsed, not written out)."""
    from app.search.export import PAGE_SIZE
    from app.search.filters import Cursor, Order, cursor_clause
    from app.search.schemas import PUBLIC_FIELDS
    from app.search.service import DOCUMENT_FIELD

    fields = [DOCUMENT_FIELD.get(f, f) for f in PUBLIC_FIELDS] + ["published_at"]
    headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}
    total = 0
    after: Cursor | None = None
    started = time.perf_counter()
    with httpx.Client(base_url=meili_url, headers=headers, timeout=120) as client:
        while True:
            clauses = ["duplicate_of IS NULL"]
            if after is not None:
                clauses.append(cursor_clause(after, Order.NEWEST))
            body = {
                "q": "",
                "filter": clauses,
                "sort": ["published_at:desc", "id:desc"],
                "limit": PAGE_SIZE,
                "matchingStrategy": "all",
                "attributesToRetrieve": fields,
            }
            response = client.post(f"/indexes/{uid}/search", json=body)
            response.raise_for_status()
            hits = response.json()["hits"]
            total += len(hits)
            if len(hits) < PAGE_SIZE:
                break
            after = Cursor(published_at=hits[-1]["published_at"], id=hits[-1]["id"])
    seconds = time.perf_counter() - started
    return {"articles": total, "seconds": seconds, "articles_per_s": total / seconds}


def measure(api: str, pid: int, meili: Any, uid: str, runs: int) -> dict[str, Any]:
    ndjson = [api_export(api, pid, {"format": "ndjson"}, gzip=False) for _ in range(runs)]
    direct = [direct_walk(meili.url, meili.master_key, uid) for _ in range(runs)]
    as_csv = api_export(api, pid, {"format": "csv"}, gzip=False)
    packed = api_export(api, pid, {"format": "ndjson"}, gzip=True)
    api_rate = statistics.median(run["articles_per_s"] for run in ndjson)
    direct_rate = statistics.median(run["articles_per_s"] for run in direct)
    return {
        "articles": ndjson[0]["articles"],
        "ndjson_articles_per_s_median": round(api_rate),
        "direct_meili_walk_articles_per_s_median": round(direct_rate),
        "ratio_api_to_direct": round(api_rate / direct_rate, 2),
        "ndjson_seconds": [round(run["seconds"], 1) for run in ndjson],
        "ndjson_mib_sent": round(ndjson[0]["mib_sent"], 1),
        "csv_articles_per_s": round(as_csv["articles_per_s"]),
        "gzip_ndjson_articles_per_s": round(packed["articles_per_s"]),
        "gzip_mib_sent": round(packed["mib_sent"], 1),
        "api_rss_before_mib": round(ndjson[0]["rss_before_mib"], 1),
        "api_rss_peak_mib_ndjson": [round(run["rss_peak_mib"], 1) for run in ndjson],
        "api_rss_peak_mib_csv": round(as_csv["rss_peak_mib"], 1),
        "api_rss_peak_mib_gzip": round(packed["rss_peak_mib"], 1),
    }


def run(copies: int, runs: int, indexing_threads: int, limit: int | None) -> dict[str, Any]:
    from app import migrate
    from app.search.client import build_client
    from app.search.index_settings import ensure_index
    from app.search.meili_process import MeiliProcess

    workdir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    database_url = f"sqlite:///{workdir / 'archive.db'}"
    results: dict[str, Any] = {}
    try:
        migrate.upgrade(database_url)
        rows = reuters_rows()[:limit]
        extra = (f"--max-indexing-threads={indexing_threads}",)
        with MeiliProcess(workdir / "meili", extra_args=extra) as meili:
            uid = "articles"
            with build_client(meili.url, meili.master_key, timeout=60) as client:
                ensure_index(client, uid)
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "DATA_DIR": str(workdir),
                "MEILI_URL": meili.url,
                "MEILI_MASTER_KEY": meili.master_key,
                "MEILI_INDEX": uid,
                "RATE_LIMIT_READS_PER_MINUTE": "0",
                "LOG_LEVEL": "WARNING",
                "ENTITY_EXTRACTION_ENABLED": "false",
            }
            started = time.perf_counter()
            stored = add_articles(
                database_url, meili.url, meili.master_key, uid, copies_of(rows, 0, 1)
            )
            results["reuters_build_seconds"] = round(time.perf_counter() - started, 1)
            port = free_port()
            server = start_api(env, port, workers=1)
            api = f"http://127.0.0.1:{port}"
            try:
                api_export(api, server.pid, {"format": "ndjson", "q": "warm"}, gzip=False)
                print(f"measuring exports of {stored} articles", file=sys.stderr)
                results["reuters"] = measure(api, server.pid, meili, uid, runs)
                print(json.dumps(results["reuters"]), file=sys.stderr)
                started = time.perf_counter()
                stored += add_articles(
                    database_url,
                    meili.url,
                    meili.master_key,
                    uid,
                    copies_of(rows, 1, copies - 1),
                )
                results["large_build_seconds"] = round(time.perf_counter() - started, 1)
                print(f"measuring exports of {stored} articles", file=sys.stderr)
                results["large"] = measure(api, server.pid, meili, uid, runs)
            finally:
                server.terminate()
                server.wait(timeout=30)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    reuters, large = results["reuters"], results["large"]
    results["rss_growth_mib_reuters"] = round(
        max(reuters["api_rss_peak_mib_ndjson"]) - reuters["api_rss_before_mib"], 1
    )
    results["rss_growth_mib_large"] = round(
        max(large["api_rss_peak_mib_ndjson"]) - large["api_rss_before_mib"], 1
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--copies",
        type=int,
        default=10,
        help="times the corpus is stored for the large archive (10: 208,410 articles)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="use only the first N Reuters articles (a quick check)",
    )
    parser.add_argument("--runs", type=int, default=3, help="NDJSON exports per archive size")
    parser.add_argument(
        "--indexing-threads", type=int, default=1, help="Meilisearch --max-indexing-threads"
    )
    args = parser.parse_args()
    if not REUTERS.is_dir():
        raise SystemExit(
            f"Reuters-21578 not found at {REUTERS}; this benchmark needs ../shared/data"
        )
    results = run(args.copies, args.runs, args.indexing_threads, args.limit)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
