"""planner.directory: the typed lookups every family reads, on small literal snapshots."""

from __future__ import annotations

import dataclasses

import msgspec
import pytest

from .plan_factory import group, member, policy, snapshot, team, user
from planner.directory import Group, GroupCycle, IdpEmail, Link, Person, PersonStatus, build_directory
from planner.model import Email, IdpUser


def directory_of(members=(), users=(), groups=(), extra: str = "", **kw):
    return build_directory(snapshot(members, users, groups, with_root=False, **kw), policy(extra))


def test_members_by_id_and_email_key_keep_the_export_order_and_leave_the_robot_out():
    d = directory_of([member("m2", " Bea@Example.com "), member("m1", "al@example.com"),
                      member("m3", "bea@example.com", archived=True)])
    assert list(d.members) == ["m2", "m1", "m3"]
    assert d.member_ids_by_email_key == {"bea@example.com": ("m2", "m3"), "al@example.com": ("m1",)}
    assert d.find_member_id("AL@example.com") == "m1"
    assert d.find_member_id("bea@example.com") is None  # two members: not a unique match
    assert d.find_member_id("m3") == "m3"


def test_account_types_take_the_organizations_spelling():
    d = directory_of([member("m1", "a@x.example", member_type="creator"), member("m2", "b@x.example",
                                                                                member_type="Lite")],
                     account_types=["Creator", "Viewer"])
    assert d.member_account_types == {"m1": "Creator", "m2": "Lite"}
    assert d.account_type_names == ("Creator", "Viewer")
    assert d.account_type_spelling("VIEWER") == "Viewer"


def test_idp_emails_each_key_once_with_their_position():
    u = IdpUser(id="u1", user_name="ann@x.example", user_name_key="ann@x.example",
                emails=(Email("Ann@X.example", "ann@x.example", primary=True), Email("ann@x.example", "ann@x.example"),
                        Email("a@old.example", "a@old.example"), Email(" ", "")))
    d = directory_of(users=[u])
    assert d.idp_emails == {"u1": (IdpEmail("Ann@X.example", "ann@x.example", 0),
                                   IdpEmail("a@old.example", "a@old.example", 2))}


def test_scim_user_name_is_the_primary_email_under_primary_email_or_a_use_primary_email_override():
    users = [user("u1", "U1@corp.example", emails=["ann@x.example"]), user("u2", "u2@corp.example",
                                                                          emails=["bob@x.example"])]
    plain = directory_of(users=users)
    assert plain.scim_user_names == {"u1": "U1@corp.example", "u2": "u2@corp.example"}
    assert plain.scim_user_name_keys == {"u1": "u1@corp.example", "u2": "u2@corp.example"}
    stored = {"u1@corp.example": ("u1",), "u2@corp.example": ("u2",)}
    assert plain.idp_ids_by_scim_user_name_key == plain.idp_ids_by_user_name_key == stored
    one = directory_of(users=users, extra="user_name_guard:\n  overrides:\n    u2@corp.example: use_primary_email\n")
    assert one.scim_user_names == {"u1": "U1@corp.example", "u2": "bob@x.example"}
    assert one.idp_ids_by_scim_user_name_key == {"u1@corp.example": ("u1",), "bob@x.example": ("u2",)}
    assert one.idp_ids_by_user_name_key == stored
    assert one.idp_ids_by_address_key == {"u1@corp.example": ("u1",), "bob@x.example": ("u2",), "ann@x.example": ("u1",)}
    assert one.find_idp_id("bob@x.example") == "u2"  # by the userName the app sends
    assert one.find_idp_id("U2@corp.example") == "u2"  # by the userName the IdP stores
    every = directory_of(users=users, extra="linking:\n  scim_user_name: primary_email\n")
    assert every.scim_user_names == {"u1": "ann@x.example", "u2": "bob@x.example"}
    assert every.idp_ids_by_scim_user_name_key == {"ann@x.example": ("u1",), "bob@x.example": ("u2",)}
    assert every.idp_ids_by_user_name_key == stored


def test_active_and_in_scope_users():
    users = [user("u1", "a@x.example"), user("u2", "b@x.example", active=None, status="SUSPENDED"),
             user("u3", "c@x.example"), user("u4", "d@x.example", active=None, status="ACTIVE")]
    groups = [group("g1", "Sigma-Users", users=["u1", "u2"]), group("g2", "Other", users=["u3"])]
    d = directory_of(users=users, groups=groups, extra="scope:\n  groups: [Sigma-Users]\n")
    assert d.active_idp_ids == frozenset({"u1", "u3", "u4"})
    assert d.in_scope_idp_ids == frozenset({"u1"})
    assert directory_of(users=users, groups=groups).in_scope_idp_ids == frozenset({"u1", "u3", "u4"})


NESTED = [group("g1", "All", users=["u1"], groups=["g2"]), group("g2", "Finance", users=["u2", "u9"], groups=["g3"]),
          group("g3", "Temps", users=["u3", "u1"], groups=["g2"])]
NESTED_USERS = [user("u1", "a@x.example"), user("u2", "b@x.example"), user("u3", "c@x.example")]


def test_groups_flattened_each_member_once_cycle_walked_once_unknown_ids_left_out():
    d = directory_of(users=NESTED_USERS, groups=NESTED)
    assert d.groups["g1"] == Group("g1", "All", ("u1", "u2", "u3"), ("g2",), {})
    assert d.groups["g2"].member_ids == ("u2", "u3", "u1")
    assert d.groups["g3"].member_ids == ("u3", "u1", "u2")
    assert d.group_cycles == (GroupCycle(("g2", "g3"), ("Finance", "Temps")),)


