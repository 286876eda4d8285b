"""planner.rules.linking's status rules, one by one: one member or IdP user, the policy section, a
small directory, the exact status."""

from __future__ import annotations

import pytest

from .plan_factory import group, kinds, member, plan, policy, snapshot, user
from planner.directory import PersonStatus, build_directory
from planner.rules.linking import linked_status, unlinked_idp_status, unlinked_member_status

USERS = [user("u-live", "a@x.example"), user("u-off", "b@x.example", active=False),
         user("u-out", "c@x.example")]
SCOPED = "scope:\n  groups: [Sigma-Users]\n"
GROUPS = [group("g1", "Sigma-Users", users=["u-live", "u-off"])]


def directory(extra: str = SCOPED):
    return build_directory(snapshot(users=USERS, groups=GROUPS, with_root=False), policy(extra))


ACTIVE = member("m1", "a@x.example")
ARCHIVED = member("m2", "a@x.example", archived=True)
INACTIVE = member("m3", "a@x.example", inactive=True)
GUEST = member("m4", "a@x.example", user_kind="guest")


@pytest.mark.parametrize("who, idp_id, key, extra, held, expected", [
    (ACTIVE, "u-live", "user_name", SCOPED, (), PersonStatus.LINK),
    (ACTIVE, "u-live", "user_name", SCOPED, ("u-live",), PersonStatus.HELD),
    (ACTIVE, "u-off", "user_name", SCOPED, (), PersonStatus.LEAVER),
    (ACTIVE, "u-out", "user_name", SCOPED, (), PersonStatus.NOT_IN_SCOPE),
    (GUEST, "u-live", "user_name", SCOPED, (), PersonStatus.GUEST),
    (GUEST, "u-off", "user_name", SCOPED, (), PersonStatus.GUEST),
    (ARCHIVED, "u-live", "user_name", SCOPED, (), PersonStatus.REHIRE),
    (INACTIVE, "u-live", "emails", SCOPED, (), PersonStatus.REHIRE),
    (ARCHIVED, "u-live", "override", SCOPED, (), PersonStatus.REACTIVATE),
    (ARCHIVED, "u-live", "scim", SCOPED, (), PersonStatus.REACTIVATE),
    (ARCHIVED, "u-live", "user_name", SCOPED + "linking:\n  archived_members: reactivate\n", (),
     PersonStatus.REACTIVATE),
    (ARCHIVED, "u-off", "override", SCOPED, (), PersonStatus.DEACTIVATED),
    (ARCHIVED, "u-out", "user_name", SCOPED, (), PersonStatus.DEACTIVATED),
])
def test_linked_status(who, idp_id, key, extra, held, expected):
    d = directory(extra)
    assert linked_status(who, idp_id, key, d, policy(extra).linking, frozenset(held)) is expected


@pytest.mark.parametrize("who, held, expected", [
    (ACTIVE, (), PersonStatus.UNMATCHED),
    (ACTIVE, ("m1",), PersonStatus.HELD),
    (ARCHIVED, (), PersonStatus.DEACTIVATED),
    (INACTIVE, (), PersonStatus.DEACTIVATED),
    (GUEST, (), PersonStatus.GUEST),
])
def test_unlinked_member_status(who, held, expected):
    assert unlinked_member_status(who, frozenset(held)) is expected


@pytest.mark.parametrize("who, held, extra, expected", [
    (user("u1", "a@x.example"), (), "", PersonStatus.CREATE),
    (user("u1", "a@x.example"), ("u1",), "", PersonStatus.HELD),
    (user("u1", "a@x.example", user_type="Guest"), (), "", PersonStatus.IDP_GUEST),
    (user("u1", "a_p.example#EXT#@t.example"), (), "", PersonStatus.IDP_GUEST),
    (user("u1", "a@x.example", user_type="Guest"), (), "guests:\n  create_from_idp: true\n", PersonStatus.CREATE),
    (user("u1", "a@x.example", user_type="Guest"), ("u1",), "", PersonStatus.HELD),
])
def test_unlinked_idp_status(who, held, extra, expected):
    assert unlinked_idp_status(who, frozenset(held), policy(extra).guests) is expected


from planner.rules.linking import UserNameChoice, guard_overrides, user_name_choice  # noqa: E402


def choice(email, sent, provisioned=True, on_mismatch="review", overrides=None, idp_id="u1"):
    from planner.model import email_key
    return user_name_choice(email, email_key(email), sent, email_key(sent), idp_id, provisioned, on_mismatch,
                            overrides or {})


