"""Entra ID provisions only the direct members of an assigned group: scope.groups and
account_types.group_map see direct members only, and people whose scope or account type nesting
would decide get a scope.nested_only item (docs/formats.md §3e, planner.rules.scope)."""

from __future__ import annotations

from dataclasses import replace

import yaml
from msgspec import to_builtins as wire

from .plan_factory import by_id, group, kinds, member, plan, snapshot, user
from planner.model import ItemEvidence

# Nia is in Sigma-Users (the scope group) only through Contractors nested in it; Omar is a direct
# member of Sigma-Users and of Sigma-View, and of Sigma-Analyze only through Analysts nested in it.
POLICY = ("scope:\n  groups: [Sigma-Users, Sigma-Admins]\n"
          "account_types:\n  group_map: {Sigma-Admins: Admin, Sigma-Analyze: Analyze, Sigma-View: View}\n"
          "  precedence: [Admin, Analyze, View]\n  on_downgrade: allow\n")


def org(idp_format: str):
    snap = snapshot([member("m1", "nia@example.com"), member("m2", "omar@example.com", member_type="View")],
                    [user("u1", "nia@example.com"), user("u2", "omar@example.com")],
                    groups=[group("gU", "Sigma-Users", ["u2"], groups=["gC"]), group("gC", "Contractors", ["u1"]),
                            group("gA", "Sigma-Analyze", [], groups=["gN"]), group("gN", "Analysts", ["u2"]),
                            group("gV", "Sigma-View", ["u2"])])
    return replace(snap, idp=replace(snap.idp, format=idp_format))


def test_entra_scope_and_account_types_see_direct_members_only_with_one_item_per_person():
    p = plan(org("entra-csv"), POLICY)
    assert kinds(p) == [("scim.link_user", "scim.link_user:m2"), ("scim.link_user", "scim.link_user:root")]
    assert wire(by_id(p)["scim.link_user:m2"].after)["userType"] == "View"
    assert [(r.id, r.blocking) for r in p.review_items] == [
        ("account_types.names_unchecked:account_types", True), ("scope.nested_only:u1", True),
        ("scope.nested_only:u2", True)]
    items = {r.id: r for r in p.review_items if r.code == "scope.nested_only"}
    assert sorted(items) == ["scope.nested_only:u1", "scope.nested_only:u2"]
    nia, omar = items["scope.nested_only:u1"], items["scope.nested_only:u2"]
    assert (nia.blocking, nia.rule, nia.subject.fields()) == (True, "scope.nested_only",
                                                     {"idpId": "u1", "userName": "nia@example.com"})
    assert nia.evidence == ItemEvidence(scope_chain=["Sigma-Users", "Contractors"])
    assert nia.message == ("nia@example.com: Entra ID provisions only the direct members of an assigned group; in "
                           "scope.groups only through nested groups (Sigma-Users > Contractors): not provisioned; "
                           "add them to 'Sigma-Users' directly to change that")
    assert omar.evidence == ItemEvidence(account_type_chain=["Sigma-Analyze", "Analysts"], account_type="Analyze",
                                         direct_account_type="View")
    assert omar.message == ("omar@example.com: Entra ID provisions only the direct members of an assigned group; "
                            "account type 'Analyze' only through nested groups (Sigma-Analyze > Analysts): gets "
                            "'View'; add them to 'Sigma-Analyze' directly to change that")
    assert yaml.safe_load(omar.resolution) == {"scope": {"nested_only": "keep"}}
    (nia_row,) = [r for r in p.people if r.member_id == "m1"]
    assert nia_row.idp_id == "u1" and wire(p.summary)["people"]["not_in_scope"] == 1
    settled = plan(org("entra-csv"), POLICY + "scope:\n  groups: [Sigma-Users, Sigma-Admins]\n  nested_only: keep\n")
    assert [(r.id, r.blocking) for r in settled.review_items if r.code == "scope.nested_only"] == [
        ("scope.nested_only:u1", False), ("scope.nested_only:u2", False)]


def test_other_idps_still_count_nested_members_and_raise_nothing():
    p = plan(org("scim"), POLICY)
    assert "scim.link_user:m1" in by_id(p)
    assert wire(by_id(p)["scim.set_account_type:m2"].after)["userType"] == "Analyze"
    assert not [r for r in p.review_items if r.code == "scope.nested_only"]


def test_the_directory_and_the_account_type_settings_read_direct_members_for_entra():
    from planner.directory import build_directory
    from planner.rules.account_types import NestedType, mapped_types, nested_types

    from .plan_factory import policy

    p = policy(POLICY)
    entra = build_directory(org("entra-graph"), p)
    assert (entra.direct_members_only, entra.pushed_member_ids("gU"), entra.groups["gU"].member_ids) == (
        True, ("u2",), ("u2", "u1"))
    assert entra.in_scope_idp_ids == {"u-root", "u2"}
    assert entra.scope_nested_only == {"u1": ("Sigma-Users", "Contractors")}
    mapped = mapped_types(p, entra, {"u2"})
    assert (mapped["u2"].account_type, mapped["u2"].groups) == ("View", ("Sigma-View",))
    assert nested_types(p, entra, mapped, {"u2"}) == {"u2": NestedType("Analyze", "View", ("Sigma-Analyze", "Analysts"))}
    flat = build_directory(org("scim"), p)
    assert (flat.direct_members_only, flat.pushed_member_ids("gU"), flat.scope_nested_only) == (False, ("u2", "u1"), {})
    assert nested_types(p, flat, mapped_types(p, flat, {"u2"}), {"u2"}) == {}
