"""Policy entries that settle nothing in a wave are ``policy.unused_entry`` items, never silent
(:mod:`planner.rules.policy_entries`): one informational item per entry, naming it as written, at its
file:line:column, with why, and what it would settle unreviewed if left, where it would."""

from __future__ import annotations

from dataclasses import replace

from planner.model import ScimGroup, ScimUser, Snapshot, email_key

from .plan_factory import group, kinds, member, plan, snapshot, team, user

ALICE = member("m1", "alice@example.com", "Alice", "A", member_type="View")
ALICE_IDP = user("u1", "alice@example.com", first="Alice", last="A")
ROOT_SCIM = ScimUser("root", "root@example.com", email_key("root@example.com"), "u-root", True, "Admin")


def provisioned(member_id: str, user_name: str, external_id: str, user_type: str = "View") -> ScimUser:
    return ScimUser(member_id, user_name, email_key(user_name), external_id, True, user_type)


def with_scim(snap: Snapshot, users=(), groups=()) -> Snapshot:
    return replace(snap, sigma=replace(snap.sigma, scim_users=(ROOT_SCIM, *users), scim_groups=tuple(groups)))


def unused(p) -> list[tuple[str, bool, str, str]]:
    """``(id, blocking, message, resolution)`` of the plan's ``policy.unused_entry`` items."""
    return [(r.id, r.blocking, r.message, r.resolution) for r in p.review_items if r.code == "policy.unused_entry"]


def test_an_override_sigmas_scim_state_already_links_settles_nothing():
    # wave 2: the link the override pinned in wave 1 is Sigma's SCIM state now
    snap = with_scim(snapshot([ALICE], [ALICE_IDP]), [provisioned("m1", "alice@example.com", "u1")])
    p = plan(snap, "linking:\n  overrides:\n    - {idp: u1, member: m1}\n")
    assert kinds(p) == []
    assert unused(p) == [(
        "policy.unused_entry:linking.overrides[0]", False,
        "policy.yaml:16:5: linking.overrides entry {idp: u1, member: m1} settled nothing in this plan: it answers "
        "which member this IdP user is, which this plan does not ask (Sigma's SCIM state already links member m1 to "
        "IdP user u1: a wave applied before settled it); the entry has no effect: remove it once its wave is done",
        "# remove the entry at policy.yaml:16:5: {idp: u1, member: m1}\n")]
    # wave 1: the override links them, and is used
    wave1 = plan(snapshot([ALICE], [ALICE_IDP]), "linking:\n  overrides:\n    - {idp: u1, member: m1}\n")
    assert kinds(wave1) == [("scim.link_user", "scim.link_user:m1"), ("scim.link_user", "scim.link_user:root")]
    assert unused(wave1) == []


TYPES = "account_types:\n  group_map: {Sigma-View: View}\n  precedence: [Admin, Build, View]\n"


def test_an_acknowledged_downgrade_no_longer_planned_settles_nothing_and_its_short_form_says_its_danger():
    snap = snapshot([ALICE], [ALICE_IDP], [group("g1", "Sigma-View", users=["u1"])],
                    account_types=["Admin", "Build", "View"])
    p = plan(snap, TYPES + "  acknowledged_downgrades:\n    - alice@example.com\n"
                           "    - {person: u1, from: Build, to: View}\n")
    assert unused(p) == [
        ("policy.unused_entry:account_types.acknowledged_downgrades[0]", False,
         "policy.yaml:22:5: account_types.acknowledged_downgrades entry alice@example.com settled nothing in this "
         "plan: it answers whether this person's downgrade is accepted, which this plan does not ask (the plan makes "
         "no downgrade of the person it names); left, its short form records no change, so it would settle any later "
         "downgrade of this person unreviewed: remove it",
         "# remove the entry at policy.yaml:22:5: alice@example.com\n"),
        ("policy.unused_entry:account_types.acknowledged_downgrades[1]", False,
         "policy.yaml:23:5: account_types.acknowledged_downgrades entry {person: u1, from: Build, to: View} settled "
         "nothing in this plan: it answers whether this person's downgrade is accepted, which this plan does not ask "
         "(the plan makes no downgrade of the person it names); the entry has no effect: remove it once its wave is "
         "done",
         "# remove the entry at policy.yaml:23:5: {person: u1, from: Build, to: View}\n"),
    ]
    # the downgrade planned: the entry settles it, no item
    builder = member("m1", "alice@example.com", "Alice", "A", member_type="Build")
    downgraded = plan(snapshot([builder], [ALICE_IDP], [group("g1", "Sigma-View", users=["u1"])],
                               account_types=["Admin", "Build", "View"]),
                      TYPES + "  acknowledged_downgrades:\n    - alice@example.com\n")
    assert kinds(downgraded) == [("scim.link_user", "scim.link_user:m1"), ("scim.link_user", "scim.link_user:root"),
                                 ("scim.set_account_type", "scim.set_account_type:m1")]
    assert downgraded.review_items == ()


