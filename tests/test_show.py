"""`show`: review items first, people and teams with +/~/- markers and a reason per line."""

from __future__ import annotations

import io

from rich.console import Console

from planner.show import plain_text, print_plan, render, summary_lines

from .plan_factory import UNCONFIRMED_POLICY, group, member, plan, snapshot, team, user

POLICY = "unmatched:\n  action: deactivate\n"


def small_plan(base=UNCONFIRMED_POLICY):
    snap = snapshot(
        [member("m1", "ann@example.com", "Ann", "Lee", member_type="View"), member("m2", "gone@example.com"),
         member("m5", "eve@example.com"), member("m6", "Eve@example.com")],
        [user("u1", "ann@example.com", first="Ann", last="Lee"), user("u5", "eve@example.com"), user("u7", "new@example.com", first="New",
                                                                             last="Hire")],
        groups=[group("gF", "Finance", ["u1"])],
        teams=[team("tF", "Finance"), team("tB", "Board")],
        memberships={"tF": ["m1", "m2"]},
    )
    return plan(snap, POLICY, base=base)


def test_summary_preflight_and_blocking_items_come_first_then_people_sections_then_teams():
    text = plain_text(small_plan())
    order = ["Summary: Plan:", "Pre-flight (Sigma's SCIM prerequisites): 6 check(s), 2 blocking approval",
             "Blocking review items: 1",
             "Cannot sign in after the switch: 3 (1 deactivated, 2 with no IdP identity (2 in review))\n"
             "  Deactivated by the plan (1):\n  - gone@example.com",
             "  No IdP identity yet, decision pending in the review queue (2):\n  ? eve@example.com",
             "Admins losing Admin: 0\n\n", "Admin types gained or changed: 0\n\n",
             "Downgrades: 0\n\n", "Other people:", "Informational review items: 1 (nothing to decide)",
             "Teams:", "Guards:"]
    assert [text.index(heading) for heading in order] == sorted(text.index(heading) for heading in order)
    assert ("  approve and apply refuse this plan: 2 pre-flight check(s) unmet, 1 blocking review item(s), "
            "0 failed guard(s)\n") in text
    assert "  ! linking.duplicate_email:eve@example.com  [blocking]" in text
    assert ("      - memberId: m6, email: Eve@example.com, status: active, memberType: View, teams: 0, "
            "decision: undecided\n") in text
    assert "      resolve in the policy with:\n        # who keeps the address: m5 is only an example" in text
    # the two unmet checks counted in the line the plan ends on (walk21; was: '... review items (1 blocking)')
    assert text.rstrip().endswith("2 review items (1 blocking); 2 blocking pre-flight checks unmet")


def test_the_seats_per_account_type_follow_the_summary():
    # tester8 finding 26: the seats the plan frees were only in the HTML report
    p = small_plan()
    assert {t: (s.before, s.after) for t, s in p.summary.seats.items()} == {
        "(Sigma default)": (0, 1), "Admin": (1, 1), "View": (4, 3)}
    lines = plain_text(p).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Summary: "))
    assert lines[at + 1] == ("  Seats (active people per account type): (Sigma default) 0 -> 1 (+1), View 4 -> 3 (-1); "
                             "1 type(s) unchanged")


def test_people_lines_carry_markers_reasons_and_rules():
    lines = plain_text(small_plan(), show_all=True).splitlines()
    assert "  ~ ann@example.com  Ann Lee  [member m1 <-> IdP u1] by email  View" in lines
    assert ("      + link to IdP user u1 (ann@example.com): the Sigma email equals the IdP userName  "
            "(scim.link_user, linking.user_name)") in lines
    assert "  - gone@example.com  [member m2]  View -> -" in lines
    assert ("      - deactivate: no IdP user matches this member; documents go to root@example.com  "
            "(members.deactivate, unmatched.action)") in lines
    assert "      - leaves team 'Finance'  (teams.remove_member, teams.leftovers)" in lines
    assert "  + new@example.com  New Hire  [IdP u7]  - -> View" not in lines  # no account type set: keep
    assert any(line.startswith("  + new@example.com  New Hire  [IdP u7]") for line in lines)
    assert "  ? eve@example.com  [member m5]  View" in lines


