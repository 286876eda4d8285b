"""planner.rules.duplicates, rule by rule: small literal directories, the policy, the exact decision."""

from __future__ import annotations

import yaml

from .plan_factory import member, policy, snapshot, team, user
from planner.directory import Link, Person, PersonStatus, build_directory
from planner.matching import AmbiguousGroup
from planner.model import ItemEvidence
from planner.payloads import EmailState, MemberRef, SetEmailEvidence
from planner.rules.examples import team_counts
from planner.rules.policy_entries import EntryUse
from planner.rules.duplicates import (
    AddressUse, Exclusions, IdpCollision, LinkedHolders, Renames, address_use, ambiguous_by_address,
    ambiguous_matches, choose_aliases, decide_address, explains, idp_collision_item, idp_collisions,
    linked_holders, resolve, resolve_excluded, shared_addresses, taken_addresses,
)

BOB1 = member("m1", "bob@x.example", "Bob", "Ray", member_type="Act", created_at="2023-04-08T15:42:43Z")
BOB2 = member("m2", "Bob@x.example", "Bob", "Ray")
BOB3 = member("m3", "BOB@x.example", archived=True)
ANN = member("m4", "ann@x.example")
BOB_USER = user("u1", "bob@x.example")
KEY = "bob@x.example"
MEMBERS = [BOB1, BOB2, BOB3, ANN]
TEAMS = dict(teams=[team("t1", "Sales"), team("t2", "Ops")], memberships={"t1": ["m1", "m2"], "t2": ["m2", "m4"]})


def directory(members=MEMBERS, users=(BOB_USER,), extra: str = "", **more):
    return build_directory(snapshot(members, list(users), with_root=False, **more), policy(extra))


def linked(member_, idp_user, user_name, guard=None) -> Person:
    link = Link("user_name", "email", member_.email, "userName", idp_user.user_name)
    return Person(f"m:{member_.member_id}", member_, idp_user, link, PersonStatus.LINK, user_name,
                  user_name.lower(), guard)


# --------------------------------------------------------------------------- shared addresses


def test_shared_addresses_are_the_keys_of_two_or_more_members_archived_ones_included():
    assert shared_addresses(directory()) == {KEY: ("m1", "m2", "m3")}
    assert shared_addresses(directory([BOB1, ANN])) == {}


def test_a_shared_address_explains_an_ambiguous_match_of_one_idp_user_to_its_holders():
    d = directory()
    group_ = AmbiguousGroup("user_name", ("m1", "m2"), ("u1",), (("m1", "u1"), ("m2", "u1")))
    assert explains(d, group_) == KEY
    assert explains(d, AmbiguousGroup("user_name", ("m1", "m4"), ("u1",), ())) is None  # two addresses
    assert explains(d, AmbiguousGroup("user_name", ("m1", "m2"), ("u1", "u2"), ())) is None  # two IdP users
    assert explains(d, AmbiguousGroup("user_name", ("m1",), ("u1",), ())) is None
    assert ambiguous_by_address(d, [group_]) == {KEY: (group_,)}


def test_taken_addresses_are_every_member_email_and_idp_user_name_sent_or_stored_and_email():
    users = [user("u1", "Bob@x.example", emails=["bob.ray@x.example", "b@x.example"]),
             user("u2", "cy@x.example", emails=["cy.mail@x.example"])]
    d = directory([BOB1, ANN], users, "linking:\n  scim_user_name: primary_email\n")
    assert taken_addresses(d) == {"bob@x.example", "ann@x.example", "bob.ray@x.example", "b@x.example",
                                  "cy@x.example", "cy.mail@x.example"}


def test_each_alias_avoids_the_addresses_in_use_and_the_aliases_chosen_before():
    members = [member("abcdefgh", "Kim@x.example"), member("abcdefgz", "KIM@x.example"),
               member("m9", "kim@x.example")]
    users = [user("u1", "kim+dup-abcdef@x.example")]
    assert choose_aliases(["abcdefgh", "abcdefgz"], directory(members, users)) == {
        "abcdefgh": "Kim+dup-abcdefg@x.example", "abcdefgz": "KIM+dup-abcdefgz@x.example"}
    assert choose_aliases([], directory(members, users)) == {}


