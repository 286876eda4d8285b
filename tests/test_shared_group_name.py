"""Two Entra groups with one display name (Entra allows it) are said to be so (tester10 #6, #13).

Entra's "Download members" file is named by the group's display name, so ``group_members/Finance.csv`` cannot say
which of two groups named ``Finance`` it lists. Before, the loader said both had 'no membership file' and that
'Finance' was 'not in this groups file', made a third pseudo-group from the file name, and the plan's
``teams.conflict`` listed 'Finance' three times. Now one ``shared-group-name`` warning names the display name and
both Object IDs (the members stay unknown: the input is incomplete), and the conflict says the two groups share
the name. Real files: the tester's Sigma export (5 members, team Finance) and Entra CSV, plus a group Sales.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import finding_lines, run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "shared_group_name"
IDS = "aaaaaaaa-0000-0000-0000-000000000001, aaaaaaaa-0000-0000-0000-000000000002"
WARNING = (
    "2 groups of groups.csv share the display name 'Finance' (ids " + IDS + "), which names these members: a members "
    "file named by display name (Entra's Download members) cannot say which of these groups it belongs to, so their "
    "members are unknown; rename one group in the IdP and download its members again, or use the Graph export "
    "(`sigma-migrate fetch-idp entra`) (shared-group-name)")
SAME_NAME = (  # check names the groups plan holds the team of (leftovers16 item 1: one rule, values.shared_group_names)
    "2 groups are named 'Finance' (letter case and surrounding white space aside): "
    "aaaaaaaa-0000-0000-0000-000000000001 ('Finance'), aaaaaaaa-0000-0000-0000-000000000002 ('Finance'); the IdP "
    "finds the team a group is pushed to by displayName, ignoring letter case, so a team linked or created by that "
    "name is held by a blocking teams.conflict until all but one of the groups are renamed in the IdP "
    "(duplicate-group-name)")


def test_a_members_file_named_by_a_shared_display_name_is_one_warning_naming_both_ids(capsys):
    entra = FIXTURES / "entra"
    code, out, err = run_cli(capsys, "check", "--sigma", str(FIXTURES / "sigma"), "--idp", str(entra))
    # was: missing-group-members ('Finance', 'Finance') and unknown-group ('Finance'), both wrong about the cause
    assert finding_lines(out + err, ("warning:", "error:")) == [
        f"warning: {entra / 'group_members' / 'Finance.csv'}: {WARNING}",
        f"warning: {entra / 'groups.csv'}:line 2 [displayName]: {SAME_NAME}"]


def test_the_team_both_groups_map_to_is_one_conflict_saying_they_share_the_name(capsys, tmp_path):
    out_plan = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(FIXTURES / "sigma"), "--idp", str(FIXTURES / "entra"),
                         "--policy", str(FIXTURES / "policy.yaml"), "--out", str(out_plan))
    plan = json.loads(out_plan.read_text(encoding="utf-8"))
    [item] = [i for i in plan["review_items"] if i["code"] == "teams.conflict"]
    # was: "groups 'Finance', 'Finance', 'Finance' all map to team 'Finance'" (a third group from the file name)
    assert (item["id"], item["blocking"], item["message"]) == (
        "teams.conflict:T1", True,
        "groups 'Finance', 'Finance' all map to team 'Finance': 2 groups share the display name 'Finance' (ids "
        f"{IDS}), and teams.map names a group by its display name, so no entry can say which one the team follows: "
        "rename one of them in the IdP, export again and plan again")
    assert sorted(c["groupId"] for c in item["candidates"]) == [
        "aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002"]
    assert not [a for a in plan["actions"] if "Finance" in json.dumps(a)]


def test_when_no_other_group_has_members_the_error_names_the_shared_name_not_a_missing_file(capsys, tmp_path):
    entra = tmp_path / "entra"
    shutil.copytree(FIXTURES / "entra", entra)
    (entra / "group_members" / "Sales.csv").unlink()
    (entra / "groups.csv").write_text("\n".join(
        (entra / "groups.csv").read_text(encoding="utf-8").splitlines()[:3]) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "check", "--sigma", str(FIXTURES / "sigma"), "--idp", str(entra),
                             "--policy", str(FIXTURES / "policy.yaml"))
    assert finding_lines(out + err, ("warning:", "error:")) == [
        f"error: {entra}: the entra-csv export has 5 user(s) but 2 group(s) without members: the 1 members file(s) "
        "read give none of them a member (each empty, or named by a display name several groups share: the "
        "shared-group-name warning), and the policy reads group memberships (teams.rules); every account type and "
        "team would change on that absence: download the members again as the warnings say "
        "(missing-group-memberships)",
        f"warning: {entra / 'group_members' / 'Finance.csv'}: {WARNING}",
        f"warning: {entra / 'groups.csv'}:line 2 [displayName]: {SAME_NAME}"]
