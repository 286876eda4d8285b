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
                         account_types=["Admin", "Build", "View"]), TYPES)


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
    assert [a.id for a in d.removed] == ["scim.link_user:m2"]
    (changed,) = d.changed
    assert changed.id == "scim.link_user:m1"
    assert [str(f) for f in changed.changes] == ["after.userType: 'View' -> 'Build'"]
    assert [(r.code, r.blocking) for r in d.opened] == [("unmatched.review", True)]
    assert d.closed == ()
    deltas = {f.path: (f.old, f.new) for f in d.summary}
    assert deltas["actions.scim.create_user"] == (0, 1) and deltas["review_items.blocking"] == (0, 1)
    lines = diff_lines(d)
    assert lines[1] == "Actions: 2 added, 1 removed, 1 changed"
    assert "  ~ scim.link_user:m1" in lines and "      after.userType: 'View' -> 'Build'" in lines
    assert lines[-1].startswith("Summary: ") and "review_items.blocking 0 -> 1" in lines[-1]


def test_the_same_plan_has_no_differences_and_the_cli_prints_json(tmp_path, capsys):
    write_plan(v1(), tmp_path / "v1.json")
    write_plan(v2(), tmp_path / "v2.json")
    main(["diff", str(tmp_path / "v1.json"), str(tmp_path / "v1.json")])
    assert capsys.readouterr().out.splitlines()[1] == (
        "No differences: both plans make the same changes and raise the same review items.")
    main(["diff", str(tmp_path / "v1.json"), str(tmp_path / "v2.json"), "--json"])
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
