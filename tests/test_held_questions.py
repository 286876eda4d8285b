"""A blocking question about a person holds that person's actions (planning.hold_questioned; issue 10,
tester8 leftover): ``linking.create_collides`` held the plan while it still listed the ``scim.create_user``
it questions. The hold is the one mechanism of planning for every rule's question, not a rule's own; the
items that confirm an action as planned (``planning.CONFIRMATIONS``: account-type changes to acknowledge, a
protected admin kept, direct members of an Entra ID export) keep it listed beside them."""

from __future__ import annotations

import pytest
from msgspec import to_builtins as wire

from planner.planning import CONFIRMATIONS

from .plan_factory import ROOT_USER, by_id, kinds, member, plan, review_codes, snapshot, user

ROOT_LINK = ("scim.link_user", "scim.link_user:root")

# a leaver's IdP user still in the export (00u1, deactivated, pinned to Ann's member by a reviewer) and a
# new IdP user (00u2) whose userName is the address Ann's member still has
LEAVER_AND_NEWCOMER = snapshot(
    [member("m1", "ann@example.com", "Ann", "Lee")],
    [user("00u1", "ann.lee@example.com", emails=["ann@example.com"], first="Ann", last="Lee", active=False),
     user("00u2", "ann@example.com", first="Ann", last="Park")])
PINNED = "linking:\n  overrides: [{idp: 00u1, member: m1}]\nunmatched: {action: deactivate}"


def test_a_create_the_collision_question_is_about_is_held_not_planned():
    p = plan(LEAVER_AND_NEWCOMER, PINNED)
    assert kinds(p) == [("members.deactivate", "members.deactivate:m1"), ROOT_LINK]  # no scim.create_user:00u2
    assert review_codes(p) == [("linking.create_collides", True)]
    [item] = p.review_items
    assert (item.id, item.message) == (
        "linking.create_collides:00u2",
        "creating 'ann@example.com' collides with existing member(s) m1 of the same email: Sigma links by email, "
        "so this would not be a new account")
    assert [(r.idp_id, r.actions, r.review_items) for r in p.people if r.idp_id == "00u2"] == [
        ("00u2", (), ("linking.create_collides:00u2",))]
    assert p.summary.actions.get("scim.create_user", 0) == 0


def test_the_email_taken_question_holds_the_link_and_the_email_change_it_decides():
    snap = snapshot([member("m1", "nina.patel@example.com"), member("m2", "npatel@example.com")],
                    [user("00u1", "npatel@example.com", emails=["nina.patel@example.com"])])
    p = plan(snap, "linking:\n  overrides: [{idp: 00u1, member: m1}]\nuser_name_guard:\n  on_mismatch: update_sigma_email\n")
    assert kinds(p) == [ROOT_LINK]  # was members.set_email:m1 and scim.link_user:m1 beside the question
    assert review_codes(p) == [("user_name_guard.email_taken", True)]


def test_a_confirmation_keeps_the_action_it_confirms():
    snap = snapshot([member("m1", "ann@example.com", member_type="Admin")], [user("u1", "ann@example.com")],
                    account_types=["Admin", "Build", "View"])
    p = plan(snap, "account_types: {default: View}")
    assert ("account_types.admin_downgrade", True) in review_codes(p)
    assert "account_types.admin_downgrade" not in CONFIRMATIONS  # a type item: read by no hold
    assert wire(by_id(p)["scim.link_user:m1"].after)["userType"] == "View"


# --------------------------------------------------------------------------- questions of the unmatched family
# (step 9a): they hold their member too, so the teams family neither removes nor pushes them while the answer
# is open (was: unmatched.new_member beside the teams.remove_member of the same member; issue 10, holds2)

def finance_org(*members, scim_users=()):
    """Root and ``members`` in team Finance (tF), whose IdP group Finance (gF) holds root only; Sigma's SCIM
    state lists root (and ``scim_users``)."""
    from dataclasses import replace

    from .plan_factory import group, team
    from .test_rules_new_members import ROOT_SCIM

    snap = snapshot(list(members), [], groups=[group("gF", "Finance", ["u-root"])], teams=[team("tF", "Finance")],
                    memberships={"tF": ["root", *(m.member_id for m in members)]})
    return replace(snap, sigma=replace(snap.sigma, scim_users=(ROOT_SCIM, *scim_users), scim_groups=()))


