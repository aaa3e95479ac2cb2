"""The engine of `newsarchive import`: files in, articles stored as the API would store them.

Files are found and read as records by app.ingestion.sources, in chunks of `batch_size` records.
Per chunk: validate every record as POST /articles would, skip what is already stored
(`--resume`, by url / external_id, one query), then store each article in its own
transaction with its outbox row (app.ingestion.service). Reading and writing never hold
more than a few chunks in memory, whatever the size of the input.

An interruption (Ctrl-C) rolls back the article being written, keeps every article already
committed (each with its outbox row) and still produces the report.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.articles.schemas import ArticleCreate
from app.entities import gazetteer
from app.entities.extract import SpacyExtractor
from app.entities.types import ArticleEntity
from app.ingestion import extraction, service
from app.ingestion.schemas import ItemStatus
from app.ingestion.sources import Format as Format
from app.ingestion.sources import InputFile, Record, read_records

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Broken:
    file: str
    record: str
    reason: str


@dataclass
class FileStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Of the created and updated: exact repeats of another stored article's content.
    duplicates: int = 0
    #: Already stored and passed over by --resume.
    skipped: int = 0
    errors: int = 0

    def add(self, other: FileStats) -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def records(self) -> int:
        return self.created + self.updated + self.unchanged + self.skipped + self.errors


@dataclass
class ImportReport:
    files: dict[str, FileStats] = field(default_factory=dict)
    broken: list[Broken] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0
    #: Of `seconds`: finding entities (here, or waiting for the workers), and storing articles.
    waiting_seconds: float = 0.0
    storing_seconds: float = 0.0

    @property
    def total(self) -> FileStats:
        total = FileStats()
        for stats in self.files.values():
            total.add(stats)
        return total


@dataclass(frozen=True)
class ImportOptions:
    format: Format = Format.auto
    #: Article field -> CSV column, for CSV files whose header uses other names.
    csv_map: Mapping[str, str] = field(default_factory=dict)
    #: Overrides for every record (--source) or for a single .txt / .html file.
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    resume: bool = False
    batch_size: int = service.CHUNK_SIZE
    processes: int = 1
    limit: int | None = None
    max_body_chars: int = 1_000_000
    #: Find entities in the text (ENTITY_EXTRACTION_ENABLED); client entities are always kept.
    extract: bool = True
    #: Queue new articles for embedding as they are stored (an import that embeds them).
    queue_embeddings: bool = False


# --- finding entities ----------------------------------------------------------------------

#: Waits for, then returns, the entities of one chunk's articles.
EntityResult = Callable[[], list[list[ArticleEntity]]]


class EntityFinder:
    """Finds the entities of chunks of articles, here or in worker processes.

    With one process the model runs in this process when a chunk is stored. With N, N - 1
    workers each load the model once and take chunks as they are read, so the model keeps
    working while this process writes to the database; and this process extracts a chunk
    itself, as it is read, whenever the workers already have enough queued. Reading,
    validating and writing take it only a fraction of a core, and one worker fewer holds one
    model fewer (about 250 MB) at the same speed.
    """

    def __init__(self, *, processes: int, batch_size: int, extract: bool) -> None:
        self.batch_size = min(batch_size, extraction.MODEL_BATCH_SIZE)
        self.extract = extract
        self._pool: ProcessPoolExecutor | None = None
        self._queued: list[Future[list[list[ArticleEntity]]]] = []
        self._here: SpacyExtractor | None = None
        #: Chunks whose entities this process found itself (the rest went to workers).
        self.chunks_here = 0
        if processes > 1 and extract:
            self._pool = ProcessPoolExecutor(
                max_workers=processes - 1,
                # Not fork: this process may hold database connections and threads.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=extraction.worker_start,
                # Built once here (this process needs them too) rather than in every worker.
                initargs=(gazetteer.tables(),),
            )
            # Its own model, not the shared default: memory zones need a single caller.
            self._here = SpacyExtractor()
            self._here.memory_zones = True
        #: Chunks read ahead of the one being written, so no worker waits for work and this
        #: process has chunks of its own to analyse while the workers' are in progress.
        self.depth = 4 * processes if self._pool is not None else 0
        #: Chunks queued for the workers before this process takes one itself.
        self._worker_depth = 2 * (processes - 1) + 1

    def submit(self, inputs: list[service.EntityInput]) -> EntityResult:
        if not inputs:
            return list
        if self._pool is None:
            return lambda: service.find_entities(
                inputs, extract=self.extract, batch_size=self.batch_size
            )
        self._queued = [future for future in self._queued if not future.done()]
        if len(self._queued) < self._worker_depth:
            future = self._pool.submit(
                extraction.find_in_worker, inputs, self.extract, self.batch_size
            )
            self._queued.append(future)
            return future.result
        # Found now rather than when the chunk is stored: this process then never sits
        # waiting for a worker while a chunk it could analyse itself is in the queue.
        self.chunks_here += 1
        found = service.find_entities(
            inputs, extract=self.extract, batch_size=self.batch_size, extractor=self._here
        )
        return lambda: found

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


# --- storing -------------------------------------------------------------------------------

#: Called after each record with the file label and how many records it finished.
ProgressCallback = Callable[[str, int], None]


@dataclass
class _Prepared:
    record: Record
    data: ArticleCreate | None = None
    error: str | None = None
    skip: bool = False
    #: New or changed text: its entities are found with the chunk's.
    find: bool = False


@dataclass(frozen=True)
class _Pending:
    """A prepared record on its way to the database, with the entities found for it."""

    position: int
    item: _Prepared
    entities: list[ArticleEntity] | None


def _keys(data: ArticleCreate) -> set[tuple[str, str]]:
    keys = set()
    if data.url is not None:
        keys.add(("url", data.url))
    if data.external_id is not None:
        keys.add(("external_id", data.external_id))
    return keys


class Importer:
    """Reads `InputFile`s and stores their articles; one instance per run."""

    def __init__(
        self,
        *,
        engine: Engine,
        options: ImportOptions,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.engine = engine
        self.options = options
        self.on_progress = on_progress or (lambda _label, _n: None)
        self.report = ImportReport()
        self._started = time.perf_counter()

    def run(self, files: Sequence[InputFile]) -> ImportReport:
        self._started = time.perf_counter()
        for file in files:
            self.report.files.setdefault(file.label, FileStats())
        finder = EntityFinder(
            processes=self.options.processes,
            batch_size=self.options.batch_size,
            extract=self.options.extract,
        )
        pending: deque[tuple[list[_Prepared], EntityResult]] = deque()
        try:
            for chunk in self._chunks(files):
                prepared = self._prepare(chunk)
                wanted = [item.data for item in prepared if item.find and item.data is not None]
                pending.append((prepared, finder.submit([service.entity_input(d) for d in wanted])))
                while len(pending) > finder.depth:
                    self._store(*pending.popleft())
            while pending:
                self._store(*pending.popleft())
        except KeyboardInterrupt:
            # Chunks read but not written are dropped; --resume picks them up next time.
            self.report.interrupted = True
            logger.warning("import interrupted", extra=self._log_fields())
        finally:
            finder.close()
            self.report.seconds = time.perf_counter() - self._started
        logger.info("import finished", extra=self._log_fields())
        return self.report

    def _log_fields(self) -> dict[str, Any]:
        total = self.report.total
        return {
            # "created" is a LogRecord attribute, hence the prefixes.
            "records": total.records,
            "articles_created": total.created,
            "articles_updated": total.updated,
            "articles_unchanged": total.unchanged,
            "records_skipped": total.skipped,
            "records_broken": total.errors,
            "seconds": round(time.perf_counter() - self._started, 3),
            "storing_seconds": round(self.report.storing_seconds, 3),
            "extraction_wait_seconds": round(self.report.waiting_seconds, 3),
        }

    def _records(self, files: Sequence[InputFile]) -> Iterator[Record]:
        records: Iterator[Record] = (
            record
            for file in files
            for record in read_records(file, url=self.options.url, csv_map=self.options.csv_map)
        )
        if self.options.limit is not None:
            records = islice(records, self.options.limit)
        return records

    def _chunks(self, files: Sequence[InputFile]) -> Iterator[list[Record]]:
        records = self._records(files)
        while chunk := list(islice(records, self.options.batch_size)):
            yield chunk

    def _overrides(self) -> dict[str, Any]:
        return {
            "source": self.options.source,
            "url": self.options.url,
            "published_at": self.options.published_at,
        }

    def _prepare(self, chunk: list[Record]) -> list[_Prepared]:
        """Validate the chunk and decide, with one look-up each, what to skip and to analyse."""
        prepared: list[_Prepared] = []
        overrides = self._overrides()
        for record in chunk:
            if record.article is None:
                prepared.append(_Prepared(record, error=record.error or "unreadable"))
                continue
            payload = service.payload_from_parsed(record.article, **overrides)
            try:
                data = service.validate_article(payload, max_body_chars=self.options.max_body_chars)
            except service.InvalidArticle as error:
                prepared.append(_Prepared(record, error=str(error)))
                continue
            prepared.append(_Prepared(record, data=data))
        with Session(self.engine) as session:
            if self.options.resume:
                for item, stored in self._check(prepared, service.already_stored, session):
                    item.skip = stored
            for item, new_text in self._check(prepared, service.needs_entities, session):
                item.find = new_text
        return prepared

    @staticmethod
    def _check(
        prepared: list[_Prepared], check: Callable[..., list[bool]], session: Session
    ) -> list[tuple[_Prepared, bool]]:
        """Each valid, not skipped item with the answer of one query about the lot."""
        items = [item for item in prepared if item.data is not None and not item.skip]
        flags = check(session=session, items=[item.data for item in items])
        return list(zip(items, flags, strict=True))

    def _store(self, prepared: list[_Prepared], entities: EntityResult) -> None:
        waiting = time.perf_counter()
        try:
            found = iter(entities())
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception:
            # The articles are still stored; `upsert` then finds their entities one by one.
            logger.exception("batch entity extraction failed; extracting per article")
            found = iter(())
        storing = time.perf_counter()
        self.report.waiting_seconds += storing - waiting
        with Session(self.engine, expire_on_commit=False) as session:
            items = [item for item in prepared if item.data is not None and not item.skip]
            stored = service.already_stored(
                session=session, items=[item.data for item in items if item.data is not None]
            )
            existing = {id(item) for item, flag in zip(items, stored, strict=True) if flag}
            seen: set[tuple[str, str]] = set()
            run: list[_Pending] = []
            for position, item in enumerate(prepared):
                found_entities = next(found, None) if item.find else None
                pending = _Pending(position, item, found_entities)
                if item.data is None or item.skip:
                    run.append(pending)
                    continue
                keys = _keys(item.data)
                if id(item) in existing or keys & seen or found_entities is None:
                    # An update, a repeat within the chunk, or entities still to find:
                    # the article goes through `upsert` on its own, after what came before.
                    self._write_run(session, run)
                    run = []
                    self._write_one(session, pending)
                else:
                    run.append(pending)
                seen |= keys
            self._write_run(session, run)
        self.report.storing_seconds += time.perf_counter() - storing

    def _write_run(self, session: Session, run: list[_Pending]) -> None:
        """New articles in one transaction; if the database refuses it, one by one, so a bad
        article costs only itself."""
        new = [
            service.NewArticle(pending.position, pending.item.data, pending.entities)
            for pending in run
            if pending.item.data is not None
            and not pending.item.skip
            and pending.entities is not None
        ]
        results: dict[int, service.Stored] = {}
        if new:
            try:
                stored = service.insert_new(
                    session=session, items=new, queue_embeddings=self.options.queue_embeddings
                )
                session.commit()
                results = {result.index: result for result in stored}
            except SQLAlchemyError as error:
                session.rollback()
                logger.warning(
                    "batch not stored; storing its articles one by one",
                    extra={"error_type": type(error).__name__, "error": str(error)[:500]},
                )
            except BaseException:
                # Ctrl-C included: none of the batch stays in the session.
                session.rollback()
                raise
        for pending in run:
            result = results.get(pending.position)
            if result is None and pending.item.data is not None and not pending.item.skip:
                self._write_one(session, pending)
            else:
                self._finish(pending.item, result)

    def _write_one(self, session: Session, pending: _Pending) -> None:
        item = pending.item
        assert item.data is not None
        # An interruption inside rolls this article back and ends the run here.
        stored = service.store_one(
            session=session,
            index=pending.position,
            data=item.data,
            entities=pending.entities,
            extract=self.options.extract,
        )
        self._finish(item, stored)

    def _finish(self, item: _Prepared, stored: service.Stored | None) -> None:
        stats = self.report.files[item.record.file]
        if item.error is not None:
            self._broken(stats, item.record, item.error)
        elif item.skip:
            stats.skipped += 1
        elif stored is not None:
            self._count(stats, item.record, stored)
        self.on_progress(item.record.file, 1)

    def _broken(self, stats: FileStats, record: Record, reason: str) -> None:
        stats.errors += 1
        self.report.broken.append(Broken(record.file, record.locator, reason))

    def _count(self, stats: FileStats, record: Record, stored: service.Stored) -> None:
        if stored.status is ItemStatus.error:
            self._broken(stats, record, stored.error or "not stored")
            return
        name = stored.status.value
        setattr(stats, name, getattr(stats, name) + 1)
        if stored.duplicate_of is not None and stored.status is not ItemStatus.unchanged:
            stats.duplicates += 1
