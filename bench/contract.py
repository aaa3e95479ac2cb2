"""The API against its own OpenAPI document, as an outside auditor would run it.

schemathesis runs every operation of a real `newsarchive serve` over HTTP (examples,
coverage, fuzzing and stateful phases, `--checks all`) with an admin key, on SQLite and on
a throwaway PostgreSQL 15 cluster, and this prints per database the server errors (5xx)
and the contract mismatches per check. As in tests/test_schema_fuzz.py, the rules the
schema can't state are excused and a query is judged by the text sent
(tests/contract_rules.py, loaded as schemathesis hooks), and no generated text holds a NUL
(refused everywhere, by a documented rule).

    .venv/bin/python -m bench.contract [--max-examples 500] [--database sqlite|postgres|both]
        [--include-path /search/timeline ...]

Entity extraction is off on the server: spaCy would only slow the run down; client entities
still go through every path. Rate limits are off: the run sends thousands of requests a
minute by design. Reports and server logs stay in a temporary directory (printed).
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

VENV_BIN = Path(sys.executable).parent
REPOSITORY = Path(__file__).resolve().parent.parent
#: The checks `positive_data_acceptance_beyond_rules` and `negative_data_rejection_as_sent`
#: (tests/contract_rules.py) stand in for.
REPLACED_CHECKS = "positive_data_acceptance,negative_data_rejection"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def database(kind: str, root: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{root / 'contract.db'}"
        return
    from tests.pg_plugin import PG_BIN, _admin, _start_cluster

    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"PostgreSQL binaries not found in {PG_BIN}; set PG_BIN")
    cluster = root / "pg"
    cluster.mkdir()
    # mkdtemp's directories are private to us; the server (the postgres user under root)
    # must be able to reach its own directory inside them.
    for directory in (root, root.parent):
        directory.chmod(0o711)
    server = _start_cluster(cluster)
    try:
        _admin(server, "CREATE DATABASE contract")
        yield server.url_for("contract")
    finally:
        server.pg_ctl("-m", "immediate", "stop")


@contextmanager
def serving(database_url: str, root: Path) -> Iterator[tuple[str, str, Path]]:
    """A `newsarchive serve` on a fresh archive: its URL, an admin key and its log."""
    env = {
        **os.environ,
        "DATA_DIR": str(root / "data"),
        "DATABASE_URL": database_url,
        "ENTITY_EXTRACTION_ENABLED": "false",
        "RATE_LIMIT_READS_PER_MINUTE": "0",
        "RATE_LIMIT_WRITES_PER_MINUTE": "0",
        "LOG_FORMAT": "console",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("MEILI_URL", None)  # serve starts its own Meilisearch in DATA_DIR
    newsarchive = str(VENV_BIN / "newsarchive")
    subprocess.run([newsarchive, "migrate"], env=env, check=True, capture_output=True)
    created = subprocess.run(
        [newsarchive, "keys", "create", "--name", "contract", "--scope", "admin"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    port = _free_port()
    log = root / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [newsarchive, "serve", "--port", str(port)], env=env, stdout=output, stderr=output
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            else:
                raise SystemExit(f"the server did not become ready; see {log}")
            # The document is built on its first request (seconds on a loaded machine), and
            # schemathesis gives up loading it after 10 s.
            httpx.get(f"{url}/openapi.json", timeout=300).raise_for_status()
            yield url, key, log
        finally:
            server.terminate()
            server.wait(timeout=60)


def run_schemathesis(url: str, key: str, args: argparse.Namespace, report: Path) -> dict[str, Any]:
    command = [
        str(VENV_BIN / "schemathesis"),
        "run",
        f"{url}/openapi.json",
        "--header",
        f"Authorization: Bearer {key}",
        "--checks",
        "all",
        "--exclude-checks",
        REPLACED_CHECKS,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--generation-allow-x00",
        "false",
        # Every run starts afresh (and leaves no .schemathesis/ behind).
        "--generation-database",
        "none",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    for path in args.include_path:
        command += ["--include-path", path]
    # Run in the report's directory, where schemathesis keeps its cache of failures; the
    # hooks module is found from the checkout.
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.contract_rules",
        "PYTHONPATH": str(REPOSITORY),
    }
    print("  " + " ".join(command).replace(key, "$KEY"), flush=True)
    with (report.parent / "schemathesis.txt").open("w") as output:
        subprocess.run(
            command,
            env=env,
            cwd=report.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    result: dict[str, Any] = json.loads(report.read_text())
    return result


def summarise(kind: str, result: dict[str, Any], log: Path, seconds: float) -> None:
    cases = result["test_cases"]
    failures = result["failures"]
    server_errors = sum(f["count"] for f in failures if f["code"] == "ST101")
    unhandled = log.read_text(errors="replace").count("unhandled")
    print(f"\n{kind}: {cases['generated']} test cases in {seconds:.0f} s")
    print(f"  5xx (ST101 Server error): {server_errors}; 'unhandled' lines in the log: {unhandled}")
    mismatches = [f for f in failures if f["code"] != "ST101"]
    print(f"  contract mismatches: {sum(f['count'] for f in mismatches)}")
    for failure in mismatches:
        operations = ", ".join(failure["operations"])
        print(f"    {failure['code']} {failure['title']}: {failure['count']} ({operations})")
    # A run's own errors (schemathesis could not generate or send some cases) are neither.
    errors = ", ".join(f"{error['title']}: {error['count']}" for error in result["errors"])
    print(f"  run errors: {errors or 'none'}")
    phases = ", ".join(f"{name} {phase['status']}" for name, phase in result["phases"].items())
    print(f"  phases: {phases}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=500, help="per operation")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--include-path",
        action="append",
        default=[],
        metavar="PATH",
        help="only the operations on this path, as the schema spells it (repeatable; "
        "default every operation)",
    )
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    root = Path(tempfile.mkdtemp(prefix="contract-"))
    print(f"reports and server logs in {root}")
    for kind in kinds:
        workdir = root / kind
        workdir.mkdir()
        print(f"\n{kind}: starting the server and schemathesis", flush=True)
        with database(kind, workdir) as url, serving(url, workdir) as (api, key, log):
            started = time.monotonic()
            result = run_schemathesis(api, key, args, workdir / "report.json")
            elapsed = time.monotonic() - started
        summarise(kind, result, log, elapsed)


if __name__ == "__main__":
    main()