def test_user_name_choice_same_address_sends_the_sigma_spelling():
    assert choice("Ann@X.example", "ann@x.example") == UserNameChoice("Ann@X.example", "ann@x.example")


def test_user_name_choice_not_provisioned_sends_the_email_without_a_verdict():
    assert choice("ann@x.example", "a.lee@corp.example", provisioned=False) == UserNameChoice(
        "ann@x.example", "ann@x.example")


@pytest.mark.parametrize("how, expected", [
    ("review", UserNameChoice("ann@x.example", "ann@x.example", "review")),
    ("update_sigma_email", UserNameChoice("a.lee@corp.example", "a.lee@corp.example", "update_sigma_email")),
    ("use_sigma_email", UserNameChoice("ann@x.example", "ann@x.example", "use_sigma_email")),
])
def test_user_name_choice_on_a_mismatch_follows_the_guard(how, expected):
    assert choice("ann@x.example", "a.lee@corp.example", on_mismatch=how) == expected
    assert choice("ann@x.example", "a.lee@corp.example", overrides={"u1": how}) == expected


def test_user_name_choice_an_unclean_sigma_email_sends_the_idp_spelling():
    assert choice("ann@x.example\u200b ", "ann@x.example") == UserNameChoice(
        "ann@x.example", "ann@x.example", None, False)


def test_user_name_choice_an_unclean_idp_user_name_equal_by_letter_case_is_sent_as_the_idp_spells_it():
    """tester10 finding 15: KELVIN SIGN lower-cases to 'k', so only the IdP's spelling shows it is not NFC
    (scim_values then holds the person); a clean one equal by letter case sends the Sigma spelling."""
    assert choice("KELVIN.K@x.example", "\u212aelvin.k@x.example") == UserNameChoice(
        "\u212aelvin.k@x.example", "kelvin.k@x.example", None, False)
    assert choice("KELVIN.K@x.example", "Kelvin.k@x.example") == UserNameChoice(
        "KELVIN.K@x.example", "kelvin.k@x.example", None, False)


def test_user_name_choice_an_unsendable_user_name_is_invalid():
    assert choice("ann@x.example", "not-an-address", on_mismatch="update_sigma_email") == UserNameChoice(
        "not-an-address", "not-an-address", "update_sigma_email", True)
    assert choice("ann@x.example", "", on_mismatch="use_sigma_email").invalid is False  # the Sigma email is sent


def test_guard_overrides_by_idp_id_leave_out_use_primary_email():
    d = build_directory(snapshot(users=[user("u1", "ann@corp.example")], with_root=False), policy())
    guard = policy("user_name_guard:\n  overrides:\n    ann@corp.example: use_sigma_email\n"
                   "    u9: update_sigma_email\n    u1: use_primary_email\n").user_name_guard
    assert guard_overrides(d, guard) == {"u1": "use_sigma_email", "u9": "update_sigma_email"}


# --------------------------------------------------------------------------- people (linking.decide's records)

from planner.directory import Link, LinkedPair, Person  # noqa: E402
from planner.matching import match_identities  # noqa: E402
from planner.payloads import (  # noqa: E402
    UNSET, ArchivedState, CreateUserEvidence, CreateUserTarget, EmailState, LinkUserBefore, LinkUserEvidence,
    LinkUserTarget, LostCandidate, ReactivateEvidence, ScimUserAfter, SetEmailEvidence,
)
from planner.rules.linking import (  # noqa: E402
    considered, create_user_action, decide, guard_item, link_actions, linked_person, person_link_actions,
    same_person_hints, settle_creates, unlinked_idp_user,
)

BY_NAME = Link("user_name", "email", "ann@x.example", "userName", "ann@x.example")


def people_directory(members, users, extra=""):
    return build_directory(snapshot(members, users, with_root=False), policy(extra))


def test_linked_person_links_and_sends_the_sigma_email():
    ann, ann_u = member("m1", "ann@x.example", "Ann", "Lee"), user("u1", "ann@x.example")
    d = people_directory([ann], [ann_u])
    linked = linked_person(LinkedPair("m1", "u1", BY_NAME), policy(), d, frozenset(), {})
    assert linked.person == Person("m:m1", ann, ann_u, BY_NAME, PersonStatus.LINK, "ann@x.example", "ann@x.example")
    assert linked.choice == UserNameChoice("ann@x.example", "ann@x.example")


