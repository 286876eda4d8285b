"""The identity graph: match keys in order, first unique hit wins, ambiguity as components."""

from __future__ import annotations

from .plan_factory import member, policy, snapshot, user
from planner.directory import Link, LinkedPair, build_directory
from planner.matching import alias_domain, fold_plus, match_identities
from planner.rules.linking import resolve_overrides


def graph_of(members, users, extra: str = "", groups=()):
    p = policy(extra)
    directory = build_directory(snapshot(members, users, groups, with_root=False), p)
    pinned, never, _ = resolve_overrides(p, directory)
    return match_identities(directory, p.linking, pinned, never)


def links_of(graph) -> list[tuple[str, str, str]]:
    return sorted((p.member_id, p.idp_id, p.link.link_key) for p in graph.links)


def test_alias_domain_rewrites_only_listed_domains():
    keys = ["a@old.example", "b@new.example", "c@sub.old.example", "no-at-sign", "x@y@old.example"]
    assert [alias_domain(k, {"old.example": "new.example"}) for k in keys] == [
        "a@new.example", "b@new.example", "c@sub.old.example", "no-at-sign", "x@y@new.example"
    ]


def test_fold_plus_drops_the_tag_only():
    keys = ["dana+bi@example.com", "dana@example.com", "a+b+c@x.example", "plus@x+y.example"]
    assert [fold_plus(k) for k in keys] == ["dana@example.com", "dana@example.com", "a@x.example", "plus@x+y.example"]


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
    # m21 links by user_name; with folding on, m20 joins the same IdP user too: one IdP user matching two
    # members is a guess (tester2 finding 9, samples/acme/README.md case 5), so neither is linked
    members = [member("m20", "dana+bi@example.com"), member("m21", "dana@example.com")]
    users = [user("00u20", "dana@example.com")]
    g = graph_of(members, users)
    assert links_of(g) == [("m21", "00u20", "email")]
    assert g.ambiguous == ()
    g = graph_of(members, users, "linking:\n  plus_address_folding: true\n")
    assert links_of(g) == []
    assert [(a.key, a.member_ids, a.idp_ids) for a in g.ambiguous] == [("user_name", ("m20", "m21"), ("00u20",))]
    assert g.rivals == ()


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


def edges_of(graph) -> list[tuple[str, str, str, str, str]]:
    return sorted((p.member_id, p.idp_id, p.link.link_key, p.link.idp_field, p.link.idp_value) for p in graph.links)


def test_domain_alias_joins_whichever_side_was_rewritten_each_once():
    # aliases old -> mid -> new are each one step, on both sides: ann@old is ann@mid, u1's ann@mid is ann@new
    members = [member("m1", "ann@old.example"), member("m2", "bob@new.example"), member("m3", "cy@mid.example"),
               member("m4", "dee@mid.example")]
    users = [user("u1", "ann@mid.example"), user("u2", "x@else.example", emails=["x@else.example", "bob@mid.example"]),
             user("u3", "cy@old.example"), user("u4", "dee@new.example")]
    extra = "linking:\n  domain_aliases: {old.example: mid.example, mid.example: new.example}\n"
    g = graph_of(members, users, extra)
    assert edges_of(g) == [("m2", "u2", "domain_alias", "emails[1]", "bob@mid.example"),
                           ("m4", "u4", "domain_alias", "userName", "dee@new.example")]
    assert g.ambiguous == ()


def test_plus_folding_after_the_alias_domain_takes_the_first_field():
    # m1 folds and moves domain; m2 only moves domain (no fold: not a plus_fold edge of its own), and u2's
    # tagged address folds onto it; u1's userName and emails[1] both fold onto m1: the userName counts
    members = [member("m1", "dana+bi@old.example"), member("m2", "eli@old.example")]
    users = [user("u1", "dana+x@new.example", emails=["other@new.example", "dana+y@new.example"]),
             user("u2", "eli+ops@new.example")]
    extra = "linking:\n  domain_aliases: {old.example: new.example}\n  plus_address_folding: true\n"
    g = graph_of(members, users, extra)
    assert edges_of(g) == [("m1", "u1", "plus_fold", "userName", "dana+x@new.example"),
                           ("m2", "u2", "plus_fold", "userName", "eli+ops@new.example")]


def test_plus_folding_needs_a_fold_on_one_side():
    # both sides alias to kim@new.example, none folds: no plus_address_folding edge (though it comes first)
    members = [member("m1", "kim@old.example")]
    users = [user("u1", "kim@new.example")]
    extra = ("linking:\n  match_keys: [user_name, plus_address_folding, domain_aliases]\n"
             "  plus_address_folding: true\n  domain_aliases: {old.example: new.example}\n")
    g = graph_of(members, users, extra)
    assert edges_of(g) == [("m1", "u1", "domain_alias", "userName", "kim@new.example")]


def test_a_never_idp_user_joins_at_no_key():
    members = [member("m1", "ann@old.example"), member("m2", "bob@example.com")]
    users = [user("u1", "ann@new.example"), user("u2", "bob@example.com")]
    extra = ("linking:\n  domain_aliases: {old.example: new.example}\n  overrides:\n    - {idp: u1, member: never}\n"
             "    - {idp: u2, member: never}\n")
    g = graph_of(members, users, extra)
    assert g.links == () and g.ambiguous == () and g.rivals == ()
    assert g.never == frozenset({"u1", "u2"})


def test_plan_imports_no_table_library(tmp_path):
    # matching joins with dicts (issue 10 item 5): `plan` of a sample (small files, read by the csv
    # module) imports neither pandas nor numpy, some 0.26 s of start-up CPU
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    sample = repo / "samples" / "acme"
    script = ("import sys\nfrom planner.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in ('pandas', 'numpy') if m in sys.modules))")
    done = subprocess.run(
        [sys.executable, "-c", script, "plan", "--sigma", str(sample / "sigma"), "--idp", str(sample / "okta"),
         "--policy", str(sample / "policy-okta.yaml"), "--out", str(tmp_path / "plan.json")],
        cwd=repo, check=True, capture_output=True, text=True,
    )
    assert (tmp_path / "plan.json").exists()
    assert done.stdout.splitlines()[-1] == "[]"
