"""Members sharing an email address (samples/acme case 4): one blocking item until the policy decides
who keeps the address; then the others' addresses are freed before the link."""

from __future__ import annotations

import yaml
from msgspec import to_builtins as wire

from planner.rules.duplicates import alias_email

from .plan_factory import by_id, group, kinds, member, plan, review_codes, snapshot, team, user

ROOT_LINK = ("scim.link_user", "scim.link_user:root")

BOB = dict(
    members=[member("m1", "bob.ray@example.com", "Bob", "Ray", member_type="Act", created_at="2023-04-08T15:42:43Z"),
             member("m2", "Bob.Ray@example.com", "Bob", "Ray", created_at="2021-05-26T09:33:20Z")],
    users=[user("00u1", "bob.ray@example.com", first="Bob", last="Ray")],
    groups=[group("gS", "Sales", ["00u1"])],
    teams=[team("tS", "Sales")],
    memberships={"tS": ["m1"]},
)
KEEP_M1 = "linking:\n  overrides: [{idp: 00u1, member: m1}]\n"


def test_without_a_decision_one_blocking_item_lists_every_holder_and_nobody_is_touched():
    p = plan(snapshot(**BOB), "unmatched:\n  action: deactivate\n")
    assert kinds(p) == [("scim.link_group", "scim.link_group:tS"), ROOT_LINK,
                        ("scim.set_group_members", "scim.set_group_members:gS")]
    assert review_codes(p) == [("linking.duplicate_email", True), ("teams.leftovers", False)]
    item = p.review_items[0]
    assert item.id == "linking.duplicate_email:bob.ray@example.com"
    assert item.subject.fields() == {"email": "bob.ray@example.com", "memberIds": ["m1", "m2"], "idpIds": ["00u1"]}
    assert [c.fields() for c in item.candidates] == [
        {"memberId": "m1", "email": "bob.ray@example.com", "status": "active", "memberType": "Act", "teams": 1,
         "createdAt": "2023-04-08T15:42:43Z", "decision": "undecided"},
        {"memberId": "m2", "email": "Bob.Ray@example.com", "status": "active", "memberType": "View", "teams": 0,
         "createdAt": "2021-05-26T09:33:20Z", "decision": "undecided"},
        {"idpId": "00u1", "userName": "bob.ray@example.com"},
    ]
    assert yaml.safe_load(item.resolution) == {
        "linking": {"overrides": [{"idp": "00u1", "member": "m1"}], "duplicates": {"m2": "rename"}}}
    assert "#   duplicates:\n#     m2: deactivate\n" in item.resolution
    # the held member is not removed from the team either: reported until the item is settled
    (leftovers,) = [r for r in p.review_items if r.code == "teams.leftovers"]
    assert [(c["memberId"], c["state"]) for c in tuple(c.fields() for c in leftovers.candidates)] == [("m1", "held")]


def test_who_keeps_the_address_alone_still_blocks_the_link_until_the_other_address_is_freed():
    p = plan(snapshot(**BOB), KEEP_M1 + "unmatched:\n  action: deactivate\n")
    # the question holds both holders (planning.hold_questioned reads its memberIds): was scim.link_user:m1, which
    # Sigma would refuse (409), and members.deactivate:m2, which the answer decides, beside it
    assert kinds(p) == [("scim.link_group", "scim.link_group:tS"), ROOT_LINK,
                        ("scim.set_group_members", "scim.set_group_members:gS")]
    assert [(r.member_id, r.actions) for r in p.people if r.member_id in ("m1", "m2")] == [("m1", ()), ("m2", ())]
    assert p.summary.people == {"held": 2, "link": 1, "unmatched_kept": 0}
    (item,) = [r for r in p.review_items if r.blocking]
    assert item.code == "linking.duplicate_email"
    assert [c.get("decision") for c in tuple(c.fields() for c in item.candidates)] == ["keeps the address (linked)", "undecided", None]
    assert "linking would link m1 with this address, and Sigma would refuse the link" in item.message
    assert yaml.safe_load(item.resolution) == {"linking": {"duplicates": {"m2": "rename"}}}


