"""Issue 10, tester findings 1 and 4: a SCIM or Google export whose group members name users it lacks, a SCIM
listing cut short of its totalResults, or a SCIM group without its ``members`` attribute is incomplete: what
the gap could change is a blocking ``inputs.truncated`` item, never a warning followed by a deactivation.

Small literal exports written by each test; the Sigma side is tests/fixtures/sandbox_seed (9 people,
3 teams, Dan O'Brien in the Finance team), the policy the one of tests/test_incomplete_inputs.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.model import Severity
from planner.sources import load_idp, load_sigma_export

from .conftest import write
from .test_incomplete_inputs import CREATED, SAVED, SIGMA, plan

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
DAN_SIGMA = "Dn7OBrienDn7OBrienDn7OBrienDn"
FINANCE_TEAM = "88858466-5299-4425-95c0-000000000001"
HELD = ("neither users nor groups of this export, which is therefore incomplete (cut short, or filtered): their "
        "state is unknown, so they are held (no action for them); export the users and groups again, whole")


def scim_user(n: int, email: str) -> dict:
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": f"u{n}", "userName": email,
            "name": {"givenName": "Given", "familyName": "Family"},
            # made before the seed's members, last changed the day the export was saved (test_incomplete_inputs)
            "meta": {"resourceType": "User", "created": CREATED, "lastModified": SAVED},
            "emails": [{"value": email, "primary": True}], "active": True}


USERS = [scim_user(1, "ada.admin@example.com"), scim_user(2, "ben.builder@example.com"),
         scim_user(3, "cleo.viewer@example.com")]
DAN = scim_user(4, "dan.obrien@example.com")


def listing(resources: list, total: int | None = None) -> dict:
    return {"schemas": [LIST_RESPONSE], "totalResults": len(resources) if total is None else total,
            "Resources": resources}


def scim_export(root: Path, users: list, members: list[str], total: int | None = None) -> Path:
    write(root / "Users.json", json.dumps(listing(users, total)))
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g1", "displayName": "Finance Analysts",
             "members": [{"value": m, "type": "User"} for m in members]}
    write(root / "Groups.json", json.dumps(listing([group])))
    return root


def found(findings) -> list[tuple]:
    return [(f.severity, f.code, Path(f.file).name, f.location, f.field, f.message) for f in findings]


def test_a_scim_group_member_the_users_file_lacks_is_held_and_blocks_his_deactivation(capsys, tmp_path):
    """Dan is in Sigma and in the group's members, not in Users.json (totalResults says 3: no page is missing)."""
    root = scim_export(tmp_path / "scim", USERS, ["u1", "u4"])
    directory, findings = load_idp(root)
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("g1", ("u1",))]
    assert found(findings) == [(Severity.WARNING, "member-not-in-users", "Users.json", "", "",
                                f"1 group member(s) listed in Groups.json (u4) are {HELD}")]
    code, _, result = plan(capsys, tmp_path, root)
    assert code == 3  # --detailed-exitcode: changes, blocked by review items
    blocked = {i.id for i in result.review_items if i.code == "inputs.truncated" and i.blocking}
    assert {f"inputs.truncated:members.deactivate:{DAN_SIGMA}",
            f"inputs.truncated:teams.remove_member:{FINANCE_TEAM}:{DAN_SIGMA}"} <= blocked


def test_the_complete_scim_export_has_no_finding_and_no_truncation_item(capsys, tmp_path):
    root = scim_export(tmp_path / "scim", [*USERS, DAN], ["u1", "u4"])
    assert load_idp(root)[1] == []
    code, _, result = plan(capsys, tmp_path, root)
    assert code == 2 and [i.id for i in result.review_items if i.code == "inputs.truncated"] == []


def test_a_scim_listing_holding_fewer_resources_than_its_total_results_is_incomplete_pages(tmp_path):
    root = scim_export(tmp_path / "scim", USERS, ["u1"], total=400)
    assert found(load_idp(root)[1]) == [(
        Severity.WARNING, "incomplete-pages", "Users.json", "$", "totalResults",
        "SCIM ListResponse of Users: totalResults is 400 but the saved page(s) hold 3 Resources: the other pages "
        "(startIndex/count, RFC 7644 §3.4.2.4) are missing; export every page")]


