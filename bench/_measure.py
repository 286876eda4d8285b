"""Helpers shared by the benchmarks: child processes with their own wall time, CPU and peak RSS.

``run_child(argv)`` starts one process and waits for it with ``os.wait4``, which
returns the CPU time of *that* child only. Its ``ru_maxrss`` is not the child's
own: exec folds the starting parent's peak into it (see bench/_peak.py), so the
peak RSS comes from the child itself, which writes its ``VmHWM`` at exit to the
file named by ``BENCH_CHILD_REPORT`` (bench/_plan_child.py, bench/_apply_child.py
and bench/baseline.py do). Only a child that writes no report falls back to
``ru_maxrss``, and says so (``ChildRun.peak_rss_source``).

Byte code: :func:`child_env` points ``PYTHONPYCACHEPREFIX`` at one directory of
the bench's own, and :func:`prepare_bytecode` compiles the checkout into it
before the first run, so every run reads the same ``.pyc`` files whatever the
checkout's ``__pycache__`` holds or whether it is writable; the warm-up run
each benchmark makes (not counted) compiles the rest (standard library,
dependencies) into the same directory.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _peak  # noqa: E402  (bench/_peak.py)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "sigma-migrate-bench"


@dataclass(frozen=True)
class ChildRun:
    """One finished child: ``wall`` and ``cpu`` (user + system) in seconds, ``peak_rss`` in bytes.

    ``peak_rss_source`` is ``"child"`` (its own ``VmHWM``, bench/_peak.py) or
    ``"wait4"`` (``ru_maxrss``: at least the parent's peak when it started the child).
    """

    argv: tuple[str, ...]
    returncode: int
    wall: float
    cpu: float
    user: float
    system: float
    peak_rss: int
    peak_rss_source: str
    stdout: str
    stderr: str


def child_env(pycache: Path | None = None) -> dict[str, str]:
    """The environment for children: the checkout importable, a fixed hash seed and byte-code cache.

    ``pycache`` (default ``$TMPDIR/sigma-migrate-bench/pycache``) becomes
    ``PYTHONPYCACHEPREFIX``: every child reads and writes its ``.pyc`` files there
    and nowhere else, whatever the environment had set.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONHASHSEED", "0")
    env["PYTHONPYCACHEPREFIX"] = str(pycache or DEFAULT_CACHE / "pycache")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop(_peak.ENV, None)
    env["COLUMNS"] = "120"
    return env


def prepare_bytecode(env: dict[str, str], tree: Path = REPO) -> None:
    """Compile ``tree``'s ``planner/`` and ``bench/`` (this checkout's by default) into ``env``'s
    ``PYTHONPYCACHEPREFIX`` (before any timed run).

    Raises SystemExit naming the failure when compileall fails.
    """
    Path(env["PYTHONPYCACHEPREFIX"]).mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "planner"), str(tree / "bench")],
                          cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"compileall failed (exit {done.returncode}): {(done.stdout + done.stderr).strip()[-600:]}")


def run_child(argv: list[str], *, cwd: Path | None = None, log_dir: Path | None = None,
              env: dict[str, str] | None = None) -> ChildRun:
    """Run ``argv`` to completion; stdout/stderr go to files (no pipe can fill and stall it).

    The child's own peak RSS is read from the report it writes at exit (``BENCH_CHILD_REPORT``,
    ``log_dir/child.report.json``); without one, ``ru_maxrss`` from ``os.wait4``.
    """
    log_dir = log_dir or Path(os.environ.get("TMPDIR", "/tmp"))
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / "child.stdout", log_dir / "child.stderr"
    report_path = log_dir / "child.report.json"
    report_path.unlink(missing_ok=True)
    env = {**(env or child_env()), _peak.ENV: str(report_path)}
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd or REPO, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    peak, source = usage.ru_maxrss * 1024, "wait4"
    try:
        own = json.loads(report_path.read_text()).get("peak_rss")
    except (OSError, ValueError):
        own = None
    if isinstance(own, int):
        peak, source = own, "child"
    return ChildRun(
        argv=tuple(argv),
        returncode=proc.returncode,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        user=usage.ru_utime,
        system=usage.ru_stime,
        peak_rss=peak,
        peak_rss_source=source,
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
