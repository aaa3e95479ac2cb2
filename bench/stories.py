"""Story clusters: quality on real corpora, and cost per article as the archive grows.

`quality`: each corpus is clustered by the archive's own code (app.stories.clustering.assign,
in chunks of 64 new articles per transaction, as `newsarchive import` stores them) in a fresh
SQLite database under a temp directory, and the clusters are scored pairwise against a ground
truth: precision = true pairs found / pairs found, recall = true pairs found / true pairs.

- BBC (2,225 articles, keyed by external id `bbc:section/number`): true pairs are articles
  with the same body (whitespace aside).
- Reuters-21578 (keyed `r` + NEWID): true pairs are records with the same body.
- Both corpora also hold re-posts, corrections, repeated and updated bulletins that no label
  marks, so both are scored a second time against a corrected gold: the labels plus the pairs
  read by hand as one story (bench/stories_gold.py, bench/stories_gold.tsv). Found pairs in
  neither the labels nor the reviews count as errors and are written to --unreviewed for
  reading; a sample of the pairs beyond the labels is printed (--sample).
- AllSides, synthetic: every article once, plus --copies edited copies of randomly chosen
  articles. Every copy has 5-20 % of its words replaced by other words of the corpus, and
  each of these edits with probability 1/2: a new headline (its words shuffled, one added),
  a boilerplate paragraph added at the top or the bottom, one paragraph dropped (of three or
  more); its date is the original's plus 0-48 hours. True pairs: an original and its copies.
  The input order is shuffled, so copies often come before their original.

`cost`: a background archive of N generated articles (the texts of the three corpora, each
use of a text with half its words replaced by random corpus words and its date moved by up
to five years, so the background resembles news but rarely near-duplicates itself) is
stored with its band rows; then --probes articles (AllSides originals and edited copies)
are clustered one per transaction against it, as API writes are, and rolled back. Reported:
median and p90 ms per article at each size (target: flat), and the band rows stored.

`import`: throughput of `newsarchive import` (the Importer the command runs, entities found
in this process) on --articles AllSides files, with CLUSTERING_ENABLED=true against false
(extraction alone), each run into a fresh SQLite database, the two settings alternating so
drift of the shared machine falls on both. The spaCy model is loaded once before the first
run. Reported: articles/s per run, medians, and their ratio (target >= 0.8); and, as a check
less exposed to other load, the median share of the runs with clustering spent inside
`clustering.assign` (1 - share is the ratio those runs imply).

`sample`: random multi-member clusters of a `quality --clusters` file, per corpus, each
member's headline and first words printed side by side for reading by hand; the verdicts
(ids only, with the sample's seed) are in bench/stories_gold_clusters.tsv. A new check of a new
version takes a new --sample-seed.

Run:  .venv/bin/python -m bench.stories quality [--copies 800] [--sample 20] [--seed 1]
          [--similarity 0.3] [--only bbc|reuters|allsides] [--unreviewed FILE] [--clusters FILE]
      .venv/bin/python -m bench.stories sample FILE [--per-corpus 60] [--sample-seed 20261201]
      .venv/bin/python -m bench.stories cost [--sizes 20000 200000] [--probes 300]
      .venv/bin/python -m bench.stories import [--articles 300] [--runs 3]
Data: ../shared/data (read in place; only titles are printed).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app import migrate
from app.config import Settings, get_settings
from app.db import make_engine
from app.entities.extract import default_extractor
from app.ingestion.importer import Importer, ImportOptions
from app.ingestion.sources import Format, discover
from app.paths import SHARED_DATA
from app.stories import clustering, minhash
from bench import stories_gold as gold

CHUNK = 64
TARGET = 0.95
BOILERPLATE = (
    "Sign up for our daily newsletter to get the top stories delivered to your inbox every "
    "morning. Follow us for breaking news and analysis.",
    "Copyright 2020 The Daily Herald. All rights reserved. This material may not be published, "
    "broadcast, rewritten or redistributed without permission.",
    "Advertisement. Continue reading the main story below. Related coverage: more from our "
    "politics desk, videos and photos from the campaign trail.",
)


@dataclass(frozen=True)
class Doc:
    key: str
    title: str
    body: str
    published_at: datetime | None
    source: str | None
    #: Ground-truth group; None: a story of its own.
    group: str | None = None


# --- corpora --------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split())


def bbc_docs() -> list[Doc]:
    from app.ingestion.bbc import iter_bbc

    docs = []
    for parsed in iter_bbc(SHARED_DATA / "bbc"):
        docs.append(Doc(str(parsed.external_id), parsed.title, parsed.body, None, parsed.source))
    return _group_by_body(docs)


def reuters_docs() -> list[Doc]:
    from app.ingestion.parsed import ParseError
    from app.ingestion.reuters import iter_reuters, to_parsed_article

    docs = []
    for record in iter_reuters(SHARED_DATA / "reuters21578"):
        try:
            parsed = to_parsed_article(record)
        except ParseError:
            continue
        docs.append(
            Doc(f"r{record.newid}", parsed.title, parsed.body, parsed.published_at, "Reuters")
        )
    return _group_by_body(docs)


def _group_by_body(docs: list[Doc]) -> list[Doc]:
    by_body: dict[str, list[int]] = defaultdict(list)
    for index, doc in enumerate(docs):
        by_body[_norm(doc.body)].append(index)
    grouped = list(docs)
    for indexes in by_body.values():
        if len(indexes) > 1:
            for index in indexes:
                doc = docs[index]
                grouped[index] = Doc(
                    doc.key, doc.title, doc.body, doc.published_at, doc.source, f"b{indexes[0]}"
                )
    return grouped


def allsides_originals() -> list[Doc]:
    from app.ingestion.allsides import iter_allsides

    return [
        Doc(f"a{n}", p.title, p.body, p.published_at, p.source)
        for n, p in enumerate(iter_allsides(SHARED_DATA / "allsides" / "jsons"))
    ]


def edited_copy(doc: Doc, n: int, rng: random.Random, vocabulary: Sequence[str]) -> Doc:
    title, paragraphs = doc.title, [p for p in doc.body.split("\n") if p.strip()]
    if rng.random() < 0.5 and len(paragraphs) >= 3:
        del paragraphs[rng.randrange(len(paragraphs))]
    if rng.random() < 0.5:
        boilerplate = rng.choice(BOILERPLATE)
        paragraphs = (
            [boilerplate, *paragraphs] if rng.random() < 0.5 else [*paragraphs, boilerplate]
        )
    if rng.random() < 0.5:
        words = title.split()
        rng.shuffle(words)
        title = " ".join([*words, rng.choice(("update", "report", "latest", "analysis"))])
    share = rng.uniform(0.05, 0.20)
    body = "\n".join(
        " ".join(rng.choice(vocabulary) if rng.random() < share else w for w in p.split(" "))
        for p in paragraphs
    )
    published = doc.published_at + timedelta(hours=rng.uniform(0, 48)) if doc.published_at else None
    return Doc(f"{doc.key}.copy{n}", title, body, published, f"copy{n}", doc.key)


def allsides_synthetic(copies: int, rng: random.Random) -> list[Doc]:
    originals = allsides_originals()
    vocabulary = [w for doc in originals[:500] for w in doc.body.split()]
    chosen = rng.sample(originals, min(copies, len(originals)))
    edited = []
    for n, doc in enumerate(chosen):
        for copy_number in range(rng.choice((1, 1, 2, 3))):
            edited.append(edited_copy(doc, n * 10 + copy_number, rng, vocabulary))
    groups = {copy.group for copy in edited}
    docs = [
        Doc(d.key, d.title, d.body, d.published_at, d.source, d.key if d.key in groups else None)
        for d in originals
    ] + edited
    rng.shuffle(docs)
    return docs


# --- clustering through the archive's code ------------------------------------------------


def _settings(directory: Path) -> Settings:
    return Settings(
        _env_file=None, DATA_DIR=directory, DATABASE_URL=f"sqlite:///{directory}/bench.db"
    )


def _row(doc: Doc, now: datetime) -> dict[str, object]:
    return {
        "title": doc.title[:1000],
        "body": doc.body,
        "summary": None,
        "source": doc.source,
        "published_at": doc.published_at,
        "language": "en",
        "authors": [],
        "tags": [],
        "related_titles": [],
        "content_hash": "",
        "created_at": now,
        "updated_at": now,
    }


def cluster_docs(
    docs: Sequence[Doc], config: clustering.ClusterConfig
) -> tuple[dict[str, int], float]:
    """Each doc's cluster id, clustered in input order in chunks; and seconds taken."""
    with tempfile.TemporaryDirectory() as directory:
        settings = _settings(Path(directory))
        migrate.upgrade(settings.DATABASE_URL)
        engine = make_engine(settings)
        articles = clustering.ARTICLES
        ids: dict[str, int] = {}
        started = time.perf_counter()
        now = datetime.now(UTC)
        for start in range(0, len(docs), CHUNK):
            chunk = docs[start : start + CHUNK]
            with Session(engine) as session:
                inserted = session.execute(
                    sa.insert(articles).returning(articles.c.id, sort_by_parameter_order=True),
                    [_row(doc, now) for doc in chunk],
                )
                chunk_ids = list(inserted.scalars())
                clustering.assign(
                    session=session,
                    texts=[
                        clustering.StoryText(
                            i, doc.title[:1000], None, doc.body, doc.published_at, doc.source
                        )
                        for i, doc in zip(chunk_ids, chunk, strict=True)
                    ],
                    config=config,
                    requeue=False,
                )
                session.commit()
            ids.update((doc.key, i) for doc, i in zip(chunk, chunk_ids, strict=True))
        seconds = time.perf_counter() - started
        with engine.connect() as connection:
            cluster_of = dict(
                connection.execute(sa.select(articles.c.id, articles.c.cluster_id)).all()
            )
        engine.dispose()
    return {key: cluster_of[i] for key, i in ids.items()}, seconds


