"""An IdP export's account type per user is the IdP's (tester10 finding 10).

tests/fixtures/tester10_scope/scim_user_type/export.json: an RFC 7644 ListResponse of the 5 people of
tests/fixtures/tester10_scope/sigma, ann.active's User with ``"userType": "Admin"`` (she is View in Sigma).
The plan, the report and the hand-off used to say View for her while the IdP would push Admin. Now the IdP's
value is her planned type where no override or mapped group decides, and a blocking
``account_types.idp_user_type_conflict`` item where one decides another type.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from planner.planfile import read_plan
from planner.sources.values import sent_account_type

from .conftest import finding_lines, run_cli
from .tiny_org import PROTECTED_POLICY

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tester10_scope"
ANN = "M0001xxxxxxxxxxxxxxxxxxxxxxxxx"
POLICY = PROTECTED_POLICY


def plan_of(capsys, tmp_path: Path, extra: str = ""):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY + extra, encoding="utf-8")
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(FIXTURE / "sigma"), "--idp",
                           str(FIXTURE / "scim_user_type"), "--policy", str(policy), "--out", str(out))
    assert (code, err) == (0, "")
    return out, read_plan(out)


def ann_row(p):
    [row] = [r for r in p.people if r.member_id == ANN]
    return row


def test_the_idp_user_type_is_the_planned_type_where_the_policy_decides_none(capsys, tmp_path):
    _, asked = plan_of(capsys, tmp_path)  # View -> Admin: an admin type gained is asked (tester18 finding 5)
    assert [r.id for r in asked.blocking_items] == [f"account_types.admin_upgrade:{ANN}"]
    out, p = plan_of(capsys, tmp_path, "account_types:\n  acknowledged_admin_upgrades:\n"
                                       "    - {person: ann.active@acme.example, to: Admin}\n")
    row = ann_row(p)
    assert (row.account_type_before, row.account_type_after, row.account_type_source.rule,
            row.account_type_source.groups) == ("View", "Admin", "idp_user_type", ())
    action = {a.id: a for a in p.actions}[f"scim.set_account_type:{ANN}"]
    assert (action.rule, action.reason, action.after.user_type) == (
        "account_types.idp_user_type", "upgrade: View -> Admin (the IdP export's userType)", "Admin")
    assert [r.code for r in p.review_items if r.code.startswith("account_types.idp_user_type")] == []
    code, _, err = run_cli(capsys, "handoff", str(out), "--idp", "generic", "--out", str(tmp_path / "ho"))
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO((tmp_path / "ho" / "individual_assignments.csv").read_text(encoding="utf-8-sig"))))
    assert ["ann.active@acme.example", "00u2", "ann.active@acme.example", "Admin", "", "idp_user_type",
            "in no account-type group: the IdP export shows the IdP sends them userType Admin (keep it so)"] in rows


def test_a_mapped_group_giving_another_type_is_a_blocking_item_naming_both(capsys, tmp_path):
    _, p = plan_of(capsys, tmp_path, "account_types:\n  default: keep\n  group_map: {Finance: View}\n")
    row = ann_row(p)
    assert (row.account_type_before, row.account_type_after, row.account_type_source.rule) == ("View", "View",
                                                                                               "group_map")
    [item] = [r for r in p.review_items if r.code == "account_types.idp_user_type_conflict"]
    assert (item.id, item.blocking) == (f"account_types.idp_user_type_conflict:{ANN}", True)
    assert item.message == (
        "ann.active@acme.example: the IdP export says the IdP sends userType 'Admin' "
        f"({FIXTURE / 'scim_user_type' / 'export.json'}:$.Resources[1]), the plan gives 'View' (group Finance); at "
        "its next push the IdP's value wins (docs/sigma-api.md §5.3): change the attribute in the IdP to 'View' and "
        "export again, or make the policy give 'Admin'")
    assert item.evidence.fields() == {"source": "group_map", "groups": ["Finance"], "accountType": "Admin",
                                      "policyAccountType": "View"}
    assert item.resolution == (
        "# the IdP's userType 'Admin' is right: the policy gives it\n"
        "# or, outside the policy: the IdP sends 'View' (change the attribute there), export again and plan again\n"
        "account_types:\n  overrides:\n    ann.active@acme.example: Admin\n")
    assert not p.approvable


def test_the_override_the_item_proposes_settles_it(capsys, tmp_path):
    _, p = plan_of(capsys, tmp_path, "account_types:\n  default: keep\n  group_map: {Finance: View}\n"
                                     "  overrides: {ann.active@acme.example: Admin}\n")
    assert [r.code for r in p.review_items if r.code == "account_types.idp_user_type_conflict"] == []
    assert (ann_row(p).account_type_after, ann_row(p).account_type_source.rule) == ("Admin", "overrides")


def test_only_a_user_type_other_than_member_or_guest_is_an_account_type():
    assert [sent_account_type(v) for v in ("Admin", "Pro", "Member", "guest", "")] == ["Admin", "Pro", None, None,
                                                                                        None]


def test_a_user_type_with_white_space_around_it_is_kept_as_written_and_holds_the_person(capsys, tmp_path):
    # tester11 nit: "Build " was read as Build without a word, while the IdP sends "Build " at its next push
    assert [sent_account_type(v) for v in ("Admin ", " Member ", "  ")] == ["Admin ", None, None]
    export = tmp_path / "scim"
    export.mkdir()
    (export / "export.json").write_text((FIXTURE / "scim_user_type" / "export.json").read_text(encoding="utf-8")
                                        .replace('"userType": "Admin"', '"userType": "Admin "'), encoding="utf-8")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(FIXTURE / "sigma"), "--idp", str(export))
    assert finding_lines(out, "warning:") == [
        f"warning: {export / 'export.json'}:$.Resources[1] [userType]: userType 'Admin ' has white space around it: "
        "the IdP sends it as written, and Sigma matches account types exactly, so it is not 'Admin' (the plan holds "
        "the person: account_types.unknown_type); correct the attribute in the IdP (user-type-space)"]
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    out_plan = tmp_path / "plan.json"
    assert run_cli(capsys, "plan", "--sigma", str(FIXTURE / "sigma"), "--idp", str(export), "--policy", str(policy),
                   "--out", str(out_plan))[0] == 0
    p = read_plan(out_plan)
    [item] = [r for r in p.review_items if r.blocking]
    assert (item.id, item.subject.account_types, [c.member_id for c in item.candidates]) == (
        "account_types.unknown_type:Admin ", ["Admin "], [ANN])
    assert item.message.endswith(
        "Sigma refuses a userType it does not know, so they are held (no link, no account-type change): 'Admin ' has "
        "white space around it, which the IdP sends as written (the user-type-space warning): correct the userType in "
        "the IdP to 'Admin' and export again, or give them an existing type in the policy")
    assert [a.id for a in p.actions if ANN in a.id] == []  # held: no link, no account-type change