def test_rename_frees_the_address_before_the_link_and_before_the_deactivation():
    p = plan(snapshot(**BOB), "linking:\n  overrides: [{idp: 00u1, member: m1}]\n  duplicates: {m2: rename}\n"
                              "unmatched:\n  action: deactivate\n")
    assert [r for r in p.review_items if r.blocking] == []
    assert kinds(p) == [("members.deactivate", "members.deactivate:m2"), ("members.set_email", "members.set_email:m2"),
                        ("scim.link_group", "scim.link_group:tS"), ("scim.link_user", "scim.link_user:m1"), ROOT_LINK,
                        ("scim.set_group_members", "scim.set_group_members:gS")]
    rename = by_id(p)["members.set_email:m2"]
    assert (wire(rename.target), wire(rename.before), wire(rename.after), rename.rule) == (
        {"memberId": "m2", "email": "Bob.Ray@example.com"}, {"email": "Bob.Ray@example.com"},
        {"email": "Bob.Ray+dup-m2@example.com"}, "linking.duplicates")
    assert wire(rename.evidence) == {"address": "bob.ray@example.com", "sharedWith": ["m1"], "decision": "rename"}
    assert by_id(p)["scim.link_user:m1"].depends_on == ("members.set_email:m2",)
    assert by_id(p)["members.deactivate:m2"].depends_on == ("members.set_email:m2", "scim.link_user:root")
    order = [a.id for a in p.actions]
    assert order.index("members.set_email:m2") < order.index("scim.link_user:m1")


def test_deactivate_renames_and_deactivates_whatever_unmatched_says():
    p = plan(snapshot(**BOB), "linking:\n  overrides: [{idp: 00u1, member: m1}]\n  duplicates: {m2: deactivate}\n")
    deactivation = by_id(p)["members.deactivate:m2"]
    assert (deactivation.rule, deactivation.depends_on) == ("linking.duplicates",
                                                             ("members.set_email:m2", "scim.link_user:root"))
    assert wire(by_id(p)["members.set_email:m2"].after) == {"email": "Bob.Ray+dup-m2@example.com"}
    assert [r.code for r in p.review_items if r.blocking] == []


def test_an_archived_duplicate_still_holds_the_address_and_is_renamed_without_a_deactivation():
    snap = snapshot([member("m1", "ann@example.com"), member("m2", "ANN@example.com", archived=True)],
                    [user("00u1", "ann@example.com")])
    held = plan(snap)
    assert review_codes(held) == [("linking.duplicate_email", True)]
    assert [c.get("status") for c in tuple(c.fields() for c in held.review_items[0].candidates)] == ["active", "archived", None]
    settled = plan(snap, "linking:\n  overrides: [{idp: 00u1, member: m1}]\n  duplicates: {m2: rename}\n")
    assert kinds(settled) == [("members.set_email", "members.set_email:m2"), ("scim.link_user", "scim.link_user:m1"),
                              ROOT_LINK]
    assert settled.review_items == ()


def test_a_create_onto_a_freed_address_waits_for_the_renames():
    snap = snapshot([member("m1", "kim@example.com"), member("m2", "Kim@example.com")],
                    [user("00u1", "kim@example.com")])
    collides = plan(snap, "linking:\n  overrides: [{idp: 00u1, member: never}]\n")
    assert ("linking.create_collides", True) in review_codes(collides)
    p = plan(snap, "linking:\n  overrides: [{idp: 00u1, member: never}]\n  duplicates: {m1: rename, m2: rename}\n")
    assert [r.code for r in p.review_items if r.blocking] == []
    assert by_id(p)["scim.create_user:00u1"].depends_on == ("members.set_email:m1", "members.set_email:m2")
    assert [wire(by_id(p)[f"members.set_email:{m}"].after)["email"] for m in ("m1", "m2")] == [
        "kim+dup-m1@example.com", "Kim+dup-m2@example.com"]


def test_the_alias_avoids_every_address_already_in_use():
    snap = snapshot([member("m1", "bob@example.com"), member("abcdefgh", "Bob@example.com"),
                     member("m3", "bob+dup-abcdef@example.com")],
                    [user("00u1", "bob@example.com")])
    p = plan(snap, "linking:\n  overrides: [{idp: 00u1, member: m1}]\n  duplicates: {abcdefgh: rename}\n")
    assert wire(by_id(p)["members.set_email:abcdefgh"].after) == {"email": "Bob+dup-abcdefg@example.com"}


