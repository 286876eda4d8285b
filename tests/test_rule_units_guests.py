"""planner.rules.guests, rule by rule: one Person, the guests policy section, a small directory."""

from __future__ import annotations

import yaml

from .plan_factory import member, policy, snapshot, user
from planner.directory import Link, Person, PersonStatus, build_directory
from planner.payloads import UNSET, ArchiveAfter, ConvertGuestEvidence, DisableGuestBefore, DisableGuestEvidence, \
    MemberRef, UserKindState
from planner.rules.guests import DocumentOwner, decide_guest, idp_guest_item

GUEST = member("m1", "gia@partner.example", "Gia", "Lee", user_kind="guest")
IDP_GUEST = user("u1", "gia@partner.example")
OUT_OF_SCOPE = user("u2", "gia@partner.example", active=False)
OWNER = DocumentOwner("m9", "owner@example.com", "organization.document_owner")
LINK = Link("user_name", "email", "gia@partner.example", "userName", "gia@partner.example")


def directory(*users):
    return build_directory(snapshot([GUEST], list(users), with_root=False), policy())


def guest(idp_user=None) -> Person:
    return Person("m:m1", GUEST, idp_user, LINK if idp_user else None, PersonStatus.GUEST,
                  "gia@partner.example", "gia@partner.example")


def test_a_linked_guest_is_converted_under_convert():
    d = decide_guest(guest(IDP_GUEST), policy("guests:\n  action: convert\n").guests, directory(IDP_GUEST), OWNER)
    assert (d.member_id, d.status, d.converted, d.review_item) == ("m1", PersonStatus.LINK, True, None)
    a = d.action
    assert (a.id, a.rule) == ("members.convert_guest:m1", "guests.convert")
    assert (a.target, a.before, a.after) == (MemberRef(member_id="m1", email="gia@partner.example"),
                                             UserKindState(user_kind="guest"), UserKindState(user_kind="internal"))
    assert a.evidence == ConvertGuestEvidence(idp_id="u1", linked_by="user_name")
    assert a.reason == ("convert guest to an internal, IdP-managed member: IdP user u1 (gia@partner.example) "
                        "links to them")


def test_a_guest_without_a_live_idp_user_is_disabled_even_under_convert():
    d = decide_guest(guest(OUT_OF_SCOPE), policy("guests:\n  action: convert\n").guests, directory(OUT_OF_SCOPE),
                     OWNER)
    assert (d.status, d.converted, d.review_item) == (PersonStatus.GUEST_DISABLED, False, None)
    a = d.action
    assert (a.id, a.rule) == ("members.disable_guest:m1", "guests.disable")
    assert a.before == DisableGuestBefore(is_archived=False, user_kind="guest", member_type="View")
    assert a.after == ArchiveAfter(is_archived=True, new_owner_id="m9")
    assert a.evidence == DisableGuestEvidence(new_owner_email="owner@example.com",
                                              document_owner_from="organization.document_owner", idp_id="u2")
    assert a.reason == ("disable guest: SCIM does not support guests and disables them when it is switched on; "
                        "documents go to owner@example.com")


def test_a_guest_with_no_idp_user_and_no_owner_is_disabled_without_a_transfer():
    d = decide_guest(guest(), policy().guests, directory(), DocumentOwner(None, None, "guests.document_owner"))
    assert d.action.after == ArchiveAfter(is_archived=True, new_owner_id=None)
    assert d.action.evidence == DisableGuestEvidence(new_owner_email=None, document_owner_from="guests.document_owner",
                                                     idp_id=UNSET)
    assert d.action.reason == "disable guest: SCIM does not support guests and disables them when it is switched on"


def test_a_linked_guest_disabled_by_policy_gets_an_informational_item():
    d = decide_guest(guest(IDP_GUEST), policy().guests, directory(IDP_GUEST), OWNER)
    assert d.status is PersonStatus.GUEST_DISABLED
    item = d.review_item
    assert (item.id, item.blocking, item.rule) == ("guests.disabled_with_idp_user:m1", False, "guests.action")
    assert item.subject.fields() == {"memberId": "m1", "email": "gia@partner.example", "idpId": "u1",
                            "userName": "gia@partner.example"}
    assert yaml.safe_load(item.resolution) == {"guests": {"action": "convert"}}


def test_an_idp_guest_not_created_is_reported():
    person = Person("i:u7", None, user("u7", "x#EXT#@t.example", user_type="Guest"), None, PersonStatus.IDP_GUEST,
                    "x#EXT#@t.example", "x#ext#@t.example")
    item = idp_guest_item(person)
    assert (item.id, item.blocking, item.rule) == ("guests.idp_guest_not_created:u7", False, "guests.create_from_idp")
    assert item.subject.fields() == {"idpId": "u7", "userName": "x#EXT#@t.example"}
    assert item.message == ("IdP guest user 'x#EXT#@t.example' matches no Sigma member and is not created "
                            "(Sigma's SCIM does not support guests)")
    assert yaml.safe_load(item.resolution) == {"guests": {"create_from_idp": True}}


def test_an_idp_guest_whose_email_is_a_members_says_so():
    """doubts20 (a33ab60's wording fix for creates, reused: linking.address_words): an IdP guest user whose email is
    a member's, which linking.overrides never links, says so (was: 'matches no Sigma member' beside the member the
    address is)."""
    from .plan_factory import plan

    snap = snapshot([member("m1", "gia@partner.example", "Gia", "Lee")],
                    [user("u7", "gia_partner.example#EXT#@t.example", emails=["gia@partner.example"], first="Gia",
                          last="Lee", user_type="Guest")])
    items = plan(snap, "linking:\n  overrides:\n    - {idp: u7, member: never}\n").review_items
    [item] = [i for i in items if i.code == "guests.idp_guest_not_created"]
    assert item.message == (
        "IdP guest user 'gia_partner.example#EXT#@t.example' linked to no Sigma member: linking.overrides never "
        "links it, though its emails[0] gia@partner.example is the email of member m1 and is not created (Sigma's "
        "SCIM does not support guests)")
