"""Unmatched Sigma members: keep, deactivate with a document owner, or review; exclusions; decisions."""

from __future__ import annotations

import yaml
from msgspec import to_builtins as wire

from .plan_factory import by_id, kinds, member, plan, review_codes, snapshot, user

LEAVER = member("m1", "wendy@example.com", "Wendy", "Park", member_type="Analyze")
ROOT_LINK = ("scim.link_user", "scim.link_user:root")


def test_keep_does_nothing():
    p = plan(snapshot([LEAVER], []), "unmatched:\n  action: keep\n")
    assert kinds(p) == [ROOT_LINK]
    assert wire(p.summary)["people"]["unmatched_kept"] == 1
    (row,) = [r for r in p.people if r.member_id == "m1"]
    assert (row.sigma_status, row.idp_id, row.account_type_after) == ("active", None, "Analyze")


def test_deactivate_archives_with_documents_to_the_owner():
    p = plan(snapshot([LEAVER], []), "unmatched:\n  action: deactivate\n")
    action = by_id(p)["members.deactivate:m1"]
    assert wire(action.target) == {"memberId": "m1", "email": "wendy@example.com"}
    assert wire(action.before) == {"isArchived": False, "memberType": "Analyze"}
    assert wire(action.after) == {"isArchived": True, "newOwnerId": "root"}
    assert action.rule == "unmatched.action"
    assert action.reason == "deactivate: no IdP user matches this member; documents go to root@example.com"
    assert wire(action.evidence)["kind"] == "unmatched"
    (row,) = [r for r in p.people if r.member_id == "m1"]
    assert row.account_type_after is None


def test_review_is_blocking_with_the_decision_snippet():
    p = plan(snapshot([LEAVER], []), "unmatched:\n  action: review\n")
    assert kinds(p) == [ROOT_LINK]
    (item,) = p.review_items
    assert (item.code, item.blocking) == ("unmatched.review", True)
    assert yaml.safe_load(item.resolution) == {"unmatched": {"decisions": {"wendy@example.com": "deactivate"}}}
    settled = plan(snapshot([LEAVER], []), "unmatched:\n  action: review\n  decisions: {wendy@example.com: keep}\n")
    assert settled.review_items == () and kinds(settled) == [ROOT_LINK]


def test_exclude_patterns_keep_service_accounts():
    svc = member("s1", "svc-etl@example.com")
    p = plan(snapshot([svc, LEAVER], []), "unmatched:\n  action: deactivate\n  exclude_patterns: ['^SVC-']\n")
    assert kinds(p) == [("members.deactivate", "members.deactivate:m1"), ROOT_LINK]


def test_embed_users_are_kept():
    embed = member("e1", "portal@customer.example", user_kind="embed")
    p = plan(snapshot([embed], []), "unmatched:\n  action: deactivate\n")
    assert kinds(p) == [ROOT_LINK]


def test_protected_people_are_never_deactivated():
    admin = member("a1", "priya@example.com", member_type="Admin")
    extra = "organization:\n  scim_setup_admin: priya@example.com\nunmatched:\n  action: deactivate\n"
    p = plan(snapshot([admin], []), extra)
    assert "members.deactivate:a1" not in by_id(p)
    assert wire(p.summary)["people"]["unmatched_kept"] == 1


def test_leavers_follow_idp_inactive():
    snap = snapshot([LEAVER], [user("00u1", "wendy@example.com", active=False, status="DEPROVISIONED")])
    assert kinds(plan(snap, "unmatched:\n  idp_inactive: keep\n")) == [ROOT_LINK]
    p = plan(snap, "unmatched:\n  idp_inactive: deactivate\n")
    action = by_id(p)["members.deactivate:m1"]
    assert action.rule == "unmatched.idp_inactive"
    assert wire(action.evidence) == {"kind": "leaver", "newOwnerEmail": "root@example.com",
                               "documentOwnerFrom": "organization.document_owner",
                               "idpId": "00u1", "idpStatus": "DEPROVISIONED"}
    assert review_codes(plan(snap, "unmatched:\n  idp_inactive: review\n")) == [("unmatched.review", True)]


