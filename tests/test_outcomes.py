"""What the plan's decisions mean for people (planner.outcomes), decided once in planning and only
laid out by the report and ``show`` (issue 10 item 3)."""

from __future__ import annotations

import json
import re

import pytest
from msgspec import to_builtins as wire

from planner import outcomes
from planner.model import (
    ActionKind, AdminChange, AdminLossCounts, DocumentDestination, DocumentTransfer, Lockout, LockoutCounts,
    OutcomeCounts, OwnerStatus, PersonRow, TypeChange,
)
from planner.planfile import read_plan, write_plan
from planner.report import render_html, report_headline, risk_summary
from planner.show import plain_text

from .execute_support import act
from .plan_factory import group, member, plan, snapshot, user

K = ActionKind


# --------------------------------------------------------------------------- one function per fact


@pytest.mark.parametrize(("kinds", "fields", "expected"), [
    ((), {}, None),
    ((K.MEMBERS_DEACTIVATE,), {}, Lockout.DEACTIVATED),
    ((K.SCIM_DEACTIVATE_USER,), {}, Lockout.DEACTIVATED),
    ((K.MEMBERS_DISABLE_GUEST,), {"user_kind": "guest"}, Lockout.GUEST_DISABLED),
    ((), {"user_kind": "guest"}, Lockout.GUEST_DISABLED),  # SCIM disables a guest nobody converts
    ((K.MEMBERS_CONVERT_GUEST,), {"user_kind": "guest"}, None),
    # a blocking item holds the guest: no action, so not "disabled" (words18)
    ((), {"user_kind": "guest", "in_review": True, "held": True}, Lockout.GUEST_HELD),
    ((), {"user_kind": "guest", "in_review": True}, Lockout.GUEST_DISABLED),  # an informational item holds nothing
    ((K.MEMBERS_DISABLE_GUEST,), {"user_kind": "guest", "in_review": True, "held": True}, Lockout.GUEST_DISABLED),
    ((), {"idp_id": None}, Lockout.UNMATCHED_KEPT),
    ((), {"idp_id": None, "in_review": True}, Lockout.UNMATCHED_REVIEW),
    ((), {"idp_id": None, "sigma_status": "archived"}, None),  # already without access
    ((), {"idp_id": None, "sigma_status": "inactive"}, None),
    ((), {"idp_id": None, "user_kind": "embed"}, None),
    ((K.SCIM_CREATE_USER,), {"member_id": None}, None),  # a new hire
])
def test_lockout(kinds, fields, expected):
    base = {"member_id": "m1", "idp_id": "00u1", "user_kind": "internal", "sigma_status": "active", "in_review": False}
    assert outcomes.lockout(frozenset(kinds), **{**base, **fields}) is expected


@pytest.mark.parametrize(("before", "after", "change", "locked", "expected"), [
    ("Pro", "Viewer", "downgrade", None, TypeChange.DOWNGRADE),
    ("Viewer", "Pro", "upgrade", None, TypeChange.UPGRADE),
    ("Finance Power User", "Analyze", "custom_replacement", None, TypeChange.CUSTOM_REPLACEMENT),
    ("Viewer", "Pro", None, None, TypeChange.CHANGE),  # no ranking given by the planner
    ("Viewer", "Viewer", None, None, None),
    ("Pro", None, None, Lockout.DEACTIVATED, None),
    ("Pro", "Viewer", "downgrade", Lockout.UNMATCHED_REVIEW, None),  # locked out: no type change shown
    (None, "Viewer", None, None, None),  # a new hire has no type before
])
def test_type_change(before, after, change, locked, expected):
    assert outcomes.type_change(before, after, change, locked) is expected


