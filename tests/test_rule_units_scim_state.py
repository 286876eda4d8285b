"""planner.rules.scim_state rule by rule: one provisioned member or one planned action, Sigma's SCIM
state of a small directory, the exact link or settlement."""

from __future__ import annotations

from msgspec.structs import replace as struct_replace

from planner.directory import Link, LinkedPair, build_directory
from planner.model import ItemEvidence, ScimGroup
from planner.payloads import ActiveState, MemberRef, ScimDeactivateEvidence, ScimUserRef, StateConflictSettled
from planner.rules.unmatched import provisioning_admin
from planner.rules.scim_state import (
    PlannedState, Settlement, merge_pins, scim_link, scim_links, settle, settle_action,
)

from .plan_factory import group, member, plan, policy, snapshot, team, user
from .test_rules_scim_state import listed, provisioned, with_scim

ALICE = member("m1", "alice@example.com", "Alice", "A")
ALICE_U = user("u1", "alice@example.com", first="Alice", last="A")
BOB = member("m2", "bob@example.com", "Bob", "B")
BOB_U = user("u2", "bob@example.com", first="Bob", last="B")


POLICY_NOTE = " (linking.scim_state_conflicts says the IdP export is newer than Sigma's SCIM state)"
BY_POLICY = StateConflictSettled(newer="idp_export", settled_by="linking.scim_state_conflicts",
                                 scim_last_modified=None, export_last_updated=None)


def directory(snap, extra: str = ""):
    return build_directory(snap, policy(extra))


# --------------------------------------------------------------------------- links


def test_a_provisioned_member_is_linked_to_the_idp_user_its_external_id_names():
    d = directory(with_scim(snapshot([ALICE], [ALICE_U, BOB_U]), [provisioned("m1", "bob@example.com", "u1")]))
    assert scim_link("m1", d.scim.users["m1"], d) == LinkedPair(
        "m1", "u1", Link("scim", "scim", "alice@example.com", "externalId", "u1"))


def test_an_external_id_naming_nobody_falls_back_to_the_only_user_sending_its_user_name():
    d = directory(with_scim(snapshot([ALICE], [ALICE_U]), [provisioned("m1", "Alice@Example.com", "gone")]))
    assert scim_link("m1", d.scim.users["m1"], d) == LinkedPair(
        "m1", "u1", Link("scim", "scim", "alice@example.com", "userName", "Alice@Example.com"))


def test_a_user_name_two_idp_users_send_links_nobody():
    twin = user("u9", "alice@example.com")
    d = directory(with_scim(snapshot([ALICE], [ALICE_U, twin]), [provisioned("m1", "alice@example.com", "gone")]))
    assert scim_link("m1", d.scim.users["m1"], d) is None


def test_scim_links_are_by_member_id_and_skip_users_with_no_external_id():
    d = directory(with_scim(snapshot([BOB, ALICE], [ALICE_U, BOB_U]),
                            [provisioned("m2", "bob@example.com", "u2"), listed("m1", "alice@example.com")]))
    assert [(p.member_id, p.idp_id) for p in scim_links(d).pairs] == [("m2", "u2"), ("root", "u-root")]


PIN = LinkedPair("m1", "u1", Link("scim", "scim", "alice@example.com", "externalId", "u1"))


def override(mid: str, iid: str) -> LinkedPair:
    return LinkedPair(mid, iid, Link("override", "override", f"{mid}@example.com", "linking.overrides[0]", iid))


def test_an_override_repeating_a_scim_link_is_dropped_silently_and_others_follow_it():
    pins, outcome = merge_pins((override("m1", "u1"), override("m2", "u2")), (PIN,))
    assert pins == (PIN, override("m2", "u2"))
    assert outcome.review_items == []