def test_scim_pages_saved_in_several_files_are_summed(tmp_path):
    """Two pages of one listing of 3 users, one per file: together they hold the totalResults."""
    root = tmp_path / "scim"
    write(root / "Users-1.json", json.dumps(listing(USERS[:2], total=3)))
    write(root / "Users-2.json", json.dumps(listing(USERS[2:], total=3)))
    directory, findings = load_idp(root, "scim")
    assert [u.id for u in directory.users] == ["u1", "u2", "u3"] and findings == []
    write(root / "Users-2.json", json.dumps(listing(USERS[2:], total=4)))
    assert [(f.code, Path(f.file).name) for f in load_idp(root, "scim")[1]] == [("incomplete-pages", "Users-2.json")]


# --------------------------------------------------------------------------- Google Directory API


def google_user(n: int, email: str) -> dict:
    return {"id": f"10{n}", "primaryEmail": email, "name": {"givenName": "Given", "familyName": "Family"},
            "suspended": False, "archived": False, "creationTime": CREATED, "lastLoginTime": SAVED}


def google_export(root: Path, users: list, members: list[dict]) -> Path:
    write(root / "users.json", json.dumps({"kind": "admin#directory#users", "users": users}))
    write(root / "groups.json", json.dumps({"groups": [{"id": "g1", "email": "finance@example.com",
                                                        "name": "Finance Analysts"}]}))
    write(root / "group_members" / "g1.json", json.dumps({"kind": "admin#directory#members", "members": members}))
    return root


GOOGLE_USERS = [google_user(1, "ada.admin@example.com"), google_user(2, "ben.builder@example.com"),
                google_user(3, "cleo.viewer@example.com")]


def member(n: int, email: str, kind: str = "USER") -> dict:
    return {"kind": "admin#directory#member", "id": f"10{n}", "email": email, "type": kind, "status": "ACTIVE"}


def test_a_google_member_of_the_domain_the_users_file_lacks_is_held_and_named_at_its_members_file(capsys, tmp_path):
    root = google_export(tmp_path / "google", GOOGLE_USERS,
                         [member(1, "ada.admin@example.com"), member(4, "dan.obrien@example.com")])
    directory, findings = load_idp(root)
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("g1", ("101",))]
    assert found(findings) == [(Severity.WARNING, "member-not-in-users", "users.json", "", "",
                                f"1 group member(s) listed in group_members/g1.json (104) are {HELD}")]
    code, _, result = plan(capsys, tmp_path, root)
    assert code == 3
    # A Google Directory API export dates itself by its users' creationTime alone (planner.sources.export_dates.newest_record;
    # lastLoginTime is not read), here CREATED: Dan, whom the cut users file lacks, and Sam, whom no user matches,
    # were made after it, so they are new members, held whole (no action names them); what the gap could change
    # of the others is held by inputs.truncated
    assert [a.id for a in result.actions if DAN_SIGMA in a.id] == []
    # (Gwen, a guest invited after it too, is held the same way: tester19 finding 5)
    assert sorted(i.id for i in result.review_items if i.blocking) == [
        "inputs.truncated:scim.set_group_members:g1",
        f"inputs.truncated:teams.remove_member:{FINANCE_TEAM}:Bn5BuilderBn5BuilderBn5Builde",
        f"unmatched.new_member:{DAN_SIGMA}", f"unmatched.new_member:{GWEN}",
        "unmatched.new_member:Sm3StewardSm3StewardSm3Stewar"]
    (dan,) = [i for i in result.review_items if i.id == f"unmatched.new_member:{DAN_SIGMA}"]
    assert dan.message == (
        "o'brien@example.com: no IdP user matches this member, made 2023-10-01T08:00:00Z, after the IdP export's "
        "newest record (2020-01-01T00:00:00Z): made by hand on purpose (a service account, a contractor, a "
        "break-glass admin) or after the export was taken, so it is not deactivated on the export's silence; decide "
        "whether to keep or deactivate this member (if the IdP provisioned them, export the IdP again and plan again)")


def test_a_google_member_of_another_domain_stays_a_warning(tmp_path):
    """docs/formats.md §4c: groups may hold addresses outside the domain; they are no sign of a cut users file."""
    root = google_export(tmp_path / "google", GOOGLE_USERS,
                         [member(1, "ada.admin@example.com"), member(9, "pat@partner.example")])
    directory, findings = load_idp(root)
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("g1", ("101",))]
    assert found(findings) == [(Severity.WARNING, "unknown-group-member", "g1.json", "", "members", OUTSIDE)]
    assert directory.groups[0].outside_members == ("pat@partner.example",)


