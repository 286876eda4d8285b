"""Guests: SCIM disables them; disable with a document transfer, or convert when an IdP user links."""

from __future__ import annotations

import yaml
from msgspec import to_builtins as wire

from .plan_factory import by_id, group, kinds, member, plan, review_codes, snapshot, user

GUEST = member("g1", "carol@partner.example", "Carol", "Nguyen", member_type="View", user_kind="guest")
GUEST_IDP = user("e1", "carol_partner.example#EXT#@example.com", emails=["carol@partner.example"],
                 first="Carol", last="Nguyen", user_type="Guest")


def test_guest_without_idp_user_is_disabled_with_documents_to_the_owner():
    p = plan(snapshot([member("g2", "felix@consult.example", user_kind="guest")], []))
    action = by_id(p)["members.disable_guest:g2"]
    assert wire(action.target) == {"memberId": "g2", "email": "felix@consult.example"}
    assert wire(action.before) == {"isArchived": False, "userKind": "guest", "memberType": "View"}
    assert wire(action.after) == {"isArchived": True, "newOwnerId": "root"}
    assert wire(action.evidence)["newOwnerEmail"] == "root@example.com"
    assert action.rule == "guests.disable"
    assert wire(p.summary)["actions"]["members.disable_guest"] == 1


def test_guests_document_owner_wins_over_the_organization_one():
    snap = snapshot([member("g2", "felix@consult.example", user_kind="guest"), member("o1", "owner@example.com")],
                    [user("u1", "owner@example.com")])
    p = plan(snap, "guests:\n  document_owner: owner@example.com\n")
    assert wire(by_id(p)["members.disable_guest:g2"].after) == {"isArchived": True, "newOwnerId": "o1"}
    assert wire(by_id(p)["members.disable_guest:g2"].evidence)["documentOwnerFrom"] == "guests.document_owner"


def test_linked_guest_is_disabled_by_default_with_a_note():
    p = plan(snapshot([GUEST], [GUEST_IDP]))
    assert kinds(p) == [("members.disable_guest", "members.disable_guest:g1"), ("scim.link_user", "scim.link_user:root")]
    # the IdP user is in scope: the plan names it for the IdP to keep out (tester12 finding 11)
    assert review_codes(p) == [("guests.disabled_with_idp_user", False), ("scope.assigned_not_provisioned", False)]
    assert yaml.safe_load(p.review_items[0].resolution) == {"guests": {"action": "convert"}}
    assert [c.status for c in p.review_items[1].candidates] == ["guest disabled (members.disable_guest)"]


def test_convert_a_linked_guest_then_link_it():
    p = plan(snapshot([GUEST], [GUEST_IDP]), "guests:\n  action: convert\nuser_name_guard:\n  on_mismatch: use_sigma_email\n")
    assert kinds(p) == [("members.convert_guest", "members.convert_guest:g1"), ("scim.link_user", "scim.link_user:g1"),
                        ("scim.link_user", "scim.link_user:root")]
    convert = by_id(p)["members.convert_guest:g1"]
    assert (wire(convert.before), wire(convert.after)) == ({"userKind": "guest"}, {"userKind": "internal"})
    link = by_id(p)["scim.link_user:g1"]
    assert link.depends_on == ("members.convert_guest:g1",)
    assert wire(link.target)["userName"] == "carol@partner.example"
    assert review_codes(p) == [("user_name_guard.configure_idp", False)]
    order = [a.id for a in p.actions]
    assert order.index("members.convert_guest:g1") < order.index("scim.link_user:g1")


def test_convert_with_an_ext_upn_is_blocking_and_never_proposes_the_upn():
    # Entra would send the #EXT# UPN as userName: never the person's address (issue 14 item 2)
    p = plan(snapshot([GUEST], [GUEST_IDP]), "guests:\n  action: convert\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:root")]  # held: no convert, no link, no disable
    assert review_codes(p) == [("user_name_guard.invalid_user_name", True)]
    (item,) = p.review_items
    assert item.message == (
        "IdP user e1 would send userName 'carol_partner.example#EXT#@example.com', an Entra B2B guest UPN (#EXT#), "
        "not the person's address: Sigma identifies SCIM users by their email, so linking member "
        "'carol@partner.example' with it would give them an address they never sign in with")
    assert wire(item.evidence)["problem"] == "guest_upn"
    assert yaml.safe_load(item.resolution) == {"user_name_guard": {"overrides": {"e1": "use_sigma_email"}}}
    assert "#EXT#" not in item.resolution