LEFTOVERS_REMOVED = "unmatched: {action: deactivate}\nteams: {leftovers: remove}"


def test_a_new_member_question_holds_the_members_team_removal():
    from .test_rules_new_members import NINA, OLD

    p = plan(finance_org(NINA, OLD), LEFTOVERS_REMOVED)
    assert kinds(p) == [("members.deactivate", "members.deactivate:mO"), ("scim.link_group", "scim.link_group:tF"),
                        ("scim.set_group_members", "scim.set_group_members:gF"),
                        ("teams.remove_member", "teams.remove_member:tF:mO")]  # was teams.remove_member:tF:mN too
    assert review_codes(p) == [("teams.leftovers", False), ("unmatched.new_member", True)]
    assert [(r.member_id, r.actions, r.review_items) for r in p.people if r.member_id in ("mN", "mO")] == [
        ("mN", (), ("teams.leftovers:tF", "unmatched.new_member:mN")),
        ("mO", ("members.deactivate:mO", "teams.remove_member:tF:mO"), ())]
    leftovers = by_id_item(p, "teams.leftovers:tF")
    assert ([c.fields() for c in leftovers.candidates], leftovers.message) == (
        [{"memberId": "mN", "email": "nina@example.com", "state": "held"}],
        "1 member(s) of team 'Finance' are not in group 'Finance' and stay in the team after SCIM (members a "
        "blocking review item holds are not removed until it is settled)")
    assert (p.summary.people, p.summary.actions["teams.remove_member"], p.summary.teams.member_removals) == (
        {"held": 1, "link": 1, "unmatched": 1, "unmatched_kept": 0}, 1, 1)
    # settled either way, the re-plan plans Nina as the answer says, with no item
    kept = plan(finance_org(NINA, OLD), LEFTOVERS_REMOVED + "\n" + "unmatched: {action: deactivate, decisions: "
                "{nina@example.com: keep}}")
    assert ([a for a in kinds(kept) if "mN" in a[1]], review_codes(kept)) == (
        [("teams.remove_member", "teams.remove_member:tF:mN")], [])


def test_an_unmatched_review_question_holds_the_members_team_removal():
    from .test_rules_new_members import OLD

    p = plan(finance_org(OLD), "unmatched: {action: review}\nteams: {leftovers: remove}")
    assert kinds(p) == [("scim.link_group", "scim.link_group:tF"),
                        ("scim.set_group_members", "scim.set_group_members:gF")]  # was teams.remove_member:tF:mO
    assert review_codes(p) == [("teams.leftovers", False), ("unmatched.review", True)]
    assert [(r.member_id, r.actions) for r in p.people if r.member_id == "mO"] == [("mO", ())]


