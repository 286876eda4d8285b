"""tester14a findings 1 and 10: an identity value is never silently changed by a loader.

One rule (planner.sources.values.CSV_PADDING, docs/formats.md §0.8), every loader: in a JSON export (an API
answer) a ``userName`` / login / UPN / email is kept as the IdP holds it, white space around it included, and the
plan holds the person (``scim.unclean_user_name``, blocking: no link, no create, and the member the value names
is neither linked nor deactivated); in a CSV export spaces and tabs around a cell are an exporter's or a
spreadsheet's padding: trimmed, with one ``padding-trimmed`` finding per file and field in ``check``, the plan as
for the clean value; any other white space around a CSV cell (a no-break space) is kept, the person held as in
JSON. Each IdP format planned for real (``sigma-migrate plan``) on a tiny organization, every action and item
pinned; the Sigma side's members' emails and ``memberType`` follow the same rule.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from .conftest import write
from .tiny_org import ANN, MARCUS, ORG, POLICY, ZERO, actions as _actions, blocking as _blocking, entra_csv
from .tiny_org import generic_csv, google_csv, plan_and_check, sigma_export

CLEAN = "zero.lead@acme.example"
NBSP = CLEAN + "\u00a0"
PADDED = f"  {CLEAN}\t"
_plan = partial(plan_and_check, shown=("warning:", "error:", "info:"))
PEOPLE = (("Marcus", "Webb", "marcus.webb@acme.example"), ("Ann", "Active", "ann.active@acme.example"))


def _okta(tmp_path: Path, zero: str) -> Path:
    users = [{"id": f"00u{n}", "status": "ACTIVE", "profile": {"login": login, "email": login, "firstName": first,
                                                                "lastName": last}}
             for n, (first, last, login) in enumerate((*PEOPLE, ("Zero", "Lead", zero)))]
    return write(tmp_path / "okta" / "users.json", json.dumps(users)).parent


def _graph(tmp_path: Path, zero: str) -> Path:
    users = [{"id": f"9f1c2d3e-0a1b-4c2d-8e3f-00000000000{n}", "userPrincipalName": upn, "displayName": f"{f} {s}",
              "givenName": f, "surname": s, "mail": upn, "userType": "Member", "accountEnabled": True}
             for n, (f, s, upn) in enumerate((*PEOPLE, ("Zero", "Lead", zero)))]
    return write(tmp_path / "graph" / "users.json", json.dumps({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": users})).parent


def _google_api(tmp_path: Path, zero: str) -> Path:
    users = [{"kind": "admin#directory#user", "id": f"11485760000000000012{n}", "primaryEmail": primary,
              "name": {"givenName": g, "familyName": f, "fullName": f"{g} {f}"}, "suspended": False,
              "archived": False, "emails": [{"address": primary, "primary": True}]}
             for n, (g, f, primary) in enumerate((*PEOPLE, ("Zero", "Lead", zero)))]
    return write(tmp_path / "google" / "users.json", json.dumps({"kind": "admin#directory#users",
                                                                "users": users})).parent


def _scim(tmp_path: Path, zero: str) -> Path:
    users = [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": f"u{n}", "userName": name,
              "name": {"givenName": g, "familyName": f}, "active": True,
              "emails": [{"value": name, "primary": True, "type": "work"}]}
             for n, (g, f, name) in enumerate((*PEOPLE, ("Zero", "Lead", zero)))]
    folder = tmp_path / "scim"
    write(folder / "Users.json", json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                                             "totalResults": 3, "Resources": users}))
    write(folder / "Groups.json", json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                                              "totalResults": 0, "Resources": []}))
    return folder


JSON_LOADERS = {"okta": (_okta, "00u2"), "entra-graph": (_graph, "9f1c2d3e-0a1b-4c2d-8e3f-000000000002"),
                "google-api": (_google_api, "114857600000000000122"), "scim": (_scim, "u2")}
CSV_LOADERS = {"google-csv": (google_csv, "User_Download_06122026_173000.csv", ("Email Address [Required]",)),
               "entra-csv": (entra_csv, "users.csv", ("userPrincipalName", "mail")),
               "generic-csv": (generic_csv, "users.csv", ("userName", "email"))}
CSV_IDS = {"google-csv": NBSP, "entra-csv": "a12ae23d-e684-4205-92f6-d60434d1357b", "generic-csv": "u3"}
SHOWN_IDS = CSV_IDS | {"google-csv": "zero.lead@acme.example\\xa0"}
"""The ids as an item's message writes them: Google's id is the address, its no-break space written visibly
(words18: the message carried it raw)."""
LINKS = [f"scim.link_user:{ANN}", f"scim.link_user:{MARCUS}"]
NBSP_WORDS = "trailing U+00A0 NO-BREAK SPACE"
PADDED_WORDS = "leading U+0020 SPACE, U+0020 SPACE; trailing U+0009 TAB"


def _held(idp_id: str, user_name: str, differences: str) -> list[tuple[str, str]]:
    """The one blocking item of Zero, whose IdP userName ``user_name`` is not clean (``differences``)."""
    return [(f"scim.unclean_user_name:{ZERO}",
             f"IdP user {idp_id} would send userName {user_name!r}, which is not clean ({differences}): Sigma's SCIM "
             "refuses such a userName (400), so linking member 'zero.lead@acme.example' would fail during apply; "
             "held (neither linked nor created) until the IdP stores the userName without them")]


@pytest.mark.parametrize("value, differences", [(NBSP, NBSP_WORDS), (PADDED, PADDED_WORDS)], ids=["nbsp", "spaces"])
@pytest.mark.parametrize("loader", list(JSON_LOADERS))
def test_a_json_identity_value_is_kept_as_the_idp_holds_it_and_its_person_held(tmp_path, capsys, loader, value,
                                                                               differences):
    """tester14a finding 1: was created or linked with the trimmed userName, which the IdP never sends."""
    make, idp_id = JSON_LOADERS[loader]
    plan, lines = _plan(capsys, tmp_path, make(tmp_path, value))
    assert _actions(plan) == LINKS  # Zero's member neither linked nor deactivated
    assert _blocking(plan) == _held(idp_id, value, differences)
    assert lines == []  # an API answer's value is the IdP's: nothing trimmed, nothing to say


@pytest.mark.parametrize("loader", list(CSV_LOADERS))
def test_a_csv_cell_with_a_no_break_space_around_it_is_kept_and_its_person_held(tmp_path, capsys, loader):
    make, _, _ = CSV_LOADERS[loader]
    plan, lines = _plan(capsys, tmp_path, make(tmp_path, NBSP))
    assert _actions(plan) == LINKS
    assert _blocking(plan) == _held(SHOWN_IDS[loader], NBSP, NBSP_WORDS)
    assert lines == []


@pytest.mark.parametrize("loader", list(CSV_LOADERS))
def test_a_csv_cell_padded_with_spaces_and_a_tab_is_trimmed_and_check_says_so(tmp_path, capsys, loader):
    make, name, headers = CSV_LOADERS[loader]
    idp = make(tmp_path, PADDED)
    plan, lines = _plan(capsys, tmp_path, idp)
    assert _actions(plan) == sorted([*LINKS, f"scim.link_user:{ZERO}"])  # as for the clean value
    assert next(a for a in plan["actions"] if a["id"] == f"scim.link_user:{ZERO}")["after"]["userName"] == CLEAN
    assert _blocking(plan) == []
    assert lines == [
        f"info: {idp / name}:line 4 [{header}]: 1 {header} value(s) have spaces or tabs around them (first at line 4: "
        "leading U+0020 SPACE, U+0020 SPACE, trailing U+0009 TAB): trimmed, as an exporter or a spreadsheet pads "
        "cells; any other white space around a value (a no-break space) is kept, and its person held "
        "(padding-trimmed)" for header in headers]


def test_a_new_okta_user_whose_login_ends_with_a_no_break_space_is_not_created(tmp_path, capsys):
    """tester14a finding 1's repro: a user the plan would create, held by the blocking item, no create."""
    idp = _okta(tmp_path, CLEAN)
    users = json.loads((idp / "users.json").read_text(encoding="utf-8"))
    users.append({"id": "00uNEW", "status": "ACTIVE", "profile": {
        "login": "zed.newperson@acme.example\u00a0", "email": "zed.newperson@acme.example\u00a0",
        "firstName": "Zed", "lastName": "Newperson"}})
    write(idp / "users.json", json.dumps(users))
    plan, _ = _plan(capsys, tmp_path, idp)
    assert _actions(plan) == sorted([*LINKS, f"scim.link_user:{ZERO}"])
    assert _blocking(plan) == [(
        "scim.unclean_user_name:00uNEW",
        "IdP user 00uNEW would send userName 'zed.newperson@acme.example\\xa0', which is not clean (trailing U+00A0 "
        "NO-BREAK SPACE): Sigma's SCIM refuses such a userName (400), so creating this user would fail during "
        "apply; held (neither linked nor created) until the IdP stores the userName without them")]
    users[-1]["profile"].update(login="zed.newperson@acme.example", email="zed.newperson@acme.example")
    write(idp / "users.json", json.dumps(users))
    plan, _ = _plan(capsys, tmp_path, idp)  # the control: typed clean, the user is created
    assert _actions(plan) == sorted([*LINKS, f"scim.link_user:{ZERO}", "scim.create_user:00uNEW"])


