"""Issue 10, tester5 findings 3, 4, 18, 19: a paged export cut anywhere, not only at its end, is an
``incomplete-pages`` finding (so a blocking ``inputs.truncated`` item for every action it could change);
a count no loader read, a page of ``null``, and a Graph answer of the wrong entity set are no longer taken
as a complete users listing.

Small literal exports on the Sigma side of tests/fixtures/sandbox_seed (policy of
tests/test_incomplete_inputs.py), and the tester's own Graph export of the Acme sample without Mateo
(tests/fixtures/tester5, ``@odata.count`` 166 over 165 users).
"""

from __future__ import annotations

import json
from pathlib import Path

from planner.model import Severity
from planner.planfile import read_plan
from planner.sources import load_idp

from .conftest import errors, run_cli, write
from .test_incomplete_inputs import plan, truncation

TESTER5 = Path(__file__).resolve().parent / "fixtures" / "tester5"
SAMPLE_SIGMA = Path(__file__).resolve().parent.parent / "samples" / "acme" / "sigma"
MATEO = "E6Cwzz30oBCQzpkV71M6PlfQx9oKM"
USERS_CONTEXT = ("https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,givenName,surname,accountEnabled,"
                 "createdDateTime)")


def graph_user(n: int, upn: str) -> dict:
    return {"id": f"u{n}", "userPrincipalName": upn, "givenName": "Given", "surname": "Family",
            "accountEnabled": True, "createdDateTime": "2026-12-01T00:00:00Z"}  # a $select without it: cannot tell


USERS = [graph_user(1, "ada.admin@example.com"), graph_user(2, "ben.builder@example.com"),
         graph_user(3, "cleo.viewer@example.com")]
GROUPS = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups",
          "value": [{"id": "g1", "displayName": "Finance Analysts", "securityEnabled": True}]}
MEMBERS = {"g1": {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
                  "value": [{"@odata.type": "#microsoft.graph.user", "id": "u1"},
                            {"@odata.type": "#microsoft.graph.user", "id": "u2"}]}}


def graph_export(root: Path, users, members=MEMBERS) -> Path:
    write(root / "users.json", json.dumps(users))
    write(root / "groups.json", json.dumps(GROUPS))
    write(root / "group_members.json", json.dumps(members))
    return root


# --------------------------------------------------------------------------- Graph @odata.count


def test_a_graph_users_answer_holding_fewer_records_than_its_odata_count_is_cut(tmp_path):
    users = {"@odata.context": USERS_CONTEXT, "@odata.count": 4, "value": USERS}
    _, findings = load_idp(graph_export(tmp_path, users), "entra-graph")
    assert truncation(findings) == [(
        Severity.WARNING, "incomplete-pages", "users.json", '$["@odata.count"]', "@odata.count",
        "Graph users file: @odata.count is 4 but the saved page(s) hold 3 records: pages are missing (a middle "
        "one too: pages carry no position, only the count tells); export every page again")]


def test_a_missing_middle_page_is_told_by_the_count_on_the_first_page(tmp_path):
    pages = [{"@odata.context": USERS_CONTEXT, "@odata.count": 4, "value": USERS[:1],
              "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$top=1&$skiptoken=A"},
             # the page of $skiptoken=A (one user) was not saved
             {"@odata.context": USERS_CONTEXT, "value": USERS[1:2],
              "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$top=1&$skiptoken=C"},
             {"@odata.context": USERS_CONTEXT, "value": USERS[2:]}]
    _, findings = load_idp(graph_export(tmp_path, pages), "entra-graph")
    assert [(t[1], t[3], t[5].split(":")[1]) for t in truncation(findings)] == [
        ("incomplete-pages", '$[0]["@odata.count"]', " @odata.count is 4 but the saved page(s) hold 3 records")]


def test_a_count_equal_to_the_records_held_is_no_finding(tmp_path):
    users = {"@odata.context": USERS_CONTEXT, "@odata.count": 3, "value": USERS}
    _, findings = load_idp(graph_export(tmp_path, users), "entra-graph")
    assert truncation(findings) == []
    assert errors(findings) == []