SCIM_ALICE = with_scim(snapshot([ALICE], [ALICE_IDP]), [provisioned("m1", "alice@example.com", "u1")])


def test_a_scim_state_conflict_entry_with_no_disagreement_settles_nothing_and_its_short_form_says_its_danger():
    p = plan(SCIM_ALICE, "linking:\n  scim_state_conflicts:\n    u1: idp_export\n"
                         "    u9: {newer: idp_export, active: false}\n")
    assert kinds(p) == []
    assert unused(p) == [
        ("policy.unused_entry:linking.scim_state_conflicts[u1]", False,
         "policy.yaml:16:5: linking.scim_state_conflicts entry u1: idp_export settled nothing in this plan: it answers "
         "which side is newer where Sigma's SCIM state and the IdP export disagree on this user, which this plan does "
         "not ask (Sigma's SCIM state and the IdP export do not disagree on u1); left, its short form records no "
         "value, so it would settle any later disagreement of this person unreviewed: remove it",
         "# remove the entry at policy.yaml:16:5: u1: idp_export\n"),
        ("policy.unused_entry:linking.scim_state_conflicts[u9]", False,
         "policy.yaml:17:5: linking.scim_state_conflicts entry u9: {newer: idp_export, active: false} settled nothing "
         "in this plan: it answers which side is newer where Sigma's SCIM state and the IdP export disagree on this "
         "user, which this plan does not ask (u9 names no IdP user of the export and no user of Sigma's SCIM state); "
         "the entry has no effect: remove it once its wave is done",
         "# remove the entry at policy.yaml:17:5: u9: {newer: idp_export, active: false}\n"),
    ]
    # the disagreement there (the export lacks alice): the entry settles it, no item of it
    gone = with_scim(snapshot([ALICE], []), [provisioned("m1", "alice@example.com", "u1")])
    settled = plan(gone, "unmatched: {action: deactivate}\nlinking: {scim_state_conflicts: {u1: idp_export}}")
    assert kinds(settled) == [("scim.deactivate_user", "scim.deactivate_user:m1")]
    assert unused(settled) == []


def test_an_unmatched_decision_for_a_member_now_linked_settles_nothing_and_says_its_danger():
    p = plan(snapshot([ALICE, member("m2", "bob@example.com")], [ALICE_IDP]),
             "unmatched:\n  decisions: {alice@example.com: deactivate, m2: keep}\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:m1"), ("scim.link_user", "scim.link_user:root")]
    assert unused(p) == [(
        "policy.unused_entry:unmatched.decisions[alice@example.com]", False,
        "policy.yaml:9:5: unmatched.decisions entry alice@example.com: deactivate settled nothing in this plan: it "
        "answers whether to keep or deactivate this member, who has no IdP identity, which this plan does not ask "
        "(member m1 has status link in this plan); left, it records no reason, so it would deactivate this member "
        "unreviewed the next time they have no IdP identity (they leave, an export misses them): remove it",
        "# remove the entry at policy.yaml:9:5: alice@example.com: deactivate\n")]


