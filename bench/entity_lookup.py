"""How long /search spends turning `entity=` values into entities, against a stored archive.

Entity names are resolved in the database before Meilisearch is asked (`resolve_for_search`:
slug, redirect, the archive's evidence for short forms, alias, person-name variants, canonical
name). This times that step per value, median of many calls, on a database an import left
behind (for instance `bench/entity_coherence.py --keep`). With `--against DIR` it runs the same
timing with the code of another checkout (an older commit, `git worktree add DIR COMMIT`) on the
same database in the same run, and prints the ratio.

Run:  .venv/bin/python -m bench.entity_lookup DATABASE_FILE [--against DIR] [--repeat 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

VALUES = (
    "Barack Obama",
    "barack-obama",
    "Obama",
    "President Trump",
    "Republicans",
    "the FBI",
    "Justice Department",
    "Joseph Biden",
    "Sanders",
    "nobody by this name",
)

_TIMER = r"""
import json, sys, time
sys.path.insert(0, {tree!r})
from sqlalchemy import create_engine
from sqlmodel import Session
from app.entities import service
engine = create_engine("sqlite:///" + {database!r})
medians = {{}}
with Session(engine) as session:
    for value in {values!r}:
        service.resolve_for_search(session, [value])
        times = []
        for _ in range({repeat}):
            start = time.perf_counter()
            service.resolve_for_search(session, [value])
            times.append(time.perf_counter() - start)
        times.sort()
        medians[value] = times[len(times) // 2] * 1e6
print(json.dumps(medians))
"""


def time_tree(tree: Path, database: Path, repeat: int) -> dict[str, float]:
    """Median microseconds per value with the code of `tree`, in a fresh interpreter."""
    code = _TIMER.format(tree=str(tree), database=str(database), values=list(VALUES), repeat=repeat)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path, help="a SQLite archive an import left behind")
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    print(f"entity look-ups on {args.database}, median of {args.repeat} calls (µs)")
    ours = time_tree(here, args.database, args.repeat)
    theirs = time_tree(args.against, args.database, args.repeat) if args.against else None
    header = f"{'value':24} {'this tree':>10}"
    if theirs is not None:
        header += f" {'other tree':>11} {'ratio':>6}"
    print(header)
    for value in VALUES:
        line = f"{value:24} {ours[value]:10.0f}"
        if theirs is not None:
            line += f" {theirs[value]:11.0f} {ours[value] / theirs[value]:6.2f}"
        print(line)
    summary = f"median over values: {statistics.median(ours.values()):.0f} µs"
    if theirs is not None:
        summary += f" here, {statistics.median(theirs.values()):.0f} µs there"
    print(summary)


if __name__ == "__main__":
    main()