def test_team_counts_of_the_members_asked_for():
    d = directory(**TEAMS)
    assert team_counts(d, {"m1", "m2", "m3"}) == {"m1": 1, "m2": 2}


# --------------------------------------------------------------------------- linking.duplicates


def test_duplicates_entries_are_decided_by_member_and_the_others_reported():
    p = policy("linking:\n  duplicates: {m2: rename, BOB@x.example: deactivate, mNOPE: rename, ann@x.example: rename}\n")
    renames = resolve(p, directory(), shared_addresses(directory()))
    # BOB@x.example names three members: it names nobody
    assert renames.decisions == {"m2": "rename"}
    assert renames.renamed == frozenset({"m2"})
    # (the entries naming nobody are planner.rules.policy_refs' items: tests/test_rule_units_policy_refs.py); the
    # entry naming a member whose address nobody else has settles nothing (planner.rules.policy_entries)
    assert renames.uses == (
        EntryUse("linking.duplicates", "m2", "rename member m2"),
        EntryUse("linking.duplicates", "ann@x.example", "",
                 "member m4 (ann@x.example): no other member has this address, nothing to free"),
    )


# --------------------------------------------------------------------------- who uses an address


def test_linked_holders_are_who_keeps_a_shared_address_and_who_moves_off_theirs():
    people = [linked(BOB1, BOB_USER, "bob@x.example"),
              linked(BOB2, user("u2", "robert@x.example"), "robert@x.example", "update_sigma_email"),
              linked(ANN, user("u4", "ann@x.example"), "ann@x.example")]
    shared = {KEY: ("m1", "m2", "m3")}
    assert linked_holders(people, shared) == LinkedHolders({KEY: (("m1", "u1"),)}, {"m2": "robert@x.example"})
    # a link sending the address of members it is not one of does not keep it
    stranger = linked(ANN, user("u9", "bob@x.example"), "bob@x.example")
    assert linked_holders([stranger], shared) == LinkedHolders({}, {})


def test_address_use_sorts_the_holders_by_what_decides_them():
    holders = ("m1", "m2", "m3", "m5")
    uses = LinkedHolders({KEY: (("m1", "u1"),)}, {"m2": "robert@x.example", "m1": KEY})
    renames = Renames({"m3": "rename", "m1": "deactivate"})
    assert address_use(KEY, holders, uses, renames) == AddressUse(
        KEY, holders, users=(("m1", "u1"),), moved=("m2",), renamed=("m3",), left=("m5",), clash=("m1",))


def test_an_address_blocks_while_a_holder_is_undecided_two_are_linked_a_linked_one_is_renamed_or_a_match_guesses():
    one = (("m1", "u1"),)
    assert not AddressUse(KEY, ("m1", "m2"), users=one, renamed=("m2",)).blocked
    assert not AddressUse(KEY, ("m1", "m2"), left=("m1", "m2")).blocked  # nobody sends it: nothing to refuse
    assert AddressUse(KEY, ("m1", "m2"), users=one, left=("m2",)).blocked
    assert AddressUse(KEY, ("m1", "m2"), users=(("m1", "u1"), ("m2", "u2"))).blocked
    assert AddressUse(KEY, ("m1", "m2"), users=one, renamed=("m2",), clash=("m1",)).blocked
    assert AddressUse(KEY, ("m1", "m2"), left=("m1", "m2"),
                      groups=(AmbiguousGroup("user_name", ("m1", "m2"), ("u1",), ()),)).blocked


# --------------------------------------------------------------------------- decisions


def test_a_renamed_holder_gets_its_email_changed_and_the_link_waits_for_it():
    use = AddressUse(KEY, ("m1", "m2"), users=(("m1", "u1"),), moved=(), renamed=("m2",))
    decision = decide_address(use, {"m2": "Bob+dup-m2@x.example"}, Renames({"m2": "deactivate"}), directory(), {})
    assert (decision.key, decision.review_item) == (KEY, None)
    assert decision.frees == (("m2", "members.set_email:m2"),)
    (action,) = decision.actions
    assert (action.id, action.rule) == ("members.set_email:m2", "linking.duplicates")
    assert (action.target, action.before, action.after) == (
        MemberRef(member_id="m2", email="Bob@x.example"), EmailState(email="Bob@x.example"),
        EmailState(email="Bob+dup-m2@x.example"))
    assert action.evidence == SetEmailEvidence(address=KEY, shared_with=["m1"], decision="deactivate")
    assert action.reason == ("free the address 'Bob@x.example', which member(s) m1 also have: Sigma links a SCIM "
                             "user by email, so only one member may hold it (linking.duplicates: deactivate)")