def test_decisions_by_member_id_and_document_owner_of_the_section():
    owner = member("o1", "owner@example.com")
    snap = snapshot([LEAVER, owner], [user("u1", "owner@example.com")])
    p = plan(snap, "unmatched:\n  action: keep\n  decisions: {m1: deactivate}\n  document_owner: owner@example.com\n")
    action = by_id(p)["members.deactivate:m1"]
    assert wire(action.after) == {"isArchived": True, "newOwnerId": "o1"}
    assert action.rule == "unmatched.decisions"
    # the owner's own link runs before the hand-over
    assert action.depends_on == ("scim.link_user:o1",)


def test_deactivation_waits_for_the_members_team_removals():
    from .plan_factory import group, team

    snap = snapshot([LEAVER], [], groups=[group("gF", "Finance", ["u-root"])], teams=[team("tF", "Finance")],
                    memberships={"tF": ["m1", "root"]})
    p = plan(snap, "unmatched:\n  action: deactivate\n")
    assert by_id(p)["members.deactivate:m1"].depends_on == ("scim.link_user:root", "teams.remove_member:tF:m1")
    order = [a.id for a in p.actions]
    assert order.index("teams.remove_member:tF:m1") < order.index("members.deactivate:m1")


def test_a_decision_to_deactivate_a_protected_person_is_never_planned():
    # root is the SCIM-setup admin and API credential owner; the IdP has no user for them
    snap = snapshot([member("root", "root@example.com", member_type="Admin"), member("a", "a@example.com")],
                    [user("ua", "a@example.com")], with_root=False)
    p = plan(snap, "unmatched:\n  decisions: {root@example.com: deactivate}\n")
    assert [a.id for a in p.actions] == ["scim.link_user:a"]  # no members.deactivate:root
    assert [(r.id, r.blocking, r.rule) for r in p.review_items] == [
        ("guards.api_credential_owner:root", True, "guards.api_credential_owner"),
        ("guards.scim_setup_admin:root", True, "guards.scim_setup_admin"),
        ("unmatched.protected_member:root", True, "unmatched.decisions")]
    item = p.review_items[2]
    assert item.message == (
        "root@example.com is organization.scim_setup_admin (the SCIM token belongs to them): unmatched.decisions "
        "says deactivate, which the plan never does; keep them, or name someone else in "
        "organization.scim_setup_admin once you set SCIM up again as them (a new token; Sigma support removes the "
        "old one: docs/sigma-api.md §5.1)")
    assert yaml.safe_load(item.resolution) == {"unmatched": {"decisions": {"root@example.com": "keep"}}}
    # kept, but with no IdP identity they cannot sign in once SCIM is on: the owner guards fail, as
    # the owner status says (the guards passed here while the owner status said locked out)
    assert [g["ok"] for g in wire(p.summary)["guards"] if g["name"] in ("scim_setup_admin", "api_credential_owner")] == [
        False, False]
    assert [(o.role, o.ok) for o in p.outcomes.owners] == [("scim_setup_admin", False), ("api_credential_owner", False)]


def test_a_member_whose_email_cannot_be_read_is_held_never_deactivated():
    """A Sigma member with an invalid email was only a warning, then read as matched by no IdP user and
    deactivated. Now one blocking linking.invalid_sigma_email item names record and value, and the member
    gets no action (unmatched.action: deactivate notwithstanding)."""
    from msgspec.structs import replace

    from planner.model import SourceRef

    bad = replace(member("m2", "wendy@@example..com", "Wendy", "Park"), source=SourceRef("members.json", "$[1]"))
    p = plan(snapshot([LEAVER, bad], []), "unmatched:\n  action: deactivate\n")
    assert kinds(p) == [("members.deactivate", "members.deactivate:m1"), ROOT_LINK]
    assert review_codes(p) == [("linking.invalid_sigma_email", True)]
    (item,) = p.review_items
    assert item.id == "linking.invalid_sigma_email:m2"
    assert item.message == (
        "member m2 (members.json:$[1]) has email 'wendy@@example..com', which is no valid address: no IdP user "
        "can match it, so the plan cannot tell whether the person has one; held (never deactivated or linked on it)")
    assert item.resolution.endswith("correct the email of member m2 in Sigma (PATCH /v2/members/{memberId}), "
                                    "export and plan again\n")
    (row,) = [r for r in p.people if r.member_id == "m2"]
    assert (row.actions, row.review_items) == ((), ("linking.invalid_sigma_email:m2",))
