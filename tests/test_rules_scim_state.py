"""Planning with Sigma's SCIM state (issue 11 item 1): what an IdP already provisioned is linked,
what SCIM already holds is not planned again, and a SCIM-managed member is never offered a REST edit."""

from __future__ import annotations

from dataclasses import replace

import msgspec
import yaml
from msgspec import to_builtins as wire

from planner.model import ScimGroup, ScimUser, Snapshot, email_key
from planner.payloads import UNSET

from .plan_factory import by_id, group, kinds, member, plan, review_codes, snapshot, team, user


def policy_of(resolution: str):
    """The policy fragment a review item's snippet proposes (its first, uncommented, choice)."""
    return yaml.safe_load(resolution)


def provisioned(member_id: str, user_name: str, external_id: str, user_type: str = "View",
                active: bool = True) -> ScimUser:
    return ScimUser(member_id, user_name, email_key(user_name), external_id, active, user_type)


def listed(member_id: str, user_name: str, user_type: str = "View") -> ScimUser:
    """A pre-SCIM member as Sigma's SCIM lists it: no externalId."""
    return ScimUser(member_id, user_name, email_key(user_name), None, True, user_type)


ROOT_SCIM = provisioned("root", "root@example.com", "u-root", "Admin")


def with_scim(snap: Snapshot, users=(), groups=()) -> Snapshot:
    return replace(snap, sigma=replace(snap.sigma, scim_users=(ROOT_SCIM, *users), scim_groups=tuple(groups)))


SCIM_CHANGED, READ_AFTER = "2026-12-06T20:00:00Z", "2026-12-06T20:30:00Z"


def read_after_scim(snap: Snapshot) -> Snapshot:
    """``snap`` as an ordinary re-plan sees it: SCIM last changed its groups at :data:`SCIM_CHANGED` (their
    ``meta.lastModified``, where not given) and ``fetch-idp`` read the IdP after (:data:`READ_AFTER`), so where a
    push and SCIM's group disagree the export is the IdP's later word (planner.rules.scim_state.group_dates;
    with neither date the plan cannot tell, and asks)."""
    groups = tuple(g if g.last_modified else ScimGroup(g.id, g.display_name, g.external_id, g.member_ids, SCIM_CHANGED)
                   for g in snap.sigma.scim_groups)
    return replace(snap, sigma=replace(snap.sigma, scim_groups=groups), idp=replace(snap.idp, fetched_at=READ_AFTER))


def test_a_provisioned_member_is_linked_by_scim_and_gets_no_action():
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A")],
                              [user("u1", "alice@example.com", first="Alice", last="A")]),
                     [provisioned("m1", "alice@example.com", "u1")])
    p = plan(snap)
    assert kinds(p) == []
    assert review_codes(p) == []
    row = next(r for r in p.people if r.member_id == "m1")
    assert (row.link_key, row.idp_id, row.actions) == ("scim", "u1", ())


def test_a_listed_pre_scim_member_is_still_linked_by_the_plan():
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A")],
                              [user("u1", "alice@example.com", first="Alice", last="A")]),
                     [listed("m1", "alice@example.com")])
    assert kinds(plan(snap)) == [("scim.link_user", "scim.link_user:m1")]


def test_the_member_an_apply_created_satisfies_a_never_override():
    # jordan.lee2 was created by the applied plan (a new member, SCIM id = its memberId)
    snap = with_scim(snapshot([member("old", "jordan.lee@example.com", "Jordan", "Lee", archived=True),
                               member("new1", "jordan.lee2@example.com", "Jordan", "Lee")],
                              [user("u3", "jordan.lee2@example.com", first="Jordan", last="Lee")]),
                     [provisioned("new1", "jordan.lee2@example.com", "u3")])
    p = plan(snap, "linking: {overrides: [{idp: u3, member: never}]}")
    assert kinds(p) == []
    assert review_codes(p) == []


TYPES = "account_types: {group_map: {Sigma-Build: Build, Sigma-Admins: Admin}, precedence: [Admin, Build, View]}"