@dataclass
class Score:
    name: str
    docs: int
    seconds: float
    found: set[tuple[str, str]]
    truth: set[tuple[str, str]]

    @property
    def hits(self) -> int:
        return len(self.found & self.truth)

    @property
    def precision(self) -> float:
        return self.hits / len(self.found) if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.hits / len(self.truth) if self.truth else 1.0

    def line(self, label: str) -> str:
        return (
            f"{self.name:20} {label:14} true pairs {len(self.truth):5}  found {len(self.found):5}"
            f"  precision {self.precision:.3f}  recall {self.recall:.3f}"
        )


def score(
    name: str, docs: Sequence[Doc], config: clustering.ClusterConfig
) -> tuple[Score, dict[str, list[str]], list[list[str]]]:
    """The clusters scored against the labels; the labelled groups; the clusters' keys."""
    cluster_of, seconds = cluster_docs(docs, config)
    truth: dict[str, list[str]] = defaultdict(list)
    found: dict[int, list[str]] = defaultdict(list)
    for doc in docs:
        if doc.group is not None:
            truth[doc.group].append(doc.key)
        found[cluster_of[doc.key]].append(doc.key)
    result = Score(
        name, len(docs), seconds, gold.pairs_of(found.values()), gold.pairs_of(truth.values())
    )
    return result, truth, list(found.values())