def test_alias_email_shape():
    assert alias_email("Bob.Ray@acme.example", "ECiBauGWbdRoN5KEop6mfQHl3n0UV", set()) == \
        "Bob.Ray+dup-ECiBau@acme.example"
    assert alias_email("dana+bi@x.example", "ab/cd", set()) == "dana+bi+dup-abcd@x.example"
    assert alias_email("a@x.example", "m1", {"a+dup-m1@x.example"}) == "a+dup-m1-2@x.example"
    long_local = "l" * 64
    assert alias_email(f"{long_local}@x.example", "ECiBauGW", set()) == "l" * 53 + "+dup-ECiBau@x.example"
    assert alias_email("not an email", "m9", set()) == "member+dup-m9@duplicates.invalid"


def test_duplicates_entries_naming_nobody_or_an_unshared_address():
    snap = snapshot([member("m1", "solo@example.com")], [user("00u1", "solo@example.com")])
    p = plan(snap, "linking:\n  duplicates: {mNOPE: rename, m1: rename}\n")
    assert review_codes(p) == [("policy.unknown_reference", True), ("policy.unused_entry", False)]
    (unused,) = [r for r in p.review_items if r.code == "policy.unused_entry"]
    assert (unused.id, unused.rule, unused.subject.fields()) == (
        "policy.unused_entry:linking.duplicates[m1]", "linking.duplicates",
        {"name": "m1: rename", "policyKey": "linking.duplicates[m1]", "rule": "linking.duplicates"})
    assert unused.message == (
        "policy.yaml:17:5: linking.duplicates entry m1: rename settled nothing in this plan: it answers which member "
        "gives up an address another member shares, which this plan does not ask (member m1 (solo@example.com): no "
        "other member has this address, nothing to free); the entry has no effect: remove it once its wave is done")
    assert unused.resolution == "# remove the entry at policy.yaml:17:5: m1: rename\n"
    assert "members.set_email:m1" not in by_id(p)
    assert [r.message for r in p.review_items if r.code == "policy.unknown_reference"] == [
        "policy.yaml:16:5: linking.duplicates.mNOPE names member 'mNOPE', which is not in the Sigma export; "
        "the entry is ignored"]


def test_renaming_the_member_who_keeps_the_address_is_refused():
    p = plan(snapshot(**BOB), KEEP_M1 + "  duplicates: {m1: rename, m2: rename}\n")
    (item,) = [r for r in p.review_items if r.blocking]
    assert item.code == "linking.duplicate_email"
    assert "remove m1 from linking.duplicates" in item.resolution
    assert "members.set_email:m1" not in by_id(p) and "members.set_email:m2" in by_id(p)


def test_a_duplicate_in_the_keepers_team_is_removed_then_renamed_and_deactivated_without_a_cycle():
    snap = snapshot(**{**BOB, "memberships": {"tS": ["m1", "m2"]}})
    p = plan(snap, "linking:\n  overrides: [{idp: 00u1, member: m1}]\n  duplicates: {m2: deactivate}\n")
    order = [a.id for a in p.actions]
    assert order.index("members.set_email:m2") < order.index("scim.link_user:m1") \
        < order.index("scim.set_group_members:gS") < order.index("teams.remove_member:tS:m2") \
        < order.index("members.deactivate:m2")


def test_a_duplicates_entry_naming_the_shared_address_says_it_names_several_members():
    p = plan(snapshot(**BOB), KEEP_M1 + "  duplicates: {Bob.Ray@example.com: rename}\n")
    item = next(r for r in p.review_items if r.code == "policy.unknown_reference")
    loc = item.message.split(" ")[0].rstrip(":")
    assert (item.id, item.blocking) == ("policy.unknown_reference:linking.duplicates.'Bob.Ray@example.com'", True)
    assert item.message == (f"{loc}: linking.duplicates.'Bob.Ray@example.com' names member 'Bob.Ray@example.com', "
                            "the address of 2 members (m1, m2): it names none of them; the entry is ignored")
    assert item.resolution == f"# name one of m1, m2 by its memberId at {loc}\n"