def test_linked_person_a_guest_that_may_be_converted_is_judged_by_the_guard():
    guest, guest_u = member("m1", "ann@x.example", user_kind="guest"), user("u1", "a.lee@corp.example")
    link = Link("emails", "other_email", "ann@x.example", "emails[1]", "ann@x.example")
    d = people_directory([guest], [guest_u])
    judged = linked_person(LinkedPair("m1", "u1", link), policy("guests:\n  action: convert\n"), d, frozenset(), {})
    assert (judged.person.status, judged.person.guard) == (PersonStatus.GUEST, "review")
    disabled = linked_person(LinkedPair("m1", "u1", link), policy(), d, frozenset(), {})
    assert (disabled.person.status, disabled.person.guard, disabled.person.user_name) == (
        PersonStatus.GUEST, None, "ann@x.example")


def test_linked_person_with_an_unsendable_user_name_is_held():
    ann, odd = member("m1", "ann@x.example"), user("u1", "not-an-address", emails=["ann@x.example"])
    link = Link("emails", "other_email", "ann@x.example", "emails[0]", "ann@x.example")
    linked = linked_person(LinkedPair("m1", "u1", link), policy("user_name_guard:\n  on_mismatch: update_sigma_email\n"),
                           people_directory([ann], [odd]), frozenset(), {})
    assert (linked.person.status, linked.person.user_name, linked.choice.invalid) == (
        PersonStatus.HELD, "not-an-address", True)


def test_unlinked_idp_user_sends_its_scim_user_name_and_robots_and_excluded_users_are_not_considered():
    robot = user("u9", "scheduler-robot@sigmacomputing.com")
    bob, gone = user("u1", "Bob@X.example"), user("u2", "gone@x.example", active=False)
    d = people_directory([], [bob, robot, gone])
    assert unlinked_idp_user(bob, d, frozenset(), policy().guests) == Person(
        "i:u1", None, bob, None, PersonStatus.CREATE, "Bob@X.example", "bob@x.example")
    assert [considered(i, d, frozenset(), frozenset()) for i in ("u1", "u9", "u2")] == [True, False, False]
    assert considered("u2", d, frozenset({"u2"}), frozenset()) is True  # held: a record, held
    assert considered("u1", d, frozenset(), frozenset({"u1"})) is False


def test_same_person_hints_by_name_and_by_local_part_without_the_tag():
    old = member("m1", "dana+bi@old.example", "Dana", "Ray")
    new, other = user("u1", "dana@new.example", first="Dana", last="Ray"), user("u2", "dana@else.example")
    d = people_directory([old], [new, other])
    assert same_person_hints([old], [new, other], d) == {
        ("m1", "u1"): {"same name", "same local part"}, ("m1", "u2"): {"same local part"}}
    assert same_person_hints([old], [], d) == {}


def test_settle_creates_holds_an_unsendable_user_name_and_flags_a_collision():
    ann = member("m1", "ann@x.example")
    twin, bad = user("u1", "ANN@x.example"), user("u2", "not-an-address")
    d = people_directory([ann], [twin, bad])
    creates = [unlinked_idp_user(u, d, frozenset(), policy().guests) for u in (twin, bad)]
    items, people = settle_creates(creates, d, frozenset())
    assert [(i.id, i.blocking) for i in items] == [("linking.create_collides:u1", True),
                                                   ("user_name_guard.invalid_user_name:u2", True)]
    assert items[0].message == ("creating 'ANN@x.example' collides with existing member(s) m1 of the same email: "
                                "Sigma links by email, so this would not be a new account")
    assert [p.status for p in people] == [PersonStatus.CREATE, PersonStatus.HELD]
    assert settle_creates(creates[:1], d, frozenset({"m1"})) == ([], creates[:1])  # m1's address is freed