def test_an_owner_guard_asking_who_the_protected_admin_is_holds_their_team_removal():
    # root, the protected admin, matches no IdP user: both owner guards fail on it and say the plan "holds until"
    # they are linked or another admin is named (guards.questioned_owners); was teams.remove_member:tF:root beside
    from .plan_factory import ROOT, group, team

    snap = snapshot([ROOT, member("mX", "x@example.com")], [user("u-x", "x@example.com")],
                    groups=[group("gF", "Finance", ["u-x"])], teams=[team("tF", "Finance")],
                    memberships={"tF": ["root", "mX"]}, with_root=False)
    p = plan(snap, "teams: {leftovers: remove}")
    assert kinds(p) == [("scim.link_group", "scim.link_group:tF"), ("scim.link_user", "scim.link_user:mX"),
                        ("scim.set_group_members", "scim.set_group_members:gF")]
    assert review_codes(p) == [("guards.api_credential_owner", True), ("guards.scim_setup_admin", True),
                               ("teams.leftovers", False)]
    assert [(r.member_id, r.actions, r.review_items) for r in p.people if r.member_id == "root"] == [
        ("root", (), ("guards.api_credential_owner:root", "guards.scim_setup_admin:root", "teams.leftovers:tF"))]
    assert by_id_item(p, "guards.scim_setup_admin:root").message.startswith(
        "scim_setup_admin root@example.com: no IdP user in the IdP export matches them, so once SCIM is on they "
        "cannot sign in through the IdP (SAML only); the SCIM token belongs to them; the plan deactivates and "
        "downgrades nothing of theirs and holds until they are linked")
    assert ([(g.name, g.ok) for g in p.summary.guards][:2], p.summary.people, p.summary.teams.member_removals) == (
        [("scim_setup_admin", False), ("api_credential_owner", False)],
        {"held": 1, "link": 1, "unmatched_kept": 1}, 0)
    # once root is linked, nothing asks about them: no hold (their IdP user in Finance, pushed, not removed)
    linked = plan(snapshot([ROOT, member("mX", "x@example.com")],
                           [ROOT_USER, user("u-x", "x@example.com")],
                           groups=[group("gF", "Finance", ["u-x"])], teams=[team("tF", "Finance")],
                           memberships={"tF": ["root", "mX"]}, with_root=False), "teams: {leftovers: remove}")
    assert (review_codes(linked), [a for a in kinds(linked) if a[0] == "teams.remove_member"]) == (
        [], [("teams.remove_member", "teams.remove_member:tF:root")])


def by_id_item(p, item_id):
    """The review item ``item_id`` of plan ``p``."""
    [item] = [r for r in p.review_items if r.id == item_id]
    return item


def test_a_held_member_the_push_would_remove_stays_in_its_member_list():
    # Lee's IdP user was never activated (STAGED): unmatched.never_activated holds Lee, whom SCIM manages in
    # team Finance; the push replaces the team's SCIM-managed members, so it lists Lee (teams.held_kept) rather
    # than remove them with no action saying so (was teams.remove_member:tF:mL, "removed ... by the push")
    from planner.model import ScimGroup

    from .plan_factory import group, team
    from .test_policy_unused_entries import provisioned, with_scim

    snap = with_scim(snapshot([member("mL", "lee@example.com"), member("mB", "bob@example.com"),
                               member("mC", "cy@example.com")],
                              [user("uL", "lee@example.com", active=False, status="STAGED"),
                               user("uB", "bob@example.com"), user("uC", "cy@example.com")],
                              [group("gF", "Finance", users=["uL", "uB", "uC"])], teams=[team("tF", "Finance")],
                              memberships={"tF": ["mL", "mB"]}),
                     [provisioned("mL", "lee@example.com", "uL"), provisioned("mB", "bob@example.com", "uB")],
                     [ScimGroup("tF", "Finance", "gF", ("mL", "mB"))])
    p = plan(snap, "unmatched: {idp_inactive: deactivate}")
    assert kinds(p) == [("scim.link_user", "scim.link_user:mC"), ("scim.set_group_members", "scim.set_group_members:gF")]
    assert review_codes(p) == [("scim.profile_push", False), ("unmatched.never_activated", True)]
    push = by_id(p)["scim.set_group_members:gF"]
    assert (push.after.members, push.reason) == (
        ["bob@example.com", "cy@example.com", "lee@example.com"],
        "team 'Finance' members = the 2 provisioned member(s) of group 'Finance'; keeps lee@example.com: held by a "
        "blocking review item, so the push does not remove them while it is open")
    assert [(r.member_id, r.actions, r.review_items) for r in p.people if r.member_id == "mL"] == [
        ("mL", (), ("unmatched.never_activated:mL",))]


