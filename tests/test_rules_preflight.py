"""Pre-flight checklist (issue 13 item 2): Sigma's SCIM prerequisites, from the data where it shows
them, else from explicit confirmations in the policy; an unmet blocking one stops approve and apply."""

from __future__ import annotations

import re

import pytest
import yaml

from planner.execute.approve import approve
from planner.execute.errors import ApplyRefused
from planner.model import PreflightStatus
from planner.planfile import read_plan, write_plan
from planner.report import render_html

from .plan_factory import UNCONFIRMED_POLICY, member, snapshot, user
from .plan_factory import plan as _plan

CONFIRMED = """
preflight:
  saml_only: true
  previous_scim: none
  guests_informed: true
"""


def plan(snap, extra=""):
    """A plan under the permissive test policy without its pre-flight confirmations, plus ``extra``."""
    return _plan(snap, extra, base=UNCONFIRMED_POLICY)


def statuses(p) -> dict[str, tuple[str, bool]]:
    return {c.id: (c.status.value, c.blocking) for c in p.preflight}


def org(*extra_members, users=()):
    return snapshot([member("m1", "ann@example.com"), *extra_members], [user("u1", "ann@example.com"), *users])


def test_nothing_confirmed_every_prerequisite_the_data_cannot_show_is_unconfirmed():
    p = plan(org(member("g1", "guest@partner.example", user_kind="guest")))
    assert statuses(p) == {
        "saml_only": ("unconfirmed", True),
        "scim_setup_admin": ("ok", True),
        "api_credential_owner": ("ok", True),
        "previous_scim": ("unconfirmed", True),
        "guests": ("unconfirmed", True),
        "unmanaged_members": ("ok", False),
    }
    assert [c.id for c in p.unmet_preflight] == ["saml_only", "previous_scim", "guests"]
    guests = p.preflight[4]
    assert guests.count == 1
    assert guests.detail == ("1 guest member(s) lose access when SCIM is enabled (guest@partner.example): tell them, "
                             "then confirm")
    assert yaml.safe_load(guests.resolution) == {"preflight": {"guests_informed": True}}
    assert guests.source == "docs/sigma-api.md §5.3"


def test_confirmations_in_the_policy_settle_them():
    p = plan(org(member("g1", "guest@partner.example", user_kind="guest")), CONFIRMED)
    assert p.unmet_preflight == ()
    assert statuses(p)["saml_only"] == ("confirmed", True)
    assert p.preflight[4].detail == ("1 guest member(s) lose access (guest@partner.example); the policy confirms they "
                                     "were told")  # whom guests_informed covers (tester20 finding 9)


def test_no_guest_no_question():
    p = plan(org())
    assert statuses(p)["guests"] == ("ok", True)
    assert p.preflight[4].detail == "no active guest member loses access"


def test_a_member_made_inactive_by_scim_contradicts_previous_scim_none():
    snap = org(member("m9", "old@example.com", inactive=True))
    p = plan(snap, CONFIRMED)
    (check,) = [c for c in p.preflight if c.id == "previous_scim"]
    assert (check.status, check.blocking) == (PreflightStatus.FAILED, True)
    assert check.detail == ("preflight.previous_scim is none but the exports show SCIM was set up "
                            "(1 member(s) made inactive by SCIM)")
    assert yaml.safe_load(check.resolution) == {"preflight": {"previous_scim": "removed_by_support"}}
    settled = plan(snap, CONFIRMED.replace("previous_scim: none", "previous_scim: removed_by_support"))
    assert statuses(settled)["previous_scim"] == ("confirmed", True)
    unasked = plan(snap)
    assert unasked.preflight[3].detail.startswith(
        "the exports show an earlier SCIM setup (1 member(s) made inactive by SCIM): ask Sigma support")


def test_the_protected_people_follow_their_guards():
    p = plan(org(), CONFIRMED + "organization:\n  scim_setup_admin: null\n")
    assert statuses(p)["scim_setup_admin"] == ("unconfirmed", True)
    assert p.preflight[1].detail.startswith("organization.scim_setup_admin is not set")
    demoted = plan(org(member("m2", "bob@example.com", member_type="Admin", archived=True)),
                   CONFIRMED + "organization:\n  scim_setup_admin: bob@example.com\n")
    assert statuses(demoted)["scim_setup_admin"] == ("failed", True)
    assert demoted.preflight[1].detail.startswith("scim_setup_admin bob@example.com: is not active in Sigma")


def test_members_who_stay_unmanaged_are_counted_and_never_block():
    p = plan(org(member("m2", "svc@example.com")), CONFIRMED)  # unmatched: keep (BASE_POLICY)
    check = p.preflight[5]
    assert (check.status, check.blocking, check.count) == (PreflightStatus.INFO, False, 1)
    assert p.unmet_preflight == ()
    acknowledged = plan(org(member("m2", "svc@example.com")),
                        CONFIRMED + "  unmanaged_members_acknowledged: true\n")
    assert statuses(acknowledged)["unmanaged_members"] == ("confirmed", False)


