"""``sigma-migrate diff`` (issue 11 item 5): actions added/removed/changed, review items opened/closed,
summary deltas, terminal and --json."""

from __future__ import annotations

import json

import pytest

from planner.cli import main
from planner.plandiff import diff_lines, diff_plans
from planner.planfile import write_plan

from .plan_factory import group, member, plan, snapshot, user

TYPES = ("account_types: {group_map: {Sigma-Build: Build, Sigma-Admins: Admin}, precedence: [Admin, Build, View], "
         "default: View}")


def v1():
    return plan(snapshot([member("m1", "alice@example.com", "Alice", "A"), member("m2", "bob@example.com", "Bob", "B")],
                         [user("u1", "alice@example.com", first="Alice", last="A"),
                          user("u2", "bob@example.com", first="Bob", last="B")],
                         [group("g1", "Sigma-Build")], account_types=["Admin", "Build", "View"]), TYPES)


def v2():
    # Bob left the IdP (his link goes, a review item opens: unmatched members are reviewed),
    # Alice joined Sigma-Build (her link now sends Build), Carol is new
    return plan(snapshot([member("m1", "alice@example.com", "Alice", "A"), member("m2", "bob@example.com", "Bob", "B")],
                         [user("u1", "alice@example.com", first="Alice", last="A"),
                          user("u3", "carol@example.com", first="Carol", last="C")],
                         [group("g1", "Sigma-Build", users=["u1"])], account_types=["Admin", "Build", "View"]),
                TYPES + "\nunmatched: {action: review}")


def test_actions_added_removed_changed_items_opened_and_summary_deltas():
    d = diff_plans(v1(), v2())
    assert [a.id for a in d.added] == ["scim.create_user:u3", "scim.set_account_type:m1"]
    assert [(r.action.id, r.fate.value, r.by) for r in d.removed] == [("scim.link_user:m2", "not_in_new_plan", "")]
    (changed,) = d.changed
    assert changed.id == "scim.link_user:m1"
    assert [str(f) for f in changed.changes] == ["after.userType: 'View' -> 'Build'"]
    assert [(r.code, r.blocking) for r in d.opened] == [("unmatched.review", True)]
    assert d.closed == ()
    deltas = {f.path: (f.old, f.new) for f in d.summary}
    assert deltas["actions.scim.create_user"] == (0, 1) and deltas["review_items.blocking"] == (0, 1)
    lines = diff_lines(d)
    assert lines[1] == "Actions: 2 added, 1 removed (1 not in the new plan), 1 changed"
    assert lines[4:6] == ["  - scim.link_user:m2: " + d.removed[0].action.reason, "      not in the new plan"]
    assert "  ~ scim.link_user:m1" in lines and "      after.userType: 'View' -> 'Build'" in lines
    assert lines[-1].startswith("Summary: ") and "review_items.blocking 0 -> 1" in lines[-1]


def test_the_same_plan_has_no_differences_and_the_cli_prints_json(tmp_path, capsys):
    write_plan(v1(), tmp_path / "v1.json")
    write_plan(v2(), tmp_path / "v2.json")
    main(["diff", str(tmp_path / "v1.json"), str(tmp_path / "v1.json")])  # exit 0: returns
    assert capsys.readouterr().out.splitlines()[1] == (
        "No differences: both plans make the same changes and raise the same review items.")
    with pytest.raises(SystemExit) as exc:
        main(["diff", str(tmp_path / "v1.json"), str(tmp_path / "v2.json"), "--json"])
    assert exc.value.code == 2
    document = json.loads(capsys.readouterr().out)
    assert document["identical"] is False
    assert document["actions"]["changed"] == [{"id": "scim.link_user:m1", "kind": "scim.link_user", "changes": [
        {"path": "after.userType", "old": "View", "new": "Build"}]}]
    assert [r["code"] for r in document["review_items"]["opened"]] == ["unmatched.review"]