def _sigma_csv(tmp_path: Path, email: str, member_type: str) -> Path:
    """The tiny organization's members as members.csv, Zero's email and memberType as given."""
    sigma = tmp_path / "sigma"
    write(sigma / "members.csv",
          "memberId,email,firstName,lastName,memberType,userKind,isArchived,isInactive,organizationId\n"
          f"{MARCUS},marcus.webb@acme.example,Marcus,X,Admin,internal,false,false,{ORG}\n"
          f"{ANN},ann.active@acme.example,Ann,X,View,internal,false,false,{ORG}\n"
          f"{ZERO},{email},Zero,X,{member_type},internal,false,false,{ORG}\n")
    write(sigma / "teams.json", '{"entries": [], "nextPage": null}')
    write(sigma / "team_members.json", "{}")
    return sigma


def _account_types(sigma: Path) -> Path:
    write(sigma / "account_types.json", json.dumps({"entries": [
        {"accountTypeId": n, "accountTypeName": n, "isCustom": False} for n in ("Admin", "Analyze", "View")],
        "nextPageToken": None}))
    return sigma


def test_a_members_csv_email_follows_the_same_rule(tmp_path, capsys):
    """A member's email with a no-break space is kept (the plan sets it clean before the link, as for JSON:
    linking.unclean_sigma_email); padded with spaces it is trimmed, and said."""
    idp = _okta(tmp_path, CLEAN)
    sigma = _sigma_csv(tmp_path / "nbsp", NBSP, "View")
    plan, lines = _plan(capsys, tmp_path, idp, sigma)
    assert _actions(plan) == sorted([*LINKS, f"scim.link_user:{ZERO}", f"members.set_email:{ZERO}"])
    assert lines == [f"info: {sigma / 'members.csv'}:line 4 [email]: member {ZERO}'s email {NBSP!r}: trailing U+00A0 "
                     "NO-BREAK SPACE; a plan linking it sets it to the IdP's userName first "
                     "(linking.unclean_sigma_email) (unclean-email)"]
    sigma = _sigma_csv(tmp_path / "spaces", PADDED, "View")
    plan, lines = _plan(capsys, tmp_path, idp, sigma)
    assert _actions(plan) == sorted([*LINKS, f"scim.link_user:{ZERO}"])
    assert lines == [f"info: {sigma / 'members.csv'}:line 4 [email]: 1 email value(s) have spaces or tabs around them "
                     "(first at line 4: leading U+0020 SPACE, U+0020 SPACE, trailing U+0009 TAB): trimmed, as an "
                     "exporter or a spreadsheet pads cells; any other white space around a value (a no-break space) "
                     "is kept, and its person held (padding-trimmed)"]


