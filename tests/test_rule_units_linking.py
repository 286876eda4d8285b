"""planner.rules.linking's status rules, one by one: one member or IdP user, the policy section, a
small directory, the exact status."""

from __future__ import annotations

import pytest

from .plan_factory import group, member, policy, snapshot, user
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
        "ann@x.example", "ann@x.example", None, False, True)


def test_user_name_choice_an_unsendable_user_name_is_invalid():
    assert choice("ann@x.example", "not-an-address", on_mismatch="update_sigma_email") == UserNameChoice(
        "not-an-address", "not-an-address", "update_sigma_email", True, False)
    assert choice("ann@x.example", "", on_mismatch="use_sigma_email").invalid is False  # the Sigma email is sent


def test_guard_overrides_by_idp_id_leave_out_use_primary_email():
    d = build_directory(snapshot(users=[user("u1", "ann@corp.example")], with_root=False), policy())
    guard = policy("user_name_guard:\n  overrides:\n    ann@corp.example: use_sigma_email\n"
                   "    u9: update_sigma_email\n    u1: use_primary_email\n").user_name_guard
    assert guard_overrides(d, guard) == {"u1": "use_sigma_email", "u9": "update_sigma_email"}