def _corrected(
    corpus: str, result: Score, labelled: dict[str, list[str]], unreviewed_out: Any
) -> None:
    """The same clusters against the labels corrected by the pairs read by hand."""
    reviews = gold.load(corpus)
    corrected = Score(
        result.name,
        result.docs,
        result.seconds,
        result.found,
        gold.corrected(labelled.values(), reviews),
    )
    different = {review.pair for review in reviews if not review.same}
    unreviewed = sorted(result.found - corrected.truth - different)
    print(
        f"{corrected.line('corrected gold')}  ({len(reviews)} pairs read; "
        f"{len(unreviewed)} found pairs unread, counted as errors)"
    )
    if unreviewed_out is not None:
        for first, second in unreviewed:
            unreviewed_out.write(f"{corpus}\t{first}\t{second}\n")


def _corpora(copies: int, rng: random.Random) -> list[tuple[str, list[Doc]]]:
    # Read in this order whatever --only says: the synthetic copies take the same draws of rng.
    return [
        ("bbc", bbc_docs()),
        ("reuters", reuters_docs()),
        ("allsides+synthetic", allsides_synthetic(copies, rng)),
    ]


def quality(args: argparse.Namespace) -> None:
    config = clustering.ClusterConfig(similarity=args.similarity)
    rng = random.Random(args.seed)
    print(
        f"similarity >= {config.similarity}, window {config.window}, {minhash.BANDS} bands of {minhash.ROWS}"
    )
    corpora = _corpora(args.copies, rng)
    clusters_out = open(args.clusters, "w", encoding="utf-8") if args.clusters else None  # noqa: SIM115
    unreviewed_out = open(args.unreviewed, "w", encoding="utf-8") if args.unreviewed else None  # noqa: SIM115
    try:
        for name, docs in corpora:
            if args.only is not None and not name.startswith(args.only):
                continue
            result, labelled, groups = score(name, docs, config)
            if clusters_out is not None:
                for members in sorted(sorted(m) for m in groups if len(m) > 1):
                    clusters_out.write(f"{name}\t{' '.join(members)}\n")
            print(
                f"{result.line('labels')}  ({result.seconds / result.docs * 1000:.2f} ms/article)"
            )
            if name in ("bbc", "reuters"):
                _corrected(name, result, labelled, unreviewed_out)
            by_key = {doc.key: doc for doc in docs}
            extra = sorted(result.found - result.truth)
            for first, second in rng.sample(extra, min(args.sample, len(extra))):
                a, b = by_key[first], by_key[second]
                print(
                    f"    extra pair: {first} {a.published_at:%Y-%m-%d} {a.title[:60]!r}"
                    if a.published_at
                    else f"    extra pair: {first} {a.title[:60]!r}"
                )
                print(f"            vs: {second} {b.title[:60]!r}")
    finally:
        for out in (unreviewed_out, clusters_out):
            if out is not None:
                out.close()


