"""The two designs of a typed review-item ``evidence`` (issue 10 item 2), measured on a real plan.

Usage::

    python bench/evidence_designs.py PLAN.json [--runs 5]

(a) a union tagged by ``code``: the plan bytes must not change, so the tag cannot go into the evidence
    object; ReviewItem itself becomes one class per code, each with an evidence record of exactly
    its keys (built here from the plan: one class per code seen, fields typed as in ItemEvidence).
(b) :class:`planner.model.ItemEvidence`: one record with every key as an optional field.

Printed: the codes and evidence key sets the plan holds, then the CPU of decoding its review items
(``msgspec.json.Decoder``, median of ``--runs`` in one process) under each design, and the ratio.
The rule set's codes are counted by ``ast`` (the ``make_review`` / ``ReviewItem`` calls of planner/).
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
import time
from pathlib import Path

import msgspec

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from planner.model import ItemEvidence, ItemRef, ReviewItem  # noqa: E402


def builder_codes() -> tuple[list[str], int]:
    """The literal codes of the ``make_review`` / ``ReviewItem`` calls under planner/, and how many
    calls give a code that is not a literal (``f"guards.{name}"``, a module's ``CODE``)."""
    codes, computed = [], 0
    for path in sorted((REPO / "planner").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None)
            if isinstance(node, ast.Call) and getattr(name, "id", getattr(name, "attr", "")) in ("make_review", "ReviewItem"):
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant):
                    codes.append(first.value)
                elif isinstance(first, ast.IfExp):
                    codes += [first.body.value, first.orelse.value]
                elif first is not None:
                    computed += 1
    return sorted(set(codes)), computed


def per_code_union(items: list[dict]) -> type:
    """Design (a) for the codes of ``items``: one ReviewItem class per code tagged by ``code``, each
    with an evidence Struct of exactly the keys that code's items hold (JSON names as written)."""
    hints = msgspec.structs.fields(ItemEvidence)
    by_json = {f.encode_name: f for f in hints}
    keys: dict[str, set[str]] = {}
    for r in items:
        keys.setdefault(r["code"], set()).update(r["evidence"])
    classes = []
    for i, (code, names) in enumerate(sorted(keys.items())):
        fields = [(by_json[n].name, by_json[n].type, msgspec.UNSET) for n in sorted(names)]
        evidence = msgspec.defstruct(f"Evidence{i}", fields, frozen=True, forbid_unknown_fields=True,
                                     omit_defaults=True, rename="camel", kw_only=True)
        classes.append(msgspec.defstruct(
            f"Item{i}", [("id", str), ("blocking", bool), ("subject", ItemRef), ("message", str),
                         ("candidates", tuple[ItemRef, ...]), ("evidence", evidence), ("rule", str),
                         ("resolution", str)],
            tag_field="code", tag=code, frozen=True, forbid_unknown_fields=True))
    return list[__import__("typing").Union[tuple(classes)]]  # type: ignore[misc]


def median_cpu(decode, data: bytes, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        decode(data)
        times.append(time.process_time() - start)
    return statistics.median(times)


def main(argv: list[str]) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("plan", type=Path)
    args.add_argument("--runs", type=int, default=5)
    opts = args.parse_args(argv)
    items = json.loads(opts.plan.read_bytes())["review_items"]
    data = msgspec.json.encode(items)
    codes, computed = builder_codes()
    shapes = {tuple(sorted(r["evidence"])) for r in items}
    with_evidence = sorted({r["code"] for r in items if r["evidence"]})
    print(f"rule set: {len(codes)} literal item codes + {computed} builder(s) with a computed code "
          f"(guards.<name>, CODE constants); ItemEvidence fields: {len(msgspec.structs.fields(ItemEvidence))}")
    print(f"plan: {len(items)} review items, {len({r['code'] for r in items})} codes, "
          f"{len(with_evidence)} with evidence, {len(shapes)} evidence key sets")
    one = msgspec.json.Decoder(list[ReviewItem])
    union = msgspec.json.Decoder(per_code_union(items))
    assert len(one.decode(data)) == len(union.decode(data)) == len(items)
    b = median_cpu(one.decode, data, opts.runs)
    a = median_cpu(union.decode, data, opts.runs)
    print(f"decode review items, median of {opts.runs} (CPU s): (a) union per code {a:.4f}, "
          f"(b) one ItemEvidence {b:.4f}, (a)/(b) {a / b:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