def test_a_new_account_type_the_scim_state_disagrees_with_is_a_blocking_conflict():
    # issue 10 finding 2: SCIM set View after the export said Build: the export alone does not upgrade
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A", member_type="View")],
                              [user("u1", "alice@example.com", first="Alice", last="A")],
                              [group("g1", "Sigma-Build", users=["u1"])], account_types=["Admin", "Build", "View"]),
                     [provisioned("m1", "alice@example.com", "u1", "View")])
    p = plan(snap, TYPES)
    assert kinds(p) == []
    [item] = [r for r in p.review_items if r.code == "scim.state_conflict"]
    assert (item.id, item.blocking) == ("scim.state_conflict:scim.set_account_type:m1", True)
    assert item.message == (
        "alice@example.com is provisioned by SCIM (externalId u1), and Sigma's SCIM state and the IdP export "
        "disagree (userType: SCIM View, export Build; the SCIM state does not say when it changed the user, "
        "the export does not say when): which is newer? The plan does not send scim.set_account_type on the "
        "export's word alone")
    assert policy_of(item.resolution) == {"linking": {"scim_state_conflicts": {"u1": {"newer": "scim_state", "userType": "View"}}}}
    # the export is newer: the type goes through SCIM only
    p = plan(snap, TYPES + "\nlinking: {scim_state_conflicts: {u1: idp_export}}")
    assert kinds(p) == [("scim.set_account_type", "scim.set_account_type:m1")]
    assert p.actions[0].depends_on == ()  # the link it would wait for is already made
    assert review_codes(p) == []
    # SCIM is newer: nothing
    p = plan(snap, TYPES + "\nlinking: {scim_state_conflicts: {u1: scim_state}}")
    assert (kinds(p), review_codes(p)) == ([], [])


def test_a_provisioned_member_absent_from_the_export_is_not_deactivated_on_its_word_alone():
    # issue 10 finding 2: a SCIM-created new hire the older export lacks
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A")], []),
                     [provisioned("m1", "alice@example.com", "u1")])
    p = plan(snap, "unmatched: {action: deactivate}")
    assert kinds(p) == []
    assert review_codes(p) == [("scim.state_conflict", True)]
    item = p.review_items[0]
    assert (item.evidence.attribute, item.evidence.scim_value, item.evidence.export_value) == (
        "active", "true", "absent (no IdP user has its externalId)")


def test_a_provisioned_member_the_export_puts_out_of_scope_is_a_conflict_saying_so():
    # tester6 finding 16: the message said "active: SCIM true, export ACTIVE": both active; the real
    # reason is the scope
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A")],
                              [user("u1", "alice@example.com", first="Alice", last="A"),
                               user("u2", "bob@example.com", first="Bob", last="B")],
                              [group("g1", "Sigma", users=["u2"])]),
                     [provisioned("m1", "alice@example.com", "u1")])
    p = plan(snap, "scope: {groups: [Sigma]}\nunmatched: {action: deactivate}")
    items = [i for i in p.review_items if i.code == "scim.state_conflict"]
    assert [(i.id, i.evidence.attribute, i.evidence.scim_value, i.evidence.export_value) for i in items] == [
        ("scim.state_conflict:members.deactivate:m1", "active", "true",
         "in no group of scope.groups (u1, ACTIVE in the IdP)")]
    assert "disagree (active: SCIM true, export in no group of scope.groups (u1, ACTIVE in the IdP); " in (
        items[0].message)


def test_a_provisioned_member_who_left_the_idp_is_deactivated_through_scim_when_the_export_is_newer():
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A")], []),
                     [provisioned("m1", "alice@example.com", "u1")])
    p = plan(snap, "unmatched: {action: deactivate}\nlinking: {scim_state_conflicts: {u1: idp_export}}")
    assert kinds(p) == [("scim.deactivate_user", "scim.deactivate_user:m1")]
    action = p.actions[0]
    assert (dict(wire(action.target)), wire(action.before), wire(action.after)) == (
        {"memberId": "m1", "email": "alice@example.com", "userName": "alice@example.com", "scimId": "m1"},
        {"active": True}, {"active": False})
    assert wire(action.evidence)["restAction"] == "members.deactivate:m1"
    # the seat goes with the person, and the summary line counts the deactivation (tester8 finding 9)
    assert {t: (s.before, s.after) for t, s in p.summary.seats.items()} == {"Admin": (1, 1), "View": (1, 0)}
    assert ", 1 deactivation, " in p.summary.text


def test_a_member_deactivated_through_scim_has_no_account_type_after_as_a_rest_deactivation():
    """leftovers15: a ``scim.deactivate_user`` person row kept ``account_type_after`` 'View' (show: '~ ... View', the
    report, CSV and hand-off a type after) though SCIM ``active: false`` leaves them no access: the row is built by
    :data:`planner.outcomes.LEAVING_KINDS`, the kinds a REST deactivation is built by too."""
    from planner.model import Lockout
    from planner.show import plain_text

    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A")], []),
                     [provisioned("m1", "alice@example.com", "u1")])
    p = plan(snap, "unmatched: {action: deactivate}\nlinking: {scim_state_conflicts: {u1: idp_export}}")
    rest = plan(snapshot([member("m1", "alice@example.com", "Alice", "A")], []), "unmatched: {action: deactivate}")
    (row,), (rest_row,) = [[r for r in q.people if r.member_id == "m1"] for q in (p, rest)]
    assert (row.actions, row.account_type_before, row.account_type_after, row.account_type_source, row.lockout,
            row.type_change, row.admin_change) == (
        ("scim.deactivate_user:m1",), "View", None, None, Lockout.DEACTIVATED, None, None)
    assert msgspec.structs.replace(row, actions=rest_row.actions) == rest_row
    assert [line for line in plain_text(p).splitlines() if "alice@" in line] == [
        "  - alice@example.com  Alice A  [member m1]  View -> -"]


