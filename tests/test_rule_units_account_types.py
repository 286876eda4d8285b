"""planner.rules.account_types, rule by rule: one Person, the settings read from the policy, a small directory."""

from __future__ import annotations

import pytest
import yaml

from .plan_factory import ROOT, ROOT_USER, group, member, policy, snapshot, user
from planner.directory import Link, Person, PersonStatus, build_directory
from planner.model import AccountTypeSource
from planner.payloads import AccountTypeEvidence, AccountTypeTarget, MemberTypeState, UserTypeState
from planner.policy import PolicyError
from planner.rules.account_types import (
    TypeDecision, decide_type, mapped_types, names_unchecked_item, person_keys, settings, target_type, type_outcome,
)

TYPES = ["Admin", "Build", "Analyze", "View"]
EVA = member("m1", "eva@example.com", member_type="Build")
EVA_USER = user("u1", "eva@example.com")
NEW_USER = user("u2", "new@example.com")
GROUPS = [group("gA", "Sigma-Analyze", ["u1", "u2"]), group("gV", "Sigma-View", ["u1"]),
          group("g0", "Sigma-Admins", ["u-root"])]
MAP = "account_types:\n  group_map: {Sigma-Admins: Admin, Sigma-Analyze: Analyze, Sigma-View: View}\n" \
      "  precedence: [Admin, Analyze, View]\n"
LINK = Link("user_name", "email", "eva@example.com", "userName", "eva@example.com")


def world(extra: str = MAP, types=TYPES):
    p = policy(extra)
    d = build_directory(snapshot([EVA], [EVA_USER, NEW_USER], groups=GROUPS, account_types=types), p)
    return p, d


def eva() -> Person:
    return Person("m:m1", EVA, EVA_USER, LINK, PersonStatus.LINK)


def created() -> Person:
    return Person("i:u2", None, NEW_USER, None, PersonStatus.CREATE)


def root() -> Person:
    return Person("m:root", ROOT, ROOT_USER, LINK, PersonStatus.LINK)


def config(extra: str = MAP):
    p, d = world(extra)
    return settings(p, d, [eva(), created(), root()]), d


def test_policy_references_name_person_keys_by_email_or_id():
    _, d = world()
    assert person_keys("EVA@example.com", d) == {"m:m1", "i:u1"}
    assert person_keys("u2", d) == {"i:u2"}
    assert person_keys("m1", d) == {"m:m1"}


def test_the_highest_mapped_type_by_precedence_wins():
    p, d = world()
    mapped = mapped_types(p, d, {"u1", "u2"})
    assert (mapped["u1"].account_type, mapped["u1"].several, mapped["u1"].groups) == (
        "Analyze", True, ("Sigma-Analyze", "Sigma-View"))
    assert (mapped["u2"].account_type, mapped["u2"].several) == ("Analyze", False)


def test_mapped_groups_without_precedence_stop_the_plan():
    p, d = world("account_types:\n  group_map: {Sigma-Analyze: Analyze, Sigma-View: View}\n")
    with pytest.raises(PolicyError) as exc:
        mapped_types(p, d, {"u1"})
    assert str(exc.value).endswith(
        "account_types: IdP user eva@example.com is in mapped groups Sigma-Analyze (Analyze), Sigma-View (View) "
        "and account_types.precedence does not order Analyze and View (1 user(s) are in several mapped groups); "
        "list the types highest first, e.g. precedence: [Analyze, View]")


def test_the_precedence_example_ranks_the_types_as_sigma_does_highest_first():
    # tester8 finding 10: copied as given, the example must never rank Analyze above Build
    p, d = world("account_types:\n  group_map: {Sigma-Analyze: Build, Sigma-View: Analyze}\n")
    with pytest.raises(PolicyError) as exc:
        mapped_types(p, d, {"u1"})
    assert str(exc.value).endswith(
        "account_types: IdP user eva@example.com is in mapped groups Sigma-Analyze (Build), Sigma-View (Analyze) "
        "and account_types.precedence does not order Build and Analyze (1 user(s) are in several mapped groups); "
        "list the types highest first, e.g. precedence: [Build, Analyze]")


def test_the_target_type_comes_from_overrides_groups_default_keep_or_new_user_default():
    c, _ = config(MAP + "  overrides: {eva@example.com: Admin}\n")
    assert target_type(eva(), "Build", c) == ("Admin", "overrides")
    c, _ = config()
    assert target_type(eva(), "Build", c) == ("Analyze", "precedence")
    assert target_type(created(), None, c) == ("Analyze", "group_map")
    c, _ = config("account_types:\n  default: View\n")
    assert target_type(eva(), "Build", c) == ("View", "default")
    c, _ = config("account_types:\n  new_user_default: View\n")
    assert target_type(eva(), "Build", c) == ("Build", "keep")
    assert target_type(created(), None, c) == ("View", "new_user_default")