def test_a_holder_moving_to_its_idp_user_name_frees_the_address_without_a_rename():
    use = AddressUse(KEY, ("m1", "m2"), users=(("m1", "u1"),), moved=("m2",))
    decision = decide_address(use, {}, Renames(), directory(), {})
    assert (decision.actions, decision.frees, decision.review_item) == ((), (("m2", "members.set_email:m2"),), None)


def test_an_ambiguous_match_lists_every_holder_and_suggests_the_active_one_in_the_most_teams():
    d = directory(**TEAMS)
    group_ = AmbiguousGroup("user_name", ("m1", "m2", "m3"), ("u1",), ())
    use = AddressUse(KEY, ("m1", "m2", "m3"), left=("m1", "m2", "m3"), groups=(group_,))
    item = decide_address(use, {}, Renames(), d, team_counts(d, {"m1", "m2", "m3"})).review_item
    assert (item.id, item.code, item.blocking, item.rule) == (
        f"linking.duplicate_email:{KEY}", "linking.duplicate_email", True, "linking.duplicates")
    assert item.subject.fields() == {"email": KEY, "memberIds": ["m1", "m2", "m3"], "idpIds": ["u1"]}
    assert [c.fields() for c in item.candidates] == [
        {"memberId": "m1", "email": "bob@x.example", "status": "active", "memberType": "Act", "teams": 1,
         "createdAt": "2023-04-08T15:42:43Z", "decision": "undecided"},
        {"memberId": "m2", "email": "Bob@x.example", "status": "active", "memberType": "View", "teams": 2,
         "decision": "undecided"},
        {"memberId": "m3", "email": "BOB@x.example", "status": "archived", "memberType": "View", "teams": 0,
         "decision": "undecided"},
        {"idpId": "u1", "userName": "bob@x.example"},
    ]
    assert item.message == (f"{KEY} is the email of 3 Sigma members (letter case aside): IdP user u1 matches all "
                            "of them: linking one of them would be a guess, and Sigma links by email, so it could "
                            "not tell them apart anyway")
    assert yaml.safe_load(item.resolution) == {
        "linking": {"overrides": [{"idp": "u1", "member": "m2"}], "duplicates": {"m1": "rename", "m3": "rename"}}}
    assert item.resolution.startswith("# who keeps the address: m2 is only an example")
    assert "# or:\n# linking:\n#   overrides:\n#     - {idp: u1, member: m2}\n#   duplicates:\n#     m1: deactivate\n" \
        in item.resolution


def test_a_protected_holder_is_suggested_to_keep_the_address_and_never_to_be_deactivated():
    """Tester10 finding 18: a snippet never proposes deactivating a protected person (the plan would refuse it)."""
    d = directory(**TEAMS)
    group_ = AmbiguousGroup("user_name", ("m1", "m2", "m3"), ("u1",), ())
    use = AddressUse(KEY, ("m1", "m2", "m3"), left=("m1", "m2", "m3"), groups=(group_,))
    item = decide_address(use, {}, Renames(protected=frozenset({"m1"})), d, team_counts(d, {"m1", "m2", "m3"})
                          ).review_item
    assert item.resolution == (
        "# who keeps the address: m1 is only an example (protected: the plan never deactivates them); pick the "
        "account that holds the person's work\n# free the address of the others (`deactivate` also deactivates them):\n"
        "linking:\n  overrides:\n    - {idp: u1, member: m1}\n  duplicates:\n    m2: rename\n    m3: rename\n"
        "# or:\n# linking:\n#   overrides:\n#     - {idp: u1, member: m1}\n#   duplicates:\n#     m2: deactivate\n"
        "#     m3: deactivate\n")
    # two IdP users link two holders: the protected one left over is renamed in both choices, never deactivated
    two = AddressUse(KEY, ("m1", "m2", "m3"), users=(("m2", "u1"),), left=("m1", "m3"))
    item = decide_address(two, {}, Renames(protected=frozenset({"m1"})), d, {}).review_item
    assert item.resolution == (
        "# free the address of the others (`deactivate` also deactivates them; a protected person is renamed, never "
        "deactivated):\nlinking:\n  duplicates:\n    m1: rename\n    m3: rename\n# or:\n# linking:\n"
        "#   duplicates:\n#     m1: rename\n#     m3: deactivate\n")
    only = AddressUse(KEY, ("m1", "m2"), users=(("m2", "u1"),), left=("m1",))
    item = decide_address(only, {}, Renames(protected=frozenset({"m1"})), d, {}).review_item
    assert item.resolution == ("# free the address of the others (renamed: they are protected, never deactivated):\n"
                               "linking:\n  duplicates:\n    m1: rename\n")


