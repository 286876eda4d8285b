"""``undo`` of what SCIM owns (issue 10, tester8 finding 23): an account type set through SCIM (a
``scim.set_account_type``, a link's ``userType``) goes back through SCIM; a change of ``active`` (a
``scim.deactivate_user``, a link that reactivated) is named as not reversed, with why, never dropped
under the link's own item, and the undo plan's stale check knows the apply reactivated the member."""

from __future__ import annotations

import dataclasses

import httpx2
import msgspec
import pytest

from planner.execute.apply import apply_plan
from planner.execute.journal import journal_path
from planner.execute.undo import build_undo_plan, live_changes
from planner.model import ActionKind
from planner.planfile import write_plan

from .execute_support import act, counting_sandbox, make_plan, options_for, small_org

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture
def sb():
    server, _ = counting_sandbox()
    yield server
    server.close()


def provision(server, email: str, active: bool, user_type: str, external_id: str | None = None) -> None:
    """A SCIM user the IdP provisioned, its ``externalId`` the IdP user's id (``external_id``, else ``x-<email>``)."""
    httpx2.post(f"{server.scim_base_url}/Users", headers=server.scim_headers(), json={
        "schemas": [USER], "userName": email, "name": {"givenName": "G", "familyName": "F"}, "active": active,
        "userType": user_type, "externalId": external_id or f"x-{email}"}).raise_for_status()


def scim_actions():
    """alice (m1), SCIM-inactive, linked and reactivated as Pro; o'brien (m2) deactivated through SCIM;
    erin (m5) set to Pro through SCIM."""
    return [
        act("scim.link_user:m1", ActionKind.SCIM_LINK_USER,
            {"memberId": "m1", "email": "alice@example.com", "userName": "alice@example.com", "idpId": "idp-m1"},
            {"userName": "alice@example.com", "givenName": "G", "familyName": "F", "active": True, "userType": "Pro"},
            before={"memberType": "Viewer", "userKind": "internal", "active": False},
            evidence={"key": "email", "idpField": "email"}),
        act("scim.deactivate_user:m2", ActionKind.SCIM_DEACTIVATE_USER,
            {"memberId": "m2", "email": "o'brien@example.com", "userName": "o'brien@example.com", "scimId": "m2"},
            {"active": False}),
        act("scim.set_account_type:m5", ActionKind.SCIM_SET_ACCOUNT_TYPE,
            {"memberId": "m5", "email": "erin@example.com", "userName": "erin@example.com"},
            {"userType": "Pro"}, before={"memberType": "Viewer"}),
    ]


def test_undo_reverses_scim_account_types_through_scim_and_names_every_active_change(tmp_path, sb):
    provision(sb, "alice@example.com", False, "Viewer", "idp-m1")  # the IdP user scim.link_user:m1 links
    provision(sb, "o'brien@example.com", True, "Pro")
    provision(sb, "erin@example.com", True, "Viewer")
    org = small_org()  # as planned against: alice inactive (SCIM deactivated her)
    members = tuple(msgspec.structs.replace(m, is_inactive=True) if m.member_id == "m1" else m for m in org.members)
    plan = tmp_path / "plan.json"
    write_plan(make_plan(scim_actions(), dataclasses.replace(org, members=members)), plan)
    assert apply_plan(plan, options_for(sb, auto_approve=True)).status == "converged"

    undo = build_undo_plan(journal_path(plan), created_at="t")
    assert [(a.id, a.kind.value, a.after.user_type, a.reason) for a in undo.actions] == [
        ("scim.set_account_type:m5", "scim.set_account_type", "Viewer",
         "undo scim.set_account_type:m5: account type back to Viewer"),
        ("scim.set_account_type:m1", "scim.set_account_type", "Viewer",
         "undo scim.link_user:m1: account type back to Viewer")]
    assert [(r.id, r.blocking, r.message) for r in undo.review_items] == [
        ("undo.irreversible:scim.deactivate_user:m2", False,
         "scim.deactivate_user:m2 is not reversed: SCIM owns the member's active, and the IdP that no longer assigns "
         "them would deactivate them again: reassign the user to the Sigma app in the IdP, which reactivates them and "
         "restores the teams of their IdP groups (docs/sigma-api.md §5.3); the documents Sigma gave the provisioning "
         "admin stay there: move them back in Sigma"),
        ("undo.irreversible:scim.link_user:m1", False,
         "scim.link_user:m1 is not reversed: a SCIM link cannot be undone (Sigma has no unlink; DELETE /Users "
         "deactivates the member, DELETE /Groups deletes the team)"),
        ("undo.irreversible:scim.link_user:m1:active", False,  # was dropped under the link's item (tester8 finding 23)
         "scim.link_user:m1 reactivated the member (SCIM active false -> true), which is not reversed: SCIM owns the "
         "member's active, and the IdP that assigns them would reactivate them: unassign the user from the Sigma app "
         "in the IdP, which deactivates them through SCIM, their documents going to the provisioning admin "
         "(docs/sigma-api.md §5.3)")]
    assert undo.summary.text.endswith("3 not reversible (listed as review items)")

    # the undo plan knows the apply reactivated alice: its stale check passes (was refused: isInactive True -> False)
    live = build_undo_plan(journal_path(plan), created_at="t", changed_since=live_changes(options_for(sb)))
    assert [r.code for r in live.review_items if r.code == "undo.drifted"] == []
    write_plan(undo, tmp_path / "undo.json")
    report = apply_plan(tmp_path / "undo.json", options_for(sb, auto_approve=True))
    assert (report.status, report.exit_code) == ("converged", 0)
    assert [(sb.state.get_member(m)["memberType"], sb.state.get_member(m)["isInactive"]) for m in ("m1", "m2", "m5")] == [
        ("Viewer", False), ("Pro", True), ("Viewer", False)]