def test_team_lines():
    lines = plain_text(small_plan()).splitlines()
    assert "  ~ Finance <- group 'Finance'  [team tF]  members 2 -> 1 (+0 -1)" in lines
    assert "  i Board: becomes unmanaged (no IdP group), 0 member(s) stay  [team tB]" in lines
    assert any(line.startswith("      - remove gone@example.com: remove from team 'Finance'") for line in lines)


def test_colour_only_on_a_terminal():
    p = small_plan()
    piped = io.StringIO()
    print_plan(p, Console(file=piped, force_terminal=False, width=300))
    assert "\x1b[" not in piped.getvalue()
    assert piped.getvalue() == plain_text(p)
    tty = io.StringIO()
    print_plan(p, Console(file=tty, force_terminal=True, color_system="standard", width=300))
    assert "\x1b[" in tty.getvalue()


def test_user_content_is_not_rich_markup():
    snap = snapshot([member("m1", "x@example.com", "[bold]Mallory[/bold]", "<b>")], [])
    text = plain_text(plan(snap, POLICY))
    assert "[bold]Mallory[/bold] <b>" in text
    assert all(line.plain.count("[bold]") in (0, 1) for line in render(plan(snap, POLICY)))


def test_summary_lines_after_plan():
    lines = list(summary_lines(small_plan()))
    assert lines[0].startswith("Plan: 2 link, 1 create")
    assert lines[1:3] == ["Cannot sign in after the switch: 3 (1 deactivated, 2 with no IdP identity (2 in review))",
                          "Admins losing Admin: 0"]
    assert lines[-1].startswith("1 blocking review item(s): the plan can be reviewed but not applied")


def test_plain_links_fold_into_a_count_unless_all():
    folded = plain_text(small_plan()).splitlines()
    assert "  2 plain link(s): linked to their IdP user, nothing else changes (--all lists them)" in folded
    assert not any(line.startswith("  ~ ann@example.com") for line in folded)
    listed = plain_text(small_plan(), show_all=True).splitlines()
    assert "  ~ ann@example.com  Ann Lee  [member m1 <-> IdP u1] by email  View" in listed
    assert not any("plain link(s)" in line for line in listed)


def test_preflight_lines_name_status_detail_and_the_confirmation():
    lines = plain_text(small_plan()).splitlines()
    start = lines.index("Pre-flight (Sigma's SCIM prerequisites): 6 check(s), 2 blocking approval")
    assert lines[start + 1:start + 6] == [
        '  TODO saml_only: Sigma authentication is SAML only (not password, not "SAML or password")',
        "       no export shows the authentication method: check Administration > Authentication, then confirm"
        "  (docs/sigma-api.md §5.1)",
        "       confirm in the policy with:",
        "         preflight:",
        "           saml_only: true",
    ]
    assert "  ok   scim_setup_admin: the SCIM-setup admin stays active with an admin account type" in lines
    assert "  note unmanaged_members: pre-SCIM members who stay unmanaged are known" in lines



def test_actions_without_person_or_team_rows_are_listed_as_every_action_is():
    """Tester finding 11: an undo plan has actions but no person or team rows; `show --all` printed
    "Deactivations: 0" and nothing of its actions. Every action of any plan is listed."""
    from planner.model import ActionKind

    from .execute_support import GROUP_FINANCE, act, make_plan

    actions = (
        act("x1", ActionKind.MEMBERS_REACTIVATE, {"memberId": "m3", "email": "old@example.com"},
            {"isArchived": False}, reason="undo members.deactivate:m3: reactivate"),
        act("x2", ActionKind.SCIM_SET_GROUP_MEMBERS, GROUP_FINANCE, {"members": ["alice@example.com"]},
            before={"memberIds": []}, reason="undo t1: the team's SCIM-managed members back to the 1 it had"),
    )
    bare = make_plan(actions, people=(), teams=())
    for show_all in (False, True):
        lines = plain_text(bare, show_all=show_all).splitlines()
        start = lines.index("Actions not about a person or team of this plan: 2")
        assert lines[start + 1:start + 4] == [
            "  + old@example.com: undo members.deactivate:m3: reactivate  (members.reactivate, test.rule)",
            "  ~ Finance: undo t1: the team's SCIM-managed members back to the 1 it had  "
            "(scim.set_group_members, test.rule)",
            ""]
    assert "Actions not about a person or team" not in "\n".join(plain_text(small_plan()).splitlines())