def test_the_unmanaged_count_is_the_plans_people_with_no_idp_identity_and_names_the_embed_members():
    """tester10 finding 15: pre-flight counted 3 (an embed member among them) where show's 'No IdP identity,
    kept' listed 2; the count is read from the person rows' lockout, each part named in show's words."""
    p = plan(org(member("m2", "svc@example.com"), member("m3", "portal@customer.example", user_kind="embed")),
             CONFIRMED)
    check = p.preflight[5]
    assert (check.id, check.status, check.count) == ("unmanaged_members", PreflightStatus.INFO, 2)
    assert check.detail == ("2 active member(s) stay unmanaged: the IdP will not update or deactivate them "
                            "(1 'No IdP identity, kept', 1 embed member(s), who sign in through embedding, not the "
                            "IdP)")
    assert p.summary.outcomes.lockouts.unmatched_kept == 1
    assert [r.member_id for r in p.people if r.lockout is not None] == ["m2"]


def test_approve_refuses_an_unconfirmed_prerequisite_and_takes_a_confirmed_plan(tmp_path):
    path = tmp_path / "plan.json"
    write_plan(plan(org()), path)
    with pytest.raises(ApplyRefused) as exc:
        approve(path, "Ada")
    assert str(exc.value) == (
        f"{path}: pre-flight check saml_only is unconfirmed: Sigma authentication is SAML only (not password, "
        "not \"SAML or password\"): no export shows the authentication method: check Administration > "
        "Authentication, then confirm (and 1 more); confirm it in the policy's preflight section and plan again")
    assert not (tmp_path / "plan.json.approval").exists()
    write_plan(plan(org(), CONFIRMED), path)
    assert approve(path, "Ada").approver == "Ada"


def test_the_plan_file_keeps_the_checks_typed(tmp_path):
    path = tmp_path / "plan.json"
    p = plan(org(), CONFIRMED)
    write_plan(p, path)
    assert read_plan(path).preflight == p.preflight


def test_the_report_shows_the_checklist_first():
    html = render_html(plan(org()))
    sections = re.findall(r'<section id="(\w+)"', html)
    assert sections[:2] == ["preflight", "risk"]
    assert 'id="preflight-saml_only"' in html and ">unconfirmed</span> <span class=\"small muted\">blocking" in html
    assert "Apply is blocked: 2 pre-flight checks to confirm;" in html
    assert "The plan can be approved" not in html


def test_a_re_plan_after_apply_without_sigmas_scim_state_is_held_by_one_item_not_the_pre_flight_check():
    """Issue 10 fix-waves a, tester6 finding 14: `fetch` without SIGMA_SCIM_TOKEN after a wave writes no scim/
    state; a re-plan (previous_scim: same_setup) cannot see what SCIM did. One blocking inputs.scim_state_missing
    item holds the plan, naming the fix (planner.rules.inputs); the pre-flight check says what the policy says."""
    from dataclasses import replace

    same_setup = CONFIRMED.replace("previous_scim: none", "previous_scim: same_setup")
    p = plan(org(), same_setup)
    assert statuses(p)["previous_scim"] == ("confirmed", True)
    assert [(r.id, r.blocking) for r in p.review_items if r.code == "inputs.scim_state_missing"] == [
        ("inputs.scim_state_missing:sigma", True)]
    (item,) = [r for r in p.review_items if r.code == "inputs.scim_state_missing"]
    assert item.message == (
        "the Sigma export has no scim/ folder (Sigma's SCIM state) and no fetch-manifest.json (saved by hand, or "
        "fetched by an older version), but policy.yaml: preflight.previous_scim is same_setup (a re-plan after "
        "apply): fetch again with SIGMA_SCIM_TOKEN set and plan again. Without that state the plan cannot see what "
        "SCIM already provisioned: its 2 action(s) (2 scim.link_user) may link again, create again or deactivate "
        "what SCIM did")
    assert item.resolution == (
        "# no policy setting settles this: fetch the Sigma export again with SIGMA_SCIM_TOKEN set (`sigma-migrate "
        "fetch` then writes scim/Users.json and scim/Groups.json), then plan again\n")
    snap = org()
    with_state = replace(snap, sigma=replace(snap.sigma, scim_users=(), scim_groups=()))
    held = plan(with_state, same_setup)
    assert statuses(held)["previous_scim"] == ("confirmed", True)
    assert [r.id for r in held.review_items if r.code == "inputs.scim_state_missing"] == []