def test_a_teams_map_entry_sigmas_scim_state_already_links_settles_nothing():
    snap = with_scim(snapshot([ALICE], [ALICE_IDP], [group("g1", "Finance EMEA", users=["u1"])],
                              teams=[team("t1", "Finance")], memberships={"t1": ["m1"]}),
                     [provisioned("m1", "alice@example.com", "u1")], [ScimGroup("t1", "Finance", "g1", ("m1",))])
    p = plan(snap, "teams:\n  map: {Finance: Finance EMEA}\n")
    assert kinds(p) == []
    assert unused(p) == [(
        "policy.unused_entry:teams.map[Finance]", False,
        "policy.yaml:16:5: teams.map entry Finance: Finance EMEA settled nothing in this plan: it answers which IdP "
        "group this team follows, which this plan does not ask (Sigma's SCIM state already links team 'Finance' to "
        "IdP group 'Finance EMEA': a wave applied before settled it); the entry has no effect: remove it once its "
        "wave is done",
        "# remove the entry at policy.yaml:16:5: Finance: Finance EMEA\n")]
    # wave 1: the map links them
    wave1 = plan(snapshot([ALICE], [ALICE_IDP], [group("g1", "Finance EMEA", users=["u1"])],
                          teams=[team("t1", "Finance")], memberships={"t1": ["m1"]}),
                 "teams:\n  map: {Finance: Finance EMEA}\n")
    assert ("scim.link_group", "scim.link_group:t1") in kinds(wave1)
    assert unused(wave1) == []


def test_an_entry_naming_someone_the_exports_lack_is_the_unknown_reference_alone():
    p = plan(snapshot([ALICE], [ALICE_IDP]), "unmatched:\n  decisions: {zed@example.com: keep}\n"
                                             "linking:\n  overrides:\n    - {idp: u404, member: m1}\n")
    assert sorted((r.id, r.blocking) for r in p.review_items) == [
        ("policy.unknown_reference:linking.overrides[0].idp", True),
        ("policy.unknown_reference:unmatched.decisions.'zed@example.com'", True)]


def test_a_several_type_groups_confirmation_under_okta_settles_nothing(tmp_path):
    # the confirmation answers Entra ID's one app role per person; the Okta export's plan never asks it
    from pathlib import Path

    from planner.cli import main
    from planner.planfile import read_plan

    samples = Path(__file__).resolve().parent.parent / "samples" / "acme"
    text = (samples / "policy-okta-reviewed.yaml").read_text(encoding="utf-8")
    anchor = "  acknowledged_downgrades: [helen.ortiz@acme.example]\n"
    policy = tmp_path / "policy.yaml"
    policy.write_text(text.replace(anchor, anchor + "  several_type_groups_confirmed: {priya.raman@acme.example: Admin}\n"),
                      encoding="utf-8")
    line = text[:text.index(anchor)].count("\n") + 2
    main(["plan", "--sigma", str(samples / "sigma"), "--idp", str(samples / "okta"), "--policy", str(policy),
          "--out", str(tmp_path / "plan.json")])
    assert unused(read_plan(tmp_path / "plan.json")) == [(
        "policy.unused_entry:account_types.several_type_groups_confirmed[priya.raman@acme.example]", False,
        f"{policy}:{line}:35: account_types.several_type_groups_confirmed entry priya.raman@acme.example: Admin "
        "settled nothing in this plan: it answers which account type Entra ID sends this protected person in groups "
        "of different account types, which this plan does not ask (the IdP export is not Entra ID's, whose one app "
        "role per person it answers); the entry has no effect: remove it once its wave is done",
        f"# remove the entry at {policy}:{line}:35: priya.raman@acme.example: Admin\n")]


