"""CPU of the duplicate-key check of planner.sources.files.duplicate_key on the 100k organization's JSON files.

Prints, per file and in total, the median CPU (``--runs``) of the generic msgspec decode and of the check
(files.duplicate_key: the raw bytes against the decoded value encoded again, then the colons of both), and the check's share of the decode.
Usage: ``python bench/dup_key_bench.py [--cache /tmp/sigma-migrate-bench] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.sources.files import _JSON, Findings, duplicate_key  # noqa: E402


def cpu(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default="/tmp/sigma-migrate-bench")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(args.cache) / "org-100000-seed1-scim"
    total_decode = total_check = 0.0
    for path in sorted([*root.glob("sigma/*.json"), *root.glob("idp/*.json")]):
        raw = path.read_bytes()
        value = _JSON.decode(raw)
        decode = cpu(lambda: _JSON.decode(raw), args.runs)
        check = cpu(lambda: duplicate_key(path, raw, value, Findings()), args.runs)
        total_decode += decode
        total_check += check
        print(f"{path.parent.name}/{path.name:20} decode {decode:6.3f} s  check {check:6.3f} s")
    print(f"total                      decode {total_decode:6.3f} s  check {total_check:6.3f} s  "
          f"check/decode {total_check / total_decode:.2f}")


if __name__ == "__main__":
    main()
