"""Two groups of a hand-saved IdP export whose members answers list the same members (one answer saved twice,
under another group's id or name) are a doubt: the plan holds the team, scope and account-type changes they feed
(inputs.identical_members) until the answers are saved again or preflight.identical_groups_confirmed names the
groups (tester18 finding 1: Leadership's file a copy of Operations' gave the executives' private team 11
Operations people and took 3 of its own out, 0 blocking). Real files: samples/acme with that one slip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.planfile import read_plan
from planner.sources import load_idp
from planner.sources.manifest import manifest_document

from .conftest import REPO, run_cli, write

ACME = REPO / "samples" / "acme"
LEADERSHIP, OPERATIONS = "00ghyb0Fj5fJcmIn5iO9", "00gya4CC17nN0YxTJLA3"
EXECUTIVE_TEAM = "f4b79d9b-8885-4721-85a7-6a30bcc4d62a"  # 'Executive Dashboards', mapped to Leadership
LEFT_OUT = ("YPooTz1utT7clWOrY92gJRZZrBbSN", "kzY3suQdJWCn13Ng5SgqOEwPcDadN", "p6COSKzHctX03hA52sgCf48EWojxI")
"""The executives the copy leaves out of Leadership: the plan would take them out of their team."""
CONFIRMED = "  identical_groups_confirmed: [[Operations, Leadership]]\n"


def okta_copied(root: Path, *, per_file: bool) -> Path:
    """samples/acme/okta with Operations' members answer saved again as Leadership's: one file per group
    (``group_members/<groupId>.json``, byte-identical copies) or the single ``group_members.json``."""
    members = json.loads((ACME / "okta" / "group_members.json").read_text(encoding="utf-8"))
    for name in ("users.json", "groups.json"):
        shutil.copy(ACME / "okta" / name, write(root / name, "").parent / name)
    if per_file:
        for group_id, answer in members.items():
            write(root / "group_members" / f"{group_id}.json", json.dumps(answer, indent=1))
        shutil.copy(root / "group_members" / f"{OPERATIONS}.json", root / "group_members" / f"{LEADERSHIP}.json")
    else:
        members[LEADERSHIP] = members[OPERATIONS]
        write(root / "group_members.json", json.dumps(members))
    return root


def entra_copied(root: Path) -> Path:
    """samples/acme/entra with Operations.csv ("Download members", which names no group) copied over Leadership.csv."""
    shutil.copytree(ACME / "entra", root)
    shutil.copy(root / "group_members" / "Operations.csv", root / "group_members" / "Leadership.csv")
    return root


GROWTH_ACCEPTED = "guards:\n  thresholds:\n    team_growth: null\n"
"""What an admin who confirms the copy's growth writes too: the copy takes team Executive Dashboards from 5 to 14
members (+12 -3), which guards.threshold.team_growth (tester20 finding 2) also asks about."""


def plan(capsys, tmp_path: Path, idp: Path, policy: str, extra: str = "", tail: str = "") -> tuple[int, object]:
    text = (ACME / policy).read_text(encoding="utf-8")
    if extra:
        text = text.replace("preflight:\n", "preflight:\n" + extra, 1)
    text += tail
    policy_path = write(tmp_path / "policy.yaml", text)
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(idp), "--policy",
                         str(policy_path), "--out", str(out), "--detailed-exitcode")
    return code, read_plan(out)


def held(result) -> list[str]:
    return sorted(i.id for i in result.review_items if i.code == "inputs.identical_members" and i.blocking)


def expected_held(leadership: str, operations: str) -> list[str]:
    return sorted([f"inputs.identical_members:scim.set_group_members:{leadership}",
                   f"inputs.identical_members:scim.set_group_members:{operations}"]
                  + [f"inputs.identical_members:teams.remove_member:{EXECUTIVE_TEAM}:{m}" for m in LEFT_OUT])


def test_okta_per_file_copy_is_one_finding_naming_both_groups_and_files(tmp_path):
    root = okta_copied(tmp_path / "okta", per_file=True)
    directory, findings = load_idp(root, "okta-api")
    leadership, operations = (root / "group_members" / f"{g}.json" for g in (LEADERSHIP, OPERATIONS))
    assert [(f.severity.value, f.code, f.file, f.location, f.message) for f in findings
            if f.code == "identical-members"] == [(
        "warning", "identical-members", str(operations), "$",
        f"the members answers of groups 'Leadership' ({leadership}:$) and 'Operations' ({operations}:$) list the same "
        "14 members in the same order: one answer saved twice, under another group's id or name? The plan holds the "
        "team, scope and account-type changes these groups feed (inputs.identical_members) until each group's "
        "members are saved again, or preflight.identical_groups_confirmed names the groups (they really are equal)")]
    assert [(d.group_ids, d.members) for d in directory.answer_doubts] == [((LEADERSHIP, OPERATIONS), 14)]


@pytest.mark.parametrize("per_file", [True, False])
def test_okta_copied_answer_holds_the_team_changes_the_two_groups_feed(capsys, tmp_path, per_file):
    root = okta_copied(tmp_path / "okta", per_file=per_file)
    code, result = plan(capsys, tmp_path, root, "policy-okta-reviewed.yaml")
    assert code == 3  # changes, blocked by review items
    assert held(result) == expected_held(LEADERSHIP, OPERATIONS)
    # nothing else blocks but the growth guard, which sees the copy take Executive Dashboards from 5 to 14
    assert [i.id for i in result.review_items if i.blocking] == ["guards.threshold.team_growth:plan"] + [
        i.id for i in result.review_items if i.code == "inputs.identical_members"]
    (growth,) = [i for i in result.review_items if i.code == "guards.threshold.team_growth"]
    assert growth.message == (
        "team_growth: 1 linked team(s) gain more than 10 members and more than 100% of the team's members "
        "(guards.thresholds.team_growth): 'Executive Dashboards' (group 'Leadership') 5 -> 14 (+12): does the IdP "
        "group now hold far more people than it should (a group rule gone wrong, another group's members saved as its "
        "answer)?")
    first = next(i for i in result.review_items if i.id == f"inputs.identical_members:scim.set_group_members:{LEADERSHIP}")
    where = (f"{root / 'group_members' / (LEADERSHIP + '.json')}:$", f"{root / 'group_members' / (OPERATIONS + '.json')}:$"
             ) if per_file else (f"{root / 'group_members.json'}:$[\"{OPERATIONS}\"]",
                                 f"{root / 'group_members.json'}:$[\"{LEADERSHIP}\"]")
    named = (f"group 'Leadership' ({where[0]}) and group 'Operations' ({where[1]})" if per_file
             else f"group 'Operations' ({where[0]}) and group 'Leadership' ({where[1]})")
    assert first.message == (
        "scim.set_group_members (team 'Executive Dashboards' members = the 14 provisioned member(s) of group "
        "'Leadership') rests on members answers that may be one answer saved twice, under another group's id or "
        f"name: {named} list the same 14 members in the same order; the members the copy hides may change it")
    order = ["Leadership", "Operations"] if per_file else ["Operations", "Leadership"]
    assert first.resolution == (
        "# the groups really have the same members (else save each group's members answer again, then plan "
        f"again):\npreflight:\n  identical_groups_confirmed:\n    - [{', '.join(order)}]\n")


def test_the_confirmation_settles_it_and_the_plan_reads_the_answers_as_saved(capsys, tmp_path):
    root = okta_copied(tmp_path / "okta", per_file=True)
    code, result = plan(capsys, tmp_path, root, "policy-okta-reviewed.yaml", CONFIRMED)
    assert [i.id for i in result.review_items if i.blocking] == ["guards.threshold.team_growth:plan"]
    code, result = plan(capsys, tmp_path, root, "policy-okta-reviewed.yaml", CONFIRMED, GROWTH_ACCEPTED)
    assert code == 2  # changes, nothing blocking
    assert held(result) == [] and not [i for i in result.review_items if i.blocking]
    assert sorted(a.id for a in result.actions if a.kind.value == "teams.remove_member"
                  and a.target.team_id == EXECUTIVE_TEAM) == [
        f"teams.remove_member:{EXECUTIVE_TEAM}:{m}" for m in sorted(LEFT_OUT)]


def test_the_whole_answers_plan_as_today(capsys, tmp_path):
    code, result = plan(capsys, tmp_path, ACME / "okta", "policy-okta-reviewed.yaml")
    assert code == 2 and held(result) == []


def test_entra_download_members_copied_over_another_is_held_alike(capsys, tmp_path):
    root = entra_copied(tmp_path / "entra")
    code, result = plan(capsys, tmp_path, root, "policy-entra-reviewed.yaml")
    assert code == 3
    assert held(result) == expected_held("a38e0a4e-9ec6-4af1-bab6-5bc0288dd385", "23fbfe33-0af1-4fd4-8e05-e2deb6b1ab06")
    code, result = plan(capsys, tmp_path, root, "policy-entra-reviewed.yaml", CONFIRMED, GROWTH_ACCEPTED)
    assert code == 2 and held(result) == []


def graph_export(root: Path, members: dict) -> Path:
    users = [{"id": f"u{n}", "userPrincipalName": f"user{n}@example.com", "accountEnabled": True} for n in range(3)]
    write(root / "users.json", json.dumps({"value": users}))
    write(root / "groups.json", json.dumps({"value": [{"id": "g1", "displayName": "All staff"},
                                                      {"id": "g2", "displayName": "Sigma users"}]}))
    write(root / "group_members.json", json.dumps({
        gid: {"value": [{"@odata.type": "#microsoft.graph.user", "id": u} for u in ids]}
        for gid, ids in members.items()}))
    return root


def test_graph_equal_groups_are_a_doubt_unless_pulled_or_too_small(tmp_path):
    root = graph_export(tmp_path / "graph", {"g1": ["u0", "u1"], "g2": ["u0", "u1"]})
    directory, findings = load_idp(root, "entra-graph")
    assert [(d.group_ids, d.answers[1].location, d.members) for d in directory.answer_doubts] == [
        (("g1", "g2"), '$["g2"]', 2)]
    assert [f.code for f in findings] == ["identical-members"]
    # a fetch-idp manifest vouches for both answers: the groups are really equal
    write(root / "fetch-idp-manifest.json", json.dumps(manifest_document(
        "entra", {"users.json": 3, "groups.json": 2, "group_members.json": 4}, "2026-12-06T08:00:00Z")))
    directory, findings = load_idp(root, "entra-graph")
    assert directory.answer_doubts == () and findings == []
    # one member each, another order, or another member: no doubt
    for members in ({"g1": ["u0"], "g2": ["u0"]}, {"g1": ["u0", "u1"], "g2": ["u1", "u0"]},
                    {"g1": ["u0", "u1"], "g2": ["u0", "u2"]}):
        directory, findings = load_idp(graph_export(tmp_path / str(len(list(tmp_path.iterdir()))), members),
                                       "entra-graph")
        assert directory.answer_doubts == () and findings == []


def test_a_confirmation_no_copied_answers_need_is_an_unused_entry(capsys, tmp_path):
    code, result = plan(capsys, tmp_path, ACME / "okta", "policy-okta-reviewed.yaml",
                        "  identical_groups_confirmed: [[Finance, marketing]]\n")
    assert code == 2
    assert [(i.id, i.blocking, i.message) for i in result.review_items if i.code == "policy.unused_entry"] == [(
        "policy.unused_entry:preflight.identical_groups_confirmed[0]", False,
        f"{tmp_path / 'policy.yaml'}:63:32: preflight.identical_groups_confirmed entry [Finance, marketing] settled "
        "nothing in this plan: it answers whether these IdP groups, whose hand-saved members answers list the same "
        "members, really have the same members, which this plan does not ask (no hand-saved members answers of these "
        "groups are identical in this export); left, should one of these groups' answers be saved again as the "
        "other's, it would read the copy as true unreviewed: remove it")]
    # the entry that settles the copy is used: no unused-entry item
    _, result = plan(capsys, tmp_path, okta_copied(tmp_path / "okta", per_file=False), "policy-okta-reviewed.yaml",
                     CONFIRMED)
    assert [i.id for i in result.review_items if i.code == "policy.unused_entry"] == []


# --------------------------------------------------------------------------- SCIM Groups, generic CSV group cells
# One mechanism (DirectoryBuilder.answered_at): a SCIM Group's members attribute of an IdP export is that group's
# members answer, compared with the others' as Okta's, Entra's and Google's are (was: skipped; a Group's members
# pasted over another's planned as read). A generic CSV's groups cells are no per-group answer (tester20 finding 1).

SCIM_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SEED_FINANCE, SEED_SALES = "88858466-5299-4425-95c0-000000000001", "88858466-5299-4425-95c0-000000000002"


def scim_groups(root: Path, finance: list[str], sales: list[str]) -> Path:
    """A SCIM export of the sandbox seed's people (Ada u1, Ben u2, Cleo u3, Dan u4) and two Groups, 'Finance
    Analysts' and 'Sales EMEA' (the seed's teams), with ``finance`` and ``sales`` as their members."""
    from .test_incomplete_scim_google import DAN, USERS, listing

    def group(gid: str, name: str, ids: list[str]) -> dict:
        return {"schemas": [SCIM_GROUP], "id": gid, "displayName": name,
                "members": [{"value": u, "type": "User"} for u in ids]}

    write(root / "Users.json", json.dumps(listing([*USERS, DAN])))
    write(root / "Groups.json", json.dumps(listing([group("g1", "Finance Analysts", finance),
                                                    group("g2", "Sales EMEA", sales)])))
    return root


def copied(name_a: str, where_a: str, name_b: str, where_b: str, count: int) -> str:
    return (f"the members answers of groups {name_a!r} ({where_a}) and {name_b!r} ({where_b}) list the same {count} "
            "members in the same order: one answer saved twice, under another group's id or name? The plan holds the "
            "team, scope and account-type changes these groups feed (inputs.identical_members) until each group's "
            "members are saved again, or preflight.identical_groups_confirmed names the groups (they really are "
            "equal)")


def test_a_scim_groups_members_pasted_over_another_groups_are_a_doubt(tmp_path):
    root = scim_groups(tmp_path / "scim", ["u1", "u2", "u4"], ["u1", "u2", "u4"])
    directory, findings = load_idp(root, "scim")
    groups = root / "Groups.json"
    assert [(d.group_ids, d.members) for d in directory.answer_doubts] == [(("g1", "g2"), 3)]
    assert [(f.code, f.file, f.location, f.message) for f in findings] == [(
        "identical-members", str(groups), "$.Resources[1]",
        copied("Finance Analysts", f"{groups}:$.Resources[0]", "Sales EMEA", f"{groups}:$.Resources[1]", 3))]
    # another order or another member: no doubt
    for sales in (["u2", "u1", "u4"], ["u1", "u2", "u3"]):
        directory, findings = load_idp(scim_groups(tmp_path / "".join(sales), ["u1", "u2", "u4"], sales), "scim")
        assert directory.answer_doubts == () and findings == []


def test_sigmas_own_scim_state_is_no_hand_saved_answer(tmp_path):
    """The Sigma export's scim/ folder is what Sigma holds, not an IdP export: equal Groups there are no doubt."""
    import shutil

    from planner.sources import load_sigma_export

    from .test_incomplete_inputs import SIGMA

    sigma = tmp_path / "sigma"
    shutil.copytree(SIGMA, sigma)
    scim_groups(sigma / "scim", ["u1", "u2"], ["u1", "u2"])
    _, findings = load_sigma_export(sigma)
    assert [f.code for f in findings if f.code == "identical-members"] == []


