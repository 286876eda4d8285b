"""planner.rules.guards, guard by guard: the policy, a small directory and literal actions."""

from __future__ import annotations

import yaml

from .plan_factory import member, policy, snapshot, user
from planner.directory import build_directory
from planner.model import SCHEDULER_ROBOT_MEMBER_ID, ActionKind, GuardResult
from planner.payloads import (
    AccountTypeEvidence, AccountTypeTarget, ActiveState, ArchiveAfter, DeactivateBefore, DeactivateEvidence, MemberRef,
    MemberTypeState, ScimDeactivateEvidence, ScimUserRef, UserTypeState,
)
from planner.rules import make_action
from planner.rules.guards import (
    document_owner_guard, idp_export_guard, last_admin_guard, owner_guard, planned_actions, scheduler_robot_guard,
    threshold_guard,
)

BEA = member("m1", "bea@example.com")
CY = member("m2", "cy@example.com", user_kind="guest")
PEOPLE = [BEA, CY, member("m3", "dee@example.com", archived=True)]
LINKED = {"root": "u-root"}


def directory(extra: str = "", users=()):
    p = policy(extra)
    return p, build_directory(snapshot(PEOPLE, list(users)), p)


def deactivate(mid: str, owner: str | None = "root"):
    return make_action(ActionKind.MEMBERS_DEACTIVATE, mid, target=MemberRef(member_id=mid, email=f"{mid}@x"),
                       before=DeactivateBefore(is_archived=False, member_type="View"),
                       after=ArchiveAfter(is_archived=True, new_owner_id=owner), rule="unmatched.action",
                       reason="deactivate", evidence=DeactivateEvidence(kind="unmatched", new_owner_email=None,
                                                                        document_owner_from="organization.document_owner"))


def set_type(mid: str, before: str, after: str, change: str = "downgrade"):
    return make_action(ActionKind.SCIM_SET_ACCOUNT_TYPE, mid,
                       target=AccountTypeTarget(member_id=mid, email=f"{mid}@x", idp_id=f"u-{mid}"),
                       before=MemberTypeState(member_type=before), after=UserTypeState(user_type=after),
                       rule="account_types.group_map", reason=f"{change}: {before} -> {after} (group X)",
                       evidence=AccountTypeEvidence(change=change, source="group_map", groups=["X"]))


def test_the_setup_admin_passes_when_active_and_admin():
    p, d = directory()
    v = owner_guard("scim_setup_admin", "the SCIM token belongs to them", p, d, planned_actions([]), LINKED)
    assert (v.result, v.item) == (GuardResult("scim_setup_admin", True,
                                              "root@example.com stays active with account type Admin"), None)


def test_the_setup_admin_losing_admin_fails_with_an_override_to_keep_them():
    p, d = directory()
    v = owner_guard("scim_setup_admin", "the SCIM token belongs to them", p, d,
                    planned_actions([set_type("root", "Admin", "Viewer")]), LINKED)
    assert v.result == GuardResult("scim_setup_admin", False, (
        "scim_setup_admin root@example.com: would have account type 'Viewer', not admin (downgrade: Admin -> Viewer "
        "(group X)); the SCIM token belongs to them"))
    assert (v.item.id, v.item.blocking, v.item.subject.fields()) == (
        "guards.scim_setup_admin:root", True, {"memberId": "root", "email": "root@example.com"})
    assert yaml.safe_load(v.item.resolution) == {"account_types": {"overrides": {"root@example.com": "Admin"}}}


def test_an_owner_with_no_idp_identity_cannot_sign_in_and_fails():
    p, d = directory()
    v = owner_guard("scim_setup_admin", "the SCIM token belongs to them", p, d, planned_actions([]), {"root": None})
    assert v.result == GuardResult("scim_setup_admin", False, (
        "scim_setup_admin root@example.com: cannot sign in once SCIM is on (No IdP identity yet, decision pending in "
        "the review queue); the SCIM token belongs to them"))
    assert yaml.safe_load(v.item.resolution) == {"organization": {"scim_setup_admin": "someone@example.com"}}
    leaving = owner_guard("scim_setup_admin", "why", p, d, planned_actions([deactivate("root", "m1")]), LINKED)
    assert (leaving.result.detail, leaving.item.resolution) == (
        "scim_setup_admin root@example.com: would be deactivated (members.deactivate:root); why", "")