def test_a_state_conflict_on_a_deactivation_holds_the_members_rest_team_removal_too():
    # Sigma's SCIM state has Nina active (externalId 00uN), the export does not list her: step 13 drops
    # members.deactivate:mN with a blocking scim.state_conflict, and holds her removal from Finance with the
    # informational scim.held_member (scim_state.held_absent) through REST as by a push: was
    # teams.remove_member:tF:mN (a REST removal: Finance has no SCIM group) beside the question
    from dataclasses import replace

    from .plan_factory import group, team
    from .test_rules_new_members import NINA, OLD, ROOT_SCIM, scim_user

    snap = snapshot([NINA, OLD], [], groups=[group("gF", "Finance", ["u-root"])], teams=[team("tF", "Finance")],
                    memberships={"tF": ["root", "mN", "mO"]})
    snap = replace(snap, sigma=replace(snap.sigma, scim_groups=(), scim_users=(
        ROOT_SCIM, scim_user("mN", "nina@example.com", "00uN", "2026-12-06T17:33:32Z"))))
    p = plan(snap, LEFTOVERS_REMOVED)
    assert kinds(p) == [("members.deactivate", "members.deactivate:mO"), ("scim.link_group", "scim.link_group:tF"),
                        ("scim.set_group_members", "scim.set_group_members:gF"),
                        ("teams.remove_member", "teams.remove_member:tF:mO")]
    assert review_codes(p) == [("scim.held_member", False), ("scim.state_conflict", True)]
    assert [(r.member_id, r.actions, r.review_items) for r in p.people if r.member_id == "mN"] == [
        ("mN", (), ("scim.held_member:teams.remove_member:tF:mN", "scim.state_conflict:members.deactivate:mN"))]
    assert by_id_item(p, "scim.held_member:teams.remove_member:tF:mN").message == (
        "nina@example.com stays in team 'Finance': provisioned by SCIM, absent from the IdP export, and the inputs do "
        "not date it against SCIM's record of them: SCIM added them after the export was taken, or they were "
        "deleted in the IdP, so the plan does not remove them on the export's word alone; export the IdP again and "
        "plan again; if they left, linking.scim_state_conflicts: {00uN: {newer: idp_export, active: false}} "
        "deactivates them")
    assert (p.summary.actions["teams.remove_member"], p.summary.teams.member_removals) == (1, 1)
    # settled with idp_export, nothing holds her: SCIM deactivates her and she leaves the team
    gone = plan(snap, LEFTOVERS_REMOVED + "\nlinking: {scim_state_conflicts: {00uN: {newer: idp_export, active: false}}}")
    assert ([a for a in kinds(gone) if "mN" in a[1]], review_codes(gone)) == (
        [("scim.deactivate_user", "scim.deactivate_user:mN"), ("teams.remove_member", "teams.remove_member:tF:mN")], [])


def test_a_refused_deactivation_holds_only_itself_and_says_so():
    # applied.refused_again is about the one action Sigma refused (and what waits on it: nothing waits on a
    # deactivation); the team removal of the same member is the teams family's, planned whether the member is
    # kept or deactivated in the IdP, so it stays beside the item (checked for issue 10, holds2)
    from dataclasses import replace

    from planner.model import AppliedRefusal, AppliedRuns

    from .test_rules_new_members import OLD

    refusal = AppliedRefusal(action_id="members.deactivate:mO", refusal="403 forbidden: Member mO is provisioned by SCIM",
                             plan="plan.json", undo=False, run=1, at="2026-12-06T17:35:09Z")
    snap = replace(finance_org(OLD), applied=AppliedRuns(refusals=(refusal,)))
    p = plan(snap, LEFTOVERS_REMOVED)
    assert kinds(p) == [("scim.link_group", "scim.link_group:tF"), ("scim.set_group_members", "scim.set_group_members:gF"),
                        ("teams.remove_member", "teams.remove_member:tF:mO")]
    assert review_codes(p) == [("applied.refused_again", True)]
    item = by_id_item(p, "applied.refused_again:members.deactivate:mO")
    assert item.message.startswith(
        "members.deactivate:mO was sent by run 1 of plan plan.json, 2026-12-06T17:35:09Z and Sigma refused it for good "
        "(403 forbidden: Member mO is provisioned by SCIM): this plan would send it again and Sigma would refuse it "
        "the same way, so it is not planned; ")
    assert [(r.member_id, r.actions, r.review_items) for r in p.people if r.member_id == "mO"] == [
        ("mO", ("teams.remove_member:tF:mO",), ("applied.refused_again:members.deactivate:mO",))]


# --------------------------------------------------------------------------- the guests' conversions (step 7)