def test_nested_only_members_named_with_their_nesting_path_when_not_flattening():
    d = directory_of(users=NESTED_USERS, groups=NESTED, extra="teams:\n  flatten_nested: false\n")
    assert d.groups["g1"].member_ids == ("u1",)
    assert d.groups["g1"].nested_only == {"u2": ("Finance",), "u3": ("Finance", "Temps")}
    assert d.groups["g3"].nested_only == {"u2": ("Finance",)}


def test_a_group_listed_twice_is_one_group():
    d = directory_of(users=NESTED_USERS, groups=[group("g1", "A", users=["u1"]), group("g1", "A", users=["u2", "u1"])])
    assert d.groups["g1"].member_ids == ("u1", "u2")


def test_team_memberships_once_each_and_by_team():
    snap = snapshot([member("m1", "a@x.example"), member("m2", "b@x.example")], teams=[team("t1", "T")],
                    memberships={"t1": ["m1", "m2", "m1"]}, with_root=False)
    d = build_directory(snap, policy())
    assert [(t.team_id, t.member_id) for t in d.team_memberships] == [("t1", "m1"), ("t1", "m2")]
    assert [t.member_id for t in d.team_members["t1"]] == ["m1", "m2"]
    assert list(d.teams) == ["t1"]


def test_protected_members_by_policy_key():
    d = directory_of([member("m1", "root@example.com")])
    assert d.protected_members(policy()) == {"m1": "organization.scim_setup_admin"}


def test_person_is_frozen_and_slotted():
    p = Person("m:m1", member("m1", "a@x.example"), user("u1", "a@x.example"),
               Link("user_name", "email", "a@x.example", "userName", "a@x.example"), PersonStatus.LINK,
               user_name="a@x.example", user_name_key="a@x.example")
    assert (p.member_id, p.idp_id, p.status.value) == ("m1", "u1", "link")
    with pytest.raises(AttributeError):
        p.status = PersonStatus.HELD  # type: ignore[misc]
    assert not hasattr(p, "__dict__")
    held = msgspec.structs.replace(p, status=PersonStatus.HELD)
    assert (held.status, p.status) == (PersonStatus.HELD, PersonStatus.LINK)


def test_entra_keeps_its_nested_only_members_even_when_flattening():
    """Entra ID pushes direct members only, so the teams rule needs who is only nested in an Entra group
    whatever teams.flatten_nested says; the members stay flattened (account types and scope read them)."""
    snap = snapshot((), NESTED_USERS, NESTED, with_root=False)
    entra = dataclasses.replace(snap, idp=dataclasses.replace(snap.idp, format="entra-graph"))
    d = build_directory(entra, policy(""))
    assert d.groups["g1"].member_ids == ("u1", "u2", "u3")
    assert d.groups["g1"].nested_only == {"u2": ("Finance",), "u3": ("Finance", "Temps")}
    assert directory_of(users=NESTED_USERS, groups=NESTED).groups["g1"].nested_only == {}  # not Entra: none


def test_indexes_keep_every_value_of_a_key_in_export_order():
    # one value, two, three: each key's tuple in the export's order, whatever the count
    d = directory_of([member("m1", "x@example.com"), member("m2", "y@example.com"), member("m3", "X@example.com"),
                      member("m4", "z@example.com"), member("m5", " x@example.com"), member("m6", "Y@example.com")])
    assert d.member_ids_by_email_key == {"x@example.com": ("m1", "m3", "m5"), "y@example.com": ("m2", "m6"),
                                         "z@example.com": ("m4",)}
    assert list(d.member_ids_by_email_key) == ["x@example.com", "y@example.com", "z@example.com"]


def test_outside_members_of_nested_groups_count_when_flattening():
    """Tester finding 2: a Google group's members of another domain (IdpGroup.outside_members) are the group's,
    and those of the groups nested in it when members are flattened; each once."""
    groups = [msgspec.structs.replace(g, outside_members=("pat@partner.example",)) if g.id == "g3" else g
              for g in NESTED]
    groups[0] = msgspec.structs.replace(groups[0], outside_members=("Pat@Partner.example", "lee@other.example"))
    d = directory_of(users=NESTED_USERS, groups=groups)
    assert d.groups["g1"].outside_members == ("Pat@Partner.example", "lee@other.example", "pat@partner.example")
    assert d.groups["g2"].outside_members == d.groups["g3"].outside_members == ("pat@partner.example",)
    d = directory_of(users=NESTED_USERS, groups=groups, extra="teams:\n  flatten_nested: false\n")
    assert d.groups["g1"].outside_members == ("Pat@Partner.example", "lee@other.example")
    assert d.groups["g2"].outside_members == ()


def test_group_ids_matching_an_exact_name_a_pattern_or_nothing_in_export_order():
    # an exact displayName is an index lookup (case-sensitive, every group of the name); re: reads every group
    d = directory_of(groups=[group("g3", "Sales"), group("g1", "Sales EMEA"), group("g2", "Sales"),
                             group("g4", "sales")])
    assert d.group_ids_matching("Sales") == ("g3", "g2")
    assert d.group_ids_matching("sales") == ("g4",)
    assert d.group_ids_matching("re:Sales.*") == ("g3", "g1", "g2")
    assert d.group_ids_matching("re:Sales") == ("g3", "g2")
    assert d.group_ids_matching("Finance") == ()
