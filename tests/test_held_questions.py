"""A blocking question about a person holds that person's actions (planning.hold_questioned; issue 10,
tester8 leftover): ``linking.create_collides`` held the plan while it still listed the ``scim.create_user``
it questions. The hold is the one mechanism of planning for every rule's question, not a rule's own; the
items that confirm an action as planned (``planning.CONFIRMATIONS``: account-type changes to acknowledge, a
protected admin kept, direct members of an Entra ID export) keep it listed beside them."""

from __future__ import annotations

from msgspec import to_builtins as wire

from planner.planning import CONFIRMATIONS

from .plan_factory import by_id, kinds, member, plan, review_codes, snapshot, user

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