def test_a_question_holds_the_guest_conversion_made_for_the_link_it_withholds():
    # guests.action: convert plans members.convert_guest at step 7, for the link; user_name_guard.mismatch holds
    # Gina's link, so the conversion goes too (was members.convert_guest:mG beside the question)
    snap = snapshot([member("mG", "gina@example.com", "Given", "Family", user_kind="guest")],
                    [user("uG", "gina.x@example.com", emails=["gina@example.com"])])
    p = plan(snap, "guests: {action: convert}")
    assert (kinds(p), review_codes(p)) == ([ROOT_LINK], [("user_name_guard.mismatch", True)])
    assert [(r.member_id, r.actions, r.review_items) for r in p.people if r.member_id == "mG"] == [
        ("mG", (), ("user_name_guard.mismatch:mG",))]
    assert p.summary.people == {"held": 1, "link": 1, "unmatched_kept": 0}


def test_a_question_about_an_archived_guest_the_plan_would_reactivate_and_convert_ends_no_plan():
    # was: PlanError "internal error: action 'members.convert_guest:mG' depends on 'members.reactivate:mG',
    # which is not in the plan" (the hold withheld the reactivation, not the conversion waiting on it)
    snap = snapshot([member("mG", "gina@example.com", "Given", "Family", user_kind="guest", archived=True)],
                    [user("uG", "gina.x@example.com", emails=["gina@example.com"])])
    p = plan(snap, "guests: {action: convert}\nlinking: {archived_members: reactivate}")
    assert (kinds(p), review_codes(p)) == ([ROOT_LINK], [("user_name_guard.mismatch", True)])
    assert [(r.member_id, r.actions, r.review_items) for r in p.people if r.member_id == "mG"] == [
        ("mG", (), ("user_name_guard.mismatch:mG",))]


def test_a_state_conflict_on_an_inactive_leavers_deactivation_holds_their_team_removal_too():
    # the export lists Nina's IdP user 00uN as DEPROVISIONED (not absent) while Sigma's SCIM state has her active,
    # the dates not saying which is newer: step 13 drops members.deactivate:mN with a blocking scim.state_conflict,
    # and the one hold of scim_state.held_member (held_absent or PlannedState.questioned) keeps her in Finance
    # (was: teams.remove_member:tF:mN, a REST removal, beside the question: the removals were settled before the
    # questioned members were known; issue 10, holds3)
    from dataclasses import replace

    from .plan_factory import group, team
    from .test_rules_new_members import NINA, OLD, ROOT_SCIM, scim_user

    snap = snapshot([NINA, OLD], [user("00uN", "nina@example.com", first="Nina", last="New", active=False,
                                       status="DEPROVISIONED")],
                    groups=[group("gF", "Finance", ["u-root"])], teams=[team("tF", "Finance")],
                    memberships={"tF": ["root", "mN", "mO"]})
    snap = replace(snap, sigma=replace(snap.sigma, scim_groups=(), scim_users=(
        ROOT_SCIM, scim_user("mN", "nina@example.com", "00uN", "2026-12-06T17:33:32Z"))))
    p = plan(snap, LEFTOVERS_REMOVED)
    assert kinds(p) == [("members.deactivate", "members.deactivate:mO"), ("scim.link_group", "scim.link_group:tF"),
                        ("scim.set_group_members", "scim.set_group_members:gF"),
                        ("teams.remove_member", "teams.remove_member:tF:mO")]
    assert review_codes(p) == [("scim.held_member", False), ("scim.state_conflict", True)]
    assert [(r.member_id, r.actions, r.review_items) for r in p.people if r.member_id == "mN"] == [
        ("mN", (), ("scim.held_member:teams.remove_member:tF:mN", "scim.state_conflict:members.deactivate:mN"))]
    assert by_id_item(p, "scim.held_member:teams.remove_member:tF:mN").message == (
        "nina@example.com stays in team 'Finance': provisioned by SCIM, which has them active, while the IdP export "
        "would deactivate them; the dates do not say which is newer (SCIM last changed the user "
        "2026-12-06T17:33:32Z, the export does not say when), and the blocking "
        "scim.state_conflict:members.deactivate:mN asks which is, so the plan does not remove them while it is open; "
        "once it is settled, plan again (if they left, linking.scim_state_conflicts: {00uN: {newer: idp_export, "
        "active: false}} deactivates them and removes them from the team)")
    assert (p.summary.actions["teams.remove_member"], p.summary.actions["members.deactivate"],
            p.summary.teams.member_removals) == (1, 1, 1)
    # settled with idp_export, nothing holds her: SCIM deactivates her and she leaves the team
    gone = plan(snap, LEFTOVERS_REMOVED + "\nlinking: {scim_state_conflicts: {00uN: {newer: idp_export, active: false}}}")
    assert ([a for a in kinds(gone) if "mN" in a[1]], review_codes(gone)) == (
        [("scim.deactivate_user", "scim.deactivate_user:mN"), ("teams.remove_member", "teams.remove_member:tF:mN")], [])
    assert gone.summary.teams.member_removals == 2