def test_guard_item_email_taken_unless_the_holder_is_freed():
    ann, bob = member("m1", "ann@x.example"), member("m2", "a.lee@corp.example")
    ann_u = user("u1", "a.lee@corp.example", emails=["a.lee@corp.example", "ann@x.example"])
    d = people_directory([ann, bob], [ann_u])
    link = Link("emails", "other_email", "ann@x.example", "emails[1]", "ann@x.example")
    person = linked_person(LinkedPair("m1", "u1", link), policy("user_name_guard:\n  on_mismatch: update_sigma_email\n"),
                           d, frozenset(), {}).person
    item = guard_item(person, d)
    assert (item.id, item.blocking) == ("user_name_guard.email_taken:m1", True)
    assert item.message == ("cannot change 'ann@x.example' to 'a.lee@corp.example': another Sigma member already has "
                            "that email: m2 (a.lee@corp.example, active)")
    assert [c.fields() for c in item.candidates] == [{"memberId": "m2", "email": "a.lee@corp.example", "status": "active"}]
    # an active holder: the Sigma email first, renaming the holder only as the alternative (tester12 finding 13)
    assert item.resolution == (
        "# send the member's Sigma email ann@x.example (the IdP app's username of IdP user u1), or free the address "
        "by renaming the other member(s) (linking.duplicates: rename):\n"
        "user_name_guard:\n  overrides:\n    u1: use_sigma_email\n"
        "# or:\n# linking:\n#   duplicates:\n#     m2: rename\n")
    assert guard_item(person, d, frozenset({"m2"})) is None


def test_decide_gives_every_person_one_record_sorted_by_person_key():
    members = [member("m2", "bob@x.example"), member("m1", "ann@x.example"), member("m3", "old@x.example", archived=True)]
    users = [user("u2", "carl@x.example"), user("u1", "ann@x.example")]
    p = policy()
    d = build_directory(snapshot(members, users, with_root=False), p)
    result = decide(p, d, match_identities(d, p.linking))
    assert [(x.person, x.status, x.user_name) for x in result.people] == [
        ("i:u2", PersonStatus.CREATE, "carl@x.example"),
        ("m:m1", PersonStatus.LINK, "ann@x.example"),
        ("m:m2", PersonStatus.UNMATCHED, None),
        ("m:m3", PersonStatus.DEACTIVATED, None),
    ]
    assert result.outcome.review_items == [] and result.outcome.actions == []


# --------------------------------------------------------------------------- actions, one person each


def test_person_link_actions_of_a_reactivated_member_with_an_unclean_email():
    ann = member("m1", "Ann@X.example\u200b", "Ann", "Lee", archived=True)
    ann_u = user("u1", "ann@x.example", first="Ann", last="Lee")
    d = people_directory([ann], [ann_u])
    link = Link("override", "override", ann.email, "linking.overrides[0]", "ann@x.example")
    person = Person("m:m1", ann, ann_u, link, PersonStatus.REACTIVATE, "ann@x.example", "ann@x.example")
    rival = LostCandidate(idp_id="u7", key="emails", field="emails[1]", value="ann@x.example")
    reactivate, set_email, link_user = person_link_actions(
        person, d, "Build", {"ann@x.example": [("m9", "members.set_email:m9"), ("m1", "x")]}, {("m", "m1"): [rival]})
    assert (reactivate.id, reactivate.before, reactivate.after, reactivate.evidence) == (
        "members.reactivate:m1", ArchivedState(is_archived=True), ArchivedState(is_archived=False),
        ReactivateEvidence(key="override"))
    assert reactivate.reason == (
        "reactivate: the member is archived in Sigma and IdP user u1 (ann@x.example) is active and in scope")
    assert (set_email.id, set_email.rule, set_email.after, set_email.evidence, set_email.depends_on) == (
        "members.set_email:m1", "linking.clean_sigma_email", EmailState(email="ann@x.example"),
        SetEmailEvidence(idp_id="u1"), ("members.set_email:m9",))
    assert link_user.id == "scim.link_user:m1" and link_user.rule == "linking.overrides"
    assert link_user.target == LinkUserTarget(member_id="m1", email=ann.email, user_name="ann@x.example", idp_id="u1")
    assert link_user.before == LinkUserBefore(member_type="View", user_kind="internal")
    assert link_user.after == ScimUserAfter(user_name="ann@x.example", given_name="Ann", family_name="Lee", active=True,
                                            email="ann@x.example", user_type="Build")
    assert link_user.evidence == LinkUserEvidence(key="override", idp_field="linking.overrides[0]",
                                                  user_name_guard=UNSET, lost_candidates=[rival])
    assert link_user.depends_on == ("members.reactivate:m1", "members.set_email:m1", "members.set_email:m9")
    assert link_user.reason == ("link to IdP user u1 (ann@x.example): linking.overrides says IdP user u1 is this "
                                "member; also matched, not linked: IdP user u7 (emails[1] ann@x.example, by emails)")