def test_overrides_and_second_accounts_naming_no_one_the_question_is_asked_of_settle_nothing():
    snap = snapshot([ALICE, member("m2", "bob@example.com")], [ALICE_IDP])  # bob has no IdP identity: kept
    p = plan(snap, "account_types:\n  overrides: {alice@example.com: View, bob@example.com: Build}\n")
    assert [(i, b, m) for i, b, m, _ in unused(p)] == [(
        "policy.unused_entry:account_types.overrides[bob@example.com]", False,
        "policy.yaml:17:5: account_types.overrides entry bob@example.com: Build settled nothing in this plan: it "
        "answers which account type this person gets, which this plan does not ask (the plan links, reactivates or "
        "creates no person it names, so it sends them no account type); the entry has no effect: remove it once its "
        "wave is done")]
    p = plan(snap, "user_name_guard:\n  overrides: {u1: use_sigma_email}\n")
    assert [(i, b, m) for i, b, m, _ in unused(p)] == [(
        "policy.unused_entry:user_name_guard.overrides[u1]", False,
        "policy.yaml:16:5: user_name_guard.overrides entry u1: use_sigma_email settled nothing in this plan: it "
        "answers which userName a link of this IdP user sends where it is not the member's email, which this plan "
        "does not ask (no link of IdP user u1 sends a userName other than the member's email); the entry has no "
        "effect: remove it once its wave is done")]
    p = plan(snap, "linking:\n  second_accounts: {m2: deactivate}\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:m1"), ("scim.link_user", "scim.link_user:root")]
    assert [(i, b, m) for i, b, m, _ in unused(p)] == [(
        "policy.unused_entry:linking.second_accounts[m2]", False,
        "policy.yaml:16:5: linking.second_accounts entry m2: deactivate settled nothing in this plan: it answers "
        "whether to keep or deactivate the member a userName change left behind, which this plan does not ask "
        "(member m2 is no member a userName change left behind in Sigma's SCIM state (status unmatched)); the entry "
        "has no effect: remove it once its wave is done")]


def test_a_user_name_guard_override_deciding_a_mismatch_is_used():
    snap = snapshot([member("m1", "al@example.com", "Alice", "A")], [ALICE_IDP])
    p = plan(snap, "linking:\n  overrides:\n    - {idp: u1, member: m1}\n"
                   "user_name_guard:\n  overrides: {u1: use_sigma_email}\n")
    assert unused(p) == []
    assert [r.code for r in p.review_items] == ["user_name_guard.configure_idp"]


# ------------------------------------------------------------------ linking.excluded_idp_users, linking.reused_addresses

ANN_OLD = user("u2", "ann.old@example.com", emails=["Ann@example.com"])
EXCLUDED = "linking:\n  excluded_idp_users: [ann.old@example.com]\n"


def test_an_excluded_idp_user_sharing_an_address_with_no_one_the_idp_provisions_settles_nothing():
    # wave 2: u2 was unassigned from the app (inactive here), as linking.idp_user_excluded asked
    left = user("u2", "ann.old@example.com", emails=["Ann@example.com"], active=False)
    gone = plan(snapshot([member("m1", "ann@example.com")], [user("u1", "ann@example.com"), left]), EXCLUDED)
    assert kinds(gone) == [("scim.link_user", "scim.link_user:m1"), ("scim.link_user", "scim.link_user:root")]
    assert unused(gone) == [(
        "policy.unused_entry:linking.excluded_idp_users[0]", False,
        "policy.yaml:16:5: linking.excluded_idp_users entry ann.old@example.com settled nothing in this plan: it "
        "answers which of the IdP users sharing an address are not the person's, which this plan does not ask (IdP "
        "user u2 (ann.old@example.com) is inactive or outside scope.groups: the IdP provisions them no more); left, it "
        "keeps this user from being linked or created whenever the IdP provisions them, whether or not another IdP "
        "user shares their address, with no question asked: remove it",
        "# remove the entry at policy.yaml:16:5: ann.old@example.com\n")]
    # the other account gone: u2 is the only one at the address, and the entry still keeps it out
    alone = plan(snapshot([member("m1", "ann@example.com")], [ANN_OLD]), "linking:\n  excluded_idp_users: [u2]\n")
    assert kinds(alone) == [("scim.link_user", "scim.link_user:root")]
    assert [(i, b, m) for i, b, m, _ in unused(alone)] == [(
        "policy.unused_entry:linking.excluded_idp_users[0]", False,
        "policy.yaml:16:5: linking.excluded_idp_users entry u2 settled nothing in this plan: it answers which of the "
        "IdP users sharing an address are not the person's, which this plan does not ask (no other IdP user the IdP "
        "provisions shares an address with IdP user u2 (ann.old@example.com)); left, it keeps this user from being "
        "linked or created whenever the IdP provisions them, whether or not another IdP user shares their address, "
        "with no question asked: remove it")]
    # wave 1: u1 and u2 share ann@example.com: the entry settles the linking.idp_duplicate question
    wave1 = plan(snapshot([member("m1", "ann@example.com")], [user("u1", "ann@example.com"), ANN_OLD]), EXCLUDED)
    assert kinds(wave1) == [("scim.link_user", "scim.link_user:m1"), ("scim.link_user", "scim.link_user:root")]
    # the excluded u2 is in scope: the plan names it for the IdP to keep out (tester12 finding 11)
    assert [r.id for r in wave1.review_items] == ["linking.idp_user_excluded:u2", "scope.assigned_not_provisioned:scope"]