def test_a_scim_deactivation_says_its_documents_go_to_the_provisioning_admin_not_the_document_owner():
    # tester8 finding 3: the reason said both "documents go to owner@" and "to the provisioning admin", the
    # evidence named owner@, the guard said "no documents change owner", and it waited for owner@'s link
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A"),
                               member("own", "owner@example.com", "O", "W")],
                              [user("u9", "owner@example.com", first="O", last="W")]),
                     [provisioned("m1", "alice@example.com", "u1")])
    p = plan(snap, "unmatched: {action: deactivate, document_owner: owner@example.com}\n"
                   "linking: {scim_state_conflicts: {u1: idp_export}}")
    action = by_id(p)["scim.deactivate_user:m1"]
    assert action.reason == (
        "deactivate: no IdP user matches this member (SCIM-managed: deactivated through SCIM; Sigma gives the "
        "documents to the provisioning admin, root@example.com, not to owner@example.com: a SCIM deactivation "
        "names no new owner, so unmatched.document_owner does not apply) (linking.scim_state_conflicts says the "
        "IdP export is newer than Sigma's SCIM state)")
    assert (wire(action.evidence)["newOwnerEmail"], wire(action.evidence)["documentOwnerFrom"]) == (
        "root@example.com", "organization.scim_setup_admin")
    assert action.depends_on == ()
    [guard] = [g for g in p.summary.guards if g.name == "document_owner"]
    assert (guard.ok, guard.detail) == (True, "documents go to root@example.com, who stays active")
    [transfer] = p.outcomes.document_transfers
    assert (transfer.action, transfer.destination.value, transfer.to_email) == (
        "scim.deactivate_user:m1", "provisioning_owner", "root@example.com")


def test_an_email_change_of_a_provisioned_member_is_a_blocking_item_not_a_rest_edit():
    # the IdP now sends another userName: Sigma would make a second account; REST cannot fix it (403)
    snap = with_scim(snapshot([member("m1", "alice@old.example", "Alice", "A")],
                              [user("u1", "alice@new.example", emails=["alice@new.example", "alice@old.example"],
                                    first="Alice", last="A")]),
                     [provisioned("m1", "alice@old.example", "u1")])
    p = plan(snap, "user_name_guard: {on_mismatch: update_sigma_email}")
    assert kinds(p) == []
    # the guard never adopts the IdP's userName for a SCIM-managed member: it asks once, offering what settles it
    # (was scim.managed_member and scim.user_name_changed, the plan of a REST email change: tester11 finding 8)
    assert review_codes(p) == [("user_name_guard.mismatch", True)]
    item = p.review_items[0]
    assert item.message.startswith(
        "IdP user u1 now sends userName 'alice@new.example', but SCIM provisioned member m1 with userName "
        "'alice@old.example' (externalId u1): Sigma refuses REST edits of SCIM-managed members (403)")
    assert yaml.safe_load(item.resolution) == {"user_name_guard": {"overrides": {"u1": "use_sigma_email"}}}


def test_a_linked_team_with_the_planned_members_gets_no_action():
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A")],
                              [user("u1", "alice@example.com", first="Alice", last="A")],
                              [group("g1", "Finance", users=["u1"])], teams=[team("t1", "Finance")],
                              memberships={"t1": ["m1"]}),
                     [provisioned("m1", "alice@example.com", "u1")],
                     [ScimGroup("t1", "Finance", "g1", ("m1",))])
    p = plan(snap, "teams: {rules: [{match: exact}]}")
    assert kinds(p) == []
    # the same team with a member still to add: only the membership change remains
    snap2 = replace(snap, sigma=replace(snap.sigma, scim_groups=(ScimGroup("t1", "Finance", "g1", ()),)))
    assert kinds(plan(read_after_scim(snap2), "teams: {rules: [{match: exact}]}")) == [
        ("scim.set_group_members", "scim.set_group_members:g1")]


def test_an_override_contradicting_the_scim_state_is_blocking():
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A"), member("m2", "al@example.com")],
                              [user("u1", "alice@example.com", first="Alice", last="A")]),
                     [provisioned("m1", "alice@example.com", "u1")])
    p = plan(snap, "linking: {overrides: [{idp: u1, member: m2}]}")
    assert ("linking.override_contradicts_scim", True) in review_codes(p)
    assert kinds(p) == []