def test_an_owner_not_set_or_not_found_fails():
    p, d = directory("organization:\n  scim_setup_admin: null\n  api_credential_owner: ghost@example.com\n")
    unset = owner_guard("scim_setup_admin", "why", p, d, planned_actions([]), LINKED)
    assert unset.result == GuardResult("scim_setup_admin", False,
                                       "organization.scim_setup_admin is not set, so the plan cannot protect them (why)")
    assert unset.item.id == "guards.scim_setup_admin:plan"
    missing = owner_guard("api_credential_owner", "why", p, d, planned_actions([]), LINKED)
    assert missing.result.detail == "organization.api_credential_owner 'ghost@example.com' is not a member in the " \
                                    "Sigma export"


def test_the_scheduler_robot_guard_names_the_actions_touching_it():
    assert scheduler_robot_guard(planned_actions([deactivate("m1")])).result.ok is True
    v = scheduler_robot_guard(planned_actions([deactivate(SCHEDULER_ROBOT_MEMBER_ID)]))
    assert v.result == GuardResult("scheduler_robot", False, "actions touch Sigma's scheduler robot: "
                                                            f"members.deactivate:{SCHEDULER_ROBOT_MEMBER_ID}")


def test_the_scheduler_robot_is_found_by_address_in_any_letter_case_and_watched_members_indexed():
    robot_link = make_action(
        ActionKind.SCIM_SET_ACCOUNT_TYPE, "m9",
        target=AccountTypeTarget(member_id="m9", email="Scheduler-Robot@SigmaComputing.com", idp_id="u9"),
        before=MemberTypeState(member_type="View"), after=UserTypeState(user_type="Admin"),
        rule="account_types.group_map", reason="upgrade", evidence=AccountTypeEvidence(change="upgrade",
                                                                                       source="group_map"))
    actions = [deactivate("m1"), robot_link, set_type("m1", "View", "Admin", "upgrade")]
    planned = planned_actions(actions, {"m1", "m2"})
    assert planned.robot == ("scim.set_account_type:m9",)
    assert planned.watched == {"m1": {ActionKind.MEMBERS_DEACTIVATE, ActionKind.SCIM_SET_ACCOUNT_TYPE}, "m2": set()}
    assert planned.kinds_on("m9") == {ActionKind.SCIM_SET_ACCOUNT_TYPE}  # not watched: looked up
    assert planned.kinds_on("m1") == planned_actions(actions).kinds_on("m1")
    assert scheduler_robot_guard(planned).result.detail == (
        "actions touch Sigma's scheduler robot: scim.set_account_type:m9")


def test_last_admin_counts_active_admins_after_type_changes_and_deactivations():
    p, d = directory()
    assert last_admin_guard(p, d, planned_actions([])).result == GuardResult(
        "last_admin", True, "1 active admin(s) after the plan")
    v = last_admin_guard(p, d, planned_actions([set_type("root", "Admin", "Viewer")]))
    assert v.result == GuardResult("last_admin", False, "no active admin would remain after the plan")
    assert yaml.safe_load(v.item.resolution) == {"account_types": {"overrides": {"someone@example.com": "Admin"}}}
    # an upgrade to admin counts (spelled otherwise too), an archived member's or a leaver's does not
    upgraded = [set_type("root", "Admin", "Viewer"), set_type("m1", "View", "ADMIN", "upgrade"),
                set_type("m3", "View", "Admin", "upgrade"), set_type("m2", "View", "Admin", "upgrade"), deactivate("m2")]
    assert last_admin_guard(p, d, planned_actions(upgraded)).result == GuardResult(
        "last_admin", True, "1 active admin(s) after the plan")


def test_document_owner_must_be_an_active_internal_member_the_plan_keeps():
    p, d = directory()
    assert document_owner_guard(p, d, planned_actions([])).result.detail == "no documents change owner"
    assert document_owner_guard(p, d, planned_actions([deactivate("m1")])).result == GuardResult(
        "document_owner", True, "documents go to root@example.com, who stays active")
    v = document_owner_guard(p, d, planned_actions([deactivate("m1", "m2"), deactivate("m2", None),
                                                    deactivate("root", "m3")]))
    assert v.result.detail == (
        "document owner: no document owner is named (organization.document_owner) or it is not in the export; "
        "cy@example.com is a guest; m3 is not an active member")  # by owner memberId
    w = document_owner_guard(p, d, planned_actions([deactivate("m2", "m1"), deactivate("m1")]))
    assert w.result.detail == "document owner: bea@example.com is deactivated by this plan (members.deactivate:m1)"