def test_an_override_contradicting_a_scim_link_is_a_blocking_item():
    pins, outcome = merge_pins((override("m2", "u1"),), (PIN,))
    assert pins == (PIN,)
    [item] = outcome.review_items
    assert (item.id, item.blocking, item.subject.fields()) == ("linking.override_contradicts_scim:m2:u1", True,
                                                       {"memberId": "m2", "idpId": "u1"})
    assert item.message == ("an override links IdP user u1 to member m2, but Sigma's SCIM state already links "
                            "member m1 to IdP user u1: remove the override or unlink the user in the IdP first")
    assert item.resolution == "# remove the override naming u1\n"


def test_no_scim_links_leave_the_overrides_as_they_are():
    pins = (override("m2", "u2"),)
    assert merge_pins(pins, ())[0] is pins


# --------------------------------------------------------------------------- settlements


def actions_and_state(members, users, scim_users, extra="", groups=(), scim_groups=(), conflicts=None, **kw):
    """The actions a plan with no SCIM state makes, and the SCIM state to settle them against
    (``conflicts``: ``linking.scim_state_conflicts``)."""
    bare = snapshot(members, users, groups, **kw)
    planned = list(plan(bare, extra).actions)
    scim_directory = directory(with_scim(bare, scim_users, scim_groups), extra)
    admin = provisioning_admin(policy(extra), scim_directory)
    return {a.id: a for a in planned}, PlannedState.of(scim_directory.scim, planned, conflicts, provisioning_admin=admin)


def test_a_link_scim_already_holds_is_dropped():
    actions, planned = actions_and_state([ALICE], [ALICE_U], [provisioned("m1", "alice@example.com", "u1")])
    assert settle_action(actions["scim.link_user:m1"], planned) == Settlement(None)


def test_a_link_of_a_user_scim_made_inactive_is_a_conflict_the_policy_settles():
    scim_users = [provisioned("m1", "alice@example.com", "u1", active=False)]
    actions, planned = actions_and_state([ALICE], [ALICE_U], scim_users)
    link = actions["scim.link_user:m1"]
    settled = settle_action(link, planned)
    assert (settled.action, settled.review_item.code, settled.review_item.evidence) == (None, "scim.state_conflict", ItemEvidence(
        action="scim.link_user:m1", external_id="u1", attribute="active", scim_value="false", export_value="true",
        scim_last_modified=None, export_last_updated=None))
    _, planned = actions_and_state([ALICE], [ALICE_U], scim_users, conflicts={"u1": "idp_export"})
    assert settle_action(link, planned) == Settlement(struct_replace(
        link, before=struct_replace(link.before, active=False), reason=link.reason + POLICY_NOTE,
        evidence=struct_replace(link.evidence, state_conflict=BY_POLICY)))
    _, planned = actions_and_state([ALICE], [ALICE_U], scim_users, conflicts={"u1": "scim_state"})
    assert settle_action(link, planned) == Settlement(None)


def test_a_link_sending_another_user_name_is_dropped_with_a_blocking_item():
    actions, planned = actions_and_state([ALICE], [ALICE_U], [provisioned("m1", "alice@old.example", "u1")])
    settled = settle_action(actions["scim.link_user:m1"], planned)
    assert settled.action is None
    item = settled.review_item
    assert (item.id, item.code, item.blocking, item.subject.fields(), item.evidence) == (
        "scim.user_name_changed:scim.link_user:m1", "scim.user_name_changed", True,
        {"memberId": "m1", "idpId": "u1", "userName": "alice@old.example"}, ItemEvidence(external_id="u1"))
    assert item.message == ("alice@old.example is provisioned by SCIM, but the IdP would now send userName "
                            "'alice@example.com': Sigma creates a second account when userName changes")