def test_convert_disables_guests_nobody_links():
    p = plan(snapshot([member("g2", "felix@consult.example", user_kind="guest")], []), "guests:\n  action: convert\n")
    assert kinds(p) == [("members.disable_guest", "members.disable_guest:g2"), ("scim.link_user", "scim.link_user:root")]


def test_guest_whose_idp_user_is_deactivated_is_disabled():
    inactive = user("e1", "carol@partner.example", active=False)
    p = plan(snapshot([GUEST], [inactive]), "guests:\n  action: convert\n")
    assert "members.disable_guest:g1" in by_id(p)
    assert p.review_items == ()


# issue 10 finding 3: a guest disabled (archived) in wave 1, linked in wave 2 by an override, was
# reactivated and linked as a guest (409 "guest users cannot be managed with SCIM" at apply)
ARCHIVED_GUEST = member("g1", "carol@partner.example", "Carol", "Nguyen", user_kind="guest", archived=True)
CAROL = user("u9", "carol@partner.example", first="Carol", last="Nguyen")
OVERRIDE = "linking:\n  overrides: [{idp: u9, member: g1}]\n"


def test_an_archived_guest_an_override_links_is_reactivated_converted_then_linked():
    p = plan(snapshot([ARCHIVED_GUEST], [CAROL]), OVERRIDE + "guests:\n  action: convert\n")
    assert kinds(p) == [("members.convert_guest", "members.convert_guest:g1"),
                        ("members.reactivate", "members.reactivate:g1"), ("scim.link_user", "scim.link_user:g1"),
                        ("scim.link_user", "scim.link_user:root")]
    actions = by_id(p)
    assert actions["members.convert_guest:g1"].depends_on == ("members.reactivate:g1",)
    assert actions["scim.link_user:g1"].depends_on == ("members.convert_guest:g1", "members.reactivate:g1")
    order = [a.id for a in p.actions]
    assert order.index("members.reactivate:g1") < order.index("members.convert_guest:g1") < order.index(
        "scim.link_user:g1")
    assert review_codes(p) == []


def test_an_archived_guest_an_override_links_is_held_when_guests_are_not_converted():
    p = plan(snapshot([ARCHIVED_GUEST], [CAROL]), OVERRIDE)
    assert kinds(p) == [("scim.link_user", "scim.link_user:root")]
    assert review_codes(p) == [("guests.reactivated_guest", True)]
    item = p.review_items[0]
    assert item.message == (
        "IdP user u9 links to archived guest 'carol@partner.example': Sigma's SCIM refuses to link a guest (409), "
        "so reactivating and linking them needs a conversion to an internal member first, who returns with account "
        "type View (kept: no mapped group, account_types.default: keep)")
    assert yaml.safe_load(item.resolution) == {"guests": {"action": "convert"}}
    row = next(r for r in p.people if r.member_id == "g1")
    assert (row.actions, row.review_items) == ((), ("guests.reactivated_guest:g1",))
    assert p.summary.people["held"] == 1


# tester8 finding 28: an archived or inactive guest the IdP has active again was a plain linking.rehire
# ("reactivate the member"), whose override then met guests.reactivated_guest: a guest's return is the
# guests family's one question, naming the account type a conversion gives them
BUILD_TYPES = ("account_types:\n  group_map: {Sigma-Build: Build}\n  precedence: [Admin, Build, View]\n")
BUILDERS = group("gb", "Sigma-Build", users=["u9"])


