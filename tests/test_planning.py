"""The plan: DAG order, cycles, fingerprints, summary, determinism, plan file round trip."""

from __future__ import annotations

import hashlib
import json
import random

import pytest
from msgspec import to_builtins as wire

from planner.model import AccountTypeCounts, Action, ActionKind, ReviewCounts
from planner.planfile import plan_bytes, read_plan, write_plan
from planner.planning import PlanError, order_actions, summary_text

from .execute_support import act
from .plan_factory import group, member, plan, snapshot, team, user


def org(shuffle_seed: int | None = None):
    members = [member("m1", "ann@example.com", "Ann", "A", member_type="View"),
               member("m2", "bob@example.com", "Bob", "B", member_type="Build"),
               member("m3", "cat@example.com", "Cat", "C"),
               member("m4", "dan@oldcorp.example", "Dan", "D"),
               member("m5", "eve@example.com", "Eve", "E"),
               member("m6", "Eve@example.com", "Eve", "E"),
               member("g1", "gus@partner.example", user_kind="guest")]
    users = [user("u1", "ann@example.com", first="Ann", last="A"), user("u2", "bob@example.com", first="Bob", last="B"),
             user("u4", "dan@example.com", first="Dan", last="D"), user("u5", "eve@example.com", first="Eve", last="E"),
             user("u7", "new@example.com", first="New", last="N")]
    groups = [group("gA", "Sigma-Analyze", ["u1", "u7"]), group("gF", "Finance", ["u1", "u2"], groups=["gX"]),
              group("gX", "Finance Contractors", ["u7"])]
    teams = [team("tF", "Finance"), team("tB", "Board")]
    memberships = {"tF": ["m1", "m3"], "tB": ["m2"]}
    if shuffle_seed is not None:
        rnd = random.Random(shuffle_seed)
        for seq in (members, users, groups, teams):
            rnd.shuffle(seq)
    return snapshot(members, users, groups, teams, memberships, account_types=["Admin", "Build", "Analyze", "View"])


POLICY = """
account_types:
  group_map: {Sigma-Analyze: Analyze}
  on_downgrade: allow
unmatched:
  action: deactivate
"""


def test_same_inputs_in_any_order_give_the_same_plan_bytes():
    first = plan_bytes(plan(org(), POLICY))
    for seed in (1, 2, 3):
        assert plan_bytes(plan(org(seed), POLICY)) == first


def test_actions_come_in_dependency_order():
    p = plan(org(), POLICY)
    position = {a.id: i for i, a in enumerate(p.actions)}
    for a in p.actions:
        for dep in a.depends_on:
            assert position[dep] < position[a.id], (dep, a.id)
    assert [a.id for a in p.actions] == [
        "scim.create_user:u7",
        "scim.link_user:m1",
        "scim.link_user:m2",
        "scim.link_user:root",
        "scim.set_account_type:m1",
        "scim.link_group:tF",
        "scim.set_group_members:gF",
        "teams.remove_member:tF:m3",
        "members.deactivate:m3",
        "members.disable_guest:g1",
    ]
    members = next(a for a in p.actions if a.id == "scim.set_group_members:gF")
    assert wire(members.after) == {"members": ["ann@example.com", "bob@example.com", "new@example.com"]}
    assert members.depends_on == ("scim.create_user:u7", "scim.link_group:tF", "scim.link_user:m1", "scim.link_user:m2")
    deactivate = next(a for a in p.actions if a.id == "members.deactivate:m3")
    assert deactivate.depends_on == ("scim.link_user:root", "teams.remove_member:tF:m3")


def _action(action_id: str, kind: ActionKind, *deps: str) -> Action:
    email = f"{action_id}@example.com"
    if kind is ActionKind.MEMBERS_DEACTIVATE:
        return act(action_id, kind, {"memberId": action_id, "email": email}, {"isArchived": True, "newOwnerId": None},
                   deps)
    return act(action_id, kind, {"memberId": action_id, "email": email, "userName": email},
               {"userName": email, "givenName": "G", "familyName": "F", "active": True}, deps)


def test_a_dependency_against_the_phases_is_still_ordered_by_the_dag():
    # a link that waits for a deactivation (not something the rules make): the DAG decides
    actions = [_action("a", ActionKind.SCIM_LINK_USER, "b"), _action("b", ActionKind.MEMBERS_DEACTIVATE)]
    assert [a.id for a in order_actions(actions)] == ["b", "a"]