def sample(args: argparse.Namespace) -> None:
    """Random multi-member clusters of a --clusters file, each member's headline and first
    words printed side by side for reading (to the terminal only: corpus text stays out of
    the repository; verdicts go to bench/stories_gold_clusters.tsv by sample number)."""
    by_corpus: dict[str, list[list[str]]] = defaultdict(list)
    with args.clusters.open(encoding="utf-8") as handle:
        for line in handle:
            name, members = line.rstrip("\n").split("\t")
            by_corpus[name].append(members.split(" "))
    docs = {
        doc.key: doc
        for _, corpus in _corpora(args.copies, random.Random(args.seed))
        for doc in corpus
    }
    for name, clusters in by_corpus.items():
        if args.only is not None and not name.startswith(args.only):
            continue
        chosen = random.Random(args.sample_seed).sample(
            sorted(clusters), min(args.per_corpus, len(clusters))
        )
        print(f"# {name}: {len(clusters)} multi-member clusters, {len(chosen)} sampled")
        for number, members in enumerate(chosen, 1):
            print(f"[{number}] {' '.join(members)}")
            seen: dict[str, str] = {}
            for key in members[:6]:
                doc, body = docs[key], _norm(docs[key].body)
                date = f" {doc.published_at:%Y-%m-%d %H:%M}" if doc.published_at else ""
                twin = next((other for other, text in seen.items() if text == body), None)
                seen[key] = body
                print(f"   {key}{date} | {doc.title[:70]}")
                print(
                    f"      (body identical to {twin})" if twin else f"      {body[: args.width]}"
                )
            if len(members) > 6:
                print(f"   ... {len(members) - 6} more")


# --- cost per article -----------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _background(n: int, bases: Sequence[Doc], vocabulary: Sequence[str], rng: random.Random) -> Doc:
    base = bases[n % len(bases)]
    words = [rng.choice(vocabulary) if rng.random() < 0.5 else w for w in _WORD.findall(base.body)]
    published = (base.published_at or datetime(2000, 1, 1, tzinfo=UTC)) + timedelta(
        days=rng.uniform(-1800, 1800)
    )
    return Doc(f"bg{n}", base.title, " ".join(words), published, "background")


