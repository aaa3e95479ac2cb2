"""bench/search.py's comparison through `wrk` (a C client): the API, Meilisearch direct and,
with --floor, bench/pass_through.py, each sent the same searches, with each process's CPU per
request read from /proc."""

import json
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

from app.paths import PROJECT_ROOT
from bench.process_cpu import CpuMeter
from bench.search_requests import api_params, direct_body

CONCURRENCY = 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class FloorServer:
    process: subprocess.Popen[bytes]
    url: str


def start_floor(env: dict[str, str]) -> FloorServer:
    """bench/pass_through.py on a free loopback port, against the API's Meilisearch."""
    port = free_port()
    command = [sys.executable, "-m", "bench.pass_through", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/search", params={"q": "oil"}, timeout=1).status_code == 200:
                return FloorServer(process, url)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the pass-through floor did not start")


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def wrk_script(path: Path, requests: list[tuple[str, str, dict[str, str], str]]) -> Path:
    """A wrk script cycling through (method, path, headers, body) requests."""
    rows = []
    for method, target, headers, body in requests:
        header_table = ", ".join(
            f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()
        )
        rows.append(
            f"{{{_lua_string(method)}, {_lua_string(target)}, {{{header_table}}}, "
            f"{_lua_string(body)}}}"
        )
    path.write_text(
        "local requests = {\n" + ",\n".join(rows) + "\n}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #requests + 1\n"
        "  local r = requests[i]\n"
        "  if r[4] == '' then return wrk.format(r[1], r[2], r[3]) end\n"
        "  return wrk.format(r[1], r[2], r[3], r[4])\n"
        "end\n"
    )
    return path


@dataclass
class WrkRun:
    p50_ms: float
    rps: float
    requests: int
    wrk_cpu_seconds: float  # the client's own CPU: on a shared machine it competes too


def run_wrk(url: str, script: Path, connections: int, seconds: int) -> WrkRun:
    """One wrk run: p50 latency, requests/s, requests answered, wrk's CPU seconds."""
    threads = min(2, connections)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    finished = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    if finished.stderr.strip():  # a script error: wrk would go on sending GET /
        raise SystemExit(f"wrk: {finished.stderr.strip()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    output = finished.stdout
    p50 = rps = 0.0
    requests = 0
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    for line in output.splitlines():
        parts = line.split()
        if parts[:1] == ["50%"]:
            value = parts[1]
            unit = next(u for u in ("us", "ms", "s") if value.endswith(u))
            p50 = float(value[: -len(unit)]) * units[unit]
        if parts[:1] == ["Requests/sec:"]:
            rps = float(parts[1])
        if parts[1:3] == ["requests", "in"]:
            requests = int(parts[0])
    if "Non-2xx" in output:
        raise SystemExit(f"wrk: answers that were not 2xx from {url}:\n{output}")
    if "Socket errors" in output:
        print(output, file=sys.stderr)
    return WrkRun(p50, rps, requests, wrk_cpu)


def cpu_per_request(spent: dict[str, float], run: WrkRun, prefix: str) -> dict[str, float]:
    """Each process tree's CPU milliseconds per answered request, named `prefix`_NAME."""
    figures = {f"{prefix}_{name}_cpu_ms": spent[name] for name in spent}
    figures[f"{prefix}_wrk_cpu_ms"] = run.wrk_cpu_seconds
    return {name: round(value * 1000 / max(run.requests, 1), 3) for name, value in figures.items()}


def wrk_comparison(
    queries: list[str],
    api: str,
    meili: str,
    key: str,
    uid: str,
    seconds: int,
    workdir: Path,
    pids: dict[str, int],
    floor: str | None = None,
) -> dict[str, float]:
    """API against direct Meilisearch through wrk, kept alive and with fresh connections.

    Under 16 connections kept alive, each process's CPU per request is measured too (`pids`:
    "api" and "meili", and "floor" with `floor`): with every core busy, requests/s through
    the API can reach at most direct Meilisearch's CPU per request over the sum of every
    process's through the API. `floor` is bench/pass_through.py's URL, sent the API's own
    requests: the same ratios for a Python layer that does nothing but pass them on."""

    results: dict[str, float] = {}
    for mode, extra in (("keepalive", {}), ("fresh", {"Connection": "close"})):
        api_requests = [
            ("GET", "/search?" + urlencode(api_params(q)), dict(extra), "") for q in queries
        ]
        direct_headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {key}",
            "Accept-Encoding": "identity",
            **extra,
        }
        direct_requests = [
            ("POST", f"/indexes/{uid}/search", direct_headers, json.dumps(direct_body(q)))
            for q in queries
        ]
        api_script = wrk_script(workdir / f"api-{mode}.lua", api_requests)
        direct_script = wrk_script(workdir / f"direct-{mode}.lua", direct_requests)
        for connections in (1, CONCURRENCY):
            meter = CpuMeter(pids)
            meter.start()
            api_run = run_wrk(api, api_script, connections, seconds)
            api_spent = meter.stop()
            meter.start()
            direct_run = run_wrk(meili, direct_script, connections, seconds)
            direct_spent = meter.stop()
            floor_run = None
            if floor is not None:
                meter.start()
                floor_run = run_wrk(floor, api_script, connections, seconds)
                floor_spent = meter.stop()
            api_p50, api_rps = api_run.p50_ms, api_run.rps
            direct_p50, direct_rps = direct_run.p50_ms, direct_run.rps
            label = f"wrk_{mode}_c{connections}"
            if mode == "keepalive" and connections == CONCURRENCY:
                through = cpu_per_request(api_spent, api_run, f"{label}_via_api")
                direct_cpu = cpu_per_request(
                    {"meili": direct_spent["meili"]}, direct_run, f"{label}_direct"
                )
                results |= through | direct_cpu
                all_via_api = sum(through.values())
                all_direct = sum(direct_cpu.values())
                results[f"{label}_cpu_bound_rps_ratio"] = round(all_direct / all_via_api, 2)
                if floor_run is not None:
                    spent = {name: floor_spent[name] for name in ("floor", "meili")}
                    via_floor = cpu_per_request(spent, floor_run, f"{label}_via_floor")
                    results |= via_floor
                    results[f"{label}_floor_cpu_bound_rps_ratio"] = round(
                        all_direct / sum(via_floor.values()), 2
                    )
            if floor_run is not None:
                results |= floor_figures(label, connections, floor_run, api_run, direct_run)
            if connections == 1:
                results[f"{label}_api_p50_ms"] = round(api_p50, 3)
                results[f"{label}_direct_p50_ms"] = round(direct_p50, 3)
                results[f"{label}_p50_ratio"] = round(api_p50 / direct_p50, 2)
            else:
                results[f"{label}_api_rps"] = round(api_rps, 1)
                results[f"{label}_direct_rps"] = round(direct_rps, 1)
                results[f"{label}_rps_ratio"] = round(api_rps / direct_rps, 2)
            print(
                f"  {label}: api {api_p50:.3f} ms {api_rps:.0f}/s, "
                + (
                    f"floor {floor_run.p50_ms:.3f} ms {floor_run.rps:.0f}/s, "
                    if floor_run is not None
                    else ""
                )
                + f"direct {direct_p50:.3f} ms {direct_rps:.0f}/s",
                file=sys.stderr,
            )
    return results


def floor_figures(
    label: str, connections: int, floor: WrkRun, api: WrkRun, direct: WrkRun
) -> dict[str, float]:
    """The pass-through floor's p50 (one connection) or requests/s (16) over direct
    Meilisearch's, and the API's over the floor's."""
    if connections == 1:
        return {
            f"{label}_floor_p50_ms": round(floor.p50_ms, 3),
            f"{label}_floor_p50_ratio": round(floor.p50_ms / direct.p50_ms, 2),
            f"{label}_api_over_floor_p50_ratio": round(api.p50_ms / floor.p50_ms, 2),
        }
    return {
        f"{label}_floor_rps": round(floor.rps, 1),
        f"{label}_floor_rps_ratio": round(floor.rps / direct.rps, 2),
        f"{label}_api_over_floor_rps_ratio": round(api.rps / floor.rps, 2),
    }
