from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app.paths import PROJECT_ROOT
from app.search import meili_process
from app.search.meili_process import (
    NODE_MODULES_BINARY,
    MeiliProcess,
    MeiliProcessError,
    find_binary,
)


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def proc(tmp_path: Path) -> Iterator[MeiliProcess]:
    with MeiliProcess(tmp_path / "meili") as p:
        yield p


def test_find_binary_prefers_explicit_then_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = _script(tmp_path / "explicit", "exit 0")
    from_env = _script(tmp_path / "from_env", "exit 0")
    monkeypatch.setenv("MEILI_BINARY", str(from_env))
    assert find_binary(explicit) == explicit
    assert find_binary() == from_env


def test_find_binary_defaults_to_node_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEILI_BINARY", raising=False)
    assert find_binary() == NODE_MODULES_BINARY.resolve()


def test_find_binary_does_not_fall_back_from_a_wrong_explicit_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEILI_BINARY", str(tmp_path / "missing"))
    with pytest.raises(MeiliProcessError, match="MEILI_BINARY"):
        find_binary()


def test_serves_on_loopback_with_required_key(proc: MeiliProcess) -> None:
    assert proc.url.startswith("http://127.0.0.1:")
    assert len(proc.master_key) >= 16
    assert requests.get(f"{proc.url}/health", timeout=5).json() == {"status": "available"}
    assert requests.get(f"{proc.url}/indexes", timeout=5).status_code == 401
    authed = requests.get(
        f"{proc.url}/indexes", headers={"Authorization": f"Bearer {proc.master_key}"}, timeout=5
    )
    assert authed.status_code == 200
    assert (proc.data_dir / "data.ms").is_dir()
    assert proc.log_path.is_file()


def test_stop_is_final_and_idempotent(proc: MeiliProcess) -> None:
    pid = proc.pid
    assert pid is not None
    proc.stop()
    assert not proc.is_running()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    proc.stop()


def test_kill_then_start_keeps_port_key_and_data(proc: MeiliProcess) -> None:
    url, key = proc.url, proc.master_key
    auth = {"Authorization": f"Bearer {key}"}
    created = requests.post(
        f"{url}/indexes", json={"uid": "kept", "primaryKey": "id"}, headers=auth, timeout=5
    ).json()
    task = {"status": "enqueued"}
    while task["status"] in ("enqueued", "processing"):
        task = requests.get(f"{url}/tasks/{created['taskUid']}", headers=auth, timeout=5).json()
    assert task["status"] == "succeeded"

    proc.kill()
    assert not proc.is_running()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/health", timeout=5)

    proc.start()
    assert (proc.url, proc.master_key) == (url, key)
    index = requests.get(f"{url}/indexes/kept", headers=auth, timeout=5)
    assert index.json()["primaryKey"] == "id"


def test_early_exit_reports_log_tail_and_hides_client_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEILI_MASTER_KEY", "client-side-key")
    binary = _script(tmp_path / "fake", 'env > "$PWD/env.txt"; echo "boom: bad config"; exit 3')
    data_dir = tmp_path / "data"
    with pytest.raises(MeiliProcessError, match=r"(?s)exited with code 3.*boom: bad config"):
        MeiliProcess(data_dir, binary=binary, port=1).start()
    child_env = (data_dir / "env.txt").read_text()
    assert "MEILI_" not in child_env


def test_never_healthy_times_out_and_kills(tmp_path: Path) -> None:
    binary = _script(tmp_path / "sleeper", 'echo "waiting forever"; exec sleep 60')
    p = MeiliProcess(tmp_path / "data", binary=binary, startup_timeout=0.5)
    with pytest.raises(MeiliProcessError, match=r"(?s)not healthy.*waiting forever"):
        p.start()
    assert not p.is_running()


def test_exit_hook_stops_live_servers(tmp_path: Path) -> None:
    p = MeiliProcess(tmp_path / "data").start()
    meili_process._stop_all()
    assert not p.is_running()


def test_master_key_starting_with_a_dash_is_not_read_as_a_flag(tmp_path: Path) -> None:
    # secrets.token_urlsafe() produces such keys about one time in 64.
    with MeiliProcess(tmp_path / "data", master_key="-B" + "k" * 30) as p:
        authed = requests.get(
            f"{p.url}/indexes", headers={"Authorization": f"Bearer {p.master_key}"}, timeout=5
        )
        assert authed.status_code == 200


def test_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    """atexit cannot run on SIGKILL; the parent-death signal still stops the server."""
    script = (
        "import sys, time\n"
        "from app.search.meili_process import MeiliProcess\n"
        "p = MeiliProcess(sys.argv[1]).start()\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        assert parent.stdout is not None
        server_pid = int(parent.stdout.readline())
        os.kill(server_pid, 0)  # alive
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not _alive(server_pid):
            return
        time.sleep(0.05)
    os.kill(server_pid, signal.SIGKILL)
    pytest.fail("meilisearch outlived its killed parent")


def _alive(pid: int) -> bool:
    # An exited child not yet reaped by its new parent is a zombie: dead for our purpose.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"