def scim_deactivate(mid: str):
    return make_action(ActionKind.SCIM_DEACTIVATE_USER, mid,
                       target=ScimUserRef(member_id=mid, email=f"{mid}@x", user_name=f"{mid}@x", scim_id=mid),
                       before=ActiveState(active=True), after=ActiveState(active=False), rule="unmatched.action",
                       reason="deactivate", evidence=ScimDeactivateEvidence(
                           rest_action=f"members.deactivate:{mid}", new_owner_email="root@example.com",
                           document_owner_from="organization.scim_setup_admin"))


def test_a_scim_deactivation_hands_documents_to_the_provisioning_admin_who_must_stay():
    # tester8 finding 3: Sigma gives them to the provisioning admin (docs/sigma-api.md §5.3); was "no documents
    # change owner"
    p, d = directory()
    assert document_owner_guard(p, d, planned_actions([scim_deactivate("m1")])).result == GuardResult(
        "document_owner", True, "documents go to root@example.com, who stays active")
    v = document_owner_guard(p, d, planned_actions([scim_deactivate("m1"), deactivate("root", "m1")]))
    assert v.result.detail == (
        "document owner: bea@example.com is deactivated by this plan (scim.deactivate_user:m1); "
        "root@example.com is deactivated by this plan (members.deactivate:root)")
    p, d = directory("organization: {scim_setup_admin: nobody@example.com}")
    v = document_owner_guard(p, d, planned_actions([scim_deactivate("m1")]))
    assert v.result.detail == ("document owner: no document owner is named (organization.scim_setup_admin) "
                               "or it is not in the export")
    assert yaml.safe_load(v.item.resolution) == {"organization": {"scim_setup_admin": "someone@example.com"}}


def test_a_threshold_counts_against_its_base_and_raises_the_limit_in_its_resolution():
    p, d = directory()  # 3 active people: root, m1, m2
    limit = policy("guards:\n  thresholds:\n    deactivations: {count: 0, percent: 10}\n").guards.thresholds
    v = threshold_guard("deactivations", limit.deactivations, 3, d, planned_actions([deactivate("m1")]))
    assert v.result == GuardResult("threshold.deactivations", False, (
        "deactivations: 1 of 3 active Sigma people (33.3%) is more than 0 and more than 10% "
        "(guards.thresholds.deactivations)"))
    assert yaml.safe_load(v.item.resolution) == {"guards": {"thresholds": {"deactivations": {"count": 1,
                                                                                           "percent": 33.4}}}}
    off = threshold_guard("downgrades", None, 3, d, planned_actions([set_type("m1", "Pro", "Viewer")]))
    assert off.result == GuardResult("threshold.downgrades", True, "downgrades: 1 of 3 active Sigma people (33.3%); "
                                                                   "no limit")


def test_a_share_just_over_its_percent_limit_is_said_with_the_decimals_that_show_it():
    """tester12 finding 7a: '10 of 140 (7.1%) is more than 7.1%'; the share gets more decimals while its rounded
    figure would read as the limit it differs from."""
    p, d = directory()  # 3 active people: 1 deactivation is 33.333...%
    limit = policy("guards:\n  thresholds:\n    deactivations: {percent: 33.3}\n").guards.thresholds
    v = threshold_guard("deactivations", limit.deactivations, 3, d, planned_actions([deactivate("m1")]))
    assert v.result.detail == ("deactivations: 1 of 3 active Sigma people (33.33%) is more than 33.3% "
                               "(guards.thresholds.deactivations)")
    limit = policy("guards:\n  thresholds:\n    deactivations: {percent: 33.34}\n").guards.thresholds
    v = threshold_guard("deactivations", limit.deactivations, 3, d, planned_actions([deactivate("m1")]))
    assert v.result == GuardResult("threshold.deactivations", True,
                                   "deactivations: 1 of 3 active Sigma people (33.3%) within 33.34%")


def test_the_idp_export_guard_catches_a_small_or_filtered_export():
    p, d = directory("guards:\n  max_shrink_percent: 50\n")  # root's IdP user only: 1 of 3
    v = idp_export_guard(p, d, 3)
    assert v.result == GuardResult("idp_export", False, (
        "the IdP export has 1 active in-scope user(s) for 3 active Sigma people, 66.7% fewer "
        "(guards.max_shrink_percent 50): is it filtered?"))
    p, d = directory("guards:\n  min_idp_users: 3\n", users=[user("u1", "bea@example.com")])
    assert idp_export_guard(p, d, 3).result.detail == ("the IdP export has 2 active in-scope user(s), fewer than "
                                                    "guards.min_idp_users 3: is it the right file?")