def test_an_account_type_scim_already_holds_is_dropped_another_is_a_conflict_the_policy_settles():
    extra = "account_types: {group_map: {Sigma-Build: Build, Sigma-Admins: Admin}, precedence: [Admin, Build, View]}"
    args = ([ALICE], [ALICE_U])
    kw = dict(groups=[group("g1", "Sigma-Build", users=["u1"])], account_types=["Admin", "Build", "View"])
    actions, planned = actions_and_state(*args, [provisioned("m1", "alice@example.com", "u1", "Build")], extra, **kw)
    assert settle_action(actions["scim.set_account_type:m1"], planned) == Settlement(None)
    view = [provisioned("m1", "alice@example.com", "u1", "View")]
    actions, planned = actions_and_state(*args, view, extra, **kw)
    change = actions["scim.set_account_type:m1"]
    settled = settle_action(change, planned)
    assert (settled.action, settled.review_item.id, settled.review_item.blocking) == (
        None, "scim.state_conflict:scim.set_account_type:m1", True)
    assert (settled.review_item.evidence.scim_value, settled.review_item.evidence.export_value) == ("View", "Build")
    _, planned = actions_and_state(*args, view, extra, conflicts={"u1": "idp_export"}, **kw)
    assert settle_action(change, planned).action == struct_replace(
        change, target=struct_replace(change.target, scim_id="m1"), reason=change.reason + POLICY_NOTE,
        evidence=struct_replace(change.evidence, state_conflict=BY_POLICY))
    _, planned = actions_and_state(*args, view, extra, conflicts={"u1": "scim_state"}, **kw)
    assert settle_action(change, planned) == Settlement(None)


def test_a_team_scim_holds_with_its_members_is_dropped_a_missing_member_keeps_the_members_action():
    extra = "teams: {rules: [{match: exact}]}"
    kw = dict(groups=[group("g1", "Finance", users=["u1"])], teams=[team("t1", "Finance")], memberships={"t1": ["m1"]})
    scim_users = [provisioned("m1", "alice@example.com", "u1")]
    actions, planned = actions_and_state([ALICE], [ALICE_U], scim_users, extra,
                                         scim_groups=[ScimGroup("t1", "Finance", "g1", ("m1",))], **kw)
    assert [settle_action(a, planned) for a in actions.values() if "group" in a.id] == [Settlement(None)] * 2
    # SCIM linked the group empty before it made Alice: never in it, so her add is no disagreement to date
    made_later = [struct_replace(scim_users[0], created="2026-12-06T20:00:01Z")]
    actions, planned = actions_and_state([ALICE], [ALICE_U], made_later, extra,
                                         scim_groups=[ScimGroup("t1", "Finance", "g1", (), "2026-12-06T20:00:00Z")], **kw)
    members = actions["scim.set_group_members:g1"]
    assert settle_action(members, planned).action == struct_replace(members, target=struct_replace(members.target, scim_id="t1"))


def test_a_deactivation_of_a_scim_managed_member_goes_through_scim():
    actions, planned = actions_and_state([ALICE], [], [provisioned("m1", "alice@example.com", "u1")],
                                         "unmatched: {action: deactivate}", conflicts={"u1": "idp_export"})
    rest = actions["members.deactivate:m1"]
    settled = settle_action(rest, planned)
    assert settled.review_item is None
    a = settled.action
    assert (a.id, a.rule, a.depends_on) == ("scim.deactivate_user:m1", rest.rule, rest.depends_on)
    assert (a.target, a.before, a.after) == (
        ScimUserRef(member_id="m1", email="alice@example.com", user_name="alice@example.com", scim_id="m1"),
        ActiveState(active=True), ActiveState(active=False))
    assert a.evidence == ScimDeactivateEvidence(  # the documents go to the provisioning admin (docs/sigma-api.md §5.3)
        rest_action="members.deactivate:m1", kind=rest.evidence.kind, new_owner_email="root@example.com",
        document_owner_from="organization.scim_setup_admin", idp_id=rest.evidence.idp_id,
        idp_status=rest.evidence.idp_status, state_conflict=BY_POLICY)


