"""SCIM 2.0 ListResponse loader (RFC 7643 / RFC 7644 §3.4.2; docs/formats.md §7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.sources import load_idp

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def test_users_and_groups_files():
    directory, findings = load_idp([FIXTURES / "scim" / "Users.json", FIXTURES / "scim" / "Groups.json"])
    ana, ben = directory.users
    assert (ana.id, ana.user_name, ana.external_id, ana.given_name, ana.display_name, ana.active) == (
        "2819c223-7f76-453a-919d-000000000001", "ana.lopez@example.com", "00u1a2b3c4D5E6F7G8H9", "Ana",
        "Ana Lopez", True)
    assert [(e.value, e.primary, e.type) for e in ana.emails] == [
        ("ana.lopez@example.com", True, "work"), ("a.lopez@oldcorp.example", False, "other")]
    assert ana.user_type is None and ana.attributes["userType"] == "Pro"  # an account type, not Member/Guest
    assert (ana.attributes["employeeNumber"], ana.attributes["department"], ana.attributes["manager"]) == (
        "E1001", "Finance", "2819c223-7f76-453a-919d-000000000002")
    assert ana.attributes["title"] == "Analyst"
    assert (ben.active, ben.user_type, ben.is_guest) == (False, "Guest", True)
    assert [(g.display_name, g.external_id, g.member_user_ids, g.member_group_ids) for g in directory.groups] == [
        ("sigma-finance-analysts", "00g1emaKYZTWRYYRRTS1", ("2819c223-7f76-453a-919d-000000000001",),
         ("e9e30dba-f08f-4109-8486-000000000011",)),
        ("contractors", None, ("2819c223-7f76-453a-919d-000000000002",), ()),  # untyped member resolved by id
    ]
    # a typed User member no user has: Users.json is incomplete (issue 10 finding 1), not a mere warning
    assert [(f.code, Path(f.file).name, f.location) for f in findings] == [("member-not-in-users", "Users.json", "")]


def test_attribute_names_are_case_insensitive_and_unknown_extensions_are_kept():
    directory, findings = load_idp(FIXTURES / "scim_mixed")
    dana, eli = directory.users
    assert (dana.id, dana.user_name, dana.given_name, dana.family_name, dana.active) == (
        "u-1", "Dana.Kim@Example.com", "Dana", "Kim", False)
    assert [(e.value, e.primary) for e in dana.emails] == [("dana.kim@example.com", True)]
    assert dana.attributes["urn:example:params:scim:schemas:extension:acme:2.0:User"] == {"badgeColor": "green"}
    assert (eli.active, eli.primary_email.value) == (True, "eli.ross@example.com")  # userName as email
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("grp-1", ("u-1", "u-2"))]
    assert findings == []


def test_bare_array_of_resources_and_array_of_pages(tmp_path):
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1", "userName": "a@example.com",
            "active": True}
    page = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 2,
            "Resources": [dict(user, id="2", userName="b@example.com")]}
    (tmp_path / "a.json").write_text(json.dumps([user]), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps([page]), encoding="utf-8")
    directory, findings = load_idp(tmp_path, "scim")
    assert [u.id for u in directory.users] == ["1", "2"] and findings == []


def test_schema_urns_are_those_of_scim2_models():
    from scim2_models import EnterpriseUser, Group, ListResponse, User

    from planner.sources import scim

    assert (scim.USER_URN, scim.GROUP_URN, scim.ENTERPRISE_URN, scim.LIST_RESPONSE_URN) == (
        User.__schema__, Group.__schema__, EnterpriseUser.__schema__, ListResponse.__schema__)


# --------------------------------------------------------------------------- the typed path


def _user(n: int, **changes) -> dict:
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": f"u{n}", "externalId": f"00u{n}",
            "userName": f"user{n}@example.com", "name": {"givenName": f"Given{n}", "familyName": f"Family{n}"},
            "displayName": f"Given{n} Family{n}",
            "emails": [{"value": f"user{n}@example.com", "type": "work", "primary": True}],
            "active": True, "meta": {"resourceType": "User"}}
    user.update(changes)
    return {k: v for k, v in user.items() if v is not ...}


TYPED_USERS = [
    _user(1),
    _user(2, active=False, userType="Guest", externalId="", meta={"resourceType": "User",
                                                                   "created": "2024-01-02T03:04:05Z"}),
    # userType " Pro " (white space around it) is a user-type-space warning: tests/test_idp_user_type.py
    _user(3, userType="Pro", displayName=None, name={"givenName": "", "formatted": "Formatted Three"}),
    _user(4, userName=" user4@example.com ", emails=[{"value": "alt4@example.com", "primary": False},
                                                     {"value": " USER4@example.com", "type": "work"}]),
    _user(5, emails=[], name=None, displayName=""),
    _user(6, userName="nobody", emails=[{"value": "six@example.com", "display": "Six", "primary": False}]),
    _user(7, emails=[{"value": "user7@example.com"}], externalId=...),
    _user(1, userName="again@example.com"),  # a repeated id: the same duplicate-user-id error either way
]
TYPED_GROUPS = [
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g1", "displayName": "sigma-one",
     "members": [{"value": "u1", "type": "User"}, {"value": "u2", "type": "User", "display": "Two"}]},
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": " g2 ", "externalId": "00g2",
     "meta": {"resourceType": "Group", "version": "W/\"1\""},
     "members": [{"value": "u3", "type": "User"}, {"value": "g1", "type": "Group", "$ref": "Groups/g1"}]},
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g3", "displayName": "",
     "members": [{"value": " u4 ", "type": "user"}, {"value": "u5"}, {"value": "", "type": "User"},
                 {"value": "gone", "type": "User"}]},
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g4", "members": None},
]


def _list_response(resources: list[dict]) -> str:
    return json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                       "totalResults": len(resources), "Resources": resources})


def _loaded(folder: Path):
    import msgspec

    directory, findings = load_idp([folder / "Users.json", folder / "Groups.json"], "scim")
    counts = [(i.kind, i.records) for i in directory.inputs]  # the sha256 differs by the BOM
    plain = msgspec.to_builtins((directory.users, directory.groups, findings, counts))
    return json.loads(json.dumps(plain).replace(str(folder), "<dir>"))


def test_the_typed_path_reads_what_the_lenient_walk_reads(tmp_path):
    """The usual ListResponse files are decoded into typed records (scim._WireUsers / _WireGroups); a copy
    with a UTF-8 BOM takes the lenient dict walk: both give the same users, groups and findings."""
    from planner.sources import scim

    typed, lenient = tmp_path / "typed", tmp_path / "lenient"
    for folder, prefix in ((typed, ""), (lenient, "\ufeff")):
        folder.mkdir()
        (folder / "Users.json").write_text(prefix + _list_response(TYPED_USERS), encoding="utf-8")
        (folder / "Groups.json").write_text(prefix + _list_response(TYPED_GROUPS), encoding="utf-8")
    # the test data is in the typed shape, so the typed path is the one taken
    assert scim._TYPED[0].decode((typed / "Users.json").read_bytes()).Resources[3].userName == " user4@example.com "
    assert len(scim._TYPED[1].decode((typed / "Groups.json").read_bytes()).Resources) == 4
    got = _loaded(typed)
    assert got == _loaded(lenient)
    users, groups, findings, counts = got
    assert counts == [["scim.resources", 7], ["scim.resources", 4]]
    assert [(u["id"], u["user_name"], u["active"], u["user_type"], u["display_name"], u["external_id"])
            for u in users] == [
        ("u1", "user1@example.com", True, None, "Given1 Family1", "00u1"),
        ("u2", "user2@example.com", False, "Guest", "Given2 Family2", None),
        ("u3", "user3@example.com", True, None, "Formatted Three", "00u3"),
        ("u4", " user4@example.com ", True, None, "Given4 Family4", "00u4"),  # as the IdP holds it: held by the plan
        ("u5", "user5@example.com", True, None, None, "00u5"),
        ("u6", "nobody", True, None, "Given6 Family6", "00u6"),
        ("u7", "user7@example.com", True, None, "Given7 Family7", None)]
    assert [[(e["value"], e["primary"]) for e in u["emails"]] for u in users[3:6]] == [
        [("alt4@example.com", True), (" USER4@example.com", False)], [("user5@example.com", True)],  # as held
        [("six@example.com", True)]]
    assert [u["attributes"] for u in users[1:3]] == [{"userType": "Guest", "created": "2024-01-02T03:04:05Z"},
                                                     {"userType": "Pro"}]
    assert [(g["id"], g["display_name"], g["member_user_ids"], g["member_group_ids"]) for g in groups] == [
        ("g1", "sigma-one", ["u1", "u2"], []), ("g2", "", ["u3"], ["g1"]), ("g3", "", ["u4", "u5"], []),
        ("g4", "", [], [])]  # a Group without its displayName is named by nothing, never by its id
    assert [(f["code"], f["location"]) for f in findings] == [
        ("duplicate-user-id", "$.Resources[7]"), ("missing-id", "$.Resources[2].members[2]"),  # value ""
        ("member-not-in-users", ""), ("missing-value", "$.Resources[1]"), ("invalid-user-name", "$.Resources[5]")]


def test_a_record_the_typed_path_cannot_read_sends_the_file_to_the_lenient_walk(tmp_path):
    users = [_user(1), _user(2, id=""), _user(3, active="yes")]
    (tmp_path / "Users.json").write_text(_list_response(users[:2]), encoding="utf-8")
    (tmp_path / "Groups.json").write_text(_list_response([]), encoding="utf-8")
    directory, findings = load_idp([tmp_path / "Users.json", tmp_path / "Groups.json"], "scim")
    assert [u.id for u in directory.users] == ["u1"]
    assert [(f.code, f.location, f.message) for f in findings] == [
        ("missing-id", "$.Resources[1]", "SCIM User has no id; skipped")]
    (tmp_path / "Users.json").write_text(_list_response([users[0], users[2]]), encoding="utf-8")
    directory, findings = load_idp([tmp_path / "Users.json", tmp_path / "Groups.json"], "scim")
    assert [(u.id, u.active) for u in directory.users] == [("u1", True), ("u3", None)]
    assert [(f.severity.value, f.code, f.location, f.field) for f in findings] == [
        ("error", "unreadable-status", "$.Resources[1]", "active")]


@pytest.mark.parametrize("value", ["no", "0", 0, "False", "yes", "true ", 1, "TRUE"])
def test_active_that_is_no_json_boolean_is_an_unreadable_status_error(tmp_path, value):
    # RFC 7643 §2.3.2: a SCIM boolean is the JSON literal true or false; tester2 dirty/scim_active_str read
    # "no", "0", 0 and "False" as inactive and "yes", "true " as active, without a finding
    (tmp_path / "Users.json").write_text(_list_response([_user(1), _user(2, active=value)]), encoding="utf-8")
    (tmp_path / "Groups.json").write_text(_list_response([]), encoding="utf-8")
    directory, findings = load_idp([tmp_path / "Users.json", tmp_path / "Groups.json"], "scim")
    assert [(u.id, u.active) for u in directory.users] == [("u1", True), ("u2", None)]
    assert [(f.severity.value, f.code, Path(f.file).name, f.location, f.field, f.message) for f in findings] == [
        ("error", "unreadable-status", "Users.json", "$.Resources[1]", "active",
         f"active is {value!r}, not true or false: whether the user is active cannot be read "
         "(a plan never guesses it); fix the export")]


def test_two_primary_emails_are_a_warning_naming_the_user_and_the_first_one_is_primary(tmp_path):
    # tester2 finding 9 (dirty/scim_two_primary): RFC 7643 §2.4, "primary" true appears no more than once
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "mateo@acme.example",
            "name": {"givenName": "Mateo", "familyName": "Marsh"}, "active": True,
            "emails": [{"value": "mateo@acme.example", "type": "work", "primary": True},
                       {"value": "wendy@acme.example", "type": "other", "primary": True}]}
    page = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1, "Resources": [user]}
    (tmp_path / "Users.json").write_text(json.dumps(page), encoding="utf-8")
    directory, findings = load_idp(tmp_path / "Users.json", "scim")
    (mateo,) = directory.users
    assert [(e.value, e.primary) for e in mateo.emails] == [("mateo@acme.example", True), ("wendy@acme.example", False)]
    assert [(f.severity.value, f.code, f.location, f.field, f.message) for f in findings] == [
        ("warning", "two-primary-emails", "$.Resources[0]", "emails",
         "2 emails are marked primary (mateo@acme.example, wendy@acme.example); RFC 7643 §2.4 allows one: the "
         "first, mateo@acme.example, is taken as primary and the others as other addresses")]
