"""CPU an idle `newsarchive serve` spends: its background workers' polls, nothing else.

Starts a fresh SQLite archive, a local Meilisearch and `newsarchive serve --workers N` on
loopback, waits --settle seconds, then reads the server's process tree CPU time (from /proc)
over --seconds with no request sent. Prints CPU seconds and the share of one core; run it
with WORKER_IDLE_POLL_MAX_SECONDS equal to SYNC_POLL_SECONDS in the environment for the
server without idle backoff.

    .venv/bin/python -m bench.idle_cpu [--workers 2] [--seconds 30] [--settle 8]
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench.process_cpu import tree_cpu_seconds
from bench.search import start_api
from bench.search_wrk import free_port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--settle", type=float, default=8.0, help="after start-up, before measuring"
    )
    args = parser.parse_args()
    from app.search.meili_process import MeiliProcess

    with (
        tempfile.TemporaryDirectory(prefix="idle-cpu-") as work,
        MeiliProcess(Path(work) / "meili") as meili,
    ):
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(work) / 'archive.db'}",
            "DATA_DIR": work,
            "MEILI_URL": meili.url,
            "MEILI_MASTER_KEY": meili.master_key,
            "LOG_LEVEL": "WARNING",
        }
        server = start_api(env, free_port(), args.workers)
        try:
            time.sleep(args.settle)
            before = tree_cpu_seconds(server.pid)
            time.sleep(args.seconds)
            spent = tree_cpu_seconds(server.pid) - before
        finally:
            server.terminate()
            server.wait(timeout=30)
    figures = {
        "workers": args.workers,
        "seconds": args.seconds,
        "idle_poll_max_seconds": os.environ.get("WORKER_IDLE_POLL_MAX_SECONDS", "default"),
        "server_cpu_seconds": round(spent, 2),
        "share_of_one_core": round(spent / args.seconds, 4),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
