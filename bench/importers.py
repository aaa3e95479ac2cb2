"""Importers on several hosts: N `newsarchive import --index` at once against one PostgreSQL
and one Meilisearch, against one importer with N extraction processes, in the same run.

Reuters-21578's files are dealt to N shards (round robin); with --overlap each shard also
takes the next shard's first file, so some articles reach two importers at once, as when
feeds overlap. Each importer runs as its own process with its own DATA_DIR and
`--processes 1`, as on its own host; the baseline is one importer with `--processes N` over
the same files, on a database of its own in the same PostgreSQL cluster and an index of its
own in the same Meilisearch. Both use the same cores, so the ratio says what splitting the
work across hosts costs (or saves), not what more hosts would add.

Reported: wall time until each command ended with every article searchable, articles/s,
the ratio of the two, and the checks: distinct articles stored = index count, no duplicate
URL, the entity and alias counts of both archives.

Run:  .venv/bin/python -m bench.importers [--importers 3] [--files 6] [--overlap]
Data: Reuters-21578, Distribution 1.0 (research use; see the corpus README).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.paths import SHARED_DATA
from bench.ingest import MEILI_LIMITS, POSTGRES_SETTINGS

DEFAULT_DATA = SHARED_DATA / "reuters21578"


@dataclass
class Outcome:
    label: str
    seconds: float
    records: int
    articles: int
    indexed: int
    duplicate_urls: int
    entities: int
    aliases: int

    @property
    def per_second(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


def shards(files: list[Path], count: int, *, overlap: bool) -> list[list[Path]]:
    dealt = [files[start::count] for start in range(count)]
    if overlap:
        return [shard + dealt[(n + 1) % count][:1] for n, shard in enumerate(dealt)]
    return dealt


def _env(root: Path, url: str, meili: Any, index: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATA_DIR": str(root),
        "DATABASE_URL": url,
        "MEILI_URL": meili.url,
        "MEILI_MASTER_KEY": meili.master_key,
        "MEILI_INDEX": index,
        "SYNC_WORKER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }


def run_importers(
    label: str, jobs: list[tuple[list[Path], int]], url: str, meili: Any, root: Path
) -> Outcome:
    """Start one `newsarchive import --index` per job (files, processes) at once; wait for all."""
    index = f"bench_{label}"
    started = time.perf_counter()
    processes = []
    for n, (files, extraction_processes) in enumerate(jobs):
        data_dir = root / f"{label}-{n}"
        data_dir.mkdir()
        command = [sys.executable, "-m", "app.cli", "import", *map(str, files)]
        command += ["--format=reuters", f"--processes={extraction_processes}", "--index"]
        processes.append(
            subprocess.Popen(
                command,
                env=_env(data_dir, url, meili, index),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    print(f"{label}: {len(processes)} importer(s) started", file=sys.stderr)
    outputs = [process.communicate()[0] for process in processes]
    seconds = time.perf_counter() - started
    for process, output in zip(processes, outputs, strict=True):
        if process.returncode != 0:
            raise SystemExit(
                f"{label}: an importer failed ({process.returncode}):\n{output[-3000:]}"
            )
    return _outcome(label, seconds, outputs, url, meili, index)


def _outcome(
    label: str, seconds: float, outputs: list[str], url: str, meili: Any, index: str
) -> Outcome:
    import sqlalchemy as sa

    from app.search.client import build_client

    records = 0
    for output in outputs:
        for line in output.splitlines():
            if " records in " in line:
                records += int(line.split()[0].replace(",", ""))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as db:
            articles, urls, distinct_urls = db.execute(
                sa.text("SELECT count(*), count(url), count(DISTINCT url) FROM articles")
            ).one()
            entities = db.execute(sa.text("SELECT count(*) FROM entities")).scalar_one()
            aliases = db.execute(sa.text("SELECT count(*) FROM entity_aliases")).scalar_one()
    finally:
        engine.dispose()
    client = build_client(meili.url, meili.master_key)
    indexed = client.index(index).get_stats().number_of_documents
    return Outcome(
        label, seconds, records, articles, indexed, urls - distinct_urls, entities, aliases
    )


def main() -> None:
    from app import migrate
    from app.search.meili_process import MeiliProcess
    from tests.pg_plugin import PG_BIN, _admin, _start_cluster

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--importers", type=int, default=3)
    parser.add_argument("--files", type=int, default=6, help="Reuters files (about 1,000 each)")
    parser.add_argument("--overlap", action="store_true", help="shards share a file each")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    files = sorted(args.data.glob("reut2-*.sgm"))[: args.files]
    if not files:
        print(f"Reuters-21578 not found at {args.data}; nothing to measure.", file=sys.stderr)
        return
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"PostgreSQL binaries not found in {PG_BIN}; set PG_BIN")

    root = Path(tempfile.mkdtemp(prefix="newsarchive-importers-"))
    root.chmod(0o711)
    (root / "pg").mkdir()
    server = _start_cluster(root / "pg", POSTGRES_SETTINGS | {"max_connections": "40"})
    try:
        urls = {}
        for name in ("one", "several"):
            _admin(server, f"CREATE DATABASE {name}")
            urls[name] = server.url_for(name)
            migrate.upgrade(urls[name])
        with MeiliProcess(root / "meili", extra_args=MEILI_LIMITS) as meili:
            one = run_importers("one", [(files, args.importers)], urls["one"], meili, root)
            jobs = [(shard, 1) for shard in shards(files, args.importers, overlap=args.overlap)]
            several = run_importers("several", jobs, urls["several"], meili, root)
    finally:
        server.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)

    print()
    print(
        f"Reuters-21578, {len(files)} files; PostgreSQL and Meilisearch shared; "
        f"{args.importers} extraction processes in both setups"
        + (", shards overlapping by one file" if args.overlap else "")
    )
    for outcome in (one, several):
        who = (
            "one importer, --processes " + str(args.importers)
            if outcome is one
            else f"{args.importers} importers at once, --processes 1 each"
        )
        print(
            f"  {who:<45} {outcome.seconds:7.1f} s  {outcome.per_second:6.1f} articles/s  "
            f"records {outcome.records:,}  articles {outcome.articles:,}  "
            f"indexed {outcome.indexed:,}  duplicate urls {outcome.duplicate_urls}  "
            f"entities {outcome.entities:,}  aliases {outcome.aliases:,}"
        )
    ratio = several.per_second / one.per_second if one.per_second else 0.0
    print(f"  ratio (several / one)                         {ratio:.2f}")
    print(
        "  checks: same articles "
        f"{one.articles == several.articles}, every article indexed "
        f"{one.indexed == one.articles and several.indexed == several.articles}, "
        f"no duplicate url {one.duplicate_urls == several.duplicate_urls == 0}"
    )
    if args.json is not None:
        args.json.write_text(
            json.dumps({"one": vars(one), "several": vars(several), "ratio": ratio}, indent=2)
        )


if __name__ == "__main__":
    main()