def test_a_scim_id_that_is_not_a_member_id_is_joined_by_user_name():
    # docs/sigma-api.md §10.2: Sigma's SCIM id may differ from the memberId; the userName still names the member
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A")],
                              [user("u1", "alice@example.com", first="Alice", last="A")]),
                     [provisioned("scim-9f2", "Alice@Example.com", "u1")])
    p = plan(snap)
    assert kinds(p) == []
    assert next(r for r in p.people if r.member_id == "m1").link_key == "scim"


def test_a_user_scim_deactivated_is_not_reactivated_on_the_export_word_alone():
    # issue 10 finding 2 (Vera): SCIM made her inactive after wave 1; the older export says active
    snap = with_scim(snapshot([member("m1", "vera@example.com", "Vera", "Z", inactive=True)],
                              [user("u1", "vera@example.com", first="Vera", last="Z")]),
                     [ScimUser("m1", "vera@example.com", "vera@example.com", "u1", False, "View",
                               "2026-12-05T11:49:53Z")])
    p = plan(snap)
    assert kinds(p) == []
    assert review_codes(p) == [("scim.state_conflict", True)]
    item = p.review_items[0]
    assert item.id == "scim.state_conflict:scim.link_user:m1"
    assert item.message == (
        "vera@example.com is provisioned by SCIM (externalId u1), and Sigma's SCIM state and the IdP export "
        "disagree (active: SCIM false, export true; SCIM last changed the user 2026-12-05T11:49:53Z, the export "
        "does not say when): which is newer? The plan does not send scim.link_user on the export's word alone")
    assert p.summary.people["reactivate"] == 1
    # the export is newer: the link reactivates her, and the summary says so
    p = plan(snap, "linking: {scim_state_conflicts: {u1: idp_export}}")
    assert kinds(p) == [("scim.link_user", "scim.link_user:m1")]
    assert (p.actions[0].before.active, p.actions[0].after.active) == (False, True)
    assert p.summary.text.startswith("Plan: 1 link, 0 create, 1 reactivation, ")
    assert review_codes(p) == []
    # SCIM is newer: nothing to do
    p = plan(snap, "linking: {scim_state_conflicts: {'*': scim_state}}")
    assert (kinds(p), review_codes(p)) == ([], [])


def test_the_sigma_loader_reads_each_scim_users_last_modified_and_created(tmp_path):
    # the time a scim.state_conflict names for Sigma's side (RFC 7643 §3.1 meta.lastModified)
    import json

    from planner.sources import load_sigma_export

    (tmp_path / "scim").mkdir()
    (tmp_path / "members.json").write_text(json.dumps([
        {"memberId": "m1", "email": "vera@example.com", "firstName": "Vera", "lastName": "Z", "memberType": "View",
         "userKind": "internal"}]), encoding="utf-8")
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "m1", "externalId": "u1",
            "userName": "vera@example.com", "active": False, "userType": "View",
            "meta": {"resourceType": "User", "created": "2021-01-04T16:31:31Z", "lastModified": "2026-12-05T11:49:53Z"}}
    listing = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1,
               "Resources": [user]}
    (tmp_path / "scim" / "Users.json").write_text(json.dumps(listing), encoding="utf-8")
    (tmp_path / "scim" / "Groups.json").write_text(json.dumps(listing | {"totalResults": 0, "Resources": []}),
                                                   encoding="utf-8")
    export, _ = load_sigma_export(tmp_path)
    assert export.scim_users == (ScimUser("m1", "vera@example.com", "vera@example.com", "u1", False, "View",
                                          "2026-12-05T11:49:53Z", "2021-01-04T16:31:31Z"),)


def test_a_team_scim_renamed_stays_linked_to_its_idp_group_by_external_id():
    # issue 10 finding 13: SCIM renamed Finance to "Finance & Accounting"; the (older) export still names
    # the group Finance. The team is linked to its group by the SCIM Group's externalId, not by name.
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A")],
                              [user("u1", "alice@example.com", first="Alice", last="A")],
                              [group("g1", "Finance", users=["u1"])], teams=[team("t1", "Finance & Accounting")],
                              memberships={"t1": ["m1"]}),
                     [provisioned("m1", "alice@example.com", "u1")],
                     [ScimGroup("t1", "Finance & Accounting", "g1", ("m1",))])
    p = plan(snap, "teams: {rules: [{match: exact}]}")
    assert kinds(p) == []
    assert review_codes(p) == [("teams.renamed_by_idp", False)]
    assert p.review_items[0].message == (
        "Sigma's SCIM state links team 'Finance & Accounting' to IdP group g1, which the export names 'Finance': "
        "the plan keeps the team's name; if the export is newer, the IdP's next push renames the team")
    [row] = [r for r in p.teams if r.team_id == "t1"]
    assert (row.mode, row.group_id, row.name, row.group_name) == ("link", "g1", "Finance & Accounting", "Finance")
    # a member still to push: only the membership change, to the linked team
    snap2 = replace(snap, sigma=replace(snap.sigma, scim_groups=(ScimGroup("t1", "Finance & Accounting", "g1", ()),)))
    p = plan(read_after_scim(snap2), "teams: {rules: [{match: exact}]}")
    assert kinds(p) == [("scim.set_group_members", "scim.set_group_members:g1")]
    assert p.actions[0].target.team_id == "t1"


