"""Issue 14 C.6 (loaders) and C.7: a truncated export makes every action it could affect a blocking item;
an IdP export without its group memberships stops check and plan when the policy reads groups.

Small literal exports: the Sigma side is tests/fixtures/sandbox_seed (9 people, 3 teams).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.model import Severity
from planner.planfile import read_plan
from planner.sources import load_idp

from .conftest import run_cli

SIGMA = Path(__file__).resolve().parent / "fixtures" / "sandbox_seed"
NEXT_LINK = ('<https://acme.okta.com/api/v1/users?limit=3>; rel="self", '
             '<https://acme.okta.com/api/v1/users?after=00u3&limit=3>; rel="next"')
POLICY = """\
version: 1
organization:
  scim_setup_admin: ada.admin@example.com
  api_credential_owner: ada.admin@example.com
  document_owner: ada.admin@example.com
unmatched:
  action: deactivate
guards:
  thresholds: {deactivations: null, team_member_removals: null}
  min_idp_users: 1
  max_shrink_percent: 100
preflight: {saml_only: true, previous_scim: removed_by_support, guests_informed: true}
"""


CREATED = "2020-01-01T00:00:00.000Z"
"""When the IdP made each user of the literal exports here and in tests/test_incomplete_scim_google.py: before
every member of tests/fixtures/sandbox_seed (the first made 2021-01-04), so names other than theirs at their
address are a rename, not a recycled address (planner.rules.address_takeover)."""
SAVED = "2025-06-02T08:00:00.000Z"
"""The day those exports were saved, as their users' last update says (Okta ``lastUpdated``, SCIM
``meta.lastModified``, Google ``lastLoginTime``): after every seed member (the last made 2024-06-27), as a real
export's newest record is after the members it covers, so none reads as made after the export
(``unmatched.new_member``, planner.sources.export_dates.newest_record)."""


def okta_user(n: int, email: str) -> dict:
    # both names: Sigma refuses a SCIM user without them (planner.rules.scim_values); created and last updated
    # as Okta's API always says them (CREATED, SAVED)
    return {"id": f"00u{n}", "status": "ACTIVE", "created": CREATED, "lastUpdated": SAVED,
            "profile": {"login": email, "email": email, "firstName": "Given", "lastName": "Family"}}


PEOPLE = [okta_user(1, "ada.admin@example.com"), okta_user(2, "ben.builder@example.com"),
          okta_user(3, "cleo.viewer@example.com")]


def okta_export(root: Path, users, *, members: dict | None = {"00g1": [{"id": "00u1"}, {"id": "00u2"}]}) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "users.json").write_text(json.dumps(users), encoding="utf-8")
    (root / "groups.json").write_text(json.dumps([{"id": "00g1", "type": "OKTA_GROUP", "objectClass": [
        "okta:user_group"], "profile": {"name": "Finance Analysts"}}]), encoding="utf-8")
    if members is not None:
        (root / "group_members.json").write_text(json.dumps(members), encoding="utf-8")
    return root


def truncation(findings) -> list[tuple]:
    return [(f.severity, f.code, Path(f.file).name, f.location, f.field, f.message)
            for f in findings if f.code == "incomplete-pages"]


# --------------------------------------------------------------------------- the loaders see truncation


def test_a_saved_okta_page_with_link_rel_next_is_truncated(tmp_path):
    _, findings = load_idp(okta_export(tmp_path, {"users": PEOPLE, "link": NEXT_LINK}), "okta-api")
    assert truncation(findings) == [
        (Severity.WARNING, "incomplete-pages", "users.json", "$", "link",
         "Okta users file: the last page still has link set; the export may be missing later pages")]


def test_a_link_with_only_rel_self_is_complete(tmp_path):
    users = {"users": PEOPLE, "link": '<https://acme.okta.com/api/v1/users?limit=3>; rel="self"'}
    _, findings = load_idp(okta_export(tmp_path, users), "okta-api")
    assert truncation(findings) == []


FULL_PAGE_WAYS_OUT = (
    "; if that is really all, save the empty answer of the next page too (the file a JSON array of pages "
    "ending with []) or pull with `sigma-migrate fetch-idp okta` (its manifest vouches for every page)")
"""tester6 finding 17: the ways out of an org that really has exactly 200 users ("export again" gives the same)."""


@pytest.mark.parametrize("count, truncated", [(200, True), (199, False), (201, False)])
def test_an_okta_users_file_of_exactly_one_full_page_is_truncated(tmp_path, count, truncated):
    users = [okta_user(n, f"user{n}@example.com") for n in range(count)]
    _, findings = load_idp(okta_export(tmp_path, users, members={}), "okta-api")
    assert truncation(findings) == ([
        (Severity.WARNING, "incomplete-pages", "users.json", "$", "",
         'Okta users file: exactly 200 records, one full page of GET /api/v1/users (limit 200, its default) and no '
         'Link: rel="next": the next pages are probably missing' + FULL_PAGE_WAYS_OUT)] if truncated else [])


def test_an_okta_org_of_exactly_200_users_saved_with_the_empty_next_page_is_whole(tmp_path):
    # the first way out FULL_PAGE_WAYS_OUT names: the pages, the last one the empty answer after the 200th user
    users = [okta_user(n, f"user{n}@example.com") for n in range(200)]
    _, findings = load_idp(okta_export(tmp_path, [users, []], members={}), "okta-api")
    assert truncation(findings) == []


def test_a_graph_users_file_still_carrying_odata_next_link_is_truncated(tmp_path):
    (tmp_path / "users.json").write_text(json.dumps({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
        "value": [{"id": "u1", "userPrincipalName": "a@example.com", "accountEnabled": True}],
        "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=X"}), encoding="utf-8")
    _, findings = load_idp(tmp_path / "users.json", "entra-graph")
    assert truncation(findings) == [
        (Severity.WARNING, "incomplete-pages", "users.json", "$", "@odata.nextLink",
         "Graph users file: the last page still has @odata.nextLink set; the export may be missing later pages")]


# --------------------------------------------------------------------------- the plan blocks what they affect


def plan(capsys, tmp_path, idp: Path) -> tuple[int, str, object]:
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(SIGMA), "--idp", str(idp), "--policy",
                           str(tmp_path / "policy.yaml"), "--out", str(out), "--detailed-exitcode")
    return code, err, (read_plan(out) if out.exists() else None)


def test_every_action_a_truncated_users_file_could_affect_is_a_blocking_item(capsys, tmp_path):
    idp = okta_export(tmp_path / "okta", {"users": PEOPLE, "link": NEXT_LINK})
    code, _, result = plan(capsys, tmp_path, idp)
    assert code == 3   # --detailed-exitcode: changes, blocked by review items
    affected = ["members.deactivate:Dn7OBrienDn7OBrienDn7OBrienDn",
                "members.deactivate:Sm3StewardSm3StewardSm3Stewar",
                "members.disable_guest:Gw8GuestGw8GuestGw8GuestGw8Gu",
                "scim.set_group_members:00g1",
                "teams.remove_member:88858466-5299-4425-95c0-000000000001:Dn7OBrienDn7OBrienDn7OBrienDn",
                "teams.remove_member:88858466-5299-4425-95c0-000000000001:Gw8GuestGw8GuestGw8GuestGw8Gu"]
    assert sorted(a.id for a in result.actions if a.kind.value in (
        "members.deactivate", "members.disable_guest", "teams.remove_member", "scim.set_account_type",
        "scim.deactivate_user", "scim.set_group_members")) == affected
    items = {i.id: i for i in result.review_items if i.code == "inputs.truncated"}
    assert sorted(items) == [f"inputs.truncated:{a}" for a in affected]
    assert all(i.blocking for i in items.values())
    item = items["inputs.truncated:members.deactivate:Sm3StewardSm3StewardSm3Stewar"]
    users = idp / "users.json"
    assert item.message == (
        "members.deactivate (deactivate: no IdP user matches this member; documents go to ada.admin@example.com) "
        "rests on an export cut short (a listing saved without all its pages), so what is missing or stale may "
        f"change it: {users}:$: Okta users file: the last page still has link set; the export "
        "may be missing later pages")
    assert item.subject.fields() == {"memberId": "Sm3StewardSm3StewardSm3Stewar", "email": "sam.steward@example.com",
                            "actionId": "members.deactivate:Sm3StewardSm3StewardSm3Stewar",
                            "kind": "members.deactivate"}
    assert item.resolution == ("# no policy setting settles this: export again, whole (every page, every user, "
                               f"every group's and team's members), {users}; then plan again\n")


def test_a_complete_export_has_no_truncation_item(capsys, tmp_path):
    code, _, result = plan(capsys, tmp_path, okta_export(tmp_path / "okta", PEOPLE))
    assert code == 2
    assert [i for i in result.review_items if i.code == "inputs.truncated"] == []


# --------------------------------------------------------------------------- C.7 missing group memberships


def test_users_without_group_memberships_stop_check_and_plan_naming_the_missing_file(capsys, tmp_path):
    idp = okta_export(tmp_path / "okta", PEOPLE, members=None)
    message = (f"{idp}: the okta-api export has 3 user(s) but 1 group(s) without members: group_members.json "
               "({groupId: [users]}: the answers of GET /api/v1/groups/{id}/users) is missing, and the policy reads "
               "group memberships (teams.rules); every account type and team would change on that absence: add "
               "the file (missing-group-memberships)")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(idp))
    assert code == 1
    assert "(missing-group-memberships)" in out
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(idp), "--json")
    assert code == 1
    assert [f"{f['file']}: {f['message']} ({f['code']})" for f in json.loads(out)["findings"]
            if f["severity"] == "error"] == [message]
    code, err, result = plan(capsys, tmp_path, idp)
    assert code == 1 and result is None
    assert err == (f"sigma-migrate: error: the inputs have 1 error(s), first: error: {message}; run "
                   "`sigma-migrate check` to list every finding\n")


def test_entra_csv_without_group_member_files_names_them(capsys, tmp_path):
    root = tmp_path / "entra"
    root.mkdir()
    (root / "users.csv").write_text("id,userPrincipalName,accountEnabled\nu1,ada.admin@example.com,True\n",
                                    encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(
        "version: 1\naccount_types:\n  group_map: {Sigma Admins: Admin}\n  precedence: [Admin]\n"
        "teams:\n  rules: []\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(root), "--policy",
                           str(tmp_path / "policy.yaml"), "--json")
    assert code == 1
    errors = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert [(e["code"], e["file"], e["message"]) for e in errors] == [(
        "missing-group-memberships", str(root),
        "the entra-csv export has 1 user(s) but no groups: group_members/<group name>.csv (Groups > Members > "
        "Download members, one file per group) is missing, and the policy reads group memberships "
        "(account_types.group_map); every account type and team would change on that absence: add the file")]


def test_a_policy_that_reads_no_group_needs_no_membership_file(capsys, tmp_path):
    idp = okta_export(tmp_path / "okta", PEOPLE, members=None)
    (tmp_path / "policy.yaml").write_text("version: 1\nteams:\n  rules: []\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(idp), "--policy",
                           str(tmp_path / "policy.yaml"), "--json")
    assert code == 0
    assert [f["code"] for f in json.loads(out)["findings"] if f["severity"] == "error"] == []


def test_check_refuses_a_bad_policy_even_when_the_exports_need_none(capsys, tmp_path):
    """The default policy is read only when memberships are missing; a policy given is always read."""
    idp = okta_export(tmp_path / "okta", PEOPLE)
    (tmp_path / "policy.yaml").write_text("version: 1\nteams: {mode: bogus}\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(idp), "--policy",
                             str(tmp_path / "policy.yaml"))
    assert (code, out) == (1, "")
    assert err == (f"sigma-migrate: error: {tmp_path / 'policy.yaml'}:2:15: teams.mode: Input should be 'link' "
                   "or 'create'\n")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(idp), "--json")
    assert code == 0 and json.loads(out)["summary"]["findings"]["error"] == 0


def test_an_okta_export_listing_no_groups_is_an_idp_without_groups_not_a_missing_file(capsys, tmp_path):
    """tester10 finding 15: groups.json ``[]`` with group_members.json ``{}`` is an IdP that has no groups,
    consistent: no missing-group-memberships error (was: refused as a missing members file); the teams no
    group maps to are the plan's question."""
    idp = okta_export(tmp_path / "okta", PEOPLE, members={})
    (idp / "groups.json").write_text("[]", encoding="utf-8")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(idp), "--json")
    assert [f["code"] for f in json.loads(out)["findings"] if f["severity"] == "error"] == []
    assert code == 0
    code, err, result = plan(capsys, tmp_path, idp)
    assert (code, err) == (2, "")  # --detailed-exitcode: changes, approvable
    assert [(i.id, i.blocking) for i in result.review_items if i.code.startswith("teams.")] == [
        ("teams.unmanaged:teams", False)]
