"""A person `account_types.overrides` names is assigned to the Sigma app individually, so in scope (tester13
finding 4).

Okta (Assignments > People) and Entra (Users and groups > a user) provision a user assigned individually whatever
groups hold them, and docs/policy.md and the hand-off's individual_assignments.csv call an override exactly that.
Before, Greta (kept only in Okta's Everyone group, given `View` by an override) was deactivated as "outside
scope.groups", her documents moved, and the override reported as settling nothing. The sample Okta export with her
group memberships taken out; planned by the CLI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
GRETA_MEMBER, GRETA_OKTA = "jR368hGsY28MChDckenlesDKgZpsj", "00ufaBfQcK29VwKggTJK"
FINANCE = "e5cd73fd-a310-46b1-8740-b7e718874ef3"


def _plan(capsys, tmp_path: Path, override: str | None) -> dict:
    org = tmp_path / "org"
    if not org.exists():
        shutil.copytree(REPO / "samples" / "acme", org)
        okta = org / "okta"
        names = {g["id"]: g["profile"]["name"] for g in json.loads((okta / "groups.json").read_text())}
        members = json.loads((okta / "group_members.json").read_text())
        (okta / "group_members.json").write_text(json.dumps({
            gid: users if names[gid] == "Everyone" else [u for u in users if u["id"] != GRETA_OKTA]
            for gid, users in members.items()}))
    text = (REPO / "policies" / "examples" / "okta.yaml").read_text(encoding="utf-8")
    line = "    marcus.webb@acme.example: Admin\n"
    assert line in text
    if override is not None:
        text = text.replace(line, line + f"    {override}: View\n")
    policy = tmp_path / f"policy-{override}.yaml"
    policy.write_text(text, encoding="utf-8")
    out = tmp_path / f"plan-{override}.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(org / "sigma"), "--idp", str(org / "okta"),
                           "--policy", str(policy), "--out", str(out))
    assert code == 0, err
    return json.loads(out.read_text())


def _greta(plan: dict) -> list[str]:
    return [a["id"] for a in plan["actions"] if GRETA_MEMBER in a["id"] or GRETA_OKTA in a["id"]]


def test_an_override_puts_an_individually_assigned_person_in_scope(capsys, tmp_path):
    outside = _plan(capsys, tmp_path, None)
    assert _greta(outside) == [f"teams.remove_member:{FINANCE}:{GRETA_MEMBER}", f"members.deactivate:{GRETA_MEMBER}"]
    for ref in ("greta.dunmore@acme.example", GRETA_MEMBER, GRETA_OKTA):  # by email, memberId or IdP id
        assigned = _plan(capsys, tmp_path, ref)
        # was: members.deactivate ("outside scope.groups"), and policy.unused_entry for the override
        assert _greta(assigned) == [f"scim.link_user:{GRETA_MEMBER}", f"teams.remove_member:{FINANCE}:{GRETA_MEMBER}"]
        [link] = [a for a in assigned["actions"] if a["id"] == f"scim.link_user:{GRETA_MEMBER}"]
        assert (link["after"]["userType"], link["after"]["userName"]) == ("View", "greta.dunmore@acme.example")
        assert not [r["id"] for r in assigned["review_items"] if "greta.dunmore" in json.dumps(r)]
