"""Run ``sigma-migrate`` exactly as ``python -m planner`` does (:func:`planner.cli.entry`), timing the pipeline's stages.

Usage (what bench/plan_bench.py runs, for ``plan`` and for ``check``)::

    BENCH_TIMINGS=timings.json python bench/_plan_child.py plan --sigma ... --report report.html

With ``BENCH_CHILD_REPORT`` set, the process's own peak RSS is written there at
exit (bench/_peak.py). Without ``BENCH_TIMINGS`` no timer is installed and the
command imports only what it needs (``check`` does not import the planning and
report modules, which :func:`install` would).

Before calling :func:`planner.cli.main`, the stage functions are wrapped with
``time.perf_counter`` timers wherever a module holds a reference to them
(``from x import f`` copies included), so the real command runs unchanged and
no planner code needs a timing hook. Times are *exclusive*: a stage nested in
another (``match_identities`` inside ``decide``) is counted once, in its own
stage. Each stage has its wall time (``perf_counter``) and its CPU time
(``process_time``: on a shared machine, what the wall time would be on an idle
one for this single-threaded work). Stages:

- ``load``: :func:`planner.sources.load_snapshot` and :func:`planner.policy_reader.load_policy`
- ``match``: :func:`planner.directory.build_directory`,
  :func:`planner.rules.linking.resolve_overrides`, :func:`planner.matching.match_identities`
- ``decide``: :func:`planner.planning.decide` (the rule families and guards)
- ``plan``: the rest of :func:`planner.planning.build_plan` (DAG order, rows,
  fingerprints, summary) and :func:`planner.planfile.write_plan` / ``dump_plan``
- ``render``: :func:`planner.report.stream_html` (``plan`` and ``report`` render into the
  file as the template yields), ``render_html`` / ``write_html`` and a report's file write
  (``planner.output.Outputs.write_text``)

A wrapped function that does not exist (yet) is skipped. The timings file is
JSON ``{"stages": {stage: seconds}, "stages_cpu": {stage: seconds},
"calls": {"module.function": seconds},
"marks": {"script_start" | "main_start" | "main_end": time.time()}}`` written
when the command returns; with the caller's own clock readings around the
process, the marks split the rest of the wall time into interpreter start,
imports, unwrapped work (argument parsing, printing) and exit (freeing the
objects of a large plan).
"""

from __future__ import annotations

import time

_T_START = time.time()  # wall clock, comparable with the parent's (perf_counter is per process)

import atexit  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _peak  # noqa: E402  (bench/_peak.py: this process's own peak RSS, written at exit)

STAGE_FUNCTIONS = [
    ("planner.sources", "load_snapshot", "load"),
    ("planner.policy", "load_policy", "load"),
    ("planner.directory", "build_directory", "match"),
    ("planner.rules.linking", "resolve_overrides", "match"),
    ("planner.matching", "match_identities", "match"),
    ("planner.planning", "decide", "decide"),
    ("planner.planning", "build_plan", "plan"),
    ("planner.planfile", "write_plan", "plan"),
    ("planner.planfile", "dump_plan", "plan"),
    ("planner.report", "write_html", "render"),
    ("planner.report", "render_html", "render"),
    ("planner.report", "stream_html", "render"),
    ("planner.output", "Outputs.write_text", "render"),
    ("planner.report", "write_actions_csv", "render"),
]

# Timed for the breakdown only (inclusive seconds in "calls"; stage attribution unchanged).
DETAIL_FUNCTIONS = [
    ("planner.sources", "load_sigma_export"),
    ("planner.sources", "load_idp"),
    ("planner.rules.linking", "decide"),
    ("planner.rules.linking", "link_actions"),
    ("planner.rules.guests", "decide"),
    ("planner.planning", "fold_account_types"),
    ("planner.planning", "fold_teams"),
    ("planner.planning", "fold_unmatched"),
    ("planner.rules.guards", "evaluate"),
    ("planner.planning", "add_cross_dependencies"),
    ("planner.planning", "order_actions"),
    ("planner.planning", "sort_review_items"),
    ("planner.planning", "person_rows"),
    ("planner.planning", "fingerprints"),
    ("planner.planning", "build_summary"),
    ("planner.report", "report_context"),
]

