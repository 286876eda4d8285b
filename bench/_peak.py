"""Child side of the benchmarks' measurement: this process's own peak RSS and CPU, written at exit.

A parent cannot read a child's own peak RSS: on Linux the ``ru_maxrss`` that
``os.wait4`` returns, and the child's own ``getrusage(RUSAGE_SELF)``, are the
maximum of the child's peak and the **parent's** peak at the moment it started
the child (exec records the old address space's high-water mark, which after
fork or vfork is the parent's). A bench parent that has parsed a 200 MB plan
would thus make every later child look as large as itself. ``VmHWM`` in
``/proc/self/status`` is the high-water mark of the address space exec made,
so it is this program's alone.

Every child the benchmarks start (bench/_plan_child.py, bench/_apply_child.py,
bench/baseline.py) calls :func:`report_at_exit`; bench/_measure.py's
``run_child`` sets ``BENCH_CHILD_REPORT`` and reads the file. The module imports
nothing beyond ``atexit``, ``json``, ``os`` and ``time``, which every child loads anyway.
"""

from __future__ import annotations

import atexit
import json
import os
import time

ENV = "BENCH_CHILD_REPORT"


def peak_rss_self() -> int | None:
    """This address space's peak resident set in bytes (``VmHWM``), or None where /proc has none."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024  # the value is in kB
    except OSError:
        pass
    return None


def _write(path: str) -> None:
    doc = {"peak_rss": peak_rss_self(), "cpu": time.process_time()}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)


def report_at_exit() -> None:
    """At interpreter exit, write ``{"peak_rss": bytes | null, "cpu": seconds}`` to ``$BENCH_CHILD_REPORT``.

    Does nothing when the variable is unset (the script run by hand).
    """
    path = os.environ.get(ENV)
    if path:
        atexit.register(_write, path)