def test_more_records_than_the_count_is_cut_too(tmp_path):
    users = {"@odata.context": USERS_CONTEXT, "@odata.count": 2, "value": USERS}
    _, findings = load_idp(graph_export(tmp_path, users), "entra-graph")
    assert [t[5] for t in truncation(findings)] == [
        "Graph users file: @odata.count is 2 but the saved page(s) hold 3 records: records were added to the "
        "answer or the count belongs to another query; export every page again"]


def test_a_count_that_is_text_is_an_error_naming_file_and_field(tmp_path):
    users = {"@odata.context": USERS_CONTEXT, "@odata.count": "3", "value": USERS}
    _, findings = load_idp(graph_export(tmp_path, users), "entra-graph")
    assert errors(findings) == [("unexpected-json-shape", "users.json", '$["@odata.count"]', "@odata.count",
                                 "Graph users file: @odata.count must be a whole number, found a string '3'")]


def test_a_group_members_answer_cut_against_its_count_is_cut(tmp_path):
    members = {"g1": dict(MEMBERS["g1"], **{"@odata.count": 3})}
    _, findings = load_idp(graph_export(tmp_path, {"@odata.context": USERS_CONTEXT, "value": USERS}, members),
                           "entra-graph")
    assert [(t[2], t[3]) for t in truncation(findings)] == [("group_members.json", '$["g1"]["@odata.count"]')]


def test_a_page_of_null_is_a_lost_page(tmp_path):
    pages = [{"@odata.context": USERS_CONTEXT, "value": None,
              "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=A"},
             {"@odata.context": USERS_CONTEXT, "value": USERS}]
    _, findings = load_idp(graph_export(tmp_path, pages), "entra-graph")
    assert truncation(findings) == [(
        Severity.WARNING, "incomplete-pages", "users.json", "$[0].value", "",
        "Graph users file: 1 page(s) hold null instead of an array of records (first at $[0].value); an API "
        "answers an array, so their records were lost: export every page again")]


def test_a_cut_users_file_blocks_every_action_it_could_change(capsys, tmp_path):
    idp = graph_export(tmp_path / "graph", {"@odata.context": USERS_CONTEXT, "@odata.count": 5, "value": USERS})
    code, _, result = plan(capsys, tmp_path, idp)
    assert code == 3  # --detailed-exitcode: changes, blocked by review items
    blocked = sorted(i.id for i in result.review_items if i.code == "inputs.truncated" and i.blocking)
    assert blocked == [
        "inputs.truncated:members.deactivate:Dn7OBrienDn7OBrienDn7OBrienDn",
        "inputs.truncated:members.deactivate:Sm3StewardSm3StewardSm3Stewar",
        "inputs.truncated:members.disable_guest:Gw8GuestGw8GuestGw8GuestGw8Gu",
        "inputs.truncated:scim.set_group_members:g1",
        "inputs.truncated:teams.remove_member:88858466-5299-4425-95c0-000000000001:Dn7OBrienDn7OBrienDn7OBrienDn",
        "inputs.truncated:teams.remove_member:88858466-5299-4425-95c0-000000000001:Gw8GuestGw8GuestGw8GuestGw8Gu"]


def test_tester5_count_cut_export_no_longer_deactivates_mateo_unreviewed(capsys, tmp_path):
    """tester5 finding 4: the Acme export without Mateo, @odata.count still 166: 0 blocking before."""
    out = tmp_path / "plan.json"
    code, stdout, _ = run_cli(capsys, "plan", "--sigma", str(SAMPLE_SIGMA), "--idp",
                              str(TESTER5 / "graph_mateo_nogroup_countcut"), "--policy",
                              str(TESTER5 / "pol_entra_noscope.yaml"), "--out", str(out), "--detailed-exitcode")
    assert code == 3
    result = read_plan(out)
    blocking = [i for i in result.review_items if i.blocking]
    assert len(blocking) == 39
    # its $select has no externalUserState: Carol's conversion cannot tell her invitation (tester21 finding 7)
    assert [i.id for i in blocking if i.code != "inputs.truncated"] == [
        "guests.invitation_pending:26360456-7b15-4cd5-bf1d-78569f8aa423"]
    assert f"inputs.truncated:members.deactivate:{MATEO}" in {i.id for i in blocking}
    assert "39 blocking review item(s)" in stdout