def test_with_equal_teams_the_holder_spelled_as_the_idp_sends_it_is_suggested():
    group_ = AmbiguousGroup("user_name", ("m1", "m2"), ("u2",), ())
    use = AddressUse(KEY, ("m1", "m2"), left=("m1", "m2"), groups=(group_,))
    d = directory(users=[user("u2", "Bob@x.example")])
    item = decide_address(use, {}, Renames(), d, {}).review_item
    assert yaml.safe_load(item.resolution)["linking"]["overrides"] == [{"idp": "u2", "member": "m2"}]


def test_renaming_the_linked_holder_is_refused_in_the_item():
    use = AddressUse(KEY, ("m1", "m2"), users=(("m1", "u1"),), renamed=("m2",), clash=("m1",))
    renames = Renames({"m1": "rename", "m2": "rename"})
    decision = decide_address(use, {"m2": "Bob+dup-m2@x.example"}, renames, directory(), {})
    assert [a.id for a in decision.actions] == ["members.set_email:m2"]
    item = decision.review_item
    assert [c.get("decision") for c in tuple(c.fields() for c in item.candidates)] == [
        "linked with this address, but linking.duplicates renames it", "address freed (linking.duplicates: rename)",
        None]
    assert item.resolution == "# the member linked with this address cannot be renamed: remove m1 from linking.duplicates\n"
    assert item.message.endswith(": a member linking would link with this address is also renamed by linking.duplicates")


def test_two_holders_linked_with_one_address_block():
    use = AddressUse(KEY, ("m1", "m2"), users=(("m1", "u1"), ("m2", "u2")))
    item = decide_address(use, {}, Renames(), directory(users=[BOB_USER, user("u2", "Bob@x.example")]), {}).review_item
    assert item.subject.fields()["idpIds"] == ["u1", "u2"]
    assert item.message.endswith(": linking would link 2 of them with this address")
    assert item.resolution.startswith("# only one member can be linked with this address")


def test_the_linked_holder_keeps_the_address_and_the_undecided_one_is_named():
    use = AddressUse(KEY, ("m1", "m2", "m3"), users=(("m1", "u1"),), moved=("m3",), left=("m2",))
    item = decide_address(use, {}, Renames(), directory(), {}).review_item
    assert [c.get("decision") for c in tuple(c.fields() for c in item.candidates)] == [
        "keeps the address (linked)", "undecided", "moves to the IdP userName (user_name_guard)", None]
    assert item.message.endswith(': linking would link m1 with this address, and Sigma would refuse the link (409 '
                                 '"matches 3 members") while m2 still hold(s) it')
    assert yaml.safe_load(item.resolution) == {"linking": {"duplicates": {"m2": "rename"}}}


def test_a_holder_the_user_name_guard_moves_is_said_to_move_even_when_linking_duplicates_names_it():
    use = address_use(KEY, ("m1", "m2", "m3"), LinkedHolders({KEY: (("m1", "u1"),)}, {"m3": "robert@x.example"}),
                      Renames({"m3": "rename"}))
    assert (use.moved, use.renamed, use.left) == (("m3",), (), ("m2",))
    decision = decide_address(use, {}, Renames({"m3": "rename"}), directory(), {})
    assert decision.actions == ()  # the guard's members.set_email:m3 frees it, no alias
    assert [c.get("decision") for c in tuple(c.fields() for c in decision.review_item.candidates)] == [
        "keeps the address (linked)", "undecided", "moves to the IdP userName (user_name_guard)", None]


# --------------------------------------------------------------------------- IdP-side duplicates


