"""CPU of encoding each large field of a plan (the plan file's JSON), for the plan as ``plan`` builds it
in process and for the same plan decoded from its file, in one process (issue 10 item 5).

Usage::

    python bench/encode_bench.py [--org DIR] [--runs 3]

Why: ``dump_plan`` costs about three times as much CPU on the plan ``plan`` has just built as on
the same plan read back from its file. This prints, per field (``actions``, ``people``,
``fingerprints``, ``review_items``), the median CPU seconds (``time.process_time``) of
:func:`planner.planfile.canonical_json` of the field's value, built and decoded, and their ratio,
and the same for a copy of the people rows whose strings are copied too (``people, strings
copied``) and one whose rows only are copied (``people, rows copied``): which of the built plan's
objects make its encoding slow (the rows' order in memory, or the strings they share with the
snapshot). Then (under ``plan file of the built plan``) what ``dump_plan`` does over the whole
plan, each step in C: encoding every field, the layout (a comma and a newline between elements),
the newlines taken out again for the digest, the sha256, and the write into a file: the plan
file's CPU that no change in the planner's Python would remove. The organization is plan_bench's cached 100k
one (``--org``) with its ``policy.yaml``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_ORG = Path(tempfile.gettempdir()) / "sigma-migrate-bench" / "org-100000-seed1-scim"
FIELDS = ("actions", "people", "fingerprints", "review_items")


def copied_string(value: object) -> object:
    """A new ``str`` equal to ``value`` when it is exactly a ``str`` (an Enum member is kept), else ``value``."""
    return "".join((value, "")) if type(value) is str else value


def cpu(fn, runs: int) -> float:
    """Median CPU seconds of ``fn()`` over ``runs`` calls."""
    spent = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        spent.append(time.process_time() - start)
    return statistics.median(spent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--org", type=Path, default=DEFAULT_ORG)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import msgspec

    from planner.model import PersonRow
    from planner.planfile import canonical_json, read_plan, write_plan
    from planner.planning import plan_from_paths

    org = args.org
    built, _ = plan_from_paths(str(org / "sigma"), [str(org / "idp")], str(org / "policy.yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        write_plan(built, Path(tmp) / "plan.json")
        decoded = read_plan(Path(tmp) / "plan.json")
    rows_copied = [msgspec.structs.replace(r) for r in built.people]
    strings_copied = [PersonRow(*map(copied_string, msgspec.structs.astuple(r))) for r in built.people]
    print(f"{org.name}: load average {os.getloadavg()[0]:.1f}; CPU s, median of {args.runs} encodes")
    print(f"  {'field':<26} {'built':>7} {'decoded':>8}  ratio")
    cases = [(name, getattr(built, name), getattr(decoded, name)) for name in FIELDS]
    cases += [("people, rows copied", rows_copied, decoded.people),
              ("people, strings copied", strings_copied, decoded.people)]
    for name, mine, theirs in cases:
        a = cpu(lambda: canonical_json(mine), args.runs)
        b = cpu(lambda: canonical_json(theirs), args.runs)
        print(f"  {name:<26} {a:7.3f} {b:8.3f}  {a / b:5.2f}x")
    file_floor(built, args.runs)
    sys.stdout.flush()
    os._exit(0)  # the two plans are not freed (about a second of CPU at 100k)


def file_floor(plan, runs: int) -> None:
    """Print the CPU of each step ``dump_plan`` takes over the whole plan file (see the module docstring)."""
    from planner.planfile import _ENCODER, _field_chunks, _plan_fields

    fields = _plan_fields(plan)
    names = sorted(fields)
    chunks = [c for name in names for c in _field_chunks(name.encode(), fields[name])]
    lines = [_ENCODER.encode_lines(v[i:i + 512]) for v in (plan.actions, plan.people) for i in range(0, len(v), 512)]

    def hashed() -> None:
        h = hashlib.sha256()
        for c in chunks:
            h.update(c)

    def written() -> None:
        with tempfile.TemporaryFile() as fh:
            fh.writelines(chunks)

    steps = [("encode (_field_chunks)", lambda: [None for n in names for _ in _field_chunks(n.encode(), fields[n])]),
             ("layout ,\\n (actions, people)", lambda: [b.replace(b"\n", b",\n") for b in lines]),
             ("newlines out, for the digest", lambda: [c.replace(b"\n", b"") for c in chunks]),
             ("sha256", hashed), ("write", written)]
    print(f"  plan file of the built plan, {sum(map(len, chunks)) / 2**20:.0f} MiB:")
    for name, fn in steps:
        print(f"  {name:<34} {cpu(fn, runs):7.3f}")


if __name__ == "__main__":
    sys.exit(main())