def test_a_cycle_is_an_error_naming_it():
    actions = [_action("a", ActionKind.SCIM_LINK_USER, "b"), _action("b", ActionKind.MEMBERS_DEACTIVATE, "a")]
    with pytest.raises(PlanError) as exc:
        order_actions(actions)
    assert str(exc.value) == "internal error: action 'a' is in a dependency cycle: a -> b -> a"


def test_unknown_dependency_is_an_error():
    with pytest.raises(PlanError) as exc:
        order_actions([_action("a", ActionKind.SCIM_LINK_USER, "nope")])
    assert str(exc.value) == "internal error: action 'a' depends on 'nope', which is not in the plan"


def test_a_duplicate_action_id_is_an_error():
    with pytest.raises(PlanError) as exc:
        order_actions([_action("a", ActionKind.SCIM_LINK_USER), _action("a", ActionKind.MEMBERS_DEACTIVATE)])
    assert str(exc.value) == "internal error: action id 'a' appears twice"


def test_fingerprints_cover_every_touched_object():
    p = plan(org(), POLICY)
    assert sorted(p.fingerprints) == [
        "member:g1", "member:m1", "member:m2", "member:m3", "member:root", "team:tF",
    ]
    m3 = p.fingerprints["member:m3"]
    assert wire(m3.state) == {"memberId": "m3", "email": "cat@example.com", "memberType": "View",
                              "userKind": "internal", "isArchived": False, "isInactive": False}
    for entry in p.fingerprints.values():
        canonical = json.dumps(wire(entry.state), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert entry.sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    assert wire(p.fingerprints["team:tF"].state) == {"teamId": "tF", "name": "Finance", "isArchived": False,
                                                     "memberIds": ("m1", "m3")}


def test_summary_counts_and_text():
    p = plan(org(), POLICY)
    s = wire(p.summary)
    assert s["actions"]["scim.link_user"] == 3
    assert s["total_actions"] == 10 and s["changes"] is True
    assert s["account_types"] == {"changes": 1, "upgrades": 1, "downgrades": 0, "custom_replacements": 0,
                                  "replacements": []}
    # Finance's push adds bob@ and new@ (group Finance and its nested Finance Contractors), and cat@ leaves
    assert s["teams"] == {"linked": 1, "created": 0, "unmanaged": 1, "member_additions": 2, "member_removals": 1}
    assert s["review_items"]["blocking"] == 2
    assert s["review_items"]["by_code"] == {"linking.duplicate_email": 1, "linking.same_person_hint": 1,
                                            "teams.unmanaged": 1}
    assert s["people"]["held"] == 5  # m5, m6, u5 (a shared address); m4, u4 (hint)
    assert s["text"] == (
        "Plan: 3 link, 1 create, 1 account-type change (0 downgrades), 1 guest disabled, 1 deactivation, "
        "1 team linked, 0 created, 2 member additions, 1 member removal; 3 review items (2 blocking)"
    )


def test_summary_text_counts_deactivations_through_scim_too():
    # tester8 finding 9: after the first wave every leaver is a scim.deactivate_user; the line must count them
    counts = {k.value: 0 for k in ActionKind} | {"scim.link_user": 1, "members.deactivate": 1,
                                                  "scim.deactivate_user": 2}
    account_types = AccountTypeCounts(changes=0, upgrades=0, downgrades=0, custom_replacements=0, replacements=[])
    assert summary_text(counts, account_types, ReviewCounts(total=0, blocking=0, by_code={})) == (
        "Plan: 1 link, 0 create, 0 account-type changes (0 downgrades), 0 guests disabled, 3 deactivations, "
        "0 teams linked, 0 created, 0 member additions, 0 member removals; 0 review items (0 blocking)"
    )


def test_summary_text_matches_the_issue_example():
    counts = {k.value: 0 for k in ActionKind} | {
        "scim.link_user": 112, "scim.create_user": 9, "scim.set_account_type": 14, "members.disable_guest": 6,
        "members.deactivate": 11, "scim.link_group": 4, "scim.create_group": 2, "teams.remove_member": 17,
    }
    account_types = AccountTypeCounts(changes=14, upgrades=0, downgrades=3, custom_replacements=0, replacements=[])
    assert summary_text(counts, account_types, ReviewCounts(total=5, blocking=3, by_code={}), additions=40) == (
        "Plan: 112 link, 9 create, 14 account-type changes (3 downgrades), 6 guests disabled, 11 deactivations, "
        "4 teams linked, 2 created, 40 member additions, 17 member removals; 5 review items (3 blocking)"
    )


def test_summary_text_says_one_member_addition():
    counts = {k.value: 0 for k in ActionKind} | {"scim.link_group": 1}
    account_types = AccountTypeCounts(changes=0, upgrades=0, downgrades=0, custom_replacements=0, replacements=[])
    assert summary_text(counts, account_types, ReviewCounts(total=0, blocking=0, by_code={}), additions=1) == (
        "Plan: 0 link, 0 create, 0 account-type changes (0 downgrades), 0 guests disabled, 0 deactivations, "
        "1 team linked, 0 created, 1 member addition, 0 member removals; 0 review items (0 blocking)"
    )


def test_people_rows():
    p = plan(org(), POLICY)
    rows = {(r.member_id, r.idp_id): r for r in p.people}
    ann = rows[("m1", "u1")]
    assert (ann.link_key, ann.account_type_before, ann.account_type_after, ann.actions) == (
        "email", "View", "Analyze", ("scim.link_user:m1", "scim.set_account_type:m1"))
    cat = rows[("m3", None)]
    assert (cat.sigma_status, cat.account_type_after, cat.actions) == (
        "active", None, ("members.deactivate:m3", "teams.remove_member:tF:m3"))
    new = rows[(None, "u7")]
    assert (new.email, new.name, new.account_type_after, new.actions) == (
        "new@example.com", "New N", "Analyze", ("scim.create_user:u7",))
    dan = rows[("m4", None)]
    assert dan.review_items == ("linking.same_person_hint:u4",)
    assert [r.email for r in p.people] == sorted((r.email for r in p.people), key=str.casefold)


def test_plan_file_round_trip(tmp_path):
    p = plan(org(), POLICY)
    path = tmp_path / "plan.json"
    digest = write_plan(p, path)
    again = read_plan(path)
    assert again.digest == digest
    assert again.actions == p.actions
    assert again.review_items == p.review_items
    assert again.summary == p.summary
    document = json.loads(path.read_text())
    assert document["policy"]["resolved"]["unmatched"]["action"] == "deactivate"
    assert document["policy"]["path"] == "policy.yaml"
    assert document["organization"] == {"organizationId": "org-1", "name": "Example"}
    assert "token" not in path.read_text().lower()


@pytest.mark.parametrize("bad, message", [
    (member("m1", "twin@example.com"), "member memberId 'm1' appears twice"),
    (member(None, "null@example.com"), "member has memberId None, not a non-empty string"),
    (member(12345, "number@example.com"), "member has memberId 12345, not a non-empty string"),
])
def test_a_snapshot_with_broken_member_ids_is_refused_with_one_line(bad, message):
    snap = snapshot([member("m1", "ann@example.com"), bad], [user("u1", "ann@example.com")])
    with pytest.raises(PlanError) as exc:
        plan(snap)
    assert str(exc.value) == f"{message}; run `sigma-migrate check` to list every finding"


def test_a_snapshot_with_an_error_finding_is_refused():
    from dataclasses import replace

    from planner.model import Finding, Severity

    bad = Finding(Severity.ERROR, "excel-mangled-id", "members.json", "$[0].entries[3]", "memberId", "1.04E+20")
    snap = replace(snapshot([member("m1", "ann@example.com")], [user("u1", "ann@example.com")]), findings=(bad,))
    with pytest.raises(PlanError) as exc:
        plan(snap)
    assert str(exc.value) == ("the inputs have 1 error(s), first: error: members.json:$[0].entries[3] [memberId]: "
                              "1.04E+20 (excel-mangled-id); run `sigma-migrate check` to list every finding")


def test_the_actions_indexed_by_what_they_act_on():
    # planning.acted_on (read by the person rows and the fingerprints) agrees with the per-action helpers
    from planner.payloads import new_owner_id, target_member_id, target_team_id
    from planner.planning import acted_on

    p = plan(org(), POLICY)
    acted = acted_on(p.actions)
    by_member: dict[str, list[str]] = {}
    for a in p.actions:
        if target_member_id(a):
            by_member.setdefault(target_member_id(a), []).append(a.id)
    assert {mid: [a.id for a in acts] for mid, acts in acted.members.items()} == by_member
    assert acted.creates == {"u7": ["scim.create_user:u7"]}
    assert acted.owners == {new_owner_id(a) for a in p.actions} - {None} == {"root"}
    assert acted.teams == {target_team_id(a) for a in p.actions} - {None} == {"tF"}