IDP_USERS = [
    user("ua", "pat@x.example", emails=["pat.a@x.example"]),
    user("ub", "PAT@x.example", emails=["pat.b@x.example"]),
    user("uc", "casey@x.example", emails=["pat.b@x.example"]),  # shares ub's primary email
    user("ud", "pat@x.example", active=False),  # not provisioned
    user("ue", "solo@x.example", emails=["other@x.example", "pat.a@x.example"]),  # a second email does not count
]


def test_the_address_index_holds_each_users_sent_user_name_and_primary_email():
    d = directory([], IDP_USERS)
    assert d.idp_ids_by_address_key["pat@x.example"] == ("ua", "ub", "ud")
    assert d.idp_ids_by_address_key["pat.b@x.example"] == ("ub", "uc")
    assert d.idp_ids_by_address_key["pat.a@x.example"] == ("ua",)
    assert "other@x.example" in d.idp_ids_by_address_key and "solo@x.example" in d.idp_ids_by_address_key


def test_idp_users_sharing_an_address_through_a_chain_are_one_collision():
    d = directory([], IDP_USERS)
    assert idp_collisions(d) == [IdpCollision(("pat.b@x.example", "pat@x.example"), ("ua", "ub", "uc"))]
    assert idp_collisions(d, frozenset({"ub"})) == []


def test_idp_users_sharing_an_address_are_one_blocking_item_keeping_the_one_a_member_links():
    d = directory([], IDP_USERS)
    (collision,) = idp_collisions(d)
    item = idp_collision_item(collision, d, {"ub": "m7"}, {"ua": {"m8", "m7"}})
    assert (item.id, item.blocking, item.rule) == ("linking.idp_duplicate:ua", True, "linking.excluded_idp_users")
    assert item.subject.fields() == {"idpIds": ["ua", "ub", "uc"], "addresses": ["pat.b@x.example", "pat@x.example"]}
    assert [c.fields() for c in item.candidates] == [
        {"idpId": "ua", "userName": "pat@x.example", "email": "pat.a@x.example", "status": "ACTIVE",
         "matches": ["m7", "m8"]},
        {"idpId": "ub", "userName": "PAT@x.example", "email": "pat.b@x.example", "status": "ACTIVE",
         "matches": ["m7"]},
        {"idpId": "uc", "userName": "casey@x.example", "email": "pat.b@x.example", "status": "ACTIVE"},
    ]
    assert item.evidence == ItemEvidence(addresses=["pat.b@x.example", "pat@x.example"], rows=["", "", ""])
    assert yaml.safe_load(item.resolution) == {"linking": {"excluded_idp_users": ["ua", "uc"]}}
    assert item.resolution.startswith("# ub is the person's account (a Sigma member matches it)")
    unlinked = idp_collision_item(collision, d, {}, {})
    assert yaml.safe_load(unlinked.resolution) == {"linking": {"excluded_idp_users": ["ub", "uc"]}}
    assert unlinked.resolution.startswith("# ua is the person's account (only an example)")


def test_ambiguous_matches_by_idp_user():
    groups = [AmbiguousGroup("user_name", ("m1", "m2"), ("u1",), (("m1", "u1", "x"), ("m2", "u1", "x"))),
              AmbiguousGroup("emails", ("m3",), ("u1", "u2"), (("m3", "u1", "x"), ("m3", "u2", "x")))]
    assert ambiguous_matches(groups) == {"u1": {"m1", "m2", "m3"}, "u2": {"m3"}}


def test_excluded_idp_users_are_resolved_and_the_provisioned_ones_reported():
    d = directory([], IDP_USERS)
    p = policy("linking:\n  excluded_idp_users: [ub, casey@x.example, ud, nobody@x.example, pat@x.example]\n")
    found = resolve_excluded(p, d)
    # pat@x.example is the userName of two users: it names nobody
    assert found.idp_ids == frozenset({"ub", "uc", "ud"})
    assert [(r.id, r.blocking) for r in found.review_items] == [
        ("linking.idp_user_excluded:ub", False), ("linking.idp_user_excluded:uc", False)]
    excluded = found.review_items[0]
    assert excluded.subject.fields() == {"idpId": "ub", "userName": "PAT@x.example"}
    assert excluded.message.startswith("IdP user ub (PAT@x.example) is excluded by linking.excluded_idp_users")
    assert resolve_excluded(policy(), d) == Exclusions()
