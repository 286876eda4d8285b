"""Seconds per page of the sandbox's SCIM listing (``GET /scim/v2/Users`` and ``/Groups``), at several
organization sizes, for this checkout and optionally another one in the same run (tester8 finding 25).

Usage::

    python bench/scim_page_bench.py [--sizes 2000 20000] [--pages 7] [--count 100] [--against DIR]

For each size, the organization is made once by ``bench/generate.py`` (cached under
``$TMPDIR/sigma-migrate-bench/scim-pages-<members>``). Then, per checkout (this one, then ``--against``),
one child process with that checkout on ``sys.path`` seeds a :class:`planner.sandbox.server.SandboxServer`
from the organization's ``sigma/`` folder, serves it on 127.0.0.1 and reads ``--pages`` pages of
``--count`` resources spread over the listing (first, middle, last: ``startIndex`` evenly spaced) over
real HTTP, each timed from request to parsed body. Printed per checkout, size and resource: the median and
the largest seconds per page and the ``totalResults`` answered (both checkouts must answer the same).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "sigma-migrate-bench"


def organization(members: int) -> Path:
    """The generated organization of ``members`` members (made once per generator version, then reused)."""
    digest = hashlib.sha256((REPO / "bench" / "generate.py").read_bytes()).hexdigest()[:12]
    out = CACHE / f"scim-pages-{members}-{digest}"
    if not (out / "sigma" / "members.json").is_file():
        subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--out", str(out), "--members",
                        str(members), "--seed", "1"], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return out


def child(org: Path, pages: int, count: int) -> dict:
    """Serve ``org`` from the checkout on ``sys.path`` and time ``pages`` pages of Users and of Groups."""
    from planner.sandbox.server import SandboxServer

    started = time.perf_counter()
    with SandboxServer(org / "sigma", token_rate=None) as server:
        seeded = time.perf_counter() - started
        out: dict = {"seed_seconds": seeded}
        for resource in ("Users", "Groups"):
            def page(start: int) -> tuple[float, dict]:
                request = urllib.request.Request(f"{server.scim_base_url}/{resource}?startIndex={start}&count={count}",
                                                 headers=server.scim_headers())
                t0 = time.perf_counter()
                with urllib.request.urlopen(request, timeout=600) as answer:
                    body = json.loads(answer.read())
                return time.perf_counter() - t0, body

            _, first = page(1)  # warms the code paths; its totalResults places the pages
            total = int(first["totalResults"])
            starts = [1 + (max(total - count, 0) * i) // max(pages - 1, 1) for i in range(pages)]
            timed = [page(s) for s in starts]
            out[resource] = {"total": total, "seconds": [t for t, _ in timed],
                             "items": sum(len(b.get("Resources") or []) for _, b in timed)}
        return out


def run(checkout: Path, org: Path, pages: int, count: int) -> dict:
    """One child process of ``checkout`` on ``org``: :func:`child`'s figures."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(org), "--pages", str(pages),
                           "--count", str(count)], env=env, cwd=checkout, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{checkout}: child failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000], help="members per organization")
    parser.add_argument("--pages", type=int, default=7, help="pages timed per listing")
    parser.add_argument("--count", type=int, default=100, help="resources per page (SCIM count)")
    parser.add_argument("--against", type=Path, help="another checkout to time in the same run (e.g. /work/main)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.pages, args.count)))
        return 0
    checkouts = [REPO] + ([args.against.resolve()] if args.against else [])
    print(f"{'checkout':<24} {'members':>8} {'resource':<8} {'total':>7} {'median s/page':>14} {'max s/page':>11}"
          f" {'seed s':>7}")
    for size in args.sizes:
        org = organization(size)
        for checkout in checkouts:
            figures = run(checkout, org, args.pages, args.count)
            for resource in ("Users", "Groups"):
                f = figures[resource]
                print(f"{str(checkout)[-24:]:<24} {size:>8,} {resource:<8} {f['total']:>7,} "
                      f"{statistics.median(f['seconds']):>14.4f} {max(f['seconds']):>11.4f} "
                      f"{figures['seed_seconds']:>7.1f}", flush=True)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
