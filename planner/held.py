"""Objects kept alive until the process ends: the one mechanism behind ``plan``'s exit without freeing.

Freeing millions of small objects one by one is CPU the process spends just before it ends, when the
operating system takes its memory back whole: at 100k members, the plan and its snapshot (about 0.3 s
when ``plan`` returns), and the planner's working records (the directory, the rules' decisions and
the action index: 0.22-0.25 s when :func:`planner.planning.build_plan` returns; measured in one
process, load average 10-15). Under the real entry point (:func:`planner.cli.entry`, which calls
:func:`start` and ends the process with :func:`os._exit` when something was held) such objects are
handed to :func:`hold` instead of being dropped. In-process callers (tests, the demo, a library
user) never call :func:`start`: :func:`hold` keeps nothing and everything is freed as usual.

The cost is memory: what is held is not reused for what the process allocates afterwards (the plan
file's and report's buffers), so the peak RSS can grow; ``bench/plan_bench.py`` prints it.
"""

from __future__ import annotations

_held: list[object] | None = None


def start() -> None:
    """From now on, :func:`hold` keeps what it is given until the process ends (the entry point only)."""
    global _held
    _held = []


def hold(*objects: object) -> None:
    """Keep ``objects`` alive until the process ends, when :func:`start` was called; else nothing."""
    if _held is not None:
        _held.extend(objects)


def holding() -> bool:
    """Whether anything is held (the entry point then ends the process without freeing it)."""
    return bool(_held)
