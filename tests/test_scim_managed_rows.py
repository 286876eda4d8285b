"""People the IdP provisioned through SCIM whom the IdP export lacks and the policy keeps as Sigma's SCIM state has
them are no lock-out (tester10 finding 4: show listed them under the lock-outs, the report as "No IdP identity, kept:
cannot sign in through the IdP", their rows ``lockout: unmatched_kept``). The plan decides it once (a person row's
``scim_managed``, ``summary.outcomes.scim_managed``); show and the report lay it out."""

from __future__ import annotations

import json
import re

from msgspec import to_builtins as wire

from planner.model import Lockout, ScimManaged
from planner.report import _people_payload, _kind_values, render_html, risk_summary
from planner.show import plain_text

from .plan_factory import member, plan
from .test_rules_new_members import DEACTIVATE, NINA, OLD, org, scim_user

OMAR = member("mM", "omar@example.com", "Omar", "Okta", created_at="2026-12-06T17:40:00.000Z")
KEPT = (DEACTIVATE.replace("}", ", decisions: {olaf@example.com: keep}}") +
        "\nlinking: {scim_state_conflicts: {nina@example.com: {newer: scim_state, active: true},"
        " 00uOMAR: {newer: scim_state, active: true}}}")


def kept_plan():
    """Nina (SCIM lists her without externalId, made after set-up), Omar (provisioned, externalId 00uOMAR), both
    absent from the IdP export and kept as SCIM has them; Olaf, made by hand, kept by unmatched.decisions."""
    return plan(org(NINA, OMAR, OLD, scim=[scim_user("mN", "nina@example.com", None, "2026-12-06T17:33:32Z"),
                                           scim_user("mM", "omar@example.com", "00uOMAR", "2026-12-06T17:40:00Z")]),
                KEPT)


def test_the_rows_of_people_kept_as_scim_has_them_are_scim_managed_not_lockouts():
    p = kept_plan()
    assert (p.actions, p.review_items) == ((), ())
    rows = {r.member_id: (r.idp_id, r.lockout, r.scim_managed) for r in p.people}
    assert {m: rows[m] for m in ("mN", "mM", "mO")} == {
        "mN": (None, None, ScimManaged.ABSENT_FROM_EXPORT),
        "mM": (None, None, ScimManaged.ABSENT_FROM_EXPORT),
        "mO": (None, Lockout.UNMATCHED_KEPT, None),
    }
    assert wire(p.summary.outcomes.lockouts) == {"total": 1, "deactivated": 0, "guest_disabled": 0, "guest_held": 0,
                                                 "unmatched_kept": 1, "unmatched_review": 0, "invitation_pending": 0}
    assert p.summary.outcomes.scim_managed == 2
    row = json.loads(json.dumps(wire([r for r in p.people if r.member_id == "mN"][0])))
    assert (row["lockout"], row["scim_managed"]) == (None, "absent_from_export")


def test_without_the_entry_they_stay_in_review_and_a_hand_made_member_stays_a_lockout():
    p = plan(org(NINA, OMAR, scim=[scim_user("mN", "nina@example.com", None, "2026-12-06T17:33:32Z"),
                                   scim_user("mM", "omar@example.com", "00uOMAR", "2026-12-06T17:40:00Z")]),
             "unmatched: {action: keep}")
    rows = {r.member_id: (r.lockout, r.scim_managed) for r in p.people}
    assert (rows["mN"], rows["mM"], p.summary.outcomes.scim_managed) == (
        (Lockout.UNMATCHED_KEPT, None), (Lockout.UNMATCHED_KEPT, None), 0)


def test_show_lists_them_under_their_own_heading_not_the_lockouts():
    text = plain_text(kept_plan())
    people = text[text.index("Cannot sign in after the switch"):text.index("Admins losing Admin")]
    assert people.splitlines() == [
        "Cannot sign in after the switch: 1 (1 with no IdP identity)",
        "  No IdP identity, kept: cannot sign in through the IdP (1):",
        "  i olaf@example.com  Olaf Old  [member mO]  View",
        "",
        "SCIM-managed, absent from this IdP export (no lock-out): 2",
        "  SCIM-managed, absent from this IdP export: kept as Sigma's SCIM state shows them (they sign in through the "
        "IdP):",
        "  i nina@example.com  Nina New  [member mN]  View",
        "  i omar@example.com  Omar Okta  [member mM]  View",
        "",
    ]


def test_the_report_lays_them_out_apart_from_the_lockouts():
    p = kept_plan()
    risk = risk_summary(p)
    assert [r["email"] for r in risk["lockout"]["unmatched_kept"]] == ["olaf@example.com"]
    assert [r["email"] for r in risk["scim_managed"]] == ["nina@example.com", "omar@example.com"]
    assert risk["scim_managed_headline"] == "SCIM-managed, absent from this IdP export (no lock-out): 2"
    payload, _, _ = _people_payload(p, _kind_values(p.actions))
    col = payload["columns"].index("scim_managed"), payload["columns"].index("lockout")
    by_email = {r[1]: (r[col[0]], r[col[1]]) for r in payload["rows"]}
    assert {e: by_email[e] for e in ("nina@example.com", "omar@example.com", "olaf@example.com")} == {
        "nina@example.com": ("absent_from_export", ""), "omar@example.com": ("absent_from_export", ""),
        "olaf@example.com": ("", "unmatched_kept")}
    html = render_html(p)
    card = html[html.index('id="risk-lockout"'):html.index('id="risk-admins"')]
    assert re.findall(r"<h3[^>]*>([^<]*)</h3>", card) == [
        "Cannot sign in after the switch: 1 (1 with no IdP identity)",
        "No IdP identity, kept: cannot sign in through the IdP (1)",
        "SCIM-managed, absent from this IdP export (no lock-out): 2"]