def test_create_user_action_sends_the_primary_email_when_it_is_not_the_user_name():
    carl = user("u2", "carl@corp.example", emails=["carl.b@x.example"], first="Carl", last="B")
    d = people_directory([], [carl])
    person = unlinked_idp_user(carl, d, frozenset(), policy().guests)
    create = create_user_action(person, None, {"carl@corp.example": [("m5", "members.set_email:m5")]})
    assert (create.id, create.rule, create.before) == ("scim.create_user:u2", "linking.create", None)
    assert create.target == CreateUserTarget(idp_id="u2", user_name="carl@corp.example", email="carl.b@x.example")
    assert create.after == ScimUserAfter(user_name="carl@corp.example", given_name="Carl", family_name="B", active=True,
                                         email="carl.b@x.example")
    assert create.evidence == CreateUserEvidence(idp_status="ACTIVE")
    assert create.depends_on == ("members.set_email:m5",)
    assert create.reason == "create: IdP user u2 (carl@corp.example) is in scope and matches no Sigma member"


def test_link_actions_links_by_member_id_then_creates_by_idp_id_and_skips_the_rest():
    ann, bob = member("m2", "ann@x.example"), member("m1", "bob@x.example")
    ann_u, bob_u, carl = user("u1", "ann@x.example"), user("u3", "bob@x.example"), user("u2", "carl@x.example")
    d = people_directory([ann, bob], [ann_u, bob_u, carl])
    people = [
        Person("m:m2", ann, ann_u, BY_NAME, PersonStatus.LINK, "ann@x.example", "ann@x.example"),
        Person("i:u2", None, carl, None, PersonStatus.CREATE, "carl@x.example", "carl@x.example"),
        Person("m:m1", bob, bob_u, BY_NAME, PersonStatus.HELD, "bob@x.example", "bob@x.example"),
    ]
    out = link_actions(people, d, {"i:u2": "View"})
    assert [a.id for a in out.actions] == ["scim.link_user:m2", "scim.create_user:u2"]
    assert out.actions[1].after.user_type == "View" and out.actions[0].after.user_type is UNSET


# tester2 finding 9 (dirty/okta_second_email, scim_two_primary): Mateo's IdP user carries Wendy's address as a
# second email; Mateo was linked by userName with "also matched, not linked: Wendy" and Wendy was deactivated as
# "no IdP user matches this member" (false). One IdP user matching two members over any keys is a guess.

def test_an_idp_user_matching_a_second_unlinked_member_by_a_later_key_is_ambiguous_and_nobody_moves():
    snap = snapshot([member("m1", "mateo.marsh@acme.example", "Mateo", "Marsh"),
                     member("m2", "wendy.park@acme.example", "Wendy", "Park")],
                    [user("u1", "mateo.marsh@acme.example", emails=["mateo.marsh@acme.example", "wendy.park@acme.example"])])
    p = plan(snap, "linking: {match_keys: [user_name, emails]}\nunmatched: {action: deactivate}\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:root")]  # neither linked nor deactivated
    (item,) = [r for r in p.review_items if r.code == "linking.ambiguous"]
    assert (item.id, item.blocking) == ("linking.ambiguous:u1", True)
    assert item.message == "1 IdP user(s) and 2 Sigma member(s) are joined by user_name and emails: linking any of them would be a guess"
    assert item.evidence.edges == [
        ["m1", "u1", "user_name", "mateo.marsh@acme.example", "userName", "mateo.marsh@acme.example"],
        ["m2", "u1", "emails", "wendy.park@acme.example", "emails[1]", "wendy.park@acme.example"]]


def test_a_rival_of_an_override_or_of_a_member_linked_elsewhere_stays_evidence():
    members = [member("m1", "mateo.marsh@acme.example", "Mateo", "Marsh"),
               member("m2", "wendy.park@acme.example", "Wendy", "Park")]
    second = user("u1", "mateo.marsh@acme.example", emails=["mateo.marsh@acme.example", "wendy.park@acme.example"])
    # the reviewer pinned Mateo: Wendy's member is only a lost candidate of that link
    p = plan(snapshot(members, [second]), "linking:\n  match_keys: [user_name, emails]\n"
             "  overrides: [{idp: u1, member: m1}]\nunmatched: {action: deactivate}\n")
    assert [r.code for r in p.review_items if r.code == "linking.ambiguous"] == []
    assert ("scim.link_user", "scim.link_user:m1") in kinds(p)
