"""One person named twice in a person-keyed policy collection (tester13 finding F3,
:mod:`planner.rules.repeated_people`): the same name once normalised (letter case, trimmed, NFC) is one
``file:line:column`` problem of ``policy lint`` and of ``plan``, with no export read; two names the exports
resolve to one person are one ``policy.person_named_twice`` item naming both entries, blocking when they
disagree. Never file order."""

from __future__ import annotations

import pytest

from planner.policy_reader import lint_policy_text

from .conftest import run_cli, write
from .plan_factory import member, plan, snapshot, user


def lint(text: str) -> list[str]:
    return [str(p) for p in lint_policy_text("version: 1\n" + text, "p.yaml")]


@pytest.mark.parametrize("text, problems", [
    pytest.param(
        "unmatched:\n  decisions:\n    alan.brooks@acme.example: keep\n    Alan.Brooks@acme.example: deactivate\n",
        ["p.yaml:5:5: unmatched.decisions.'Alan.Brooks@acme.example': names the same member as "
         "'alan.brooks@acme.example' at line 4 (letter case aside): the entry at line 4 says keep, this one says "
         "deactivate; write one entry"], id="unmatched.decisions letter case"),
    pytest.param(
        "account_types:\n  overrides:\n    \"zo\\u00eb@x.example\": Build\n    \"zoe\\u0308@x.example\": Build\n",
        ["p.yaml:5:5: account_types.overrides.'zoe\u0308@x.example': names the same person as 'zo\u00eb@x.example' "
         "at line 4 (in Unicode NFC: 'zo\\xeb@x.example' there, 'zoe\\u0308@x.example' here): both say Build; "
         "write one entry"], id="account_types.overrides NFC, agreeing"),
    pytest.param(
        "linking:\n  overrides:\n    - {idp: Alan@x.example, member: m1}\n    - {idp: alan@x.example, member: m2}\n"
        "    - {idp: bob@x.example, member: M1}\n",
        ["p.yaml:5:13: linking.overrides[1].idp: names the same IdP user as 'Alan@x.example' at line 4 (letter case "
         "aside): the entry at line 4 links member m1, this one links member m2; write one entry"],
        id="linking.overrides: memberIds keep their letter case"),
    pytest.param(
        "account_types:\n  acknowledged_downgrades:\n    - helen@x.example\n"
        "    - {person: Helen@x.example, from: Admin, to: Build}\n"
        "    - {person: ian@x.example, from: Admin, to: Build}\n    - {person: ian@x.example, from: Admin, to: View}\n"
        "  acknowledged_replacements:\n    - {person: Ian@x.example, from: Lead, to: Build}\n"
        "    - {person: ian@x.example, from: Lead, to: Build}\n",
        ["p.yaml:5:16: account_types.acknowledged_downgrades[1].person: names the same person as 'helen@x.example' "
         "at line 4 (letter case aside): the entry at line 4 accepts any change, this one accepts Admin -> Build; "
         "write one entry",
         "p.yaml:10:16: account_types.acknowledged_replacements[1].person: names the same person as 'Ian@x.example' "
         "at line 9 (letter case aside): both accept Lead -> Build; write one entry"],
        id="acknowledged: short beside long disagrees, two changes of one person are two answers"),
    pytest.param(
        "unmatched:\n  decisions:\n    'alan@x.example ': keep\n    alan@x.example: deactivate\n"
        "linking:\n  excluded_idp_users: [u1, ' u1', U1]\n  scim_state_conflicts:\n    Old@x.example: idp_export\n"
        "    old@x.example: {newer: scim_state, active: true}\n  second_accounts:\n    OLD@x.example: keep\n"
        "    old@x.example: deactivate\n",
        ["p.yaml:5:5: duplicate key 'alan@x.example' (first at line 4, 'alan@x.example ' once trimmed)",
         "p.yaml:7:28: linking.excluded_idp_users[1]: names the same IdP user as 'u1' at line 7 (the same name): "
         "both exclude them; write one entry",
         "p.yaml:10:5: linking.scim_state_conflicts.'old@x.example': names the same IdP user as 'Old@x.example' at "
         "line 9 (letter case aside): the entry at line 9 says idp_export, this one says {newer: scim_state, active: "
         "true}; write one entry",
         "p.yaml:13:5: linking.second_accounts.'old@x.example': names the same member as 'OLD@x.example' at line 12 "
         "(letter case aside): the entry at line 12 says keep, this one says deactivate; write one entry"],
        id="trimmed keys, lists, scim_state_conflicts, second_accounts"),
    pytest.param(
        "account_types:\n  several_type_groups_confirmed:\n    a@x.example: Admin\n    A@x.example: Admin\n"
        "    A@X.EXAMPLE: Build\n",
        ["p.yaml:5:5: account_types.several_type_groups_confirmed.'A@x.example': names the same person as "
         "'a@x.example' at line 4 (letter case aside): both say Admin; write one entry",
         "p.yaml:6:5: account_types.several_type_groups_confirmed.'A@X.EXAMPLE': names the same person as "
         "'a@x.example' at line 4 (letter case aside): the entry at line 4 says Admin, this one says Build; write one "
         "entry"], id="three entries of one person: each later one against the first"),
])
def test_lint_refuses_one_name_written_twice_once_normalised(text, problems):
    assert lint(text) == problems