def test_a_rehired_guest_is_one_guests_question_naming_the_account_type_they_return_with():
    p = plan(snapshot([ARCHIVED_GUEST], [CAROL], [BUILDERS], account_types=["Admin", "Build", "View"]), BUILD_TYPES)
    assert kinds(p) == [("scim.link_user", "scim.link_user:root")]
    assert review_codes(p) == [("guests.rehired_guest", True)]
    (item,) = p.review_items
    assert item.id == "guests.rehired_guest:g1"
    assert item.message == (
        "active IdP user u9 matches archived guest 'carol@partner.example' (View): a guest cannot return as a "
        "guest (Sigma's SCIM refuses to link one, 409), so bringing them back reactivates them, converts them to an "
        "internal member and links them, with account type Build (group Sigma-Build); guests.action is disable, "
        "which converts no one returning: held until a reviewer decides")
    assert wire(item.evidence) == {"linkedBy": "user_name", "isArchived": True, "isInactive": False,
                                   "accountType": "Build", "source": "group_map", "groups": ["Sigma-Build"]}
    assert item.resolution == (
        "# bring them back as an internal member (reactivated, converted, linked):\n"
        "# (guests.action: convert also converts the active guests an IdP user links to)\n"
        "guests:\n  action: convert\nlinking:\n  overrides:\n    - {idp: u9, member: g1}\n"
        "# or keep them out: unassign IdP user u9 from the Sigma app, export and plan again\n")
    row = next(r for r in p.people if r.member_id == "g1")
    assert (row.actions, row.review_items) == ((), ("guests.rehired_guest:g1",))
    assert p.summary.people["held"] == 1


def test_a_rehired_inactive_guest_under_convert_is_asked_once_and_its_answer_converts_them():
    inactive = member("g1", "carol@partner.example", "Carol", "Nguyen", user_kind="guest", inactive=True)
    snap = snapshot([inactive], [CAROL])
    p = plan(snap, "guests:\n  action: convert\n")
    assert review_codes(p) == [("guests.rehired_guest", True)]
    (item,) = p.review_items
    assert item.message.endswith(
        "with account type View (kept: no mapped group, account_types.default: keep); guests.action is convert: "
        "held until a reviewer decides")
    assert yaml.safe_load(item.resolution) == {"linking": {"overrides": [{"idp": "u9", "member": "g1"}]}}
    answered = plan(snap, "guests:\n  action: convert\n" + OVERRIDE)
    assert kinds(answered) == [("members.convert_guest", "members.convert_guest:g1"),
                               ("members.reactivate", "members.reactivate:g1"), ("scim.link_user", "scim.link_user:g1"),
                               ("scim.link_user", "scim.link_user:root")]
    assert review_codes(answered) == []


def test_the_rehired_guest_items_answer_under_disable_converts_and_links_them():
    snap = snapshot([ARCHIVED_GUEST], [CAROL])
    (item,) = plan(snap).review_items
    p = plan(snap, yaml.safe_dump(yaml.safe_load(item.resolution)))
    assert kinds(p) == [("members.convert_guest", "members.convert_guest:g1"), ("members.reactivate", "members.reactivate:g1"),
                        ("scim.link_user", "scim.link_user:g1"), ("scim.link_user", "scim.link_user:root")]
    assert review_codes(p) == []


def test_a_reactivated_guest_held_under_disable_names_the_account_type_they_return_with():
    p = plan(snapshot([ARCHIVED_GUEST], [CAROL], [BUILDERS], account_types=["Admin", "Build", "View"]),
             BUILD_TYPES + OVERRIDE)
    (item,) = p.review_items
    assert item.code == "guests.reactivated_guest"
    assert item.message.endswith("needs a conversion to an internal member first, who returns with account type "
                                 "Build (group Sigma-Build)")
    assert wire(item.evidence)["accountType"] == "Build"


def test_an_internal_member_rehired_is_still_linkings_question():
    p = plan(snapshot([member("m1", "dana@example.com", "Dana", "Lee", archived=True)],
                      [user("u1", "dana@example.com", first="Dana", last="Lee")]))
    assert review_codes(p) == [("linking.rehire", True)]
