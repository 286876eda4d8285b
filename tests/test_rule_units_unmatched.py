"""planner.rules.unmatched, rule by rule: one Person, the settings read from the policy, a small directory."""

from __future__ import annotations

import yaml

from .plan_factory import ROOT, member, policy, snapshot, user
from planner.directory import Person, PersonStatus, build_directory
from planner.model import ItemEvidence
from planner.payloads import UNSET, ArchiveAfter, DeactivateBefore, DeactivateEvidence, MemberRef
from planner.rules.guests import DocumentOwner
from planner.rules.unmatched import choose, decide_member, document_owner, settings

ANA = member("m1", "ana@example.com", "Ana", "Ruiz")
BOT = member("m2", "svc-etl@example.com")
EMBED = member("m3", "embed@example.com", user_kind="embed")
OWNER = member("m9", "owner@example.com")
LEFT = user("u1", "ana@example.com", active=False, status="DEPROVISIONED")
MEMBERS = [ANA, BOT, EMBED, OWNER]


def config(extra: str = ""):
    p = policy(extra)
    return settings(p, build_directory(snapshot(MEMBERS, [LEFT]), p))


def person(m, status=PersonStatus.UNMATCHED, idp_user=None) -> Person:
    return Person(f"m:{m.member_id}", m, idp_user, None, status)


def test_the_section_owner_wins_over_the_organization_owner():
    p = policy("unmatched:\n  document_owner: owner@example.com\n")
    d = build_directory(snapshot(MEMBERS), p)
    assert document_owner(p, d, p.unmatched.document_owner, ("unmatched", "document_owner")) == DocumentOwner(
        "m9", "owner@example.com", "unmatched.document_owner")
    assert document_owner(p, d, None, ("unmatched", "document_owner")) == DocumentOwner(
        "root", "root@example.com", "organization.document_owner")


def test_an_unmatched_member_follows_unmatched_action():
    assert choose(person(ANA), config("unmatched:\n  action: review\n")) == (
        "review", "unmatched.action", "no IdP user matches this member; unmatched.action is review")


def test_a_leaver_follows_idp_inactive_and_is_deactivated_with_the_documents_handed_over():
    d = decide_member(person(ANA, PersonStatus.LEAVER, LEFT), config("unmatched:\n  idp_inactive: deactivate\n"))
    why = "IdP user u1 (ana@example.com) is DEPROVISIONED (deactivated)"
    assert (d.member_id, d.kind, d.decision, d.rule, d.reason, d.review_item) == (
        "m1", PersonStatus.LEAVER, "deactivate", "unmatched.idp_inactive",
        f"{why}; unmatched.idp_inactive is deactivate", None)
    a = d.action
    assert (a.id, a.rule, a.reason) == ("members.deactivate:m1", "unmatched.idp_inactive",
                                        f"deactivate: {why}; documents go to root@example.com")
    assert (a.target, a.before, a.after) == (MemberRef(member_id="m1", email="ana@example.com"),
                                             DeactivateBefore(is_archived=False, member_type="View"),
                                             ArchiveAfter(is_archived=True, new_owner_id="root"))
    assert a.evidence == DeactivateEvidence(kind="leaver", new_owner_email="root@example.com",
                                            document_owner_from="organization.document_owner", idp_id="u1",
                                            idp_status="DEPROVISIONED")


def test_an_out_of_scope_member_says_so():
    in_use = user("u1", "ana@example.com")
    assert choose(person(ANA, PersonStatus.NOT_IN_SCOPE, in_use), config()) == (
        "keep", "unmatched.action", "IdP user u1 (ana@example.com) is outside scope.groups; unmatched.action is keep")


def test_a_per_member_decision_wins_over_the_kind_policy():
    c = config("unmatched:\n  action: review\n  decisions:\n    ana@example.com: deactivate\n")
    d = decide_member(person(ANA), c)
    assert (d.decision, d.rule, d.reason) == ("deactivate", "unmatched.decisions",
                                              "no IdP user matches this member; unmatched.decisions says deactivate")
    assert d.action.evidence == DeactivateEvidence(kind="unmatched", new_owner_email="root@example.com",
                                                   document_owner_from="organization.document_owner",
                                                   idp_id=UNSET, idp_status=UNSET)


def test_a_duplicate_to_deactivate_is_deactivated_but_unmatched_decisions_win():
    assert choose(person(ANA), config("linking:\n  duplicates:\n    m1: deactivate\n"))[:2] == (
        "deactivate", "linking.duplicates")
    both = "linking:\n  duplicates:\n    m1: deactivate\nunmatched:\n  decisions:\n    m1: keep\n"
    assert choose(person(ANA), config(both))[:2] == ("keep", "unmatched.decisions")


def test_exclude_patterns_and_embed_users_are_kept():
    c = config("unmatched:\n  action: deactivate\n  exclude_patterns: ['^svc-']\n")
    assert choose(person(BOT), c) == ("keep", "unmatched.exclude_patterns",
                                      "no IdP user matches this member; kept: email matches exclude pattern '^svc-'")
    assert choose(person(EMBED), c) == ("keep", "unmatched.embed", "no IdP user matches this member; kept: embed "
                                                                   "users are not provisioned through the IdP")


def test_a_protected_person_is_kept_and_a_decision_to_deactivate_them_is_a_blocking_item():
    c = config("unmatched:\n  action: deactivate\n  decisions:\n    root@example.com: deactivate\n")
    d = decide_member(person(ROOT), c)
    assert (d.decision, d.rule, d.action) == ("keep", "guards.protected_members", None)
    assert d.reason == "no IdP user matches this member; kept: protected as organization.scim_setup_admin"
    item = d.review_item
    assert (item.id, item.blocking, item.rule) == ("unmatched.protected_member:root", True, "unmatched.decisions")
    assert item.message == (
        "root@example.com is organization.scim_setup_admin (the SCIM token belongs to them): unmatched.decisions "
        "says deactivate, which the plan never does; keep them, or name someone else in "
        "organization.scim_setup_admin once you set SCIM up again as them (a new token; Sigma support removes the "
        "old one: docs/sigma-api.md §5.1)")
    assert yaml.safe_load(item.resolution) == {"unmatched": {"decisions": {"root@example.com": "keep"}}}
    quiet = decide_member(person(ROOT), config("unmatched:\n  action: deactivate\n"))
    assert (quiet.decision, quiet.rule, quiet.review_item) == ("keep", "guards.protected_members", None)


def test_review_gives_a_blocking_item_settled_by_a_decision():
    d = decide_member(person(ANA), config("unmatched:\n  action: review\n"))
    item = d.review_item
    assert (d.action, item.id, item.blocking, item.rule) == (None, "unmatched.review:m1", True, "unmatched.action")
    assert item.subject.fields() == {"memberId": "m1", "email": "ana@example.com"}
    assert item.evidence == ItemEvidence(kind="unmatched", member_type="View", user_kind="internal")
    assert yaml.safe_load(item.resolution) == {"unmatched": {"decisions": {"ana@example.com": "deactivate"}}}
