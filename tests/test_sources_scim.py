"""SCIM 2.0 ListResponse loader (RFC 7643 / RFC 7644 §3.4.2; docs/formats.md §7)."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert [(f.code, f.location) for f in findings] == [("unknown-group-member", "$.Resources[1]")]


def test_attribute_names_are_case_insensitive_and_unknown_extensions_are_kept():
    directory, findings = load_idp(FIXTURES / "scim_mixed")
    dana, eli = directory.users
    assert (dana.id, dana.user_name, dana.given_name, dana.family_name, dana.active) == (
        "u-1", "Dana.Kim@Example.com", "Dana", "Kim", False)
    assert [(e.value, e.primary) for e in dana.emails] == [("dana.kim@example.com", True)]
    assert dana.attributes["urn:example:params:scim:schemas:extension:acme:2.0:User"] == {"badgeColor": "green"}
    assert (eli.active, eli.primary_email.value) == (True, "eli.ross@example.com")  # userName as email
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("grp-1", ("u-1", "u-2"))]
    assert [(f.severity.value, f.code) for f in findings] == [("info", "coerced-boolean")]


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