def test_a_team_row_lists_only_the_actions_left_after_the_scim_state_settled_them():
    """A re-plan after a wave: the SCIM state already holds Finance linked with its members, so
    settling drops its link and membership actions; the team row (show, report) must not list them."""
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A")],
                              [user("u1", "alice@example.com", first="Alice", last="A")],
                              [group("g1", "Finance", users=["u1"])], teams=[team("t1", "Finance")],
                              memberships={"t1": ["m1"]}),
                     [provisioned("m1", "alice@example.com", "u1")],
                     [ScimGroup("t1", "Finance", "g1", ("m1",))])
    p = plan(snap, "teams: {rules: [{match: exact}]}")
    assert kinds(p) == []
    assert [(r.name, r.mode, r.actions) for r in p.teams] == [("Finance", "link", ())]
    # a member still to add: the row lists the membership change, the only action left
    snap2 = replace(snap, sigma=replace(snap.sigma, scim_groups=(ScimGroup("t1", "Finance", "g1", ()),)))
    p2 = plan(read_after_scim(snap2), "teams: {rules: [{match: exact}]}")
    assert [(r.name, r.actions) for r in p2.teams] == [("Finance", ("scim.set_group_members:g1",))]


def nora_after_an_older_export():
    """Finance is linked; Nora (m2, externalId u2) was created by SCIM after the IdP export was taken,
    so the export has neither her user nor her in group g1."""
    return with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A"), member("m2", "nora@example.com", "Nora", "N")],
                              [user("u1", "alice@example.com", first="Alice", last="A")],
                              [group("g1", "Finance", users=["u1"])], teams=[team("t1", "Finance")],
                              memberships={"t1": ["m1", "m2"]}),
                     [provisioned("m1", "alice@example.com", "u1"), provisioned("m2", "nora@example.com", "u2")],
                     [ScimGroup("t1", "Finance", "g1", ("m1", "m2"))])


def test_a_member_the_scim_state_conflict_holds_is_kept_in_her_groups_member_list():
    """Tester finding (issue 10 fix-waves e): the conflict held Nora's deactivation, but the group's
    full member list (RFC 7644 §3.5.2 replace) left her out and so removed her on the older export's word."""
    p = plan(nora_after_an_older_export(), "teams: {rules: [{match: exact}]}\nunmatched: {action: deactivate}")
    assert kinds(p) == []  # the group already holds Alice and Nora: nothing to send
    assert review_codes(p) == [("scim.held_member", False), ("scim.state_conflict", True)]
    assert [(r.name, r.actions) for r in p.teams] == [("Finance", ())]
    # a member still to add: the list sent keeps Nora
    snap = nora_after_an_older_export()
    snap = replace(snap, idp=replace(snap.idp, users=(*snap.idp.users, user("u3", "bo@example.com", first="Bo", last="B")),
                                     groups=(group("g1", "Finance", users=["u1", "u3"]),)))
    p = plan(snap, "teams: {rules: [{match: exact}]}\nunmatched: {action: deactivate}")
    action = by_id(p)["scim.set_group_members:g1"]
    assert action.after.members == ["alice@example.com", "bo@example.com", "nora@example.com"]
    assert action.reason.endswith(" (keeps nora@example.com: provisioned by SCIM, absent from the IdP export, "
                                  "see scim.state_conflict)")


def test_when_the_policy_says_the_export_is_newer_the_group_drops_the_member():
    p = plan(nora_after_an_older_export(), "teams: {rules: [{match: exact}]}\nunmatched: {action: deactivate}\n"
             "linking: {scim_state_conflicts: {u2: idp_export}}")
    # the group's push removes her (its list replaces the group's members), then SCIM deactivates her; the
    # removal sends nothing of its own (it was a blocking scim.managed_member, asking the IdP to do it)
    assert kinds(p) == [("scim.deactivate_user", "scim.deactivate_user:m2"),
                        ("scim.set_group_members", "scim.set_group_members:g1"),
                        ("teams.remove_member", "teams.remove_member:t1:m2")]
    assert by_id(p)["scim.set_group_members:g1"].after.members == ["alice@example.com"]
    assert by_id(p)["teams.remove_member:t1:m2"].evidence.removed_by == "scim.set_group_members:g1"
    assert by_id(p)["scim.deactivate_user:m2"].depends_on == ("teams.remove_member:t1:m2",)
    assert review_codes(p) == []


