"""read_plan refuses plans that match their digest but are broken inside: duplicate action ids,
dangling ``depends_on``, dependency cycles, duplicate review item ids; ``after: null`` where the
action kind needs an object is a type error (planner.payloads). Each refusal is one PlanFileError line naming the file and the action."""

from __future__ import annotations

import json

import pytest

from planner.cli import main
from planner.model import NO_EVIDENCE, ActionKind, ItemRef, ReviewItem
from planner.planfile import PlanFileError, document_bytes, read_plan

from .execute_support import act, small_plan_actions, write_test_plan


def rewrite(path, edit):
    """Edit the plan document and recompute its digest, as a careless tool would."""
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_bytes(document_bytes(doc))
    return path


def action(doc, action_id):
    return next(a for a in doc["actions"] if a["id"] == action_id)


def refusal(path) -> str:
    with pytest.raises(PlanFileError) as refused:
        read_plan(path)
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_a_well_formed_plan_reads(tmp_path):
    plan = read_plan(write_test_plan(tmp_path))
    assert [a.id for a in plan.actions] == ["u1", "u2", "u3", "r1", "d1", "g1", "t1", "a1"]


def test_duplicate_action_ids_are_refused(tmp_path):
    def duplicate(doc):
        copy = dict(action(doc, "d1"))
        copy["target"] = {"memberId": "m7", "email": "grace@example.com"}
        doc["actions"].append(copy)

    path = rewrite(write_test_plan(tmp_path), duplicate)

    assert refusal(path) == f"{path}: $.actions[8].id: action id 'd1' appears twice (also $.actions[4])"


def test_a_dangling_dependency_is_refused(tmp_path):
    path = rewrite(write_test_plan(tmp_path), lambda doc: action(doc, "a1")["depends_on"].append("u9"))

    assert refusal(path) == f"{path}: $.actions[7].depends_on: action 'a1' depends on 'u9', which is not in the plan"


def test_a_dependency_cycle_is_refused_and_named(tmp_path):
    def cycle(doc):
        action(doc, "u1")["depends_on"] = ["t1"]  # t1 already depends on u1

    path = rewrite(write_test_plan(tmp_path), cycle)

    assert refusal(path) == f"{path}: $.actions: action 'u1' is in a dependency cycle: u1 -> t1 -> u1"


def test_an_action_depending_on_itself_is_a_cycle(tmp_path):
    path = rewrite(write_test_plan(tmp_path), lambda doc: action(doc, "g1")["depends_on"].append("g1"))

    assert refusal(path) == f"{path}: $.actions: action 'g1' is in a dependency cycle: g1 -> g1"


def test_dependencies_out_of_plan_order_are_fine_when_acyclic(tmp_path):
    actions = list(small_plan_actions())
    actions[0], actions[6] = actions[6], actions[0]  # t1 (depends on u1) now comes first
    plan = read_plan(write_test_plan(tmp_path, actions))
    assert plan.actions[0].id == "t1" and plan.actions[0].depends_on == ("u1", "u3", "r1")


def test_duplicate_review_item_ids_are_refused(tmp_path):
    items = (ReviewItem("rv1", "unmatched-member", False, ItemRef(member_id="m7"), "m7 has no IdP user", (), NO_EVIDENCE, "", ""),
             ReviewItem("rv1", "unmatched-member", False, ItemRef(member_id="m8"), "m8 has no IdP user", (), NO_EVIDENCE, "", ""))
    path = write_test_plan(tmp_path, review_items=items)

    assert refusal(path) == f"{path}: $.review_items[1].id: review item id 'rv1' appears twice (also $.review_items[0])"


@pytest.mark.parametrize("action_id, kind", [
    ("d1", "members.deactivate"),
    ("a1", "scim.set_account_type"),
    ("t1", "scim.link_group"),
    ("u1", "scim.link_user"),
])
def test_after_null_is_refused_where_the_kind_needs_it(tmp_path, action_id, kind):
    path = rewrite(write_test_plan(tmp_path), lambda doc: action(doc, action_id).update(after=None))
    index = [a.id for a in small_plan_actions()].index(action_id)

    assert refusal(path) == f"{path}: $.actions[{index}].after: expected object, got null"


def test_after_null_is_fine_for_a_team_member_removal(tmp_path):
    plan = read_plan(write_test_plan(tmp_path))
    assert next(a for a in plan.actions if a.id == "r1").after is None


@pytest.mark.parametrize("command", [["show"], ["report", "--out", "{dir}/r.html"], ["approve", "--by", "Ada"],
                                     ["apply", "--dry-run"]])
def test_show_report_approve_and_apply_refuse_a_broken_plan_with_one_line(tmp_path, capsys, command):
    path = rewrite(write_test_plan(tmp_path), lambda doc: action(doc, "a1")["depends_on"].append("u9"))
    argv = [command[0], str(path), *(c.replace("{dir}", str(tmp_path)) for c in command[1:])]

    with pytest.raises(SystemExit) as done:
        main(argv)
    _, err = capsys.readouterr()

    assert done.value.code == 1
    assert err == (f"sigma-migrate: error: {path}: $.actions[7].depends_on: action 'a1' depends on 'u9', "
                   "which is not in the plan\n")
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "plan.json.approval").exists()


def test_a_long_dependency_chain_in_plan_order_reads(tmp_path):
    """2,000 chained actions, each depending on the one before it: acyclic, in order, read as is."""
    actions = [act("x0", ActionKind.MEMBERS_REACTIVATE, {"memberId": "m1", "email": "a@x"}, {"isArchived": False},
                  before={"isArchived": True}, evidence={"key": "email"})]
    actions += [act(f"x{i}", ActionKind.MEMBERS_REACTIVATE, {"memberId": "m1", "email": "a@x"}, {"isArchived": False},
                  [f"x{i - 1}"], before={"isArchived": True}, evidence={"key": "email"})
                for i in range(1, 2000)]
    plan = read_plan(write_test_plan(tmp_path, actions, fingerprints={}))
    assert len(plan.actions) == 2000 and plan.actions[-1].depends_on == ("x1998",)
