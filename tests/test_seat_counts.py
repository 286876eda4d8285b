"""The plan's seats per account type (tester12 #3): ``after`` counts only what the plan makes true. A person a
blocking review item names keeps their current seat and counts in ``pending`` (was: Helen's downgrade, which a
blocking ``account_types.admin_downgrade`` questions, counted as made: Admin 2 -> 1); archived and inactive members
hold no seat unless the plan reactivates them. Counted once (planner.planning.seats_of); ``show`` and the report
print the same figures."""

from __future__ import annotations

import re

from msgspec import to_builtins as wire

from planner.report import render_html, seat_counts
from planner.show import seats_line

from .plan_factory import group, kinds, member, plan, review_codes, snapshot, user

TYPES = ["Admin", "Build", "Analyze", "Act", "View"]
POLICY = ("unmatched: {action: deactivate}\nguards: {thresholds: {deactivations: {percent: 100}}}\n"
          "account_types:\n  group_map: {Sigma-Admins: Admin, Sigma-Analyze: Analyze}\n  on_downgrade: allow\n")


def org():
    """Helen (Admin, in Sigma-Analyze: a downgrade), Ann (archived Build) and Ivy (inactive View), whom the IdP
    has active, Leo (View, not in the IdP: deactivated), a new hire in Sigma-Analyze, and the factory's root admin."""
    return snapshot([member("m1", "helen@example.com", member_type="Admin"),
                     member("m2", "ann@example.com", member_type="Build", archived=True),
                     member("m3", "ivy@example.com", member_type="View", inactive=True),
                     member("m4", "leo@example.com", member_type="View")],
                    [user("00u1", "helen@example.com"), user("00u2", "ann@example.com"), user("00u3", "ivy@example.com"),
                     user("00u5", "new@example.com")],
                    groups=[group("g1", "Sigma-Analyze", ["00u1", "00u2", "00u5"]),
                            group("g0", "Sigma-Admins", ["u-root"])],
                    account_types=TYPES)


def test_a_person_a_blocking_item_holds_keeps_their_seat_pending_review_and_inactive_members_hold_none():
    p = plan(org(), POLICY)
    assert ("account_types.admin_downgrade", True) in review_codes(p)
    assert ("scim.set_account_type", "scim.set_account_type:m1") in kinds(p)  # the plan would downgrade her
    assert wire(p.summary)["seats"] == {
        "Admin": {"before": 2, "after": 2, "pending": 1},     # root, and Helen while her downgrade is in review
        "Analyze": {"before": 0, "after": 1, "pending": 0},   # the new hire only
        "View": {"before": 1, "after": 0, "pending": 0},      # Leo, deactivated; Ivy (inactive) holds no seat
    }                                                         # Ann (archived Build, a blocking rehire): none
    assert seats_line(p) == (
        "Seats (active people per account type): Admin 2 -> 2 (1 pending review), Analyze 0 -> 1 (+1), View 1 -> 0 "
        "(-1); 1 seat(s) pending review (a blocking review item holds their change: counted at their current type)")
    assert seat_counts(p) == [{"type": "Admin", "before": 2, "after": 2, "pending": 1},
                              {"type": "Analyze", "before": 0, "after": 1, "pending": 0},
                              {"type": "View", "before": 1, "after": 0, "pending": 0}]
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", render_html(p)))
    assert ("Account type Before After Change Pending review Admin 2 2 0 1 Analyze 0 1 +1 View 1 0 -1 After: what "
            "the plan makes true. Pending review: 1 person(s) a blocking review item names") in page


def test_once_the_item_is_settled_the_change_counts_and_reactivated_members_take_a_seat():
    p = plan(org(), "linking: {archived_members: reactivate}\n" + POLICY + "  acknowledged_downgrades: [m1]\n")
    assert [code for code, blocking in review_codes(p) if blocking and code.startswith("account_types")] == []
    assert wire(p.summary)["seats"] == {
        "Admin": {"before": 2, "after": 1, "pending": 0},
        "Analyze": {"before": 0, "after": 3, "pending": 0},   # Helen, Ann reactivated, the new hire
        "View": {"before": 1, "after": 1, "pending": 0},      # Ivy reactivated; Leo deactivated
    }
    assert seats_line(p) == ("Seats (active people per account type): Admin 2 -> 1 (-1), Analyze 0 -> 3 (+3); "
                             "1 type(s) unchanged")