@pytest.mark.parametrize(("before", "after", "status", "locked", "admin_types", "expected"), [
    ("Admin", "Viewer", "active", None, {"admin"}, AdminChange.LOSES),
    ("Admin", None, "active", Lockout.DEACTIVATED, {"admin"}, AdminChange.LOSES),
    ("Admin", "Admin", "active", Lockout.UNMATCHED_KEPT, {"admin"}, AdminChange.LOSES),
    ("Admin", "Admin", "active", None, {"admin"}, None),
    ("Org Admin", "Org Admin", "active", None, {"org admin"}, None),
    ("Org Admin", "Viewer", "active", None, {"org admin"}, AdminChange.LOSES),
    ("Admin", "Org Admin", "active", None, {"admin"}, AdminChange.LOSES),  # Org Admin is not admin here
    ("Admin", "Org Admin", "active", None, {"admin", "org admin"}, AdminChange.CHANGES),
    ("Viewer", "Admin", "active", None, {"admin"}, AdminChange.GAINS),
    ("Admin", "Viewer", "archived", None, {"admin"}, AdminChange.CHANGES),  # a reactivated admin
    ("Pro", "Viewer", "active", None, {"admin"}, None),
])
def test_admin_change(before, after, status, locked, admin_types, expected):
    assert outcomes.admin_change(before, after, status, locked, frozenset(admin_types)) is expected


def _row(member_id, email, before, after, lockout=None):
    return PersonRow(member_id, email, "", before, "internal", "active", None, None, None, None, before, after,
                     (), (), lockout, None, None, None, None)


def test_owner_status_takes_the_guards_verdict_and_the_rows_lockout():
    kept = _row("m1", "ada@x.example", "Admin", "Admin")
    assert outcomes.owner_status("scim_setup_admin", "ada@x.example", kept, True, "ada@x.example stays active") == \
        OwnerStatus("scim_setup_admin", "ada@x.example", "m1", "ada@x.example", "Admin", "Admin", None, True,
                    "ada@x.example stays active")
    # the guard judges sign-in itself (planner.rules.guards.owner_lockout, the same rule as the row's)
    unlinked = _row("m1", "ada@x.example", "Admin", "Admin", Lockout.UNMATCHED_REVIEW)
    status = outcomes.owner_status("scim_setup_admin", "ada@x.example", unlinked, False, "cannot sign in")
    assert (status.lockout, status.ok, status.detail) == (Lockout.UNMATCHED_REVIEW, False, "cannot sign in")
    missing = outcomes.owner_status("api_credential_owner", None, None, False, "organization.api_credential_owner "
                                    "is not set")
    assert missing == OwnerStatus("api_credential_owner", "", None, None, None, None, None, False,
                                  "organization.api_credential_owner is not set")


def test_document_transfers():
    owner = OwnerStatus("scim_setup_admin", "root@x.example", "root", "root@x.example", "Admin", "Admin", None, True, "")
    actions = [
        act("d1", K.MEMBERS_DEACTIVATE, {"memberId": "m1", "email": ""}, {"isArchived": True, "newOwnerId": "root"}),
        act("d2", K.MEMBERS_DISABLE_GUEST, {"memberId": "m2", "email": "g@partner.example"},
            {"isArchived": True, "newOwnerId": None}),
        act("d3", K.SCIM_DEACTIVATE_USER, {"memberId": "m3", "email": "", "userName": "three@x.example"},
            {"active": False}),
        act("l4", K.SCIM_LINK_USER, {"memberId": "m4", "email": "x", "userName": "x"},
            {"userName": "x", "givenName": "", "familyName": "", "active": True}),
    ]
    email_of = {"m1": "one@x.example", "m3": "three@x.example", "root": "root@x.example"}
    assert outcomes.document_transfers(actions, email_of, owner) == (
        DocumentTransfer("d1", K.MEMBERS_DEACTIVATE, "m1", "one@x.example", DocumentDestination.MEMBER,
                         "root", "root@x.example"),
        DocumentTransfer("d2", K.MEMBERS_DISABLE_GUEST, "m2", "g@partner.example", DocumentDestination.UNNAMED,
                         None, None),
        DocumentTransfer("d3", K.SCIM_DEACTIVATE_USER, "m3", "three@x.example",
                         DocumentDestination.PROVISIONING_OWNER, "root", "root@x.example"),
    )


# --------------------------------------------------------------------------- on a small literal org


