"""A hand-saved answer of one page holding a round page size an admin may have asked for is ``incomplete-pages``
(tester21 finding 6: ``/api/v1/groups/{id}/users?limit=25`` saved as one page, its ``Link`` header lost, read as
the whole group: 4 Act -> View downgrades, or team Finance losing 8 of 19 members, 0 blocking, ``check`` silent).
The round sizes are the 1-2-2.5-5 series (10, 20, 25, 50, 100, 200, 250, 500, ...) up to the endpoint's largest
size; group members and users from 10, groups listings from 50 (planner/sources/page_sizes.py, docs/formats.md
§0.9 "Full pages"). A fetch-idp manifest, the saved Link header, the empty next page, the group's own count or
Graph's @odata.count vouch for the answer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.planfile import read_plan
from planner.sources import load_idp
from planner.sources.manifest import manifest_document
from planner.sources.page_sizes import GOOGLE_WAYS_OUT, GRAPH_WAYS_OUT, OKTA_GROUPS, OKTA_MEMBERS, OKTA_USERS

from .conftest import run_cli, write
from .test_full_pages_by_endpoint import ACME, google_export, graph_export, graph_members, okta_user, pages
from .test_full_pages_of_groups import google_groups_export, graph_groups_export, okta_groups_export

SIGMA_ACT, SIGMA_ANALYZE, FINANCE = "00gAYy0fejOvoXrlqEUf", "00g3ZRm1DYkqS8x5unid", "00gSUDsbhMqeLxqzTHLU"


def okta_asked(what: str, held: int, noun: str, endpoint: str, ways_out: str) -> str:
    return (f"{what}: the answer holds exactly {held} {noun}, a round page size (limit={held}?) of {endpoint}, "
            f"and no Link: rel=\"next\": if it was asked with limit={held}, the {noun} past the first {held} are "
            f"missing; {ways_out}")


def acme_cut(root: Path, group: str, keep: int, answer=None) -> Path:
    """samples/acme/okta with ``group``'s members answer cut to its first ``keep`` users (what ``?limit=keep``
    answers first; /work/notes/t21-repro/17/{act25,analyze25,finance10}), or replaced by ``answer(users)``."""
    members = json.loads((ACME / "okta" / "group_members.json").read_text(encoding="utf-8"))
    users = members[group][:keep]
    members[group] = answer(users) if answer else users
    for name in ("users.json", "groups.json"):
        write(root / name, (ACME / "okta" / name).read_text(encoding="utf-8"))
    write(root / "group_members.json", json.dumps(members))
    return root


# the tester's three repros: the actions the cut adds (each held) and the blocking items in all
REPROS = {
    "act25": (SIGMA_ACT, 25, 40, set(), [  # Act -> View for the 4 people past the cut
        "scim.set_account_type:YggOK1TzJR9ZD8xW4asmWueAqzFoH", "scim.set_account_type:apJAlW8Jl4k2uD34qcasUdkwyZcAc",
        "scim.set_account_type:iWHSiSq0QvsJIw3V0Eb6OCEm478r8", "scim.set_account_type:isgGmyzISwa2OGwpEDfByh4COlfbN"]),
    "analyze25": (SIGMA_ANALYZE, 25, 50, {"guards.threshold.downgrades"}, [
        "scim.set_account_type:4ZhptZMdO7uayJJWJbQcUCHZWM3Mg", "scim.set_account_type:7gEZxfsT9AgjdWotUow6RYMEPjSmv",
        "scim.set_account_type:AL73QPQBtSLnRhyMWpkIdcCtQiwOr", "scim.set_account_type:Bn0WbyZ6MSldJvQsavht6ar3I67pI",
        "scim.set_account_type:E4DihLQYuVfqT9bkZBKH2LjS4GFIF", "scim.set_account_type:FmvZ2GKJoSuNWlWDWjtYuvygjQ5zo",
        "scim.set_account_type:Ny0ctGEhqKdlxMpVMQKyNn1grv393", "scim.set_account_type:P7PbFJmUbncuf8sX0xpe4cRaHCGku",
        "scim.set_account_type:VleY6IwzoeY3qCMa3vx2gRTuN5mDZ", "scim.set_account_type:biuzJgO6k5LeBqAzuovZODcTpX8qd",
        "scim.set_account_type:dlsxzc91QTMLFuSSKKhFbdIGlkwpJ", "scim.set_account_type:hoEnxM5AFmCb4uSzMcUBjE2y4ZEy5",
        "scim.set_account_type:qQKRp0ysSIwB4wmLFO3uMSjeseMgC"]),
    "finance10": (FINANCE, 10, 45, {"guards.threshold.team_shrink"}, [  # team Finance losing 8 of its 19 people
        # (and 17 -> 10 in all: guards.threshold.team_shrink, tests/test_team_shrink_guard.py)
        f"teams.remove_member:e5cd73fd-a310-46b1-8740-b7e718874ef3:{m}" for m in (
            "B0nVWpJ78XB4yVBPyL9NZFZDnPqyE", "BlVhHCTpCOXcLNf0n7r4dyhTES23R", "HMtBOj93Af0k4vuMp9hJqOjjk63jx",
            "WW8hFv6hN6XFkY9scSCoswyclO0ov", "erSVUXw4jv3ehQprAqQSczipUBo4h", "hTyQ9T79aG6kMnlvYzFdCC8m65UQn",
            "jOx9J3Fh7Nc5DGjF2nXAhdnb5hJHK", "jR368hGsY28MChDckenlesDKgZpsj")]),
}


def plan(capsys, tmp_path: Path, idp: Path, name: str = "plan.json"):
    out = tmp_path / name
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(idp), "--policy",
                         str(ACME / "policy-okta-reviewed.yaml"), "--out", str(out), "--detailed-exitcode")
    return code, read_plan(out)


@pytest.mark.parametrize("repro", sorted(REPROS))
def test_the_tester_s_answers_cut_at_an_asked_size_hold_the_plan(capsys, tmp_path, repro):
    group, keep, blocking, others, added = REPROS[repro]
    root = acme_cut(tmp_path / repro, group, keep)
    _, out, _ = run_cli(capsys, "check", "--sigma", str(ACME / "sigma"), "--idp", str(root))
    assert f'warning: {root / "group_members.json"}:$["{group}"]: ' + okta_asked(
        f"Okta members of group {group}", keep, "members", "GET /api/v1/groups/{id}/users",
        OKTA_MEMBERS.ways_out_asked) + " (incomplete-pages)" in out
    code, result = plan(capsys, tmp_path, root)
    _, base = plan(capsys, tmp_path, ACME / "okta", "base.json")
    held = {i.id for i in result.review_items if i.blocking}
    assert code == 3  # changes, blocked (was: 2, read as whole)
    assert {i.code for i in result.review_items if i.blocking} == {"inputs.truncated"} | others
    assert len(held) == blocking
    assert sorted(a.id for a in result.actions if a.id not in {b.id for b in base.actions}) == added
    assert {f"inputs.truncated:{a}" for a in added} <= held
    item = next(i for i in result.review_items if i.id == f"inputs.truncated:{added[0]}")
    assert OKTA_MEMBERS.ways_out_asked in item.resolution  # says how to vouch


@pytest.mark.parametrize("keep", [24, 26])
def test_an_answer_between_round_sizes_is_not_doubted(tmp_path, keep):
    members = json.loads((ACME / "okta" / "group_members.json").read_text(encoding="utf-8"))
    assert len(members[SIGMA_ANALYZE]) == 38
    assert pages(load_idp(acme_cut(tmp_path / "okta", SIGMA_ANALYZE, keep), "okta-api")[1]) == []


def test_the_acme_sample_is_not_doubted():
    """Its 25 groups are under the groups listings' 50; no members answer or users file holds a round size."""
    assert pages(load_idp(ACME / "okta", "okta-api")[1]) == []