# --------------------------------------------------------------------------- Graph @odata.context


def test_a_users_file_holding_a_groups_answer_is_refused_naming_the_context(capsys, tmp_path):
    users = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups", "value": USERS}
    idp = graph_export(tmp_path / "graph", users)
    code, err, _ = plan(capsys, tmp_path, idp)
    assert code == 1
    assert err.strip() == (
        f"sigma-migrate: error: the inputs have 1 error(s), first: error: {idp / 'users.json'}:$ [@odata.context]: "
        "users.json's @odata.context names the entity set 'groups' ($metadata#groups), not 'users': it is no GET "
        "/v1.0/users answer; save that answer here (unexpected-entity-set); run `sigma-migrate check` to list "
        "every finding")


DELETED_CONTEXT = ("https://graph.microsoft.com/v1.0/$metadata#directory/deletedItems/microsoft.graph.user"
                   "(id,userPrincipalName,accountEnabled)")


def test_a_deleted_items_answer_as_the_only_users_file_is_refused(capsys, tmp_path):
    idp = graph_export(tmp_path / "graph", {"@odata.context": DELETED_CONTEXT, "value": USERS})
    code, err, _ = plan(capsys, tmp_path, idp)
    assert code == 1
    assert (f"first: error: {idp / 'users.json'}:$ [@odata.context]: users.json is a directory/deletedItems answer "
            "(deleted users only) and the export has no live users file (GET /v1.0/users, docs/formats.md §3d): "
            "export the users (no-idp-users)") in err


def test_deleted_items_beside_the_users_are_deleted_users(tmp_path):
    root = graph_export(tmp_path, {"@odata.context": USERS_CONTEXT, "value": USERS[:2]})
    write(root / "deleted_users.json", json.dumps({"@odata.context": DELETED_CONTEXT, "value": USERS[2:]}))
    directory, findings = load_idp(root, "entra-graph")
    assert errors(findings) == []
    assert sorted((u.id, u.active) for u in directory.users) == [("u1", True), ("u2", True), ("u3", False)]
    assert [(f.code, Path(f.file).name, f.location) for f in findings if f.code == "deleted-user"] == [
        ("deleted-user", "deleted_users.json", "$.value[0]")]


# --------------------------------------------------------------------------- SCIM startIndex


def scim_user(n: int) -> dict:
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": f"s{n}",
            "userName": f"user{n}@example.com", "active": True}


def scim_pages(root: Path, pages: list[tuple[int | None, int | str | None, list[int]]]) -> Path:
    """Users.json as an array of ListResponse pages ``(startIndex, totalResults, user numbers)``."""
    body = []
    for start, total, numbers in pages:
        page: dict = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]}
        if total is not None:
            page["totalResults"] = total
        if start is not None:
            page["startIndex"] = start
        page["Resources"] = [scim_user(n) for n in numbers]
        body.append(page)
    write(root / "Users.json", json.dumps(body if len(body) > 1 else body[0]))
    return root


def test_scim_pages_with_a_gap_in_startindex_and_per_page_totals_are_cut(tmp_path):
    _, findings = load_idp(scim_pages(tmp_path, [(1, 2, [1, 2]), (5, 2, [5, 6]), (7, 1, [7])]), "scim")
    assert truncation(findings) == [(
        Severity.WARNING, "incomplete-pages", "Users.json", "$[1]", "startIndex",
        "SCIM ListResponse of Users: this page starts at startIndex 5 but the saved pages before it end at 2: "
        "resources 3-4 (RFC 7644 §3.4.2.4) are missing; export every page")]


def test_scim_pages_without_totals_missing_the_first_page_are_cut(tmp_path):
    _, findings = load_idp(scim_pages(tmp_path, [(3, None, [3, 4]), (5, None, [5])]), "scim")
    assert [t[3:] for t in truncation(findings)] == [(
        "$[0]", "startIndex",
        "SCIM ListResponse of Users: the first saved page starts at startIndex 3, not 1: resources 1-2 "
        "(RFC 7644 §3.4.2.4) are missing; export every page")]