def test_a_re_plan_after_a_wave_gives_dry_run_the_scim_ids_sigmas_scim_state_lists():
    """Issue 10 fix-waves b: `apply --dry-run` printed `{id of displayName 'Finance'}` and
    `{id of userName ...}` for a team and a user an earlier wave had linked, whose SCIM ids the
    export's scim/ state lists: the plan carries them (target.scimId) and dry-run prints them."""
    from planner.execute.actions import handler_for

    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A", member_type="View")],
                              [user("u1", "alice@example.com", first="Alice", last="A")],
                              [group("g1", "Finance", users=["u1"]), group("g2", "Sigma-Build", users=["u1"])],
                              teams=[team("t1", "Finance")], account_types=["Admin", "Build", "View"]),
                     [provisioned("m1", "alice@example.com", "u1", "View")],
                     [ScimGroup("t1", "Finance", "g1", ())])
    p = plan(snap, "teams: {rules: [{match: exact}]}\n" + TYPES
             + "\nlinking: {scim_state_conflicts: {u1: idp_export}}")
    assert kinds(p) == [("scim.set_account_type", "scim.set_account_type:m1"),
                        ("scim.set_group_members", "scim.set_group_members:g1")]
    members, account_type = by_id(p)["scim.set_group_members:g1"], by_id(p)["scim.set_account_type:m1"]
    assert (members.target.scim_id, account_type.target.scim_id) == ("t1", "m1")
    assert [(r.method, r.path) for r in handler_for(members).requests(members)] == [("PATCH", "/Groups/t1")]
    assert [(r.method, r.path) for r in handler_for(account_type).requests(account_type)] == [("PATCH", "/Users/m1")]
    # without SCIM state nothing is known: the placeholders stay
    fresh = plan(replace(snap, sigma=replace(snap.sigma, scim_users=None, scim_groups=None)),
                 "teams: {rules: [{match: exact}]}\n" + TYPES)
    account_type = by_id(fresh)["scim.set_account_type:m1"]
    assert account_type.target.scim_id is UNSET
    assert [r.path for r in handler_for(account_type).requests(account_type)] == [
        "/Users/{id of userName 'alice@example.com'}"]


def test_removing_a_member_scim_added_after_the_older_export_is_held_not_blocking():
    """issue 10 fix-misc3 b: Nora is in Finance only because SCIM added her after the IdP export was
    taken; the team removal comes from that stale export, so it is held like her place in the group's
    member list (0c8dbc7), not a blocking scim.managed_member asking the admin to act in the IdP."""
    p = plan(nora_after_an_older_export(), "teams: {rules: [{match: exact}]}\nunmatched: {action: deactivate}")
    assert kinds(p) == []
    assert review_codes(p) == [("scim.held_member", False), ("scim.state_conflict", True)]
    held = next(r for r in p.review_items if r.code == "scim.held_member")
    assert (held.id, held.message) == (
        "scim.held_member:teams.remove_member:t1:m2",
        "nora@example.com stays in team 'Finance': provisioned by SCIM, absent from the IdP export, and the inputs "
        "do not date it against SCIM's record of them: SCIM added them after the export was taken, or they were "
        "deleted in the IdP, so the plan does not remove them on the export's word alone; export the IdP again "
        "and plan again; if they left, linking.scim_state_conflicts: {u2: {newer: idp_export, active: false}} "
        "deactivates them")
    assert (held.evidence.action, held.evidence.external_id) == ("teams.remove_member:t1:m2", "u2")
    # the export names her (she left the group in the IdP): the group's push removes her, as the plan's own
    # scim.set_group_members does (earlier tester item 5: this was a blocking scim.managed_member asking the
    # IdP to remove her from a group that does not hold her)
    snap = nora_after_an_older_export()
    snap = replace(snap, idp=replace(snap.idp, users=(*snap.idp.users, user("u2", "nora@example.com", first="Nora", last="N"))))
    p = plan(read_after_scim(snap), "teams: {rules: [{match: exact}]}")
    assert (kinds(p), review_codes(p)) == ([("scim.set_group_members", "scim.set_group_members:g1"),
                                            ("teams.remove_member", "teams.remove_member:t1:m2")], [])
    assert by_id(p)["scim.set_group_members:g1"].after.members == ["alice@example.com"]
    removal = by_id(p)["teams.remove_member:t1:m2"]
    assert (removal.evidence.removed_by, removal.depends_on) == ("scim.set_group_members:g1",
                                                                 ("scim.set_group_members:g1",))


def row_numbers(p) -> list[tuple]:
    return [(r.name, r.actions, r.members_before, r.members_after, r.members_added, r.members_removed)
            for r in p.teams]


