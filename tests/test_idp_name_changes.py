"""An IdP name change after linking is planned, never silent (tester8 finding 24): a link that sends another
name.givenName / name.familyName than the member's carries the member's in ``before`` and says so in its reason;
a SCIM-managed member (its link satisfied, nothing planned) whose IdP name changed gets an informational
``scim.profile_push`` item saying what the IdP's next push changes (Sigma applies pushed names,
docs/sigma-api.md §5.3), which show lays out from the plan."""

from __future__ import annotations

from msgspec import to_builtins as wire
from msgspec.structs import replace

from planner.planfile import write_plan

from .conftest import run_cli
from .plan_factory import by_id, kinds, member, plan, review_codes, snapshot, user
from .test_rules_scim_state import provisioned, with_scim


def alice(first="Alicia", last="Brown"):
    """Alice's member and her IdP user, which the IdP made before the member (a rename, not a recycled address:
    an undated one with both names other is held, planner.rules.address_takeover)."""
    return snapshot([member("m1", "alice@example.com", "Alice", "A", created_at="2021-01-01T00:00:00.000Z")],
                    [replace(user("u1", "alice@example.com", first=first, last=last), created="2020-01-01T00:00:00Z")])


def test_a_link_says_the_name_it_sends():
    link = by_id(plan(alice()))["scim.link_user:m1"]
    assert wire(link.before) == {"memberType": "View", "userKind": "internal", "firstName": "Alice", "lastName": "A"}
    assert (link.after.given_name, link.after.family_name) == ("Alicia", "Brown")
    assert link.reason == ("link to IdP user u1 (alice@example.com): the Sigma email equals the IdP userName; it sends "
                           "the IdP's name: firstName 'Alice' -> 'Alicia', lastName 'A' -> 'Brown'")


def test_a_link_with_the_same_name_says_nothing_of_it():
    link = by_id(plan(alice("Alice", "A")))["scim.link_user:m1"]
    assert wire(link.before) == {"memberType": "View", "userKind": "internal"}
    assert link.reason == "link to IdP user u1 (alice@example.com): the Sigma email equals the IdP userName"
    only_last = by_id(plan(alice("Alice", "Brown")))["scim.link_user:m1"]
    assert wire(only_last.before) == {"memberType": "View", "userKind": "internal", "lastName": "A"}
    assert only_last.reason.endswith("; it sends the IdP's name: lastName 'A' -> 'Brown'")


def test_a_scim_managed_member_renamed_in_the_idp_is_an_informational_item(tmp_path, capsys):
    p = plan(with_scim(alice(), [provisioned("m1", "alice@example.com", "u1")]))
    assert kinds(p) == []
    assert review_codes(p) == [("scim.profile_push", False)]
    (item,) = p.review_items
    assert (item.id, item.rule, item.resolution) == ("scim.profile_push:scim.link_user:m1", "scim_state.profile_push", "")
    assert item.message == (
        "alice@example.com is provisioned by SCIM (externalId u1) and the IdP holds another name: its next push "
        "changes firstName 'Alice' -> 'Alicia', lastName 'A' -> 'Brown' (Sigma applies the pushed name.givenName "
        "and name.familyName); nothing is planned for it")
    assert wire(item.evidence) == {"action": "scim.link_user:m1", "externalId": "u1"}
    path = tmp_path / "plan.json"
    write_plan(p, path)
    code, out, _ = run_cli(capsys, "show", str(path))
    assert code == 0
    assert "its next push changes firstName 'Alice' -> 'Alicia', lastName 'A' -> 'Brown'" in out
    # the same names: no item
    assert plan(with_scim(alice("Alice", "A"), [provisioned("m1", "alice@example.com", "u1")])).review_items == ()


def test_a_scim_managed_member_whose_idp_email_changed_is_told_the_push_sends_it():
    # the login (userName) stays, the primary email changed in the IdP
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A")],
                              [user("u1", "alice@example.com", emails=["alice.brown@example.com"], first="Alice",
                                    last="A")]),
                     [provisioned("m1", "alice@example.com", "u1")])
    p = plan(snap)
    assert kinds(p) == []
    (item,) = p.review_items
    assert (item.code, item.blocking) == ("scim.profile_push", False)
    assert item.message == (
        "alice@example.com is provisioned by SCIM (externalId u1) and the IdP holds another email: its next push "
        "sends email 'alice.brown@example.com' (the member's is 'alice@example.com'): whether Sigma applies a pushed "
        "email is not documented, so check the member after the push; nothing is planned for it")
