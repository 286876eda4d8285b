"""Google Workspace loaders: admin console CSV (and GAM's) and Directory API JSON (docs/formats.md §4)."""

from __future__ import annotations

from pathlib import Path

from planner.sources import load_idp

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def test_console_download_with_bracketed_headers():
    directory, findings = load_idp(FIXTURES / "google_csv")
    assert directory.format == "google-csv" and findings == []
    ana, ben, chloe = directory.users
    assert (ana.id, ana.user_name, ana.given_name, ana.family_name, ana.display_name) == (
        "ana.lopez@example.com", "ana.lopez@example.com", "Ana", "Lopez", "Ana Lopez")
    assert [(e.value, e.primary, e.type) for e in ana.emails] == [
        ("ana.lopez@example.com", True, "primary"), ("a.lopez@example.com", False, "work")]
    assert [(u.status, u.active) for u in (ana, ben, chloe)] == [
        ("Active", True), ("Suspended", False), ("Active", True)]
    assert ana.attributes["lastLogin"] == "2025-05-21T09:14:55Z" and "lastLogin" not in chloe.attributes
    assert ana.attributes["recoveryEmail"] == "ana.personal@mail.example"  # kept, but not an identity email
    assert ana.attributes["2sv Enrolled [READ ONLY]"] == "True"
    assert not any(v == "****" or k in ("password", "passwordHashFunction")
                   for u in directory.users for k, v in u.attributes.items())  # passwords are never kept
    assert directory.groups == ()


def test_gam_export_ids_suspended_flag_and_epoch_login():
    directory, _ = load_idp(FIXTURES / "google_gam")
    ana, ben, chloe = directory.users
    assert (ana.id, ana.active, ana.attributes["lastLogin"]) == ("104857600000000000001", True, "2025-05-21T09:14:55Z")
    assert (ben.status, ben.active) == ("Suspended", False)
    assert "lastLogin" not in chloe.attributes  # 1970-01-01 means never signed in


def test_directory_api_users_with_aliases_and_flags():
    directory, findings = load_idp(FIXTURES / "google_api")
    ana, ben, chloe = directory.users
    assert (ana.id, ana.user_name, ana.display_name) == ("104857600000000000001", "ana.lopez@example.com", "Ana Lopez")
    assert [e.value for e in ana.emails] == ["ana.lopez@example.com", "a.lopez@example.com"]
    assert [(u.status, u.active) for u in (ana, ben, chloe)] == [
        ("Active", True), ("Suspended", False), ("Active", True)]
    assert ben.attributes["suspensionReason"] == "ADMIN" and chloe.attributes["isAdmin"] is True
    assert ana.source.location == "$.users[0]"


def test_directory_api_groups_members_by_group_key_and_nesting():
    directory, findings = load_idp(FIXTURES / "google_api")
    assert [(g.id, g.display_name, g.member_user_ids, g.member_group_ids) for g in directory.groups] == [
        ("03abc00000000000", "Finance", ("104857600000000000001", "104857600000000000002"), ("03abc00000000001",)),
        ("03abc00000000001", "Finance Contractors", ("104857600000000000003",), ()),
    ]
    assert [(f.code, f.location, f.message) for f in findings] == [(
        "whole-domain-member", '$["finance@example.com"].members[3]',
        "group 'Finance' has the whole domain as a member (type CUSTOMER, id 'C01abcde': everyone in the "
        "organization), whose people this export does not list as members: who the group covers is not known, so "
        "it is not read as its other members only; add the people to the group (or export them as its members) "
        "and export again",
    ), (  # tester18 finding 8: an EXTERNAL member with an address is an outside member, named (was: ignored, counted)
        "unknown-group-member", "",
        "group 'Finance Contractors' lists 1 member(s) outside this export's domain(s) (outside@partner.example): no "
        "user of the export, never provisioned by Google's SCIM app; an active Sigma member with such an address is "
        "asked about, not deactivated (unmatched.outside_member; in a team's group teams.outside_member)",
    )]
    assert directory.groups[1].outside_members == ("outside@partner.example",)
