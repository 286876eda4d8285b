"""The floor for ``plan``: only the essential work, on the files bench/generate.py writes.

Usage (what bench/plan_bench.py runs next to ``plan`` and ``check``)::

    python bench/baseline.py ORG [--load-only] [--alias OLD=NEW ...]

``ORG`` is a generated organization with the SCIM layout (``ORG/sigma/members.json``,
``teams.json``, ``team_members.json``; ``ORG/idp/Users.json``, ``Groups.json``).
The script uses the standard library only (``json``, dicts and sets), with no
objects per record, no validation and no output files, so its CPU time is what
the same joins cost in plain Python:

1. **load**: parse the five JSON files (the Sigma pages concatenated);
2. **keys**: lower-case every Sigma email and IdP ``userName`` and ``emails[].value``
   (``--alias`` maps an alias domain onto the primary one, as
   ``linking.domain_aliases`` does);
3. **join**: hash-join members to IdP users on that key: an active internal member
   (not archived, not inactive, not a guest, not Sigma's scheduler robot) whose
   key is its own (no other member has it) matches the IdP user whose ``userName``
   has the key, else the one whose ``userName`` has it under the alias domain, else
   the one with it among its ``emails``. It is a link when that IdP user is active
   and not an Entra guest (``#EXT#``); ``user_name_differs`` counts the links whose
   ``userName`` is not the Sigma email (the planner's userName guard items).
   Members sharing a key are ``held``; active IdP users no member matched are
   ``creates``;
4. **flatten**: each IdP group's users, nested groups expanded (memoised, acyclic
   as generated);
5. **team diffs**: each Sigma team whose name equals a group's ``displayName`` up
   to case gets, from the flattened group mapped through the links, the members
   to add and the members to remove.

With ``--load-only`` it stops after step 1 (the floor for ``check``, which loads
and validates the same files). It prints one JSON object: counts (``links``,
``held``, ``creates``, ``teams_mapped``, ``team_adds``, ``team_removes``, ...) and
``cpu`` (seconds of ``time.process_time`` per step). ``links`` equals the number
of ``scim.link_user`` actions the planner emits under the generated strict
policy plus the links it holds for a blocking ``user_name_guard.mismatch``
(tests/test_bench_baseline.py; ``plan_bench.py`` checks the same).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _peak  # noqa: E402  (bench/_peak.py: this process's own peak RSS, written at exit)

SCHEDULER_ROBOT = "SigmaSchedulerRobot"


def _pages(path: Path) -> list[dict]:
    """The entries of a Sigma v2 listing saved as one page object or an array of pages."""
    doc = json.loads(path.read_bytes())
    pages = doc if isinstance(doc, list) else [doc]
    return [entry for page in pages for entry in page["entries"]]


def load(org: Path) -> dict:
    """Step 1: the five files as parsed JSON (lists of records; team members by teamId)."""
    sigma, idp = org / "sigma", org / "idp"
    return {
        "members": _pages(sigma / "members.json"),
        "teams": _pages(sigma / "teams.json"),
        "team_members": json.loads((sigma / "team_members.json").read_bytes()),
        "users": json.loads((idp / "Users.json").read_bytes())["Resources"],
        "groups": json.loads((idp / "Groups.json").read_bytes())["Resources"],
    }


def _alias(key: str, aliases: dict[str, str]) -> str:
    local, _, domain = key.rpartition("@")
    mapped = aliases.get(domain)
    return f"{local}@{mapped}" if mapped else key


def join(data: dict, aliases: dict[str, str]) -> dict:
    """Steps 2-3: lower-cased keys and the member <-> IdP user hash join.

    Returns ``{"links": {idp_id: member_id}, "held": int, "user_name_differs": int, "creates": int}``.
    """
    key_count: dict[str, int] = {}
    for m in data["members"]:
        k = m["email"].strip().lower()
        key_count[k] = key_count.get(k, 0) + 1
    by_user_name: dict[str, dict] = {}
    by_email: dict[str, dict] = {}
    for u in data["users"]:
        by_user_name[u["userName"].strip().lower()] = u
        for e in u.get("emails") or ():
            by_email.setdefault(e["value"].strip().lower(), u)
    links: dict[str, str] = {}
    matched: set[str] = set()
    held = user_name_differs = 0
    for m in data["members"]:
        if (m["isArchived"] or m["isInactive"] or m["userKind"] != "internal"
                or m["memberId"] == SCHEDULER_ROBOT):
            continue
        k = m["email"].strip().lower()
        if key_count[k] > 1:
            held += 1
            continue
        u = by_user_name.get(k) or by_user_name.get(_alias(k, aliases)) or by_email.get(k)
        if u is None:
            continue
        matched.add(u["id"])
        if u["active"] and "#EXT#" not in u["userName"]:
            links[u["id"]] = m["memberId"]
            user_name_differs += u["userName"].strip().lower() != k
    creates = sum(1 for u in data["users"]
                  if u["active"] and u["id"] not in matched and "#EXT#" not in u["userName"])
    return {"links": links, "held": held, "user_name_differs": user_name_differs, "creates": creates}


def flatten(groups: list[dict]) -> dict[str, set[str]]:
    """Step 4: ``{group id: every user id in it, nested groups expanded}``."""
    direct = {g["id"]: g.get("members") or () for g in groups}
    flat: dict[str, set[str]] = {}

    def users_of(gid: str) -> set[str]:
        done = flat.get(gid)
        if done is not None:
            return done
        out: set[str] = set()
        flat[gid] = out  # an acyclic input never reads it half-built
        for ref in direct.get(gid, ()):
            if ref.get("type") == "Group":
                out |= users_of(ref["value"])
            else:
                out.add(ref["value"])
        return out

    for gid in direct:
        users_of(gid)
    return flat


def team_diffs(data: dict, flat: dict[str, set[str]], links: dict[str, str]) -> dict:
    """Step 5: per team mapped to a group (name equal up to case), members to add and to remove."""
    group_by_name = {g["displayName"].lower(): g["id"] for g in data["groups"]}
    mapped = adds = removes = 0
    for team in data["teams"]:
        gid = group_by_name.get(team["name"].lower())
        if gid is None:
            continue
        mapped += 1
        want = {links[u] for u in flat[gid] if u in links}
        doc = data["team_members"].get(team["teamId"]) or {}
        have = {e["userId"] for e in doc.get("entries") or ()}
        adds += len(want - have)
        removes += len(have - want)
    return {"teams_mapped": mapped, "team_adds": adds, "team_removes": removes}


def run(org: Path, aliases: dict[str, str], load_only: bool = False) -> dict:
    """Every step on ``org``; the counts and the CPU seconds of each step (``cpu``)."""
    cpu: dict[str, float] = {}
    t = time.process_time()

    def lap(step: str) -> None:
        nonlocal t
        now = time.process_time()
        cpu[step] = now - t
        t = now

    data = load(org)
    lap("load")
    out: dict = {"members": len(data["members"]), "idp_users": len(data["users"]),
                 "idp_groups": len(data["groups"]), "teams": len(data["teams"])}
    if not load_only:
        joined = join(data, aliases)
        lap("join")
        flat = flatten(data["groups"])
        lap("flatten")
        out.update(team_diffs(data, flat, joined["links"]))
        lap("teams")
        out.update(links=len(joined["links"]), held=joined["held"], creates=joined["creates"],
                   user_name_differs=joined["user_name_differs"],
                   flattened_memberships=sum(len(s) for s in flat.values()))
    out["cpu"] = cpu
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("org", type=Path, help="an organization written by bench/generate.py (SCIM layout)")
    parser.add_argument("--load-only", action="store_true", help="stop after loading (the floor for check)")
    parser.add_argument("--alias", action="append", default=[], metavar="OLD=NEW",
                        help="an alias domain, as linking.domain_aliases (repeatable)")
    args = parser.parse_args(argv)
    _peak.report_at_exit()
    aliases = dict(a.lower().split("=", 1) for a in args.alias)
    for name in ("sigma/members.json", "sigma/teams.json", "sigma/team_members.json",
                 "idp/Users.json", "idp/Groups.json"):
        if not (args.org / name).is_file():
            print(f"baseline: {args.org / name}: missing (the baseline reads the SCIM layout only)",
                  file=sys.stderr)
            return 2
    print(json.dumps(run(args.org, aliases, args.load_only), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
