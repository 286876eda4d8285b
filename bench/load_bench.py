"""CPU of the load stage, loader by loader: the Sigma export's files and the SCIM IdP export's, each
read as :func:`planner.sources.load_snapshot` reads them, then the cross-record checks.

Usage::

    python bench/load_bench.py [--repo DIR] [--size 100000] [--runs 5]

``--repo``: the source tree to import ``planner`` from (default: this one), so that two trees (before
and after a change) are measured alike, one after the other, on the same machine. The organization
is bench/generate.py's (cached like bench/plan_bench.py's, under ``--cache``). Each part runs
``--runs`` times in this process with the cyclic garbage collector paused (as ``check`` and ``plan``
run the loaders); the median CPU seconds (``time.process_time``) of each, with the fewest and most,
are printed, and ``load_snapshot`` whole. ``check``'s CPU against the baseline's is
bench/plan_bench.py's (a process each, start-up and exit included).
"""

from __future__ import annotations

import sys
from typing import Callable

from _stage import cpu_runs, median_line, org_inputs, prepare, stage_parser  # bench/_stage.py


def main() -> int:
    parser = stage_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    org = prepare(args)
    from planner.sources import formulas, load_snapshot, scim, sigma, validation
    from planner.sources.files import Findings

    sigma_dir, idp = org / "sigma", org / "idp"
    _, snapshot = org_inputs(org)
    parts: dict[str, Callable[[], object]] = {
        "sigma members.json": lambda: sigma._members_json(sigma_dir / "members.json", Findings()),
        "sigma teams.json": lambda: sigma._teams_json(sigma_dir / "teams.json", Findings()),
        "sigma team_members.json": lambda: sigma._team_members_json(sigma_dir / "team_members.json", Findings()),
        "sigma.load (all files)": lambda: sigma.load(sigma_dir, Findings()),
        "scim.load (Users, Groups)": lambda: scim.load(
            {"resources": [idp / "Users.json", idp / "Groups.json"]}, Findings()),
        "validation.check_sigma": lambda: validation.check_sigma(snapshot.sigma),
        "validation.check_idp": lambda: validation.check_idp(snapshot.idp),
        "formulas (both sides)": lambda: (formulas.sigma_formula_findings(snapshot.sigma),
                                          formulas.idp_formula_findings(snapshot.idp)),
        "load_snapshot": lambda: load_snapshot(str(sigma_dir), [str(idp)]),
    }
    print(f"load at {args.size:,} members, {args.repo.resolve()}, {args.runs} runs (CPU s: median [min, max])")
    for name, part in parts.items():
        print(median_line(name, cpu_runs(part, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
