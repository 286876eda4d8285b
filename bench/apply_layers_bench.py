"""Apply's client CPU per request, layer by layer, against the sandbox in its own process.

Usage::

    python bench/apply_layers_bench.py [--calls 400] [--repeats 3] [--cache DIR]

cProfile inflates pure-Python code (httpx2, h11, our handlers) several times more than code
in C (pydantic-core, msgspec, SQLite), so its shares mislead about where apply's CPU goes. Here
each layer is timed without a profiler: ``time.process_time`` of this process (the sandbox runs
in another, ``python -m planner sandbox serve``, so its CPU is not counted) over ``--calls``
calls, one thread, the median of ``--repeats`` blocks, in microseconds per call:

- ``create_user``: :meth:`SigmaScimClient.create_user` of :func:`planned_user` (a new user each call),
  the request of 78 % of the bench plan's actions;
- ``planned_user + creation_body``: building the POST body alone;
- ``httpx2 POST /Users``: the same body posted through the client's own ``httpx2.Client``
  (our retry and deadline transports), answer not read;
- ``get_group``, ``REST get_member``, ``REST list_team_members``: the other reads of the plan;
- ``httpx2 POST /Users, plain client``: the same through an ``httpx2.Client`` with httpx2's own
  transport (no retry, no deadline): the floor our transports add to;
- ``journal``: the journal transactions of one first create as the runner makes them (running;
  done + ids + before-image) on a file journal in a temporary directory.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _measure import child_env, load_average, machine, prepare_bytecode  # noqa: E402
from apply_bench import CLIENT_ID, CLIENT_SECRET, SCIM_TOKEN, Sandbox  # noqa: E402
from plan_bench import organization  # noqa: E402

from planner.execute.actions import planned_user  # noqa: E402
from planner.execute.journal import Journal  # noqa: E402
from planner.execute.rest_client import SigmaRestClient  # noqa: E402
from planner.execute.scim_client import SigmaScimClient, creation_body  # noqa: E402
from planner.payloads import ScimCreateUser  # noqa: E402
from planner.planfile import read_plan  # noqa: E402


def per_call(fn: Callable[[int], object], calls: int, repeats: int, counter: itertools.count) -> float:
    """Median over ``repeats`` blocks of this process's CPU per call of ``fn(i)``, in microseconds."""
    blocks = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(calls):
            fn(next(counter))
        blocks.append((time.process_time() - start) / calls * 1e6)
    return statistics.median(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--members", type=int, default=7500)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "sigma-migrate-bench")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}; load average {load_average()}")
    prepare_bytecode(child_env())
    org = organization(args.cache, args.members, 1, "scim")
    work = Path(tempfile.mkdtemp(prefix="apply-layers-"))
    sandbox = Sandbox(org / "sigma", work)
    try:
        results = measure(sandbox, work, _bench_plan_actions(args.cache, args.members), args.calls, args.repeats)
    finally:
        sandbox.stop()
    width = max(map(len, results))
    print(f"client CPU per call, median of {args.repeats} blocks of {args.calls} calls (microseconds):")
    for name, us in results.items():
        print(f"  {name:<{width}} {us:8.1f}")
    print(f"load average now {load_average()}")
    return 0


def measure(sandbox: Sandbox, work: Path, actions, calls: int, repeats: int) -> dict[str, float]:
    scim = SigmaScimClient(f"{sandbox.base_url}/scim/v2", SCIM_TOKEN)
    rest = SigmaRestClient(sandbox.base_url, CLIENT_ID, CLIENT_SECRET)
    template = next(a for a in actions if isinstance(a, ScimCreateUser))
    counter = itertools.count()

    def new_user(i: int) -> ScimCreateUser:
        name = f"layers-{i}@example.com"
        return template.__class__(**{**_fields(template), "id": f"L{i}",
                                     "target": template.target.__class__(**{**_fields(template.target),
                                                                             "user_name": name, "idp_id": f"idp-l{i}"})})

    members = [m.member_id for m in rest.list_members()[:50]]
    teams = [t.team_id for t in rest.list_teams()[:50]]
    scim.create_user(planned_user(new_user(next(counter))))  # warm-up: connection, imports
    bodies = [creation_body(planned_user(new_user(i))) for i in range(10**6, 10**6 + 4)]
    results: dict[str, float] = {}
    results["create_user (POST /Users, answer read)"] = per_call(
        lambda i: scim.create_user(planned_user(new_user(i))), calls, repeats, counter)
    results["planned_user + creation_body"] = per_call(
        lambda i: creation_body(planned_user(new_user(i))), calls, repeats, counter)
    results["new_user (the bench's action copy)"] = per_call(new_user, calls, repeats, counter)
    results["httpx2 POST /Users (body prebuilt, no answer read)"] = per_call(
        lambda i: scim._http.post(f"{sandbox.base_url}/scim/v2/Users",
                                  json={**bodies[0], "userName": f"raw-{i}@example.com", "externalId": f"raw-{i}"}),
        calls, repeats, counter)
    plain = httpx2.Client(headers=dict(scim._http.headers))
    results["httpx2 POST /Users, plain client (no retry, no deadline)"] = per_call(
        lambda i: plain.post(f"{sandbox.base_url}/scim/v2/Users",
                             json={**bodies[0], "userName": f"plain-{i}@example.com", "externalId": f"plain-{i}"}),
        calls, repeats, counter)
    plain.close()
    results["REST get_member"] = per_call(lambda i: rest.get_member(members[i % len(members)]), calls, repeats, counter)
    results["REST list_team_members"] = per_call(
        lambda i: rest.list_team_members(teams[i % len(teams)]), calls, repeats, counter)
    results["get_group"] = per_call(lambda i: scim.get_group(teams[i % len(teams)]), calls, repeats, counter)
    journal = Journal.open(work / "plan.json", "sha256:layers", [(f"A{i}", "scim.create_user") for i in range(10**5)])
    journal.start_run("apply")

    def journaled_create(i: int) -> None:
        aid = f"A{i % 10**5}"
        journal.mark_running(aid)
        journal.mark_done(aid, "written", 0, ids={"scimUserId": f"u{i}"}, before={"exists": False})

    results["journal (a first create: 2 transactions)"] = per_call(journaled_create, calls, repeats, counter)
    journal.close()
    scim.close()
    rest.close()
    return results


def _fields(struct) -> dict:
    return {f: getattr(struct, f) for f in struct.__struct_fields__}


def _bench_plan_actions(cache: Path, members: int):
    """The actions of apply_bench.py's plan (made by apply_bench.py, or made here the same way)."""
    from apply_bench import make_plan

    org = organization(cache, members, 1, "scim")
    plan, _ = make_plan(org, cache / "apply" / f"{members}")
    return read_plan(plan).actions


if __name__ == "__main__":
    sys.exit(main())