@pytest.mark.parametrize("vouch", ["empty next page", "link header", "users count", "manifest"])
def test_an_answer_of_25_vouched_for_is_whole(tmp_path, vouch):
    root = tmp_path / "okta"
    if vouch == "empty next page":  # ?limit=25 and the after= link followed: an empty page
        acme_cut(root, SIGMA_ACT, 25, lambda users: [users, []])
    elif vouch == "link header":  # ?limit=200: a page of 25, its Link header naming no next page
        acme_cut(root, SIGMA_ACT, 25, lambda users: {
            "link": f'<https://acme.okta.example/api/v1/groups/{SIGMA_ACT}/users?limit=200>; rel="self"',
            "users": users})
    else:
        acme_cut(root, SIGMA_ACT, 25)
    if vouch == "users count":  # the groups file saved from /api/v1/groups?expand=stats
        groups = json.loads((root / "groups.json").read_text(encoding="utf-8"))
        for g in groups:
            if g["id"] == SIGMA_ACT:
                g["_embedded"] = {"stats": {"usersCount": 25}}
        write(root / "groups.json", json.dumps(groups))
    if vouch == "manifest":  # a pull of a group of exactly 25 (the file's own counts: no manifest-mismatch)
        memberships = sum(map(len, json.loads((root / "group_members.json").read_text(encoding="utf-8")).values()))
        write(root / "fetch-idp-manifest.json", json.dumps(manifest_document(
            "okta", {"users.json": 166, "groups.json": 25, "group_members.json": memberships},
            "2026-12-06T08:00:00Z")))
    _, findings = load_idp(root, "okta-api")
    assert pages(findings) == []
    assert [f.code for f in findings if f.code == "manifest-mismatch"] == []