def small_org():
    """root (Admin, protected) linked; ann Pro -> Viewer (acknowledged downgrade); bob unmatched, kept;
    gail a guest, disabled; lee unmatched, deactivated; new@ a new hire; ivan Viewer -> Admin (acknowledged)."""
    snap = snapshot(
        [member("m1", "ann@example.com", "Ann", "A", member_type="Pro"),
         member("m2", "bob@example.com", "Bob", "B", member_type="Viewer"),
         member("m3", "gail@partner.example", "Gail", "G", member_type="Viewer", user_kind="guest"),
         member("m4", "lee@example.com", "Lee", "L", member_type="Viewer"),
         member("m5", "ivan@example.com", "Ivan", "I", member_type="Viewer")],
        [user("u1", "ann@example.com", first="Ann", last="A"), user("u5", "ivan@example.com", first="Ivan", last="I"),
         user("u6", "new@example.com")],
        [group("g-admins", "Sigma-Admins", users=["u-root", "u5"])],
        account_types=["Admin", "Pro", "Viewer"],
    )
    return plan(snap, "account_types:\n  group_map: {Sigma-Admins: Admin}\n  default: Viewer\n"
                      "  new_user_default: Viewer\n  acknowledged_downgrades: [ann@example.com]\n"
                      "  acknowledged_admin_upgrades: [{person: ivan@example.com, to: Admin}]\n"
                      "unmatched:\n  action: keep\n  decisions: {lee@example.com: deactivate}\n")


def test_each_person_row_carries_its_outcomes():
    p = small_org()
    rows = {(r.member_id or r.idp_id): (r.lockout, r.type_change, r.admin_change) for r in p.people}
    assert rows == {
        "root": (None, None, None),
        "m1": (None, TypeChange.DOWNGRADE, None),
        "m2": (Lockout.UNMATCHED_KEPT, None, None),
        "m3": (Lockout.GUEST_DISABLED, None, None),
        "m4": (Lockout.DEACTIVATED, None, None),
        "m5": (None, TypeChange.UPGRADE, AdminChange.GAINS),
        "u6": (None, None, None),
    }
    assert p.outcomes.document_transfers == (  # in plan order
        DocumentTransfer("members.deactivate:m4", K.MEMBERS_DEACTIVATE, "m4", "lee@example.com",
                         DocumentDestination.MEMBER, "root", "root@example.com"),
        DocumentTransfer("members.disable_guest:m3", K.MEMBERS_DISABLE_GUEST, "m3", "gail@partner.example",
                         DocumentDestination.MEMBER, "root", "root@example.com"),
    )
    assert [(o.role, o.ok, o.detail) for o in p.outcomes.owners] == [
        ("scim_setup_admin", True, "root@example.com stays active with account type Admin"),
        ("api_credential_owner", True, "root@example.com stays active with account type Admin"),
    ]
    assert p.summary.outcomes == OutcomeCounts(
        lockouts=LockoutCounts(total=3, deactivated=1, guest_disabled=1, guest_held=0, unmatched_kept=1,
                               unmatched_review=0, invitation_pending=0),
        admins_losing_admin=AdminLossCounts(total=0, deactivated=0, cannot_sign_in=0, downgraded=0),
        admin_gains=1, admin_changes=0, downgrades=1, scim_managed=0)
    assert report_headline(p) == ("Cannot sign in after the switch: 3 (1 deactivated, 1 guest disabled, 1 with no IdP "
                                  "identity); Admins losing Admin: 0; 2 account-type changes (1 downgrade), "
                                  "0 review items (0 blocking)")


def test_the_plan_file_carries_the_outcomes(tmp_path):
    p = small_org()
    path = tmp_path / "plan.json"
    write_plan(p, path)
    document = json.loads(path.read_text())
    (m4,) = [r for r in document["people"] if r["member_id"] == "m4"]
    assert (m4["lockout"], m4["type_change"], m4["admin_change"]) == ("deactivated", None, None)
    assert document["outcomes"]["owners"][0]["role"] == "scim_setup_admin"
    again = read_plan(path)
    assert again.people == p.people and again.outcomes == p.outcomes


def test_a_missing_protected_owner_is_decided_in_the_plan():
    p = plan(snapshot(), "organization:\n  api_credential_owner: nobody@example.com\n")
    (_, owner) = p.outcomes.owners
    assert owner == OwnerStatus("api_credential_owner", "nobody@example.com", None, None, None, None, None, False,
                                "organization.api_credential_owner 'nobody@example.com' is not a member in the "
                                "Sigma export")
    html = render_html(p)
    assert ('<span class="badge bad">CHECK</span> API credential owner:\n<span class="mono">nobody@example.com</span>'
            in html)


# --------------------------------------------------------------------------- the contradiction of issue 10