def test_scim_pages_that_follow_on_are_no_finding(tmp_path):
    _, findings = load_idp(scim_pages(tmp_path, [(1, 2, [1, 2]), (3, 2, [3, 4]), (5, 1, [5])]), "scim")
    assert truncation(findings) == []
    assert errors(findings) == []


def test_scim_total_results_as_text_is_an_error_naming_file_and_field(tmp_path):
    _, findings = load_idp(scim_pages(tmp_path, [(1, "3", [1, 2])]), "scim")
    assert errors(findings) == [("unexpected-json-shape", "Users.json", "$", "totalResults",
                                 "SCIM ListResponse: totalResults must be an integer (RFC 7644 §3.4.2), found a "
                                 "string '3'")]


def test_a_deleted_items_answer_without_its_cast_in_the_context_is_deleted_users_too(tmp_path):
    root = graph_export(tmp_path, {"@odata.context": USERS_CONTEXT, "value": USERS[:2]})
    deleted = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directory/deletedItems", "value": USERS[2:]}
    write(root / "deleted_users.json", json.dumps(deleted))
    directory, findings = load_idp(root, "entra-graph")
    assert errors(findings) == []
    assert sorted((u.id, u.active) for u in directory.users) == [("u1", True), ("u2", True), ("u3", False)]


# --------------------------------------------------------------------------- no @odata.count, full last page


NEXT = "https://graph.microsoft.com/v1.0/users?$top=2&$skiptoken=A"


def test_saved_graph_pages_without_odata_count_ending_on_a_full_page_are_truncated(tmp_path):
    """tester8 finding 22: pages saved without @odata.count whose last page is full (2 of 2): whether a page
    after it is missing cannot be told; before, taken as whole."""
    pages = [{"@odata.context": USERS_CONTEXT, "value": USERS[:2], "@odata.nextLink": NEXT},
             {"@odata.context": USERS_CONTEXT, "value": USERS[2:] + [graph_user(4, "dan.doe@example.com")]}]
    _, findings = load_idp(graph_export(tmp_path, pages), "entra-graph")
    assert truncation(findings) == [(
        Severity.WARNING, "incomplete-pages", "users.json", "$", "@odata.count",
        "Graph users file: 2 pages without @odata.count, the last one full (2 records, as many as the first): "
        "whether a later page is missing cannot be told (an API that ends on a full page looks like an export "
        "cut there); export every page again with the count (Graph: $count=true and ConsistencyLevel: eventual)")]


def test_saved_graph_pages_without_odata_count_ending_on_a_short_page_are_whole(tmp_path):
    pages = [{"@odata.context": USERS_CONTEXT, "value": USERS[:2], "@odata.nextLink": NEXT},
             {"@odata.context": USERS_CONTEXT, "value": USERS[2:]}]
    directory, findings = load_idp(graph_export(tmp_path, pages), "entra-graph")
    assert (truncation(findings), len(directory.users)) == ([], 3)


def test_saved_graph_pages_without_odata_count_block_every_action_they_could_change(capsys, tmp_path):
    pages = [{"@odata.context": USERS_CONTEXT, "value": USERS[:2], "@odata.nextLink": NEXT},
             {"@odata.context": USERS_CONTEXT, "value": USERS[2:] + [graph_user(4, "dan.doe@example.com")]}]
    code, _, result = plan(capsys, tmp_path, graph_export(tmp_path / "graph", pages))
    assert code == 3  # --detailed-exitcode: changes, blocked by review items
    assert sorted(i.id for i in result.review_items if i.code == "inputs.truncated" and i.blocking) == [
        "inputs.truncated:members.deactivate:Dn7OBrienDn7OBrienDn7OBrienDn",
        "inputs.truncated:members.deactivate:Sm3StewardSm3StewardSm3Stewar",
        "inputs.truncated:members.disable_guest:Gw8GuestGw8GuestGw8GuestGw8Gu",
        "inputs.truncated:scim.set_group_members:g1",
        "inputs.truncated:teams.remove_member:88858466-5299-4425-95c0-000000000001:Dn7OBrienDn7OBrienDn7OBrienDn",
        "inputs.truncated:teams.remove_member:88858466-5299-4425-95c0-000000000001:Gw8GuestGw8GuestGw8GuestGw8Gu"]