def test_an_unreadable_plan_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{")
    write_plan(v1(), tmp_path / "v1.json")
    with pytest.raises(SystemExit) as exc:
        main(["diff", str(tmp_path / "v1.json"), str(tmp_path / "bad.json")])
    err = capsys.readouterr().err
    assert exc.value.code == 1 and err.count("\n") == 1 and err.startswith("sigma-migrate: error: ")


@pytest.mark.parametrize("as_json", [[], ["--json"]])
def test_exit_status_is_0_same_2_differ_1_error_in_both_modes(tmp_path, capsys, as_json):
    """As diff(1): a script tells "no change" from "changed" from "could not compare", with or without --json."""
    from .conftest import run_cli

    write_plan(v1(), tmp_path / "v1.json")
    write_plan(v2(), tmp_path / "v2.json")
    (tmp_path / "bad.json").write_text("{")
    same = run_cli(capsys, "diff", str(tmp_path / "v1.json"), str(tmp_path / "v1.json"), *as_json)
    differ = run_cli(capsys, "diff", str(tmp_path / "v1.json"), str(tmp_path / "v2.json"), *as_json)
    bad = run_cli(capsys, "diff", str(tmp_path / "v1.json"), str(tmp_path / "bad.json"), *as_json)
    usage = run_cli(capsys, "diff", str(tmp_path / "v1.json"), *as_json)
    assert [same[0], differ[0], bad[0], usage[0]] == [0, 2, 1, 1]
    assert usage[2] == "sigma-migrate: error: Missing argument 'NEW' (see 'sigma-migrate diff --help')\n"
    assert differ[1] and bad[1] == "" and bad[2].startswith("sigma-migrate: error: ")
    code, help_text, _ = run_cli(capsys, "diff", "--help")
    assert code == 0 and "Exit 0 when the plans decide the same, 2 when they differ, 1 on an error" in help_text


def test_a_push_whose_members_change_says_who_is_added_and_who_is_removed(tmp_path, capsys):
    """Tester10 nit 15: a push's member list is a set; the diff names who joins and who leaves (was:
    ``after.members: [...] -> [...]``, both whole lists, a re-added person invisible among them)."""
    from .conftest import run_cli
    from .plan_factory import team

    people = [member(f"m{i}", f"{n}@example.com", n.title(), "X") for i, n in enumerate(["ann", "bob", "cy"], 1)]
    users = [user(f"u{i}", f"{n}@example.com", first=n.title(), last="X") for i, n in enumerate(["ann", "bob", "cy"], 1)]

    def finance(*ids):
        return plan(snapshot(people, users, [group("gF", "Finance", users=list(ids))], teams=[team("tF", "Finance")]),
                    "teams: {rules: [{match: exact}]}")

    d = diff_plans(finance("u1", "u2"), finance("u2", "u3"))
    [push] = [c for c in d.changed if c.id == "scim.set_group_members:gF"]
    members = [f for f in push.changes if f.path == "after.members"]
    assert [str(f) for f in members] == [
        "after.members (2 -> 2): added 'cy@example.com'; removed 'ann@example.com'"]
    assert (members[0].added, members[0].removed) == (["cy@example.com"], ["ann@example.com"])
    write_plan(finance("u1", "u2"), tmp_path / "v1.json")
    write_plan(finance("u1", "u2", "u3"), tmp_path / "v2.json")
    code, out, _ = run_cli(capsys, "diff", str(tmp_path / "v1.json"), str(tmp_path / "v2.json"))
    assert code == 2 and "      after.members (2 -> 3): added 'cy@example.com'" in out.splitlines()
    assert "ann@example.com', 'bob" not in out  # never the whole lists
    code, out, _ = run_cli(capsys, "diff", str(tmp_path / "v1.json"), str(tmp_path / "v2.json"), "--json")
    [push] = [c for c in json.loads(out)["actions"]["changed"] if c["id"] == "scim.set_group_members:gF"]
    assert [c for c in push["changes"] if c["path"] == "after.members"] == [
        {"path": "after.members", "old": ["ann@example.com", "bob@example.com"],
         "new": ["ann@example.com", "bob@example.com", "cy@example.com"], "added": ["cy@example.com"], "removed": []}]