def test_a_scim_copy_holds_the_team_changes_the_two_groups_feed_until_confirmed(capsys, monkeypatch, tmp_path):
    from . import test_incomplete_inputs

    root = scim_groups(tmp_path / "scim", ["u1", "u2", "u4"], ["u1", "u2", "u4"])
    code, _, result = test_incomplete_inputs.plan(capsys, tmp_path, root)
    assert code == 3  # changes, blocked by review items
    assert sorted(i.id for i in result.review_items if i.blocking) == [
        "inputs.identical_members:scim.set_group_members:g1", "inputs.identical_members:scim.set_group_members:g2",
        f"inputs.identical_members:teams.remove_member:{SEED_FINANCE}:Dn7OBrienDn7OBrienDn7OBrienDn",
        f"inputs.identical_members:teams.remove_member:{SEED_FINANCE}:Gw8GuestGw8GuestGw8GuestGw8Gu",
        f"inputs.identical_members:teams.remove_member:{SEED_SALES}:Cl6ViewerCl6ViewerCl6ViewerCl"]
    groups = root / "Groups.json"
    (first,) = [i for i in result.review_items if i.id == "inputs.identical_members:scim.set_group_members:g1"]
    assert first.message == (
        "scim.set_group_members (team 'Finance Analysts' members = the 3 provisioned member(s) of group 'Finance "
        "Analysts') rests on members answers that may be one answer saved twice, under another group's id or name: "
        f"group 'Finance Analysts' ({groups}:$.Resources[0]) and group 'Sales EMEA' ({groups}:$.Resources[1]) list "
        "the same 3 members in the same order; the members the copy hides may change it")
    flow = "guests_informed: true}"
    assert test_incomplete_inputs.POLICY.count(flow) == 1
    monkeypatch.setattr(test_incomplete_inputs, "POLICY", test_incomplete_inputs.POLICY.replace(
        flow, "guests_informed: true, identical_groups_confirmed: [[Finance Analysts, Sales EMEA]]}"))
    code, _, result = test_incomplete_inputs.plan(capsys, tmp_path, root)
    assert code == 2 and [i.id for i in result.review_items if i.blocking] == []


def test_generic_csv_group_cells_naming_two_groups_alike_are_equal_groups(capsys, tmp_path):
    """tester20 finding 1: every row of a generic CSV names its own user's groups, so two groups the same rows name
    are equal groups, never one answer saved twice: no identical-members warning, nothing held (was: the warning
    and a blocking inputs.identical_members item on the Finance push)."""
    from .test_generic_group_names import FIXTURES, export

    idp = export(tmp_path, ("Admins", "Finance;Sales", "", "Finance;Sales", ""))
    directory, findings = load_idp(idp)
    members = {g.id: g.member_user_ids for g in directory.groups}
    assert len(members["Finance"]) == 2 and members["Finance"] == members["Sales"]
    assert directory.answer_doubts == () and [f for f in findings if f.code == "identical-members"] == []
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(FIXTURES / "sigma"), "--idp", str(idp), "--policy",
                         str(FIXTURES / "policy.yaml"), "--out", str(out), "--detailed-exitcode")
    plan = read_plan(out)
    assert [i.id for i in plan.review_items if i.blocking] == []
    assert code == 2
    assert [a.id for a in plan.actions if a.kind.value == "scim.set_group_members"] == [
        "scim.set_group_members:Finance"]
