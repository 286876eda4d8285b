"""bench/plan_read_bench.py times ``read_plan`` over a plan the checkout writes itself, so a new plan format
does not break it (it wrote a hand-made format-1 document, which every format-2 build refused)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.sandbox_fixture import REPO


def test_plan_read_bench_reads_a_plan_of_this_checkouts_format():
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "plan_read_bench.py"), "--members", "300", "--teams", "4",
         "--rounds", "1", "--runs", "1"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "read_plan: 300 member + 4 team fingerprints; 1 rounds x 1 reads per checkout, alternated"
    assert re.fullmatch(r"  \S+: median \d+ ms \(min \d+, max \d+\)", lines[1])