def test_a_reused_address_answer_sigmas_scim_state_links_by_external_id_settles_nothing_and_says_its_danger():
    from .test_scim_reused_address import NEW, leaver, snap

    answer = f"linking: {{reused_addresses: {{{NEW}: same_person}}}}"
    # wave 2: the same_person link was applied: SCIM's user m1 names the IdP user by externalId now
    p = plan(snap(leaver(active=True, external_id=NEW)), answer)
    assert kinds(p) == []
    assert unused(p) == [(
        f"policy.unused_entry:linking.reused_addresses[{NEW}]", False,
        f"policy.yaml:16:5: linking.reused_addresses entry {NEW}: same_person settled nothing in this plan: it answers "
        "whether this IdP user, who now has the address of a member SCIM provisioned for another identity, is that "
        "person returning or a new person, which this plan does not ask (Sigma's SCIM state links member m1 to IdP "
        f"user {NEW} by its externalId: a wave applied before settled it); left, it records no member, so should "
        "another member SCIM provisioned for another identity hold this user's address, it would link them to that "
        "member unreviewed: remove it",
        f"# remove the entry at policy.yaml:16:5: {NEW}: same_person\n")]
    # no SCIM user holds the address: a new_person answer settles nothing either
    fresh = plan(snapshot([], [user(NEW, "ann@example.com", first="Ann", last="Lee")]),
                 f"linking: {{reused_addresses: {{{NEW}: new_person}}}}")
    assert [(i, m) for i, _, m, _ in unused(fresh)] == [(
        f"policy.unused_entry:linking.reused_addresses[{NEW}]",
        f"policy.yaml:16:5: linking.reused_addresses entry {NEW}: new_person settled nothing in this plan: it answers "
        "whether this IdP user, who now has the address of a member SCIM provisioned for another identity, is that "
        "person returning or a new person, which this plan does not ask (no member SCIM provisioned for another "
        f"identity holds the address of IdP user {NEW}); left, it records no member, so should another member SCIM "
        "provisioned for another identity hold this user's address, it would give them no Sigma account unreviewed: "
        "remove it")]
    # wave 1: the question is asked and the entry answers it
    wave1 = plan(snap(leaver()), answer)
    assert kinds(wave1) == [("scim.link_user", "scim.link_user:m1")]
    assert [(r.id, r.blocking) for r in wave1.review_items] == [(f"scim.reused_address:{NEW}", False)]


# ------------------------------------------------------------------ teams.deleted_groups, confirm_empty, confirm_new_teams