OUTSIDE = ("group 'Finance Analysts' lists 1 member(s) outside this export's domain(s) (pat@partner.example): no "
           "user of the export, never provisioned by Google's SCIM app; an active Sigma member with such an address "
           "is asked about, not deactivated (unmatched.outside_member; in a team's group teams.outside_member)")
GWEN = "Gw8GuestGw8GuestGw8GuestGw8Gu"


def outside_export(tmp_path: Path) -> Path:
    """Finance Analysts (the Finance team: Ada, Ben, Dan, Gwen) lists Gwen by her partner address, which is no user
    of the Workspace export (tester finding 2), and Dan, who is."""
    users = [*GOOGLE_USERS, google_user(4, "o'brien@example.com")]
    return google_export(tmp_path / "google", users, [
        member(1, "ada.admin@example.com"), member(2, "ben.builder@example.com"), member(4, "o'brien@example.com"),
        member(9, "Gwen@Partner.example")])


def test_an_active_sigma_member_a_google_group_lists_by_an_outside_address_is_a_blocking_item(capsys, tmp_path):
    """Tester finding 2: Gwen is neither removed from the Finance team nor linked; the item names the group, the
    email and the member, with the policy settings that settle it."""
    code, _, result = plan(capsys, tmp_path, outside_export(tmp_path))
    assert code == 3  # --detailed-exitcode: changes, blocked by review items
    assert [a.id for a in result.actions if a.kind.value == "teams.remove_member"] == []
    assert GWEN not in {a.target.member_id for a in result.actions if a.kind.value == "scim.link_user"}
    (item,) = [i for i in result.review_items if i.code == "teams.outside_member"]
    assert (item.id, item.blocking, item.rule) == (f"teams.outside_member:{FINANCE_TEAM}", True, "teams.outside_members")
    assert item.message == (
        "group 'Finance Analysts' lists 1 active Sigma member(s) by an address of another domain than the export's "
        f"users: Gwen@Partner.example (member {GWEN}, in the team). Google's SCIM app provisions only the users of "
        "the Workspace domain(s), so the IdP will neither link nor push them: the plan does not add them to team "
        "'Finance Analysts', and does not remove those in it until the policy decides")
    assert [(c.member_id, c.email, c.state) for c in item.candidates] == [(GWEN, "gwen@partner.example", "in team")]
    assert item.resolution == (
        "# keep them in the team as members the IdP does not manage (or remove them like any leftover; or make them "
        "users of the Workspace domain and export again):\nteams:\n  outside_members: keep\n# or:\n# teams:\n"
        "#   outside_members: leftovers\n")


@pytest.mark.parametrize("setting, removed, blocking", [("keep", [], False),
                                                        ("leftovers", [f"teams.remove_member:{FINANCE_TEAM}:{GWEN}"], None)])
def test_teams_outside_members_settles_the_item(capsys, monkeypatch, tmp_path, setting, removed, blocking):
    from . import test_incomplete_inputs

    # Gwen, a guest invited after the export's newest record, is disabled by the policy's word (tester19 finding 5)
    policy = test_incomplete_inputs.POLICY.replace(
        "  action: deactivate\n", "  action: deactivate\n  decisions: {gwen@partner.example: deactivate}\n")
    assert policy != test_incomplete_inputs.POLICY
    monkeypatch.setattr(test_incomplete_inputs, "POLICY", policy + f"teams: {{outside_members: {setting}}}\n")
    _, _, result = plan(capsys, tmp_path, outside_export(tmp_path))
    assert [a.id for a in result.actions if a.kind.value == "teams.remove_member"] == removed
    items = [i for i in result.review_items if i.code == "teams.outside_member"]
    assert [i.blocking for i in items] == ([] if blocking is None else [blocking])


NO_MEMBERS = ("1 SCIM Group(s) have no members attribute ('Finance Analysts'): their members are unknown, not none; "
              "export the Groups with their members (an empty group has \"members\": [])")


def groups_without_members(root: Path, resources_key: str) -> Path:
    """``root``'s Groups.json: Finance Analysts without a ``members`` attribute (many servers leave it out of
    GET /Groups, RFC 7644 §3.4.2.5), Sales EMEA with Ben; ``resources_key`` spelled ``resources`` takes the
    lenient reader, ``Resources`` the typed one."""
    groups = json.loads((root / "Groups.json").read_text())
    del groups["Resources"][0]["members"]
    groups["Resources"].append({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g2",
                                "displayName": "Sales EMEA", "members": [{"value": "u2", "type": "User"}]})
    groups[resources_key] = groups.pop("Resources")
    write(root / "Groups.json", json.dumps(groups))
    return root


