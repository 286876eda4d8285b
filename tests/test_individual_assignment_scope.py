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

from .conftest import okta_users_counts, run_cli

REPO = Path(__file__).resolve().parent.parent
GRETA_MEMBER, GRETA_OKTA = "jR368hGsY28MChDckenlesDKgZpsj", "00ufaBfQcK29VwKggTJK"
NO_INDIVIDUAL_ASSIGNMENTS = ("  groups:\n", "  individual_assignments: none\n  groups:\n")
FINANCE = "e5cd73fd-a310-46b1-8740-b7e718874ef3"


def _plan(capsys, tmp_path: Path, override: str | None, extra: tuple[str, str] = ("", "")) -> dict:
    """Plan the sample with Greta in no group but Everyone; ``override``: an ``account_types.overrides`` key given
    View; ``extra``: ``(text of the policy, its replacement)``."""
    org = tmp_path / "org"
    if not org.exists():
        shutil.copytree(REPO / "samples" / "acme", org)
        okta = org / "okta"
        names = {g["id"]: g["profile"]["name"] for g in json.loads((okta / "groups.json").read_text())}
        members = json.loads((okta / "group_members.json").read_text())
        (okta / "group_members.json").write_text(json.dumps({
            gid: users if names[gid] == "Everyone" else [u for u in users if u["id"] != GRETA_OKTA]
            for gid, users in members.items()}))
        okta_users_counts(okta)  # Sigma-Viewers left with 50 members, a round page size (docs/formats.md §0.9)
    text = (REPO / "policies" / "examples" / "okta.yaml").read_text(encoding="utf-8")
    line = "    marcus.webb@acme.example: Admin\n"
    assert line in text
    if override is not None:
        text = text.replace(line, line + f"    {override}: View\n")
    if extra[0]:
        assert text.count(extra[0]) == 1
        text = text.replace(extra[0], extra[1])
    policy = tmp_path / f"policy-{override}-{len(extra[1])}.yaml"
    policy.write_text(text, encoding="utf-8")
    out = tmp_path / f"plan-{override}-{len(extra[1])}.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(org / "sigma"), "--idp", str(org / "okta"),
                           "--policy", str(policy), "--out", str(out))
    assert code == 0, err
    return json.loads(out.read_text())


def _greta(plan: dict) -> list[str]:
    return [a["id"] for a in plan["actions"] if GRETA_MEMBER in a["id"] or GRETA_OKTA in a["id"]]


def test_an_override_puts_an_individually_assigned_person_in_scope(capsys, tmp_path):
    outside = _plan(capsys, tmp_path, None, NO_INDIVIDUAL_ASSIGNMENTS)
    assert _greta(outside) == [f"teams.remove_member:{FINANCE}:{GRETA_MEMBER}", f"members.deactivate:{GRETA_MEMBER}"]
    for ref in ("greta.dunmore@acme.example", GRETA_MEMBER, GRETA_OKTA):  # by email, memberId or IdP id
        assigned = _plan(capsys, tmp_path, ref)
        # was: members.deactivate ("outside scope.groups"), and policy.unused_entry for the override
        assert _greta(assigned) == [f"scim.link_user:{GRETA_MEMBER}", f"teams.remove_member:{FINANCE}:{GRETA_MEMBER}"]
        [link] = [a for a in assigned["actions"] if a["id"] == f"scim.link_user:{GRETA_MEMBER}"]
        assert (link["after"]["userType"], link["after"]["userName"]) == ("View", "greta.dunmore@acme.example")
        assert not [r["id"] for r in assigned["review_items"] if "greta.dunmore" in json.dumps(r)]


# --------------------------------------------------------------------------- tester18 finding 7

GRETA_ITEM = (
    "greta.dunmore@acme.example: IdP user 00ufaBfQcK29VwKggTJK (greta.dunmore@acme.example) is outside scope.groups, "
    "but active in the IdP, last sign-in 2025-05-29T00:23:07Z: is it assigned to the Sigma app directly (not through "
    "a group)? No export read holds the app's assignments (Okta /api/v1/apps/{appId}/users, Entra "
    "appRoleAssignedTo), and the IdP would provision a directly assigned user right after this plan archived the "
    "member and moved their documents; decide")


def test_an_active_user_outside_scope_groups_is_asked_about_not_deactivated(capsys, tmp_path):
    """Tester18 finding 7: without an override, Greta (active in Okta, in no scope group: maybe assigned to the app
    directly) was deactivated as "outside scope.groups", 0 items; now one blocking scope.individual_assignment."""
    plan = _plan(capsys, tmp_path, None)
    assert f"members.deactivate:{GRETA_MEMBER}" not in _greta(plan)
    [item] = [r for r in plan["review_items"] if r["blocking"]]
    assert (item["id"], item["code"], item["rule"], item["message"]) == (
        f"scope.individual_assignment:{GRETA_MEMBER}", "scope.individual_assignment", "scope.individual_assignments",
        GRETA_ITEM)
    assert item["resolution"] == (
        "# account_types.overrides: assigned directly, in scope with this account type (linked, not deactivated); "
        "deactivate: members.deactivate, their documents going to the document owner (tomasz.nowak@acme.example); "
        "keep: nothing is planned for them; scope.individual_assignments: none: the app's assignments list no user "
        "directly (checked in the IdP), so everyone outside scope.groups is decided by unmatched.action\n"
        "account_types:\n  overrides:\n    greta.dunmore@acme.example: View\n# or:\n# unmatched:\n#   decisions:\n"
        "#     greta.dunmore@acme.example: deactivate\n# or:\n# unmatched:\n#   decisions:\n"
        "#     greta.dunmore@acme.example: keep\n# or:\n# scope:\n#   individual_assignments: none\n")


def test_unmatched_decisions_settles_the_individual_assignment_question(capsys, tmp_path):
    plan = _plan(capsys, tmp_path, None, ("  decisions:\n", "  decisions:\n    greta.dunmore@acme.example: deactivate\n"))
    [action] = [a for a in plan["actions"] if a["id"] == f"members.deactivate:{GRETA_MEMBER}"]
    assert (action["rule"], action["reason"]) == (
        "unmatched.decisions", "deactivate: IdP user 00ufaBfQcK29VwKggTJK (greta.dunmore@acme.example) is outside "
        "scope.groups; documents go to tomasz.nowak@acme.example")
    assert [r["id"] for r in plan["review_items"] if r["blocking"]] == []