def _fill(engine: sa.Engine, docs: Sequence[Doc]) -> None:
    articles, bands = clustering.ARTICLES, clustering.BANDS
    now = datetime.now(UTC)
    with Session(engine) as session:
        inserted = session.execute(
            sa.insert(articles).returning(articles.c.id, sort_by_parameter_order=True),
            [_row(doc, now) for doc in docs],
        )
        ids = list(inserted.scalars())
        session.execute(
            sa.update(articles)
            .where(articles.c.id == sa.bindparam("i"))
            .values(cluster_id=sa.bindparam("i"), cluster_size=1),
            [{"i": i} for i in ids],
        )
        rows = [
            {"band_key": key, "article_id": i}
            for i, doc in zip(ids, docs, strict=True)
            for key in dict.fromkeys(minhash.Fingerprint.of(doc.title, None, doc.body).keys)
        ]
        session.execute(sa.insert(bands), rows)
        session.commit()


def cost(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    bases = reuters_docs() + bbc_docs() + allsides_originals()
    vocabulary = [w for doc in bases[:3000] for w in _WORD.findall(doc.body)]
    probes = allsides_synthetic(args.probes, rng)[: args.probes]
    config = clustering.ClusterConfig()
    with tempfile.TemporaryDirectory() as directory:
        settings = _settings(Path(directory))
        migrate.upgrade(settings.DATABASE_URL)
        engine = make_engine(settings)
        stored = 0
        for size in sorted(args.sizes):
            started = time.perf_counter()
            while stored < size:
                count = min(2000, size - stored)
                _fill(
                    engine, [_background(stored + i, bases, vocabulary, rng) for i in range(count)]
                )
                stored += count
            filled = time.perf_counter() - started
            timings = []
            for probe in probes:
                with Session(engine) as session:
                    began = time.perf_counter()
                    [probe_id] = session.execute(
                        sa.insert(clustering.ARTICLES).returning(clustering.ARTICLES.c.id),
                        [_row(probe, datetime.now(UTC))],
                    ).scalars()
                    clustering.assign(
                        session=session,
                        texts=[
                            clustering.StoryText(
                                probe_id,
                                probe.title,
                                None,
                                probe.body,
                                probe.published_at,
                                probe.source,
                            )
                        ],
                        config=config,
                        requeue=True,
                    )
                    session.flush()
                    timings.append(time.perf_counter() - began)
                    session.rollback()
            with engine.connect() as connection:
                band_rows = connection.execute(
                    sa.select(sa.func.count()).select_from(clustering.BANDS)
                ).scalar()
            timings.sort()
            print(
                f"archive {size:7} articles ({band_rows} band rows, filled in {filled:.0f} s): "
                f"clustering one article median {statistics.median(timings) * 1000:.2f} ms, "
                f"p90 {timings[int(len(timings) * 0.9)] * 1000:.2f} ms over {len(timings)} writes"
            )
        engine.dispose()


# --- import throughput ----------------------------------------------------------------------

IMPORT_TARGET = 0.8


def _import_once(sample: Path, clustering_on: bool) -> tuple[int, float, float]:
    """Articles created, seconds taken and seconds of those spent clustering, by one import
    of `sample` into a fresh database."""
    assign = clustering.assign
    spent = 0.0

    def timed_assign(**kwargs: Any) -> dict[int, int]:
        nonlocal spent
        began = time.perf_counter()
        try:
            return assign(**kwargs)
        finally:
            spent += time.perf_counter() - began

    # Timed where the importer calls it: the share of a run clustering takes moves less with
    # how busy the shared machine is than the lengths of separate runs do.
    clustering.assign = timed_assign
    try:
        created, seconds = _import_into_fresh_database(sample, clustering_on)
    finally:
        clustering.assign = assign
    return created, seconds, spent


def _import_into_fresh_database(sample: Path, clustering_on: bool) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as directory:
        settings = _settings(Path(directory))
        migrate.upgrade(settings.DATABASE_URL)
        os.environ["CLUSTERING_ENABLED"] = "true" if clustering_on else "false"
        get_settings.cache_clear()
        assert clustering.current_config().enabled is clustering_on
        engine = make_engine(settings)
        try:
            report = Importer(engine=engine, options=ImportOptions(format=Format.allsides)).run(
                discover([sample], Format.allsides)
            )
        finally:
            engine.dispose()
    return report.total.created, report.seconds


def import_cost(args: argparse.Namespace) -> None:
    files = sorted((SHARED_DATA / "allsides" / "jsons").glob("*.json"))
    chosen = random.Random(args.seed).sample(files, min(args.articles, len(files)))
    saved = os.environ.get("CLUSTERING_ENABLED")
    with tempfile.TemporaryDirectory() as directory:
        sample = Path(directory) / "allsides"
        (sample / "jsons").mkdir(parents=True)
        for path in chosen:
            (sample / "jsons" / path.name).symlink_to(path)
        print(f"loading the entity model; importing {len(chosen)} AllSides articles per run")
        default_extractor().nlp  # noqa: B018 - loaded once, outside every timed run
        rates: dict[bool, list[float]] = {False: [], True: []}
        shares: list[float] = []
        try:
            for run in range(args.runs):
                order = (False, True) if run % 2 == 0 else (True, False)
                for clustering_on in order:
                    created, seconds, spent = _import_once(sample, clustering_on)
                    rates[clustering_on].append(created / seconds)
                    if clustering_on:
                        shares.append(spent / seconds)
                    print(
                        f"run {run + 1} clustering {'on ' if clustering_on else 'off'}: "
                        f"{created} articles in {seconds:.2f} s = {created / seconds:.1f}/s"
                        + (f", {spent:.2f} s of it clustering" if clustering_on else ""),
                        flush=True,
                    )
        finally:
            if saved is None:
                os.environ.pop("CLUSTERING_ENABLED", None)
            else:
                os.environ["CLUSTERING_ENABLED"] = saved
            get_settings.cache_clear()
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    print(
        f"median articles/s: extraction alone {off:.1f}, with clustering {on:.1f}; "
        f"ratio {on / off:.3f} (target >= {IMPORT_TARGET})"
    )
    share = statistics.median(shares)
    print(
        f"median share of an import spent clustering {share:.3f}: throughput ratio "
        f"{1 - share:.3f} as measured inside the runs"
    )


def main(argv: Sequence[str] | None = None) -> None:
    if not SHARED_DATA.is_dir():
        print(f"skipped: the corpora are not at {SHARED_DATA}")
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    q = commands.add_parser("quality")
    q.add_argument("--copies", type=int, default=800, help="AllSides articles given copies")
    q.add_argument("--sample", type=int, default=20, help="extra pairs printed per corpus")
    q.add_argument("--seed", type=int, default=1)
    q.add_argument(
        "--similarity",
        type=float,
        default=clustering.ClusterConfig().similarity,
        help="least Jaccard similarity (CLUSTER_SIMILARITY); default the setting's default",
    )
    q.add_argument("--only", choices=("bbc", "reuters", "allsides"), help="one corpus")
    q.add_argument(
        "--unreviewed", type=Path, help="write the found pairs no label or review covers (TSV)"
    )
    q.add_argument("--clusters", type=Path, help="write every multi-member cluster's keys (TSV)")
    r = commands.add_parser("sample")
    r.add_argument("clusters", type=Path, help="a file written by quality --clusters")
    r.add_argument("--per-corpus", type=int, default=60)
    r.add_argument("--sample-seed", type=int, default=20261201)
    r.add_argument("--copies", type=int, default=800, help="as given to quality")
    r.add_argument("--seed", type=int, default=1, help="as given to quality")
    r.add_argument("--only", choices=("bbc", "reuters", "allsides"), help="one corpus")
    r.add_argument("--width", type=int, default=200, help="characters of each body printed")
    c = commands.add_parser("cost")
    c.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    c.add_argument("--probes", type=int, default=300)
    c.add_argument("--seed", type=int, default=1)
    i = commands.add_parser("import")
    i.add_argument("--articles", type=int, default=300, help="AllSides files per run")
    i.add_argument("--runs", type=int, default=3, help="runs of each setting")
    i.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    {"quality": quality, "sample": sample, "cost": cost, "import": import_cost}[args.command](args)


if __name__ == "__main__":
    main(sys.argv[1:])