@pytest.mark.parametrize("resources_key", ["Resources", "resources"])
def test_a_scim_group_without_a_members_attribute_blocks_what_it_could_change(capsys, tmp_path, resources_key):
    """Issue 10 (dirty/scim_group_nomembers_key): the group's membership is unknown, not empty, so the team it
    maps to (Finance, holding Ada, Ben, Dan and the guest) must not be emptied with nothing blocking."""
    root = groups_without_members(scim_export(tmp_path / "scim", [*USERS, DAN], []), resources_key)
    directory, findings = load_idp(root)
    assert found(findings) == [(Severity.WARNING, "missing-group-members", "Groups.json", "", "members", NO_MEMBERS)]
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("g1", ()), ("g2", ("u2",))]
    code, _, result = plan(capsys, tmp_path, root)
    assert code == 3  # --detailed-exitcode: changes, blocked by review items
    affected = ["members.deactivate:Dn7OBrienDn7OBrienDn7OBrienDn",
                "members.deactivate:Sm3StewardSm3StewardSm3Stewar",
                "members.disable_guest:Gw8GuestGw8GuestGw8GuestGw8Gu",
                "scim.set_group_members:g1",
                "scim.set_group_members:g2",
                f"teams.remove_member:{FINANCE_TEAM}:Ad4AdminAd4AdminAd4AdminAd4Ad",
                f"teams.remove_member:{FINANCE_TEAM}:Bn5BuilderBn5BuilderBn5Builde",
                f"teams.remove_member:{FINANCE_TEAM}:{DAN_SIGMA}",
                f"teams.remove_member:{FINANCE_TEAM}:Gw8GuestGw8GuestGw8GuestGw8Gu",
                "teams.remove_member:88858466-5299-4425-95c0-000000000002:Cl6ViewerCl6ViewerCl6ViewerCl"]
    items = {i.id: i for i in result.review_items if i.code == "inputs.truncated"}
    assert sorted(items) == [f"inputs.truncated:{a}" for a in affected]
    assert all(i.blocking for i in items.values())


def test_sigmas_own_scim_groups_without_members_are_no_finding(tmp_path):
    """Sigma's SCIM state (the export's scim/ folder) may leave ``members`` out of GET /Groups: that is no
    incomplete IdP export, so no ``missing-group-members`` (tests/test_day_two_end_to_end.py runs the whole day)."""
    sigma = tmp_path / "sigma"
    shutil.copytree(SIGMA, sigma)
    groups_without_members(scim_export(sigma / "scim", USERS, []), "Resources")
    export, findings = load_sigma_export(sigma)
    assert [f.code for f in findings if f.code == "missing-group-members"] == []
    assert [(g.id, g.member_ids) for g in export.scim_groups] == [("g1", ()), ("g2", ("u2",))]


# --------------------------------------------------------------------------- tester18 finding 8: EXTERNAL members


def external_export(tmp_path: Path) -> Path:
    """Finance Analysts (the Finance team) lists Dan O'Brien, an active Sigma member no Workspace user is, as a
    member of type EXTERNAL (a member from outside the domain, docs/formats.md §4c)."""
    return google_export(tmp_path / "google", GOOGLE_USERS, [
        member(1, "ada.admin@example.com"), member(2, "ben.builder@example.com"),
        member(4, "o'brien@example.com", "EXTERNAL")])


def test_an_external_google_member_with_an_address_is_an_outside_member_named_by_the_finding(tmp_path):
    """Was: ignored, one info "1 EXTERNAL ignored" naming no address (tester18 finding 8)."""
    directory, findings = load_idp(external_export(tmp_path))
    assert [(g.id, g.member_user_ids, g.outside_members) for g in directory.groups] == [
        ("g1", ("101", "102"), ("o'brien@example.com",))]
    assert found(findings) == [(
        Severity.WARNING, "unknown-group-member", "g1.json", "", "members",
        OUTSIDE.replace("pat@partner.example", "o'brien@example.com"))]


DAN_OUTSIDE = (
    "o'brien@example.com: no IdP user matches this member, but IdP group 'Finance Analysts' lists this address as a "
    "member from outside the domain, whom the IdP never provisions: the IdP admin meant them to belong there; decide "
    "whether to provision them as a user of the domain (add them to the IdP as a user, in the group, export and plan "
    "again) or to deactivate this member (or keep them, unmanaged by the IdP)")