def test_a_members_csv_member_type_padded_with_a_space_is_trimmed_and_said(tmp_path, capsys):
    """tester14a finding 10: 'Analyze ' in members.csv was trimmed silently."""
    sigma = _account_types(_sigma_csv(tmp_path, CLEAN, "Analyze "))
    plan, lines = _plan(capsys, tmp_path, _okta(tmp_path, CLEAN), sigma)
    assert _actions(plan) == sorted([*LINKS, f"scim.link_user:{ZERO}"])
    assert next(a for a in plan["actions"] if a["id"] == f"scim.link_user:{ZERO}")["after"]["userType"] == "Analyze"
    assert _blocking(plan) == []
    assert lines == [f"info: {sigma / 'members.csv'}:line 4 [memberType]: 1 memberType value(s) have spaces or tabs "
                     "around them (first at line 4: trailing U+0020 SPACE): trimmed, as an exporter or a spreadsheet "
                     "pads cells; any other white space around a value (a no-break space) is kept, and its person "
                     "held (padding-trimmed)"]


def test_a_json_member_type_with_a_space_is_named_so_not_blamed_on_the_account_types_file(tmp_path, capsys):
    """tester14a finding 10: was 'unknown-member-type ... the account types file is incomplete; export the account
    types again', 37 inputs.truncated items repeating it, and a reason printing 'Analyze  -> Analyze'."""
    sigma = _account_types(sigma_export(tmp_path))
    members = json.loads((sigma / "members.json").read_text(encoding="utf-8"))
    members[2]["memberType"] = "Analyze "
    write(sigma / "members.json", json.dumps(members))
    idp = _okta(tmp_path, CLEAN)
    plan, lines = _plan(capsys, tmp_path, idp, sigma)
    assert lines == [
        f"warning: {sigma / 'members.json'}:$[2] [memberType]: memberType 'Analyze ' of 1 member(s) (first {ZERO}) "
        "has white space around it (trailing U+0020 SPACE): it differs from account type 'Analyze' only by white "
        "space; Sigma matches account types exactly and writes a member's type as the type is named, so the plan "
        "reads it as written, not as 'Analyze' (kept, it is a type Sigma does not know, account_types.unknown_type; "
        "changed, a custom-type replacement): export the members again without editing them (member-type-space)"]
    assert _actions(plan) == LINKS  # Zero held: no link sending a type Sigma does not know
    assert _blocking(plan) == [(
        "account_types.unknown_type:Analyze ",
        "account type 'Analyze ' is not one of the organization's (Admin, Analyze, View: account_types.json, GET "
        "/v2/accountTypes), and 1 person(s) would get it (their current type, account_types.default: keep): "
        "zero.lead@acme.example; Sigma refuses a userType it does not know, so they are held (no link, no "
        "account-type change): 'Analyze ' has white space around it, as the members file writes the memberType "
        "(the member-type-space warning): export the members again without editing them, or give them an existing "
        "type in the policy")]
    plan, _ = _plan(capsys, tmp_path, idp, sigma, policy=POLICY + "account_types:\n  default: View\n")
    change = next(a for a in plan["actions"] if a["id"] == f"scim.set_account_type:{ZERO}")
    assert change["reason"] == "custom-type replacement: 'Analyze ' -> View (no mapped group: account_types.default)"
    assert [r["code"] for r in plan["review_items"] if r["blocking"]] == [
        "account_types.custom_replacement", "account_types.protected_account"]  # no inputs.truncated


def test_only_ascii_spaces_and_tabs_are_csv_padding():
    from planner.sources.values import padding_parts, trim_padding

    assert trim_padding(" \tann@x.com\t ") == "ann@x.com"
    for kept in ("\u00a0", "\u2003", "\u3000", "\ufeff", "\u200b"):
        assert trim_padding(f" {kept}ann@x.com{kept}\t") == f"{kept}ann@x.com{kept}"
    assert padding_parts("\u00a0ann@x.com \t") == "leading U+00A0 NO-BREAK SPACE, trailing U+0020 SPACE, U+0009 TAB"
    assert padding_parts("ann@x.com") == ""
