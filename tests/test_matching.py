"""The identity graph: match keys in order, first unique hit wins, ambiguity as components."""

from __future__ import annotations

import pandas as pd

from .plan_factory import member, policy, snapshot, user
from planner.directory import Link, LinkedPair, build_directory
from planner.matching import alias_domains, fold_plus, match_identities
from planner.rules.linking import resolve_overrides


def graph_of(members, users, extra: str = "", groups=()):
    p = policy(extra)
    directory = build_directory(snapshot(members, users, groups, with_root=False), p)
    pinned, never, _ = resolve_overrides(p, directory)
    return match_identities(directory, p.linking, pinned, never)


def links_of(graph) -> list[tuple[str, str, str]]:
    return sorted((p.member_id, p.idp_id, p.link.link_key) for p in graph.links)


def test_alias_domains_rewrites_only_listed_domains():
    keys = pd.Series(["a@old.example", "b@new.example", "c@sub.old.example", "no-at-sign"])
    assert alias_domains(keys, {"old.example": "new.example"}).tolist() == [
        "a@new.example", "b@new.example", "c@sub.old.example", "no-at-sign"
    ]


def test_fold_plus_drops_the_tag_only():
    keys = pd.Series(["dana+bi@example.com", "dana@example.com", "a+b+c@x.example", "plus@x+y.example"])
    assert fold_plus(keys).tolist() == ["dana@example.com", "dana@example.com", "a@x.example", "plus@x+y.example"]


def test_email_case_insensitive_link():
    g = graph_of([member("m1", "alice.smith@example.com")], [user("00u1", "Alice.Smith@Example.COM")])
    assert links_of(g) == [("m1", "00u1", "email")]
    assert g.links[0].link.key == "user_name"
    assert g.links[0].link.idp_value == "Alice.Smith@Example.COM"
    assert g.ambiguous == ()


def test_other_email_of_the_idp_user():
    g = graph_of(
        [member("m1", "nina.patel@example.com")],
        [user("00u1", "npatel@example.com", emails=["nina.patel@example.com"])],
    )
    assert links_of(g) == [("m1", "00u1", "other_email")]
    assert g.links[0].link.idp_field == "emails[0]"


def test_domain_alias_only_when_configured():
    members = [member("m10", "bob.jones@oldcorp.example")]
    users = [user("00u10", "bob.jones@example.com")]
    assert links_of(graph_of(members, users)) == []
    g = graph_of(members, users, "linking:\n  domain_aliases: {oldcorp.example: example.com}\n")
    assert links_of(g) == [("m10", "00u10", "domain_alias")]
    assert g.links[0].link.idp_field == "userName"


def test_plus_folding_only_when_enabled():
    members = [member("m20", "dana+bi@example.com")]
    users = [user("00u20", "dana@example.com")]
    assert links_of(graph_of(members, users)) == []
    g = graph_of(members, users, "linking:\n  plus_address_folding: true\n")
    assert links_of(g) == [("m20", "00u20", "plus_fold")]


def test_plus_variant_never_steals_an_exact_link():
    # m21 links by user_name first; with folding on, m20 would join the already-linked user: not linked
    members = [member("m20", "dana+bi@example.com"), member("m21", "dana@example.com")]
    users = [user("00u20", "dana@example.com")]
    for extra in ("", "linking:\n  plus_address_folding: true\n"):
        g = graph_of(members, users, extra)
        assert links_of(g) == [("m21", "00u20", "email")]
        assert g.ambiguous == ()


def test_attribute_pair():
    members = [member("m1", "sarah.oconnor@example.com", employeeId="E100")]
    users = [user("00u1", "sarah.kim@example.com", employeeNumber=" e100 ")]
    extra = "linking:\n  match_keys: [user_name, {attribute: {idp: employeeNumber, sigma: employeeId}}]\n"
    g = graph_of(members, users, extra)
    assert links_of(g) == [("m1", "00u1", "attribute")]
    assert g.links[0].link.key == "attribute:employeeNumber=employeeId"


def test_attribute_pair_against_member_id():
    members = [member("m1", "sarah.oconnor@example.com")]
    users = [user("00u1", "sarah.kim@example.com", sigmaMemberId="m1")]
    extra = "linking:\n  match_keys: [user_name, {attribute: {idp: sigmaMemberId, sigma: memberId}}]\n"
    assert links_of(graph_of(members, users, extra)) == [("m1", "00u1", "attribute")]


def test_first_key_in_order_wins():
    # u2's second email is m1's address, but u1 has it as userName: user_name comes first
    members = [member("m1", "a@example.com"), member("m2", "b@example.com")]
    users = [user("u1", "a@example.com"), user("u2", "b@example.com", emails=["b@example.com", "a@example.com"])]
    assert links_of(graph_of(members, users)) == [("m1", "u1", "email"), ("m2", "u2", "email")]