def test_lint_and_plan_refuse_the_repeat_with_no_export(tmp_path, capsys):
    policy = write(tmp_path / "dec1.yaml", "version: 1\nunmatched:\n  action: review\n  decisions:\n"
                   "    alan.brooks@acme.example: keep\n    Alan.Brooks@acme.example: deactivate\n")
    line = (f"{policy}:6:5: unmatched.decisions.'Alan.Brooks@acme.example': names the same member as "
            "'alan.brooks@acme.example' at line 5 (letter case aside): the entry at line 5 says keep, this one says "
            "deactivate; write one entry")
    assert run_cli(capsys, "policy", "lint", str(policy)) == (1, line + "\n", "1 problem(s)\n")
    code, out, err = run_cli(capsys, "plan", "--sigma", str(tmp_path / "none"), "--idp", str(tmp_path / "none"),
                             "--policy", str(policy), "--out", str(tmp_path / "plan.json"))
    assert (code, out, err) == (1, "", f"sigma-migrate: error: {line}\n")
    assert not (tmp_path / "plan.json").exists()


ALAN = member("m-alan", "alan@example.com", "Alan", "B", member_type="Build")
AISHA = member("m-aisha", "aisha@example.com", "Aisha", "B", member_type="View")
AISHA_IDP = user("u-aisha", "aisha@example.com", first="Aisha", last="B")
BOB_IDP = user("u-bob", "bob@example.com", first="Bob", last="C")
SNAP = snapshot([ALAN, AISHA], [AISHA_IDP, BOB_IDP], account_types=["Admin", "Build", "View", "Act"])


def named_twice(p) -> list[tuple[str, bool, str, str]]:
    return [(r.id, r.blocking, r.message, r.resolution) for r in p.review_items
            if r.code == "policy.person_named_twice"]


def test_a_member_named_by_member_id_and_email_with_two_decisions_is_one_blocking_item():
    p = plan(SNAP, "unmatched:\n  decisions:\n    m-alan: keep\n    alan@example.com: deactivate\n")
    assert named_twice(p) == [(
        "policy.person_named_twice:unmatched.decisions.'alan@example.com'", True,
        "policy.yaml:10:5: unmatched.decisions entries 'm-alan' at policy.yaml:9:5 and 'alan@example.com' name member "
        "m-alan (alan@example.com): the entry at policy.yaml:9:5 says keep, this one says deactivate; the plan "
        "cannot follow both: remove the wrong one",
        "# remove one of the entries at policy.yaml:9:5 (m-alan) and policy.yaml:10:5 (alan@example.com)\n")]


