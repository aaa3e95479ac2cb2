"""Entity extraction against the human PLACES / PEOPLE / ORGS tags of Reuters-21578.

For every (article, tag) pair, would an entity search for the tag find the article? The tag
code is turned into a name here (the ground-truth adapter below), resolved through the
product's canonicaliser, and looked up among the article's extracted entities:

* strict: an entity with that slug;
* alias:  or an entity of the same type whose surface forms include it (a surname-only tag
  such as "volcker" matches "Paul Volcker", as search over aliases would);
* within: or, for a place, an entity located in it (a city of that country).

Run:  .venv/bin/python -m bench.entities [--limit N] [--n-process 2]
Data: Reuters-21578, Distribution 1.0 (research use; see the corpus README).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.entities.extract import extract_entities_batch
from app.entities.gazetteer import slugify
from app.entities.names import resolve
from app.entities.types import ArticleEntity, ArticleText, CanonicalRef, EntityType
from app.ingestion.reuters import ReutersRecord, iter_reuters
from app.paths import SHARED_DATA

DEFAULT_DATA = SHARED_DATA / "reuters21578"
TARGET = 0.85

# --- ground-truth adapter: Reuters codes -> names (never used by the product) ---------------

#: Place codes whose hyphenated form is not a name the world uses.
_PLACE_NAMES = {
    "trinidad-tobago": "Trinidad and Tobago",
    "yemen-arab-republic": "Yemen",
    "yemen-demo-republic": "Yemen",
}

#: Org codes are acronyms or squashed names; these are the bodies they stand for.
_ORG_NAMES = {
    "adb-africa": "African Development Bank",
    "adb-asia": "Asian Development Bank",
    "aibd": "Arab Investment Bank for Development",
    "aid": "Agency for International Development",
    "anrpc": "Association of Natural Rubber Producing Countries",
    "asean": "Association of Southeast Asian Nations",
    "atpc": "Association of Tin Producing Countries",
    "bis": "Bank for International Settlements",
    "cipec": "Intergovernmental Council of Copper Exporting Countries",
    "comecon": "Council for Mutual Economic Assistance",
    "ec": "European Community",
    "eca": "Economic Commission for Africa",
    "ecafe": "Economic Commission for Asia and the Far East",
    "ece": "Economic Commission for Europe",
    "ecla": "Economic Commission for Latin America",
    "ecsc": "European Coal and Steel Community",
    "ecwa": "Economic Commission for Western Asia",
    "efta": "European Free Trade Association",
    "eib": "European Investment Bank",
    "emcf": "European Monetary Cooperation Fund",
    "escap": "Economic and Social Commission for Asia and the Pacific",
    "euratom": "Euratom",
    "fao": "Food and Agriculture Organization",
    "gatt": "General Agreement on Tariffs and Trade",
    "gcc": "Gulf Cooperation Council",
    "geplacea": "Group of Latin American and Caribbean Sugar Exporting Countries",
    "iaea": "International Atomic Energy Agency",
    "iata": "International Air Transport Association",
    "icco": "International Cocoa Organization",
    "ico-coffee": "International Coffee Organization",
    "ico-islam": "Islamic Conference Organization",
    "ida": "International Development Association",
    "iea": "International Energy Agency",
    "iisi": "International Iron and Steel Institute",
    "ilo": "International Labour Organization",
    "ilzsg": "International Lead and Zinc Study Group",
    "imco": "Inter-Governmental Maritime Consultative Organization",
    "imf": "International Monetary Fund",
    "inro": "International Natural Rubber Organization",
    "irsg": "International Rubber Study Group",
    "isa": "International Sugar Agreement",
    "itc": "International Tin Council",
    "iwc-whale": "International Whaling Commission",
    "iwc-wheat": "International Wheat Council",
    "iwcc": "International Wrought Copper Council",
    "iws": "International Wool Secretariat",
    "iwto": "International Wool Textile Organisation",
    "lafta": "Latin American Free Trade Association",
    "mfa": "Multi-Fibre Arrangement",
    "oapec": "Organization of Arab Petroleum Exporting Countries",
    "oecd": "OECD",
    "opec": "OPEC",
    "un": "United Nations",
    "unctad": "UNCTAD",
    "who": "World Health Organization",
    "worldbank": "World Bank",
}


def tag_ref(kind: str, code: str) -> CanonicalRef:
    if kind == "places":
        return resolve(_PLACE_NAMES.get(code, code.replace("-", " ")), EntityType.PLACE)
    if kind == "people":
        return resolve(code.replace("-", " ").title(), EntityType.PERSON)
    return resolve(_ORG_NAMES.get(code, code.upper()), EntityType.ORGANIZATION)


# --- measurement ------------------------------------------------------------------------------


@dataclass
class Score:
    pairs: int = 0
    strict: int = 0
    alias: int = 0
    within: int = 0
    missed: Counter[str] = field(default_factory=Counter)


def judge(ref: CanonicalRef, entities: list[ArticleEntity]) -> tuple[bool, bool, bool]:
    strict = any(entity.slug == ref.slug for entity in entities)
    alias = strict or any(
        entity.type is ref.type and ref.slug in {slugify(alias) for alias in entity.aliases}
        for entity in entities
    )
    within = alias or (
        ref.type is EntityType.PLACE and any(entity.within == ref.slug for entity in entities)
    )
    return strict, alias, within


class RssSampler(threading.Thread):
    """Peak of (our RSS + all descendants' RSS), sampled from /proc."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_kib = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(pid) for pid in _family(os.getpid())))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _family(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = task.read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(_family(int(child)))
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _records(directory: Path, limit: int | None) -> Iterator[ReutersRecord]:
    for number, record in enumerate(iter_reuters(directory)):
        if limit is not None and number >= limit:
            return
        yield record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="only the first N records")
    parser.add_argument("--n-process", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--top", type=int, default=12, help="missed codes to list per tag")
    args = parser.parse_args(argv)
    if not sorted(args.data_dir.glob("reut2-*.sgm")):
        print(f"no Reuters-21578 files (reut2-*.sgm) in {args.data_dir}", file=sys.stderr)
        return 2

    scores = {kind: Score() for kind in ("places", "people", "orgs")}
    records: list[ReutersRecord] = []

    def articles() -> Iterator[ArticleText]:
        for record in _records(args.data_dir, args.limit):
            records.append(record)
            yield ArticleText(title=record.title, body=record.body)

    sampler = RssSampler()
    sampler.start()
    started = time.perf_counter()
    done = 0
    for entities in extract_entities_batch(
        articles(), batch_size=args.batch_size, n_process=args.n_process
    ):
        record = records[done]
        done += 1
        for kind, score in scores.items():
            for code in getattr(record, kind):
                strict, alias, within = judge(tag_ref(kind, code), entities)
                score.pairs += 1
                score.strict += strict
                score.alias += alias
                score.within += within
                if not within:
                    score.missed[code] += 1
        if done % 1000 == 0:
            rate = done / (time.perf_counter() - started)
            print(f"  {done} articles, {rate:.0f} docs/s", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    sampler.stop()

    print(f"\n{done} articles in {elapsed:.1f}s: {done / elapsed:.1f} docs/s, "
          f"peak RSS {sampler.peak_kib / 1024:.0f} MiB (main + workers), "
          f"n_process={args.n_process}, batch_size={args.batch_size}")  # fmt: skip
    print(f"\n{'tag':<8}{'pairs':>7}{'strict':>8}{'alias':>8}{'within':>8}  target {TARGET}")
    for kind, score in scores.items():
        shares = [n / score.pairs if score.pairs else 0.0 for n in (score.strict, score.alias, score.within)]  # fmt: skip
        print(f"{kind:<8}{score.pairs:>7}" + "".join(f"{share:>8.3f}" for share in shares))
    for kind, score in scores.items():
        top = ", ".join(f"{code} {n}" for code, n in score.missed.most_common(args.top))
        print(f"\nmissed {kind}: {top}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