def test_a_team_rows_counts_come_from_the_actions_left_after_settling():
    """issue 10 fix-misc3 a: fd388d1 filtered a team row's action ids after settle, but its counts
    still counted the removal settle dropped (Finance -1, 2 -> 1 members, with no action left)."""
    p = plan(nora_after_an_older_export(), "teams: {rules: [{match: exact}]}\nunmatched: {action: deactivate}")
    assert row_numbers(p) == [("Finance", (), 2, 2, 0, 0)]
    # the removal the group's push makes is one of the plan's (earlier tester item 5)
    snap = nora_after_an_older_export()
    snap = replace(snap, idp=replace(snap.idp, users=(*snap.idp.users, user("u2", "nora@example.com", first="Nora", last="N"))))
    assert row_numbers(plan(read_after_scim(snap), "teams: {rules: [{match: exact}]}")) == [
        ("Finance", ("scim.set_group_members:g1", "teams.remove_member:t1:m2"), 2, 1, 0, 1)]


def test_a_team_row_adds_no_one_when_settle_drops_the_membership_change():
    """The SCIM group already holds Bo (SCIM added him after the Sigma team export): the membership
    change is satisfied and dropped, so the row adds no one; with it still to send, Bo is counted."""
    def snap(scim_members):
        return with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A"), member("m3", "bo@example.com", "Bo", "B")],
                                  [user("u1", "alice@example.com", first="Alice", last="A"),
                                   user("u3", "bo@example.com", first="Bo", last="B")],
                                  [group("g1", "Finance", users=["u1", "u3"])], teams=[team("t1", "Finance")],
                                  memberships={"t1": ["m1"]}),
                         [provisioned("m1", "alice@example.com", "u1"), provisioned("m3", "bo@example.com", "u3")],
                         [ScimGroup("t1", "Finance", "g1", scim_members)])
    assert row_numbers(plan(snap(("m1", "m3")), "teams: {rules: [{match: exact}]}")) == [("Finance", (), 1, 1, 0, 0)]
    assert row_numbers(plan(read_after_scim(snap(("m1",))), "teams: {rules: [{match: exact}]}")) == [
        ("Finance", ("scim.set_group_members:g1",), 1, 2, 1, 0)]


def test_a_membership_the_scim_group_does_not_list_is_removed_through_rest_not_left_to_the_idp():
    """Earlier tester item 5: Nora (linked, SCIM-managed) is in team Finance as Sigma's REST export says, but
    the team's SCIM group does not list her (a pre-SCIM membership Sigma kept after the link, docs/sigma-api.md
    §5.4): the push cannot remove her, and the IdP cannot either (its group does not hold her). The REST
    cleanup Sigma names is planned; it was a blocking scim.managed_member sending the admin to the IdP."""
    snap = nora_after_an_older_export()
    snap = replace(snap, idp=replace(snap.idp, users=(*snap.idp.users, user("u2", "nora@example.com", first="Nora", last="N"))),
                   sigma=replace(snap.sigma, scim_groups=(ScimGroup("t1", "Finance", "g1", ("m1",)),)))
    p = plan(snap, "teams: {rules: [{match: exact}]}")
    assert (kinds(p), review_codes(p)) == ([("teams.remove_member", "teams.remove_member:t1:m2")], [])
    removal = p.actions[0]
    assert (removal.reason, wire(removal.evidence), removal.depends_on) == (
        "remove from team 'Finance': not in IdP group 'Finance'; a member SCIM manages, but the team's SCIM group "
        "does not list this membership, so the push does not remove it",  # never 'pre-SCIM' (tester7 16b)
        {"groupId": "g1"}, ())
    assert row_numbers(p) == [("Finance", ("teams.remove_member:t1:m2",), 2, 1, 0, 1)]


def test_one_external_id_on_two_members_no_idp_user_has_holds_both_instead_of_deactivating_one():
    # an IdP user gone from the export (deleted in the IdP) whose two accounts SCIM still lists: which one the IdP
    # managed cannot be told, so neither is deactivated on the export's absence alone (tester14b finding 7)
    snap = with_scim(snapshot([member("m1", "xweber@example.com", "Xavi", "Weber"),
                               member("m2", "xavi.weber3@example.com", "Xavi", "Weber")], []),
                     [provisioned("m1", "xweber@example.com", "u-gone"),
                      provisioned("m2", "xavi.weber3@example.com", "u-gone", active=False)])
    p = plan(snap, "unmatched: {action: deactivate}")
    [item] = [i for i in p.review_items if i.id == "scim.shared_external_id:u-gone"]
    assert (item.blocking, wire(item.subject), wire(item.evidence)) == (
        True, {"memberIds": ["m1", "m2"]}, {"externalId": "u-gone"})
    assert item.message == (
        "IdP identity u-gone (externalId; no IdP user of the export has that id) has 2 Sigma accounts: member m1 "
        "(xweber@example.com): SCIM user m1, userName xweber@example.com, externalId u-gone, active; member m2 "
        "(xavi.weber3@example.com): SCIM user m2, userName xavi.weber3@example.com, externalId u-gone, inactive. "
        "One person, 2 seats: the plan links, creates and deactivates none of them until one account is left")
    assert [a for a in kinds(p) if a[1].endswith((":m1", ":m2"))] == []