def org_admin_org():
    """guards.admin_account_types: [Org Admin]. root keeps Org Admin (protected); oz goes from Org Admin to
    Viewer; ann from Viewer to Org Admin."""
    root = member("root", "root@example.com", "Root", "Admin", member_type="Org Admin")
    snap = snapshot(
        [root, member("m1", "ann@example.com", "Ann", "A", member_type="Viewer"),
         member("m2", "oz@example.com", "Oz", "O", member_type="Org Admin")],
        [user("u-root", "root@example.com", first="Root", last="Admin"), user("u1", "ann@example.com", first="Ann",
                                                                              last="A"),
         user("u2", "oz@example.com", first="Oz", last="O")],
        [group("g-admins", "Sigma-Admins", users=["u-root", "u1"])],
        with_root=False, account_types=["Org Admin", "Viewer"],
    )
    return plan(snap, "guards:\n  admin_account_types: [Org Admin]\n"
                      "account_types:\n  group_map: {Sigma-Admins: Org Admin}\n  default: Viewer\n")


def test_an_owner_keeping_org_admin_is_ok_in_the_plan_the_report_and_show():
    """On main before this change the guard passed while the report said the owner loses Admin
    ("account type becomes Org Admin, not Admin"): report, show and plan now say the same."""
    p = org_admin_org()
    detail = "root@example.com stays active with account type Org Admin"
    guards = {g["name"]: (g["ok"], g["detail"]) for g in wire(p.summary)["guards"]}
    assert guards["scim_setup_admin"] == guards["api_credential_owner"] == (True, detail)
    assert [(o.ok, o.account_type_after, o.detail) for o in p.outcomes.owners] == [(True, "Org Admin", detail)] * 2

    html = render_html(p)
    card = html[html.index('id="risk-owners"'):html.index('id="guards"')]
    assert card.count(f'<span class="chip">Org Admin</span>          <span class="muted">{detail}</span>') == 2
    assert card.count('<span class="badge good">OK</span>') == 2 and "CHECK" not in card and "not Admin" not in html
    # the admins losing an admin type are the plan's: oz, not root, not ann (who gains one)
    assert [a["member_id"] for a in risk_summary(p)["admins_losing_admin"]] == ["m2"]
    assert re.search(r'id="tile-admins">\s*<div class="n">1</div>', html)
    people = json.loads(re.search(r'id="people-data">(.*?)</script>', html, re.S).group(1))
    col = {c: i for i, c in enumerate(people["columns"])}
    assert {r[col["member_id"]]: r[col["admin_change"]] for r in people["rows"]} == {
        "root": "", "m1": "gains", "m2": "loses"}

    text = plain_text(p)
    assert (f"Protected owners:\n"
            f"  ok   scim_setup_admin: Org Admin -> Org Admin: {detail}\n"
            f"  ok   api_credential_owner: Org Admin -> Org Admin: {detail}\n") in text
    losing = text[text.index("Admins losing Admin: 1 (1 downgraded)\n"):text.index("Admin types gained or changed:")]
    gaining = text[text.index("Admin types gained or changed: 1 (1 gained)\n"):text.index("Downgrades:")]
    assert "oz@example.com" in losing and "ann@example.com" in gaining
    assert "root@example.com" not in losing + gaining and "ann@" not in losing and "oz@" not in gaining


def test_show_places_people_by_the_outcomes_the_plan_carries():
    p = small_org()
    text = plain_text(p)
    sections = {}
    for title in ("Cannot sign in after the switch", "Admins losing Admin", "Admin types gained or changed",
                  "Downgrades"):
        start = text.index(title + ":")
        body = text[start:text.index("\n\n", start)]
        sections[body.splitlines()[0]] = re.findall(r"^  (?:\S |(\S.*\(\d+\)):$)([^\s]*)", body, re.M)
    assert sections == {
        "Cannot sign in after the switch: 3 (1 deactivated, 1 guest disabled, 1 with no IdP identity)": [
            ("Deactivated by the plan (1)", ""), ("", "lee@example.com"),
            ("Guest disabled (SCIM does not support guests) (1)", ""), ("", "gail@partner.example"),
            ("No IdP identity, kept: cannot sign in through the IdP (1)", ""), ("", "bob@example.com")],
        "Admins losing Admin: 0": [],
        "Admin types gained or changed: 1 (1 gained)": [("", "ivan@example.com")],
        "Downgrades: 1": [("", "ann@example.com")],
    }