def test_a_sigma_member_a_group_lists_as_external_is_asked_about_not_deactivated(capsys, tmp_path):
    """Was: members.deactivate "no IdP user matches this member", 0 items (tester18 finding 8)."""
    code, _, result = plan(capsys, tmp_path, external_export(tmp_path))
    assert code == 3  # --detailed-exitcode: changes, blocked by review items
    assert [a.id for a in result.actions if DAN_SIGMA in a.id] == []
    items = {i.code: i for i in result.review_items if i.blocking}
    item = items["unmatched.outside_member"]
    assert (item.id, item.rule, item.subject.member_id, item.subject.email) == (
        f"unmatched.outside_member:{DAN_SIGMA}", "unmatched.outside_member", DAN_SIGMA, "o'brien@example.com")
    assert item.message == DAN_OUTSIDE
    assert item.resolution == (
        "# deactivate: members.deactivate, their documents going to the document owner (ada.admin@example.com); "
        "keep: nothing is planned for them; or make them a user of the domain in the group, export the IdP again "
        "and plan again: the IdP then provisions them and the plan links them\nunmatched:\n  decisions:\n"
        "    o'brien@example.com: deactivate\n# or:\n# unmatched:\n#   decisions:\n"
        "#     o'brien@example.com: keep\n")
    assert items["teams.outside_member"].id == f"teams.outside_member:{FINANCE_TEAM}"
    # Sam, whom no user matches, is made after this export's newest record (a Google Directory API export is dated
    # by creationTime alone: test_a_google_member_of_the_domain_the_users_file_lacks...); Dan, made after it too,
    # is asked as the outside member the group names, the more telling question; Gwen, a guest invited after it, is a
    # new member too (tester19 finding 5)
    assert sorted(i.id for i in result.review_items if i.blocking) == [
        f"teams.outside_member:{FINANCE_TEAM}", f"unmatched.new_member:{GWEN}",
        "unmatched.new_member:Sm3StewardSm3StewardSm3Stewar", f"unmatched.outside_member:{DAN_SIGMA}"]


def test_unmatched_decisions_settles_the_external_members_question(capsys, monkeypatch, tmp_path):
    from . import test_incomplete_inputs

    monkeypatch.setattr(test_incomplete_inputs, "POLICY", test_incomplete_inputs.POLICY.replace(
        "  action: deactivate\n", "  action: deactivate\n  decisions: {o'brien@example.com: deactivate}\n"))
    _, _, result = plan(capsys, tmp_path, external_export(tmp_path))
    (action,) = [a for a in result.actions if a.id == f"members.deactivate:{DAN_SIGMA}"]
    assert (action.rule, action.reason) == (
        "unmatched.decisions", "deactivate: no IdP user matches this member; documents go to ada.admin@example.com")
    assert [i.code for i in result.review_items if i.code == "unmatched.outside_member"] == []


# --------------------------------------------------------------------------- nested groups no groups file lists
# One rule (DirectoryBuilder.nested_group) for every format that nests groups: a member group the groups file lacks
# and whose own members answer is not read has unknown members, not none (tester20 finding 3: Google made it empty in
# silence, and the people it held in an account-type group lost their type).

NESTED = {"kind": "admin#directory#member", "id": "g9", "email": "analysts@example.com", "type": "GROUP",
          "status": "ACTIVE"}


def nested_google_export(root: Path, child_members: list[dict] | None = None) -> Path:
    """Finance Analysts (g1) lists Ada and group analysts@ (g9), which groups.json does not list; ``child_members``:
    g9's own members answer, saved too (``None``: not saved)."""
    google_export(root, GOOGLE_USERS, [member(1, "ada.admin@example.com"), NESTED])
    if child_members is not None:
        write(root / "group_members" / "g9.json", json.dumps({"kind": "admin#directory#members",
                                                               "members": child_members}))
    return root


NESTED_UNKNOWN = ("1 nested group(s) listed as members here are in no groups file and have no members answer of their "
                  "own ('analysts@example.com'): their members are unknown, not none; export those groups and their "
                  "members too")