def test_two_entries_that_agree_are_one_informational_item():
    p = plan(SNAP, "unmatched:\n  decisions:\n    m-alan: keep\n    alan@example.com: keep\n"
                   "user_name_guard:\n  overrides:\n    u-aisha: use_sigma_email\n    aisha@example.com: use_sigma_email\n")
    assert named_twice(p) == [
        ("policy.person_named_twice:unmatched.decisions.'alan@example.com'", False,
         "policy.yaml:10:5: unmatched.decisions entries 'm-alan' at policy.yaml:9:5 and 'alan@example.com' name member "
         "m-alan (alan@example.com): both say keep; remove one",
         "# remove one of the entries at policy.yaml:9:5 (m-alan) and policy.yaml:10:5 (alan@example.com)\n"),
        ("policy.person_named_twice:user_name_guard.overrides.'aisha@example.com'", False,
         "policy.yaml:20:5: user_name_guard.overrides entries 'u-aisha' at policy.yaml:19:5 and 'aisha@example.com' "
         "name IdP user u-aisha (aisha@example.com): both say use_sigma_email; remove one",
         "# remove one of the entries at policy.yaml:19:5 (u-aisha) and policy.yaml:20:5 (aisha@example.com)\n")]


@pytest.mark.parametrize("first", ["aisha@example.com", "m-aisha"])
def test_an_account_type_override_by_email_or_member_id_and_by_the_linked_idp_id_disagreeing_blocks(first):
    p = plan(SNAP, f"account_types:\n  overrides:\n    {first}: Build\n    u-aisha: Act\n")
    assert named_twice(p) == [(
        "policy.person_named_twice:account_types.overrides.'u-aisha'", True,
        f"policy.yaml:17:5: account_types.overrides entries '{first}' at policy.yaml:16:5 and 'u-aisha' name member "
        "m-aisha (aisha@example.com) / IdP user u-aisha (aisha@example.com): the entry at policy.yaml:16:5 says Build, "
        "this one says Act; the plan cannot follow both: remove the wrong one",
        f"# remove one of the entries at policy.yaml:16:5 ({first}) and policy.yaml:17:5 (u-aisha)\n")]


def test_one_member_linked_to_two_idp_users_by_overrides_blocks():
    p = plan(SNAP, "linking:\n  overrides:\n    - {idp: u-aisha, member: m-aisha}\n"
                   "    - {idp: bob@example.com, member: aisha@example.com}\n")
    assert named_twice(p) == [(
        "policy.person_named_twice:linking.overrides[1].member", True,
        "policy.yaml:19:13: linking.overrides[].member entries 'm-aisha' at policy.yaml:17:13 and 'aisha@example.com' "
        "name member m-aisha (aisha@example.com): the entry at policy.yaml:17:13 links IdP user u-aisha, this one "
        "links IdP user bob@example.com; the plan cannot follow both: remove the wrong one",
        "# remove one of the entries at policy.yaml:17:13 (m-aisha) and policy.yaml:19:13 (aisha@example.com)\n")]


def test_one_override_written_twice_by_other_names_links_once_with_one_informational_item():
    # was: PlanError "internal error: action id 'scim.link_user:m-aisha' appears twice"
    p = plan(SNAP, "linking:\n  overrides:\n    - {idp: u-aisha, member: m-aisha}\n"
                   "    - {idp: aisha@example.com, member: aisha@example.com}\n")
    assert sorted(a.id for a in p.actions) == ["scim.create_user:u-bob", "scim.link_user:m-aisha",
                                               "scim.link_user:root"]
    assert named_twice(p) == [(
        "policy.person_named_twice:linking.overrides[1].idp", False,
        "policy.yaml:18:10: linking.overrides[].idp entries 'u-aisha' at policy.yaml:16:10 and 'aisha@example.com' "
        "name IdP user u-aisha (aisha@example.com): both link member m-aisha; remove one",
        "# remove one of the entries at policy.yaml:16:10 (u-aisha) and policy.yaml:18:10 (aisha@example.com)\n")]