_stages: dict[str, float] = {}
_stages_cpu: dict[str, float] = {}
_cpu_stack: list[float] = []
_marks: dict[str, float] = {"script_start": _T_START}
_calls: dict[str, float] = {}
_stack: list[float] = []


def _timed(fn, stage: str, name: str):
    def wrapper(*args, **kwargs):
        _stack.append(0.0)
        _cpu_stack.append(0.0)
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            nested, nested_cpu = _stack.pop(), _cpu_stack.pop()
            _stages[stage] = _stages.get(stage, 0.0) + elapsed - nested
            _stages_cpu[stage] = _stages_cpu.get(stage, 0.0) + cpu - nested_cpu
            _calls[name] = _calls.get(name, 0.0) + elapsed
            if _stack:
                _stack[-1] += elapsed
                _cpu_stack[-1] += cpu

    wrapper.__wrapped__ = fn
    wrapper.__name__ = getattr(fn, "__name__", name)
    wrapper.__doc__ = getattr(fn, "__doc__", None)
    return wrapper


def _detail(fn, name: str):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _calls[name] = _calls.get(name, 0.0) + time.perf_counter() - t0

    wrapper.__wrapped__ = fn
    wrapper.__name__ = getattr(fn, "__name__", name)
    wrapper.__doc__ = getattr(fn, "__doc__", None)
    return wrapper


def _lookup(module_name: str, attr: str):
    """``(owner, name, function)`` for ``module.function`` or ``module.Class.method``, else None."""
    try:
        owner = importlib.import_module(module_name)
    except ImportError:
        return None
    *path, name = attr.split(".")
    for part in path:
        owner = getattr(owner, part, None)
        if owner is None:
            return None
    fn = vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name, None)
    return (owner, name, fn) if callable(fn) else None


def install() -> list[str]:
    """Wrap every stage function in every loaded ``planner`` module; return the wrapped names."""
    import planner.cli  # noqa: F401  (imports the command modules it imports eagerly)

    originals = {}
    for module_name, attr, stage in STAGE_FUNCTIONS:
        found = _lookup(module_name, attr)
        if found is None:
            continue
        owner, name, fn = found
        wrapped = _timed(fn, stage, f"{module_name}.{attr}")
        if isinstance(owner, type):  # a method: patch the class, nothing else refers to it
            setattr(owner, name, wrapped)
            continue
        originals[id(fn)] = (fn, wrapped)
    for module_name, attr in DETAIL_FUNCTIONS:
        try:
            fn = getattr(importlib.import_module(module_name), attr, None)
        except ImportError:
            continue
        if fn is not None and id(fn) not in originals:
            originals[id(fn)] = (fn, _detail(fn, f"{module_name}.{attr}"))
    for module_name, module in list(sys.modules.items()):
        if not (module_name == "planner" or module_name.startswith("planner.")) or module is None:
            continue
        for attr, value in list(vars(module).items()):
            hit = originals.get(id(value))
            if hit is not None and hit[0] is value:
                setattr(module, attr, hit[1])
    return sorted(f"{fn.__module__}.{fn.__name__}" for fn, _ in originals.values())


def _write(path: str) -> None:
    Path(path).write_text(json.dumps({"stages": _stages, "stages_cpu": _stages_cpu, "calls": _calls,
                                      "marks": _marks},
                                     indent=2, sort_keys=True))


def main() -> None:
    _peak.report_at_exit()
    out = os.environ.get("BENCH_TIMINGS")
    if out:  # install() imports every stage's module: without timings, the command imports what it needs
        install()
    from planner.cli import entry  # what `python -m planner` runs

    def finish() -> None:  # at exit: entry() may end the process (os._exit) once the atexit functions ran
        _marks["main_end"] = time.time()
        if out:
            _write(out)

    atexit.register(finish)  # runs before _peak's (atexit is last in, first out)
    _marks["main_start"] = time.time()
    entry(sys.argv[1:])


if __name__ == "__main__":
    main()