def test_a_rest_edit_of_a_scim_managed_member_is_a_blocking_item():
    extra = "user_name_guard: {on_mismatch: update_sigma_email}"
    old = member("m1", "alice@old.example", "Alice", "A")
    new = user("u1", "alice@new.example", emails=["alice@new.example", "alice@old.example"], first="Alice", last="A")
    actions, planned = actions_and_state([old], [new], [provisioned("m1", "alice@old.example", "u1")], extra)
    settled = settle_action(actions["members.set_email:m1"], planned)
    assert settled.action is None
    item = settled.review_item
    assert (item.id, item.blocking, item.rule) == ("scim.managed_member:members.set_email:m1", True,
                                                   "scim_state.managed_member")
    assert item.evidence == ItemEvidence(action="members.set_email:m1", external_id="u1")


def test_actions_of_members_scim_does_not_manage_are_kept():
    actions, planned = actions_and_state([ALICE], [], [provisioned("m2", "bob@example.com", "u2")],
                                         "unmatched: {action: deactivate}")
    rest = actions["members.deactivate:m1"]
    assert settle_action(rest, planned).action is rest


def test_settle_repoints_dependencies_on_a_replaced_action_and_drops_those_on_a_dropped_one():
    actions, planned = actions_and_state([ALICE, BOB], [ALICE_U], [provisioned("m1", "alice@example.com", "u1"),
                                                                   provisioned("m2", "bob@example.com", "u2")],
                                         "unmatched: {action: deactivate}", conflicts={"*": "idp_export"})
    link, rest = actions["scim.link_user:m1"], actions["members.deactivate:m2"]
    later = struct_replace(rest, id="x:later", target=MemberRef(member_id="m9", email="m9@example.com"),
                           depends_on=("members.deactivate:m2", "scim.link_user:m1"))
    out, items = settle(planned.state, [link, rest, later], planned.conflicts)
    assert [a.id for a in out] == ["scim.deactivate_user:m2", "x:later"]
    assert out[1].depends_on == ("scim.deactivate_user:m2",)
    assert items == []


def test_settle_without_a_scim_state_returns_the_actions_unchanged():
    actions = [a for a in plan(snapshot([ALICE], [ALICE_U])).actions]
    d = directory(snapshot([ALICE], [ALICE_U]))
    assert settle(d.scim, actions) == (actions, [])


def test_a_user_scim_made_after_it_last_changed_the_group_was_never_in_it_so_the_push_adds_them_without_asking():
    """planner.rules.scim_state.never_in_group: SCIM's group's meta.lastModified moves with any change of its
    members (RFC 7643 §3.1), so a user SCIM created later was never listed in it: the push adding them undoes
    nothing SCIM did, even with an export that dates nothing (the ordinary next wave); created in the same
    second, the plan cannot tell, and asks."""
    from msgspec.structs import replace as with_fields

    from planner.rules.scim_state import never_in_group

    from .plan_factory import by_id, review_codes

    changed = "2026-12-06T20:46:53Z"
    finance = ScimGroup("t1", "Finance", "g1", ("m1",), changed)
    alice = with_fields(provisioned("m1", "alice@example.com", "u1"), created="2026-12-06T20:40:00Z")

    def second_wave(bob_created: str):
        bob = with_fields(provisioned("m2", "bob@example.com", "u2"), created=bob_created)
        snap = with_scim(snapshot([ALICE, BOB], [ALICE_U, BOB_U], groups=[group("g1", "Finance", ["u1", "u2"])],
                                  teams=[team("t1", "Finance")], memberships={"t1": ["m1"]}), [alice, bob], [finance])
        return never_in_group(bob, finance), plan(snap, "teams: {rules: [{match: exact}]}\n"
                                                        "preflight: {previous_scim: same_setup}")

    never, later = second_wave("2026-12-06T20:46:54Z")
    assert (never, review_codes(later), by_id(later)["scim.set_group_members:g1"].after.members) == (
        True, [], ["alice@example.com", "bob@example.com"])
    never, same = second_wave(changed)
    assert (never, review_codes(same), "scim.set_group_members:g1" in by_id(same)) == (
        False, [("scim.state_conflict", True)], False)
    assert (never_in_group(with_fields(alice, created=None), finance),
            never_in_group(alice, with_fields(finance, last_modified=None))) == (False, False)