def nina_leaving(last_updated: str):
    """Nina's snapshot of the test above, the export's DEPROVISIONED user 00uN last updated at ``last_updated``."""
    from dataclasses import replace

    import msgspec

    from .plan_factory import group, team
    from .test_rules_new_members import NINA, OLD, ROOT_SCIM, scim_user

    nina = msgspec.structs.replace(user("00uN", "nina@example.com", first="Nina", last="New", active=False,
                                        status="DEPROVISIONED"), last_updated=last_updated)
    snap = snapshot([NINA, OLD], [nina], groups=[group("gF", "Finance", ["u-root"])], teams=[team("tF", "Finance")],
                    memberships={"tF": ["root", "mN", "mO"]})
    return replace(snap, sigma=replace(snap.sigma, scim_groups=(), scim_users=(
        ROOT_SCIM, scim_user("mN", "nina@example.com", "00uN", "2026-12-06T17:33:32Z"))))


@pytest.mark.parametrize("last_updated, entry, shown, fix", [
    # the export is older than SCIM's change: the question asks for a newer export, not which is newer
    ("2026-01-05T09:00:00Z", "",
     "the dates show Sigma's SCIM state is newer (SCIM last changed the user 2026-12-06T17:33:32Z, after the export "
     "last updated them 2026-01-05T09:00:00Z): the export is older, and the blocking "
     "scim.state_conflict:members.deactivate:mN asks for a newer export",
     "export the IdP again and plan again (an export read after SCIM's change settles it)"),
    # the export is newer, but an entry says SCIM's state is: the question asks to remove the entry
    ("2026-12-07T09:00:00Z", "\nlinking: {scim_state_conflicts: {00uN: {newer: scim_state, active: true}}}",
     "the dates show the IdP export is newer (SCIM last changed the user 2026-12-06T17:33:32Z, the export last "
     "updated them later, 2026-12-07T09:00:00Z), but the linking.scim_state_conflicts entry 00uN: {newer: "
     "scim_state, active: true} says otherwise, and the blocking scim.state_conflict:members.deactivate:mN asks to "
     "remove it",
     "remove the entry and plan again (the dates then deactivate them and remove them from the team)"),
])
def test_a_held_member_says_what_the_dates_of_its_question_show(last_updated, entry, shown, fix):
    """Tester12: the scim.held_member of a member whose deactivation a blocking scim.state_conflict holds said the
    question 'asks which is newer' where its dates already said which is; it now says what they show, and the fix
    that settles it (dates_reading, the one reading of both items)."""
    p = plan(nina_leaving(last_updated), LEFTOVERS_REMOVED + entry)
    assert review_codes(p) == [("scim.held_member", False), ("scim.state_conflict", True)]
    held = by_id_item(p, "scim.held_member:teams.remove_member:tF:mN")
    assert held.message == (
        "nina@example.com stays in team 'Finance': provisioned by SCIM, which has them active, while the IdP export "
        f"would deactivate them; {shown}, so the plan does not remove them while it is open; {fix}")
    assert "which is newer" not in held.message
    question = by_id_item(p, "scim.state_conflict:members.deactivate:mN")
    assert "which is newer" not in question.message
    assert (held.evidence.scim_last_modified, held.evidence.export_last_updated) == (
        "2026-12-06T17:33:32Z", last_updated)
