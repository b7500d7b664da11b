"""Who used the CPU during a load run: the web server's and the worker's process trees, the
PostgreSQL backends of the run's database, the load generator (this process) and everything else
on the machine (``/proc``, Linux only). Sampled once a second, because processes (gunicorn's
workers, database backends) come and go: each pid's last reading counts."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += _children(p)
    return pids


def _machine() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


def _postgres_backends(database: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"postgres: ") and f" {database} ".encode() in cmdline:
                pids.append(int(entry.name))
    return pids


class CpuMeter:
    """``with CpuMeter({"web": pid, ...}, database=name) as meter: ...``; then ``meter.report()``."""

    def __init__(self, roots: dict[str, int], *, database: str | None = None, interval: float = 1.0):
        self.roots, self.database, self.interval = roots, database, interval
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        groups = {name: _tree(pid) for name, pid in self.roots.items()}
        if self.database:
            groups["postgres"] = _postgres_backends(self.database)
        for name, pids in groups.items():
            for pid in pids:
                seconds = _cpu_seconds(pid)
                if seconds is not None:
                    self.first.setdefault((name, pid), 0.0 if self._started else seconds)
                    self.last[(name, pid)] = seconds

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        self._started = False
        self._sample()  # what already ran before the start does not count
        self._started = True
        self._times, self._machine, self._wall = os.times(), _machine(), time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
        end, machine, wall = os.times(), _machine(), time.monotonic()
        self.elapsed = wall - self._wall
        self.seconds = {}
        for (name, pid), last in self.last.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + last - self.first[(name, pid)]
        self.seconds["load generator"] = (end.user + end.system) - (self._times.user + self._times.system)
        busy, total = machine[0] - self._machine[0], machine[1] - self._machine[1]
        self.machine_busy_share = busy / total if total else 0.0
        self.seconds["everything else"] = max(0.0, busy - sum(self.seconds.values()))

    def report(self) -> dict:
        """CPU seconds per group and each one's share of the machine's capacity over the run."""
        capacity = self.elapsed * (os.cpu_count() or 1)
        return {"elapsed_s": round(self.elapsed, 1), "cores": os.cpu_count(),
                "machine_busy_pct": round(100 * self.machine_busy_share, 1),
                "groups": {name: {"cpu_s": round(s, 1), "share_pct": round(100 * s / capacity, 1)}
                           for name, s in sorted(self.seconds.items(), key=lambda kv: -kv[1])}}