@pytest.mark.parametrize("users, cut", [
    (10, "asked"), (50, "asked"), (200, "default"), (250, None), (30, None)])
def test_an_okta_users_file_of_a_round_size(tmp_path, users, cut):
    """200 is ``limit``'s documented default: its own message, not a guess; 250 is above the largest size Okta
    serves; 30 is no round size."""
    root = tmp_path / "okta"
    write(root / "users.json", json.dumps([okta_user(n) for n in range(users)]))
    write(root / "groups.json", "[]")
    expected = {
        "asked": okta_asked("Okta users file", users, "users", "GET /api/v1/users", OKTA_USERS.ways_out_asked),
        "default": ("Okta users file: exactly 200 records, one full page of GET /api/v1/users (limit 200, its "
                    "default) and no Link: rel=\"next\": the next pages are probably missing; " + OKTA_USERS.ways_out),
    }
    assert pages(load_idp(root, "okta-api")[1]) == ([("users.json", "$", expected[cut])] if cut else [])


def test_an_array_of_pages_is_judged_by_its_pages(tmp_path):
    """[200, 25]: the last page is short, the listing ended; [[25]]: one page of 25, doubted."""
    root = tmp_path / "okta"
    users = [okta_user(n) for n in range(225)]
    write(root / "users.json", json.dumps([users[:200], users[200:]]))
    write(root / "groups.json", "[]")
    assert pages(load_idp(root, "okta-api")[1]) == []
    write(root / "users.json", json.dumps([users[:25]]))
    assert pages(load_idp(root, "okta-api")[1]) == [("users.json", "$[0]", okta_asked(
        "Okta users file", 25, "users", "GET /api/v1/users", OKTA_USERS.ways_out_asked))]


@pytest.mark.parametrize("groups, cut", [(25, False), (20, False), (50, True), (500, True), (75, False)])
def test_an_okta_groups_file_is_doubted_from_50(tmp_path, groups, cut):
    root = okta_groups_export(tmp_path / "okta", groups)
    assert pages(load_idp(root, "okta-api")[1]) == ([("groups.json", "$", okta_asked(
        "Okta groups file", groups, "groups", "GET /api/v1/groups", OKTA_GROUPS.ways_out_asked))] if cut else [])