def test_order_of_match_keys_is_the_policy_order():
    members = [member("m1", "a@example.com", employeeId="7")]
    users = [user("u1", "a@example.com"), user("u2", "other@example.com", employeeNumber="7")]
    attribute_first = "linking:\n  match_keys: [{attribute: {idp: employeeNumber, sigma: employeeId}}, user_name]\n"
    assert links_of(graph_of(members, users, attribute_first)) == [("m1", "u2", "attribute")]


def test_two_members_one_address_is_one_ambiguous_component():
    members = [member("m1", "bob.ray@example.com"), member("m2", "Bob.Ray@example.com")]
    users = [user("u1", "bob.ray@example.com")]
    g = graph_of(members, users)
    assert links_of(g) == []
    assert len(g.ambiguous) == 1
    group = g.ambiguous[0]
    assert (group.key, group.member_ids, group.idp_ids) == ("user_name", ("m1", "m2"), ("u1",))
    assert [e[:3] for e in group.edges] == [("m1", "u1", "user_name"), ("m2", "u1", "user_name")]


def test_ambiguous_people_are_not_linked_by_a_later_key_and_pull_its_candidates_in():
    # u2 matches the held members by a later key: it is one of their candidates, held with them (issue 14 item 13)
    members = [member("m1", "x@example.com"), member("m2", "X@example.com")]
    users = [user("u1", "x@example.com"), user("u2", "y@example.com", emails=["y@example.com", "x@example.com"])]
    g = graph_of(members, users)
    assert links_of(g) == []
    assert [(a.key, a.member_ids, a.idp_ids) for a in g.ambiguous] == [("user_name", ("m1", "m2"), ("u1", "u2"))]
    assert [e[:3] for e in g.ambiguous[0].edges] == [("m1", "u1", "user_name"), ("m1", "u2", "emails"),
                                                     ("m2", "u1", "user_name"), ("m2", "u2", "emails")]


def test_a_later_key_reaching_a_held_idp_user_holds_the_member_too():
    # emails first: m2 is ambiguous between u1 and u2; m1 matches u1 only by userName (issue 14 item 13)
    members = [member("m1", "ann@example.com"), member("m2", "bob@example.com")]
    users = [user("u1", "ann@example.com", emails=["bob@example.com"]),
             user("u2", "bobby@example.com", emails=["bob@example.com"])]
    g = graph_of(members, users, "linking:\n  match_keys: [emails, user_name]\n")
    assert links_of(g) == []
    assert [(a.key, a.member_ids, a.idp_ids) for a in g.ambiguous] == [("emails", ("m1", "m2"), ("u1", "u2"))]
    assert [e[:3] for e in g.ambiguous[0].edges] == [("m1", "u1", "user_name"), ("m2", "u1", "emails"),
                                                     ("m2", "u2", "emails")]


def test_a_later_key_edge_to_a_linked_person_is_a_rival_not_a_link():
    members = [member("m1", "ann@example.com"), member("m2", "ann.b@example.com")]
    users = [user("u1", "ann@example.com"), user("u2", "x@example.com", emails=["x@example.com", "ann@example.com"])]
    g = graph_of(members, users)
    assert links_of(g) == [("m1", "u1", "email")]
    assert g.ambiguous == ()
    assert g.rivals == (LinkedPair("m1", "u2", Link("emails", "other_email", "ann@example.com", "emails[1]",
                                                    "ann@example.com")),)


def test_chain_component_lists_everyone():
    # u1 - m1 (user_name); u1's other email is m2; u2's other email is m2: one component at `emails`
    members = [member("m1", "p@example.com"), member("m2", "q@example.com")]
    users = [
        user("u1", "r@example.com", emails=["r@example.com", "p@example.com", "q@example.com"]),
        user("u2", "s@example.com", emails=["s@example.com", "q@example.com"]),
    ]
    g = graph_of(members, users)
    assert links_of(g) == []
    assert [(a.key, a.member_ids, a.idp_ids) for a in g.ambiguous] == [("emails", ("m1", "m2"), ("u1", "u2"))]


def test_override_pins_a_link_and_never_excludes():
    members = [member("m1", "bob.ray@example.com"), member("m2", "Bob.Ray@example.com")]
    users = [user("u1", "bob.ray@example.com"), user("u2", "bob2@example.com")]
    extra = "linking:\n  overrides:\n    - {idp: bob.ray@example.com, member: m1}\n    - {idp: u2, member: never}\n"
    g = graph_of(members, users, extra)
    assert links_of(g) == [("m1", "u1", "override")]
    assert g.never == frozenset({"u2"})
    assert g.ambiguous == ()


def test_names_never_link():
    g = graph_of([member("m1", "jordan.lee@example.com", "Jordan", "Lee")],
                 [user("u1", "jordan.lee2@example.com", first="Jordan", last="Lee")])
    assert links_of(g) == []
