"""Helpers shared by the benchmarks: child processes with their own wall time, CPU and peak RSS.

``run_child(argv)`` starts one process and waits for it with ``os.wait4``, which
returns the rusage of *that* child only (``ru_maxrss`` in KiB on Linux), so each
run's peak RSS is its own and not the maximum over every child so far (as
``RUSAGE_CHILDREN`` would give).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ChildRun:
    """One finished child: ``wall`` and ``cpu`` (user + system) in seconds, ``peak_rss`` in bytes."""

    argv: tuple[str, ...]
    returncode: int
    wall: float
    cpu: float
    user: float
    system: float
    peak_rss: int
    stdout: str
    stderr: str


def child_env() -> dict[str, str]:
    """The environment for children: the checkout importable, no .pyc writes timing noise."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONHASHSEED", "0")
    env["COLUMNS"] = "120"
    return env


def run_child(argv: list[str], *, cwd: Path | None = None, log_dir: Path | None = None,
              env: dict[str, str] | None = None) -> ChildRun:
    """Run ``argv`` to completion; stdout/stderr go to files (no pipe can fill and stall it)."""
    log_dir = log_dir or Path(os.environ.get("TMPDIR", "/tmp"))
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / "child.stdout", log_dir / "child.stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd or REPO, stdout=out, stderr=err,
                                env=env or child_env())
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(
        argv=tuple(argv),
        returncode=proc.returncode,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        user=usage.ru_utime,
        system=usage.ru_stime,
        peak_rss=usage.ru_maxrss * 1024,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
    )


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process, from ``/proc/<pid>/stat`` (fields 14, 15)."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        data = fh.read().decode()
    fields = data[data.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MiB"


def machine() -> str:
    """One line: CPU count and model, memory, Python version."""
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.0f} GiB"
                break
    except OSError:
        pass
    py = ".".join(map(str, sys.version_info[:3]))
    return f"{os.cpu_count()} CPUs ({model or 'unknown model'}), {mem or '? GiB'} RAM, Python {py}"


def load_average() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"
