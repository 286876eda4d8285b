"""Cross-record checks (planner.validation) on small literal directories."""

from __future__ import annotations

from planner.model import Email, IdpDirectory, IdpGroup, IdpUser, SourceRef, email_key
from planner.validation import check_idp, nesting


def user(user_id: str, user_name: str, *emails: str, line: int = 2) -> IdpUser:
    return IdpUser(
        id=user_id, user_name=user_name, user_name_key=email_key(user_name),
        emails=tuple(Email(e, email_key(e), i == 0) for i, e in enumerate(emails)),
        source=SourceRef("users.csv", f"line {line}"),
    )


def group(group_id: str, *children: str, users: tuple[str, ...] = ()) -> IdpGroup:
    return IdpGroup(id=group_id, display_name=group_id.upper(), member_user_ids=users,
                    member_group_ids=children, source=SourceRef("groups.json", f"$[{group_id}]"))


def test_same_email_differing_by_case_is_one_warning_naming_both_users():
    directory = IdpDirectory(users=(
        user("u1", "a@example.com", "Alice@Example.com", line=2),
        user("u2", "alice@example.com", "alice@example.com", line=3),
        user("u3", "b@example.com", "b@example.com", line=4),
    ))
    findings = check_idp(directory)
    assert [(f.code, f.file, f.location) for f in findings] == [("duplicate-email", "users.csv", "line 2")]
    assert findings[0].message == (
        "2 users have the same email alice@example.com: u1 ('Alice@Example.com', line 2), "
        "u2 ('alice@example.com', line 3); all are kept")


def test_same_user_name_with_different_emails_is_reported_once():
    directory = IdpDirectory(users=(user("u1", "x@example.com", "a@example.com"),
                                    user("u2", "X@example.com", "b@example.com", line=3)))
    assert [f.code for f in check_idp(directory)] == ["duplicate-user-name"]


def test_users_without_or_with_a_bad_email():
    directory = IdpDirectory(users=(user("u1", "chloe.martin"), user("u2", "x", "Ana Lopez", line=3)))
    assert [(f.code, f.location) for f in check_idp(directory)] == [
        ("empty-email", "line 2"), ("invalid-email", "line 3")]


def test_nesting_depth_and_cycles():
    flat = nesting((group("a"), group("b")))
    assert (flat.max_depth, flat.nested_groups, flat.cycles) == (0, 0, ())
    chain = nesting((group("a", "b"), group("b", "c"), group("c")))
    assert (chain.max_depth, chain.nested_groups, chain.cycles) == (2, 2, ())
    loops = nesting((group("a", "b"), group("b", "a"), group("s", "s")))
    assert loops.cycles == (("a", "b", "a"), ("s", "s"))


def test_group_containing_itself_is_a_warning_with_the_path():
    directory = IdpDirectory(groups=(group("a", "b"), group("b", "c"), group("c", "a"), group("self", "self")))
    findings = check_idp(directory)
    assert [(f.code, f.file, f.location, f.message) for f in findings] == [
        ("group-cycle", "groups.json", "$[a]", "group 'A' contains itself through nesting: A > B > C > A"),
        ("group-cycle", "groups.json", "$[self]", "group 'SELF' contains itself through nesting: SELF > SELF"),
    ]