def finance_with_scim_groups(teams, groups) -> Snapshot:
    """Alice (linked) in IdP group g1 Finance; team t1 Finance holds her and Bo (m2, pre-SCIM, in no IdP group);
    ``teams`` more teams of the export, ``groups`` the SCIM groups Sigma's SCIM state lists."""
    return with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A"), member("m2", "bo@example.com", "Bo", "B")],
                              [user("u1", "alice@example.com", first="Alice", last="A")],
                              [group("g1", "Finance", users=["u1"])], teams=[team("t1", "Finance"), *teams],
                              memberships={"t1": ["m1", "m2"]}),
                     [provisioned("m1", "alice@example.com", "u1")], groups)


SECOND_TEAM_TAIL = (": Sigma keys a POST /Groups on its displayName alone. One IdP group, 2 teams: the plan links, "
                    "creates and pushes none of them for it, and removes no member through it, until one team is left")


def test_a_scim_group_no_team_of_the_export_is_holding_the_groups_external_id_holds_the_link_of_the_team():
    # tester16b finding 2: the IdP pushed g1 under another displayName (a team the teams file lacks: cut short, or
    # made between the two reads); linking Finance would give the IdP group a second team. Was: link, push, removal.
    snap = finance_with_scim_groups((), [ScimGroup("tX", "Finance Dept", "g1", ("m1",))])
    p = plan(snap, "teams: {rules: [{match: exact}], leftovers: remove}")
    [item] = [i for i in p.review_items if i.code == "scim.shared_group_external_id"]
    assert (item.id, item.blocking, item.rule) == ("scim.shared_group_external_id:g1", True,
                                                   "scim_state.shared_group_external_id")
    assert (wire(item.subject), [wire(c) for c in item.candidates], wire(item.evidence)) == (
        {"teamId": "t1", "name": "Finance", "groupId": "g1", "groupDisplayName": "Finance"},
        [{"teamId": "tX", "name": "Finance Dept", "scimId": "tX"}],
        {"action": "scim.link_group:t1", "externalId": "g1"})
    assert item.message == ("IdP group g1 ('Finance') is held in Sigma's SCIM state by SCIM group tX (displayName "
                            "'Finance Dept'), and the plan's scim.link_group of team 'Finance' sends that externalId "
                            "too" + SECOND_TEAM_TAIL)
    assert item.resolution == (
        "# no policy setting settles this: keep the team the IdP group is to manage; take the other out of the "
        "group's push (in the IdP app: unassign the group or push it under the kept team's name) and delete or "
        "archive that team in Sigma (SCIM DELETE /Groups/{id}, or Administration > Teams); then fetch and plan again\n")
    assert [a for a in kinds(p) if "group" in a[0] or a[0].startswith("teams.")] == []  # link, push, removal held
    assert [(r.name, r.actions) for r in p.teams if r.team_id == "t1"] == [("Finance", ())]
    # the same state without the other group: the link, the push and Bo's removal, as before
    p = plan(finance_with_scim_groups((), []), "teams: {rules: [{match: exact}], leftovers: remove}")
    assert [a for a in kinds(p) if "group" in a[0] or a[0].startswith("teams.")] == [
        ("scim.link_group", "scim.link_group:t1"), ("scim.set_group_members", "scim.set_group_members:g1"),
        ("teams.remove_member", "teams.remove_member:t1:m2")]


def test_two_scim_groups_holding_one_idp_groups_external_id_are_a_blocking_item_not_a_guess():
    # an apply made before the fix linked Finance after the IdP had pushed g1 as "Finance Dept": which team is the
    # group's was the last one listed (was: a push to Finance Dept, Finance called unmanaged, no item)
    snap = finance_with_scim_groups([team("t2", "Finance Dept")], [ScimGroup("t1", "Finance", "g1", ("m1",)),
                                                                   ScimGroup("t2", "Finance Dept", "g1", ("m1",))])
    p = plan(read_after_scim(snap), "teams: {rules: [{match: exact}]}")
    [item] = [i for i in p.review_items if i.code == "scim.shared_group_external_id"]
    assert item.message == ("IdP group g1 ('Finance') is held in Sigma's SCIM state by SCIM group t1 (displayName "
                            "'Finance'); SCIM group t2 (displayName 'Finance Dept'), and the plan's scim.link_group of "
                            "team 'Finance Dept' sends that externalId too" + SECOND_TEAM_TAIL)
    assert [c.team_id for c in item.candidates] == ["t1", "t2"]
    assert [a for a in kinds(p) if "group" in a[0]] == []
    assert [i.id for i in p.blocking_items] == [item.id]
