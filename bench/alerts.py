"""Saved-search matching cost per new article, with 1,000 saved searches, against a real
Meilisearch holding Reuters-21578 articles (../shared/data).

In one run: store and index the first --archive articles, save 1,000 searches (single words,
two-word queries, tag filters, words with a source filter, drawn from the corpus), then add
new articles in batches and time, per batch, indexing it (the baseline: what every write
already costs) and matching it against every search. The archive is then grown to twice its
size (searches paused, so nothing is matched) and the same batches are timed again: matching
asks Meilisearch only about the new ids, so its cost should not follow the archive's size.
Prints medians.

    .venv/bin/python -m bench.alerts [--archive 1500] [--searches 1000] [--batch 100] [--rounds 3]
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from app.paths import SHARED_DATA

REUTERS = SHARED_DATA / "reuters21578"


def reuters_payloads(count: int) -> list[dict[str, Any]]:
    from app.ingestion.reuters import iter_reuters, to_parsed_article

    payloads = []
    for record in iter_reuters(REUTERS):
        payload = to_parsed_article(record).to_article_payload()
        payload.pop("entities", None)
        payloads.append(payload)
        if len(payloads) >= count:
            break
    return payloads


def store(engine: Any, payloads: list[dict[str, Any]]) -> None:
    from sqlmodel import Session

    from app.articles import service
    from app.articles.schemas import ArticleCreate

    with Session(engine, expire_on_commit=False) as session:
        for payload in payloads:
            service.upsert(
                session=session, data=ArticleCreate.model_validate(payload), extract=False
            )


def searches_from(payloads: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    rng = random.Random(14)
    words = sorted(
        {w.lower() for p in payloads for w in p["title"].split() if w.isalpha() and len(w) > 4}
    )
    tags = sorted({t for p in payloads for t in p["tags"]})
    made: list[dict[str, Any]] = []
    for n in range(count):
        kind = n % 20
        if kind < 14:
            made.append({"q": rng.choice(words)})
        elif kind < 17:
            made.append({"q": f"{rng.choice(words)} {rng.choice(words)}"})
        elif kind < 19:
            made.append({"tag": [rng.choice(tags)]})
        else:
            made.append({"q": rng.choice(words), "source": ["Reuters"]})
    return made


def set_active(engine: Any, active: bool) -> None:
    import sqlalchemy as sa
    from sqlmodel import Session

    from app.alerts.models import SavedSearch

    with Session(engine) as session:
        session.execute(sa.update(SavedSearch).values(active=active))
        session.commit()


def time_batches(
    engine: Any, sync: Any, matcher: Any, batches: list[list[dict[str, Any]]]
) -> tuple[list[float], list[float], int]:
    """Per batch: indexing ms per article, matching ms per article; and matches stored."""
    from app.alerts import matching
    from app.search.sync import drain

    index_ms, match_ms, stored = [], [], 0
    for batch in batches:
        store(engine, batch)
        started = time.perf_counter()
        drain(sync)
        index_ms.append((time.perf_counter() - started) * 1000 / len(batch))
        started = time.perf_counter()
        stored += matching.drain(matcher)
        match_ms.append((time.perf_counter() - started) * 1000 / len(batch))
    return index_ms, match_ms, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=int, default=1500)
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not REUTERS.exists():
        print(f"skipped: {REUTERS} is absent", file=sys.stderr)
        return

    from sqlmodel import Session

    from app import migrate
    from app.alerts.models import SavedSearch
    from app.alerts.service import stored_params
    from app.alerts.worker import build_matcher
    from app.config import Settings
    from app.db import make_engine
    from app.search.backend import build_backend
    from app.search.meili_process import MeiliProcess
    from app.search.schemas import SearchParams
    from app.search.sync import drain

    new_per_size = args.batch * args.rounds
    total = 2 * args.archive + 2 * new_per_size
    print(f"reading {total} Reuters articles", file=sys.stderr)
    payloads = reuters_payloads(total)
    first, first_new = (
        payloads[: args.archive],
        payloads[args.archive : args.archive + new_per_size],
    )
    rest = payloads[args.archive + new_per_size :]
    growth, second_new = rest[: args.archive], rest[args.archive : args.archive + new_per_size]

    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp:
        root = Path(tmp)
        meili = MeiliProcess(root / "meili", extra_args=("--max-indexing-threads=1",))
        meili.start()
        try:
            database_url = f"sqlite:///{root / 'archive.db'}"
            migrate.upgrade(database_url)
            settings = Settings(
                _env_file=None,
                DATABASE_URL=database_url,
                DATA_DIR=root,
                MEILI_URL=meili.url,
                MEILI_MASTER_KEY=meili.master_key,
                SYNC_WORKER_ENABLED=False,
                SYNC_BATCH_SIZE=10_000,
                LOG_LEVEL="WARNING",
            )
            engine = make_engine(settings)
            backend = build_backend(settings, engine)
            assert backend is not None
            print(f"storing and indexing {len(first)} articles", file=sys.stderr)
            store(engine, first)
            drain(backend.sync, timeout=None)
            with Session(engine) as session:
                for params in searches_from(payloads, args.searches):
                    session.add(
                        SavedSearch(
                            uid=uuid.uuid4().hex,
                            name="bench",
                            params=stored_params(SearchParams.model_validate(params)),
                            feed_enabled=True,
                        )
                    )
                session.commit()
            matcher = build_matcher(settings, engine, backend.client)
            batches = [first_new[i : i + args.batch] for i in range(0, new_per_size, args.batch)]
            print(f"matching {args.rounds} batches of {args.batch}", file=sys.stderr)
            small_index, small_match, small_stored = time_batches(
                engine, backend.sync, matcher, batches
            )

            print(f"growing the archive by {len(growth)} (searches paused)", file=sys.stderr)
            set_active(engine, False)
            store(engine, growth)
            drain(backend.sync, timeout=None)
            set_active(engine, True)
            batches = [second_new[i : i + args.batch] for i in range(0, new_per_size, args.batch)]
            big_index, big_match, big_stored = time_batches(engine, backend.sync, matcher, batches)
            backend.close()
            engine.dispose()
        finally:
            meili.stop()

    def line(label: str, index_ms: list[float], match_ms: list[float], stored: int) -> str:
        index_median, match_median = statistics.median(index_ms), statistics.median(match_ms)
        return (
            f"{label}: matching {match_median:.2f} ms per new article "
            f"({match_median * 1000 / args.searches:.2f} µs per article × search), "
            f"indexing {index_median:.2f} ms per article (matching / indexing "
            f"{match_median / index_median:.2f}), {stored} matches"
        )

    print(
        f"{args.searches} saved searches, batches of {args.batch} new articles, "
        f"medians of {args.rounds}:"
    )
    print(line(f"archive of {len(first)}", small_index, small_match, small_stored))
    size = len(first) + new_per_size + len(growth)
    print(line(f"archive of {size}", big_index, big_match, big_stored))
    print(
        "archive-size effect on matching: "
        f"{statistics.median(big_match) / statistics.median(small_match):.2f}x"
    )


if __name__ == "__main__":
    main()