def test_a_downgrade_is_an_action_and_a_blocking_item_until_acknowledged():
    c, d = config()
    typed = type_outcome(eva(), c, d)
    assert typed.decision == TypeDecision("m:m1", "m1", "u1", "Build", "Analyze", "precedence", "downgrade",
                                          ("Sigma-Analyze", "Sigma-View"), type_groups=("Sigma-Analyze",))
    # Analyze is what Sigma-Analyze gives her (tester9 finding 1: the hand-off counts her under it)
    assert typed.decision.sent_by == AccountTypeSource("precedence", ("Sigma-Analyze",))
    a = typed.action
    assert (a.id, a.rule, a.depends_on) == ("scim.set_account_type:m1", "account_types.precedence",
                                            ("scim.link_user:m1",))
    assert (a.target, a.before, a.after) == (AccountTypeTarget(member_id="m1", email="eva@example.com", idp_id="u1"),
                                             MemberTypeState(member_type="Build"), UserTypeState(user_type="Analyze"))
    assert a.evidence == AccountTypeEvidence(change="downgrade", source="precedence",
                                             groups=["Sigma-Analyze", "Sigma-View"])
    assert a.reason == "downgrade: Build -> Analyze (groups Sigma-Analyze, Sigma-View, highest by precedence)"
    item = typed.review_item
    assert (item.id, item.blocking, item.rule) == ("account_types.downgrade:m1", True, "account_types.on_downgrade")
    assert yaml.safe_load(item.resolution) == {"account_types": {"acknowledged_downgrades": [
        {"person": "eva@example.com", "from": "Build", "to": "Analyze"}]}}
    c, d = config(MAP + "  acknowledged_downgrades: [u1]\n")
    assert type_outcome(eva(), c, d).review_item is None


def test_a_create_or_an_unchanged_type_has_no_action():
    c, d = config()
    typed = type_outcome(created(), c, d)
    assert (typed.decision.change, typed.decision.after, typed.action, typed.review_item) == (
        "unchanged", "Analyze", None, None)


def test_a_protected_admin_keeps_admin_with_a_blocking_item():
    c, d = config(MAP + "  overrides: {root@example.com: View}\n")
    typed = type_outcome(root(), c, d)
    assert typed.decision == TypeDecision("m:root", "root", "u-root", "Admin", "Admin", "overrides", "unchanged",
                                          ("Sigma-Admins",), "View", ("Sigma-Admins",))
    # the Admin kept is Sigma-Admins' own: no individual assignment needed for it
    assert typed.decision.sent_by == AccountTypeSource("protected", ("Sigma-Admins",))
    assert typed.action is None
    item = typed.review_item
    assert (item.id, item.blocking) == ("account_types.protected_account:root", True)
    assert item.message.startswith("root@example.com is organization.scim_setup_admin (the SCIM token belongs to "
                                   "them): the plan keeps account type 'Admin' instead of 'View' "
                                   "(account_types.overrides)")
    assert "add them to group 'Sigma-Admins' or assign 'Admin'" in item.message


def test_a_custom_type_replaced_is_its_own_category():
    p = policy("account_types:\n  group_map: {Sigma-View: View}\n")
    fiona = member("m1", "eva@example.com", member_type="Finance Power User")
    d = build_directory(snapshot([fiona], [EVA_USER], groups=GROUPS, account_types=TYPES + ["Finance Power User"]), p)
    person = Person("m:m1", fiona, EVA_USER, LINK, PersonStatus.LINK)
    typed = type_outcome(person, settings(p, d, [person]), d)
    assert typed.decision.change == "custom_replacement"
    assert typed.action.reason == "custom-type replacement: Finance Power User -> View (group Sigma-View)"
    assert typed.action.evidence.unranked is True
    assert typed.review_item.id == "account_types.custom_replacement:m1"


def test_unchecked_names_are_reported_when_the_export_has_no_account_types():
    p, d = world(MAP, types=None)
    item = names_unchecked_item(p.account_types, d)
    assert (item.id, item.blocking, item.subject.fields()) == ("account_types.names_unchecked:account_types", True,
                                                      {"accountTypes": ["Admin", "Analyze", "View"]})
    assert item.resolution == ("# no policy setting settles this: fetch the Sigma export again (`sigma-migrate fetch` "
                               "writes account_types.json from GET /v2/accountTypes), or add that file to the export, "
                               "then plan again\n")
    p, d = world(MAP)
    assert names_unchecked_item(p.account_types, d) is None
    assert decide_type(eva(), settings(p, d, [eva()]), d).after == "Analyze"