def test_a_google_nested_group_no_groups_file_lists_without_its_members_is_incomplete_and_holds(capsys, tmp_path):
    root = nested_google_export(tmp_path / "google")
    directory, findings = load_idp(root)
    assert [(g.id, g.member_user_ids, g.member_group_ids) for g in directory.groups] == [
        ("g1", ("101",), ("g9",)), ("g9", (), ())]
    assert found(findings) == [(Severity.WARNING, "incomplete-nested-group", "g1.json", "$.members[1]", "members",
                                NESTED_UNKNOWN)]
    code, _, result = plan(capsys, tmp_path, root)
    assert code == 3
    # was: the Finance push and Ben's removal from team Finance planned on g9 read as empty (only the new members held)
    assert sorted(i.id for i in result.review_items if i.blocking) == [
        "inputs.truncated:scim.set_group_members:g1",
        f"inputs.truncated:teams.remove_member:{FINANCE_TEAM}:Bn5BuilderBn5BuilderBn5Builde",
        f"unmatched.new_member:{DAN_SIGMA}", f"unmatched.new_member:{GWEN}",
        "unmatched.new_member:Sm3StewardSm3StewardSm3Stewar"]


def test_a_google_nested_group_whose_members_answer_is_read_is_no_finding(tmp_path):
    root = nested_google_export(tmp_path / "google", [member(2, "ben.builder@example.com")])
    directory, findings = load_idp(root)
    assert found(findings) == []
    assert [(g.id, g.member_user_ids, g.member_group_ids) for g in directory.groups] == [
        ("g1", ("101",), ("g9",)), ("g9", ("102",), ())]


def test_a_graph_nested_group_no_groups_file_lists_is_incomplete_whatever_the_answer_order(tmp_path):
    """The same rule for Graph (was: its own list, said before the nested group's own answer was read, so an answer
    read later still left the warning)."""
    from .test_transitive_members import CONTEXT, graph_group, graph_user, write_small

    answers = {"G": {"@odata.context": CONTEXT + "directoryObjects", "value": [
        graph_user("u1", "u1@example.com"), graph_group("X", "Temps")]}}
    (tmp_path / "missing").mkdir()
    (tmp_path / "answered").mkdir()
    directory, findings = load_idp(write_small(tmp_path / "missing", answers))
    assert [(f.code, f.location, f.message) for f in findings if f.code == "incomplete-nested-group"] == [(
        "incomplete-nested-group", '$["G"].value[1]',
        NESTED_UNKNOWN.replace("'analysts@example.com'", "'Temps'"))]
    answers["X"] = {"@odata.context": CONTEXT + "directoryObjects", "value": [graph_user("u2", "u2@example.com")]}
    directory, findings = load_idp(write_small(tmp_path / "answered", answers))
    assert [f for f in findings if f.code == "incomplete-nested-group"] == []
    assert {g.id: g.member_user_ids for g in directory.groups}["X"] == ("u2",)


# --------------------------------------------------------------------------- deleted Google users


def test_a_google_user_with_a_deletion_time_is_a_deleted_user_never_active(capsys, tmp_path):
    """tester20 finding 7: ``users.list?showDeleted=true`` lists a user deleted in the last 20 days with
    ``deletionTime`` and its flags as before deletion (``suspended: false``); it was read as active, so its member
    was linked and kept active. Now inactive, with the deleted-user warning Entra's deleted users get."""
    ben = {**google_user(2, "ben.builder@example.com"), "deletionTime": "2025-05-20T10:00:00.000Z"}
    root = google_export(tmp_path / "google", [GOOGLE_USERS[0], ben, GOOGLE_USERS[2]],
                         [member(1, "ada.admin@example.com")])
    directory, findings = load_idp(root)
    (user,) = [u for u in directory.users if u.id == "102"]
    assert (user.active, user.status) == (False, "Deleted")
    assert found(findings) == [(Severity.WARNING, "deleted-user", "users.json", "$.users[1]", "deletionTime",
                                "user 102: deletionTime '2025-05-20T10:00:00.000Z': the user was deleted; taken as "
                                "inactive, whatever suspended and archived say")]
    code, _, result = plan(capsys, tmp_path, root)
    assert code == 3  # the new members of the seed, held as in the tests above
    assert [(a.kind.value, a.reason) for a in result.actions if "Bn5Builder" in a.id] == [
        ("teams.remove_member", "remove from team 'Finance Analysts': not in IdP group 'Finance Analysts', and SCIM "
                                "does not remove pre-SCIM members"),
        ("members.deactivate", "deactivate: IdP user 102 (ben.builder@example.com) was deleted (deletionTime "
                               "2025-05-20T10:00:00.000Z); documents go to ada.admin@example.com")]
