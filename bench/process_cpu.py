"""CPU time spent by processes, read from /proc (Linux): where a request's cost goes.

On a machine whose cores are all busy, requests per second are bounded by the CPU each request
costs across every process serving it. Measuring each process's CPU per request during a load
test tells what share of a throughput gap a server in front of another can close at best.
"""

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return text[text.rindex(")") + 2 :].split()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and its living descendants (threads included)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        fields = _stat_fields(current)
        if fields is None:
            continue
        # After the command: state(0) ppid(1) ... utime(11) stime(12) in this slice.
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        pending.extend(_children(current))
    return total


class CpuMeter:
    """CPU seconds several named process trees spend between start() and stop()."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self._start: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def start(self) -> None:
        self._start = {name: tree_cpu_seconds(pid) for name, pid in self.pids.items()}

    def stop(self) -> dict[str, float]:
        self.spent = {
            name: tree_cpu_seconds(pid) - self._start[name] for name, pid in self.pids.items()
        }
        return self.spent