def test_a_deleted_group_no_team_is_linked_to_settles_nothing():
    from .test_teams_scim_group_missing import RULES, finance

    p = plan(finance(), RULES + "  deleted_groups: [g1, g9]\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:m2")]
    assert [(r.id, r.blocking) for r in p.review_items] == [  # g1 keeps team Finance as Sigma's: used
        ("policy.unused_entry:teams.deleted_groups[1]", False), ("teams.scim_group_missing:t1", False),
        ("teams.unmanaged:teams", False)]
    assert unused(p) == [(
        "policy.unused_entry:teams.deleted_groups[1]", False,
        "policy.yaml:19:5: teams.deleted_groups entry g9 settled nothing in this plan: it answers whether the IdP "
        "group a team is linked to by SCIM, which the IdP export lacks, was deleted, which this plan does not ask "
        "(Sigma's SCIM state links no active team to IdP group g9); the entry has no effect: remove it once its wave "
        "is done",
        "# remove the entry at policy.yaml:19:5: g9\n")]
    # no SCIM state in the export at all: said
    bare = plan(snapshot([ALICE], [ALICE_IDP]), "teams:\n  deleted_groups: [g1]\n")
    assert [m for _, _, m, _ in unused(bare)] == [
        "policy.yaml:16:5: teams.deleted_groups entry g1 settled nothing in this plan: it answers whether the IdP "
        "group a team is linked to by SCIM, which the IdP export lacks, was deleted, which this plan does not ask "
        "(Sigma's SCIM state links no active team to IdP group g1 (the export holds no Sigma SCIM state)); the entry "
        "has no effect: remove it once its wave is done"]


def test_a_confirm_empty_entry_naming_no_empty_group_of_a_team_with_members_settles_nothing_and_says_its_danger():
    snap = snapshot([ALICE], [ALICE_IDP], [group("g1", "Finance"), group("g2", "Sales", users=["u1"])],
                    teams=[team("t1", "Finance"), team("t2", "Sales")], memberships={"t1": ["m1"], "t2": ["m1"]})
    p = plan(snap, "teams:\n  confirm_empty: [Finance, Sales, 're:^S.*$']\n")
    assert ("teams.remove_member", "teams.remove_member:t1:m1") in kinds(p)  # Finance (empty) confirmed: used
    assert [(r.id, r.blocking) for r in p.review_items] == [
        ("policy.unused_entry:teams.confirm_empty[1]", False), ("policy.unused_entry:teams.confirm_empty[2]", False),
        ("teams.empty_group:t1", False)]
    danger = ("left, it records no team, so should the group be empty while its team has members (an export missing "
              "its members), it would empty the team unreviewed: remove it")
    assert unused(p) == [
        ("policy.unused_entry:teams.confirm_empty[1]", False,
         "policy.yaml:17:5: teams.confirm_empty entry Sales settled nothing in this plan: it answers whether this IdP "
         "group, empty while its team has members, is meant to be empty, which this plan does not ask (no IdP group "
         f"it names ('Sales') is empty while its team has members); {danger}",
         "# remove the entry at policy.yaml:17:5: Sales\n"),
        ("policy.unused_entry:teams.confirm_empty[2]", False,
         "policy.yaml:18:5: teams.confirm_empty entry re:^S.*$ settled nothing in this plan: it answers whether this "
         "IdP group, empty while its team has members, is meant to be empty, which this plan does not ask (no IdP "
         f"group it names ('Sales', 'Sigma-Admins') is empty while its team has members); {danger}",
         "# remove the entry at policy.yaml:18:5: re:^S.*$\n")]


def test_a_confirm_new_teams_entry_naming_no_likely_rename_settles_nothing():
    from .test_rules_teams import renamed

    p = renamed("  confirm_new_teams: [sigma-team-FP&A, 're:^sigma-team-.*$', Sigma-Admins]\n")
    assert ("scim.create_group", "scim.create_group:gR") in kinds(p)  # the rename confirmed a new team: used twice
    assert [(r.id, r.blocking) for r in p.review_items if r.code.startswith(("policy.", "teams.likely"))] == [
        ("policy.unused_entry:teams.confirm_new_teams[2]", False), ("teams.likely_rename:gR", False)]
    assert unused(p) == [(
        "policy.unused_entry:teams.confirm_new_teams[2]", False,
        "policy.yaml:24:5: teams.confirm_new_teams entry Sigma-Admins settled nothing in this plan: it answers "
        "whether this IdP group, sharing its people with an unmanaged team, is a team of its own rather than that "
        "team renamed, which this plan does not ask (no IdP group it names ('Sigma-Admins') would become a new team "
        "sharing at least teams.rename_percent of its people with an unmanaged team); the entry has no effect: remove "
        "it once its wave is done",
        "# remove the entry at policy.yaml:24:5: Sigma-Admins\n")]