def graph_asked(what: str, held: int, noun: str, endpoint: str) -> str:
    return (f"{what}: the answer holds exactly {held} {noun}, a round page size ($top={held}?) of {endpoint}, and "
            f"no @odata.nextLink: if it was asked with $top={held}, the {noun} past the first {held} are missing; "
            + GRAPH_WAYS_OUT)


@pytest.mark.parametrize("size, cut", [(250, True), (25, True), (249, False), (251, False), (1000, False)])
def test_a_graph_members_answer_of_a_round_size(tmp_path, size, cut):
    """``$top=250`` (the tester's Graph case); 1,000 is above ``$top``'s maximum 999; @odata.count vouches."""
    root = graph_export(tmp_path / "graph", 1001, graph_members(size))
    assert pages(load_idp(root, "entra-graph")[1]) == ([("group_members.json", '$["g1"]', graph_asked(
        "Graph members of g1", size, "members", "GET /v1.0/groups/{id}/members"))] if cut else [])
    root = graph_export(tmp_path / "counted", 1001, graph_members(size, **{"@odata.count": size}))
    assert pages(load_idp(root, "entra-graph")[1]) == []


@pytest.mark.parametrize("groups, cut", [(20, False), (250, True)])
def test_a_graph_groups_answer_is_doubted_from_50(tmp_path, groups, cut):
    _, findings = load_idp(graph_groups_export(tmp_path / "graph", groups), "entra-graph")
    assert pages(findings) == ([("groups.json", "$", graph_asked(
        "Graph groups file", groups, "groups", "GET /v1.0/groups"))] if cut else [])


def test_a_google_members_answer_of_50_is_doubted_unless_the_group_counts_it(tmp_path):
    root = google_export(tmp_path / "google", 60, 50)
    assert pages(load_idp(root, "google-api")[1]) == [("group_members.json", '$["g1"]', (
        "Google members of g1: the answer holds exactly 50 members, a round page size (maxResults=50?) of GET "
        "admin/directory/v1/groups/{groupKey}/members, and no nextPageToken: if it was asked with maxResults=50, the "
        "members past the first 50 are missing; " + GOOGLE_WAYS_OUT))]
    root = google_export(tmp_path / "counted", 60, 50, directMembersCount="50")
    assert pages(load_idp(root, "google-api")[1]) == []
    # above maxResults' maximum 200, no page of 250 can be served
    assert pages(load_idp(google_export(tmp_path / "big", 260, 250), "google-api")[1]) == []


def test_a_google_groups_answer_of_100_is_doubted(tmp_path):
    assert [w for _, w, _ in pages(load_idp(google_groups_export(tmp_path / "g", 100), "google-api")[1])] == ["$"]
    assert pages(load_idp(google_groups_export(tmp_path / "g25", 25), "google-api")[1]) == []


def test_a_page_saved_with_its_link_header_first_is_an_answer_not_a_map(tmp_path):
    """README's way out, ``{"link": "<the Link header>", "users": [...]}``, written in that key order (tester22
    finding 8: the object was read as a map keyed by group id, so users.json was "no users file" and a members
    answer the groups 'link' and 'users')."""
    root = tmp_path / "okta"
    shutil.copytree(ACME / "okta", root)
    users = json.loads((root / "users.json").read_text(encoding="utf-8"))
    write(root / "users.json", json.dumps(
        {"link": '<https://acme.okta.example/api/v1/users?limit=200>; rel="self"', "users": users}))
    members = json.loads((root / "group_members.json").read_text(encoding="utf-8"))
    (root / "group_members.json").unlink()
    for group, answer in members.items():
        write(root / "group_members" / f"{group}.json", json.dumps(
            {"link": f'<https://acme.okta.example/api/v1/groups/{group}/users?limit=25>; rel="self"',
             "users": answer[:25]} if group == SIGMA_ACT else answer))
    directory, findings = load_idp(root, "okta-api")
    assert [(f.code, f.message) for f in findings if f.severity.value == "error"] == []
    assert pages(findings) == []
    assert len(directory.users) == len(users) == 166
    assert len({g.id for g in directory.groups}) == 25
