"""A hand-saved answer cut at any page size its endpoint serves (default or maximum) is ``incomplete-pages``
(tester18 finding 2: an Okta group answer of 1,000 members, the default ``limit`` of
``GET /api/v1/groups/{id}/users``, read as whole: 10 downgrades, 0 blocking), unless something vouches for it:
a fetch-idp manifest, a count the answer or the group announces, a continuation key on the page.
The table: planner/sources/page_sizes.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.planfile import read_plan
from planner.sources import load_idp
from planner.sources.manifest import manifest_document
from planner.sources.page_sizes import GOOGLE_WAYS_OUT, GRAPH_WAYS_OUT, OKTA_WAYS_OUT

from .conftest import REPO, run_cli, write

ACME = REPO / "samples" / "acme"
SIGMA_BUILD = "00gOCss5XDbtcyFbKinT"


def pages(findings) -> list[tuple[str, str, str]]:
    return [(Path(f.file).name, f.location, f.message) for f in findings if f.code == "incomplete-pages"]


def okta_user(n: int) -> dict:
    email = f"user{n}@example.com"
    return {"id": f"00uGen{n:07d}", "status": "ACTIVE", "created": "2020-01-01T00:00:00.000Z",
            "profile": {"login": email, "email": email, "firstName": "Given", "lastName": f"Family{n}"}}


def okta_export(root: Path, users: list[dict], answer, *, single_file: bool, users_count: int | None = None) -> Path:
    group = {"id": "00g1", "type": "OKTA_GROUP", "profile": {"name": "Sigma-Build"}}
    if users_count is not None:
        group["_embedded"] = {"stats": {"usersCount": users_count}}
    write(root / "users.json", json.dumps(users))
    write(root / "groups.json", json.dumps([group]))
    if single_file:
        write(root / "group_members.json", json.dumps({"00g1": answer}))
    else:
        write(root / "group_members" / "00g1.json", json.dumps(answer))
    return root


OKTA_1000 = (
    "Okta members of group 00g1: exactly 1000 records, one full page of GET /api/v1/groups/{id}/users (limit "
    "1000, its default) and no Link: rel=\"next\": the next pages are probably missing; " + OKTA_WAYS_OUT)


@pytest.mark.parametrize("single_file, where", [(False, ("00g1.json", "$")),
                                                (True, ("group_members.json", '$["00g1"]'))])
@pytest.mark.parametrize("members, cut", [(1000, "exactly 1000 records, one full page"), (999, None), (1001, None),
                                          (2000, "exactly 2000 records, 2 full pages")])  # two answers joined
def test_an_okta_group_answer_of_the_default_1000_is_cut(tmp_path, single_file, where, members, cut):
    users = [okta_user(n) for n in range(2001)]  # not a multiple of 200: the users file is whole
    root = okta_export(tmp_path / "okta", users, users[:members], single_file=single_file)
    _, findings = load_idp(root, "okta-api")
    assert pages(findings) == ([(*where, OKTA_1000.replace("exactly 1000 records, one full page", cut))] if cut else [])


def test_an_okta_answer_of_1000_vouched_for_is_whole(tmp_path):
    users = [okta_user(n) for n in range(1001)]
    # the group's own usersCount (GET /api/v1/groups?expand=stats) decides: equal, whole
    root = okta_export(tmp_path / "counted", users, users[:1000], single_file=True, users_count=1000)
    assert pages(load_idp(root, "okta-api")[1]) == []
    # a usersCount above it: the count gap says it, once, not the page guess
    root = okta_export(tmp_path / "short", users, users[:1000], single_file=True, users_count=1001)
    assert [(name, where) for name, where, _ in pages(load_idp(root, "okta-api")[1])] == [
        ("group_members.json", '$["00g1"]')]
    # a fetch-idp manifest naming the files: the pull followed every page
    root = okta_export(tmp_path / "pulled", users, users[:1000], single_file=True)
    write(root / "fetch-idp-manifest.json", json.dumps(manifest_document(
        "okta", {"users.json": 1001, "groups.json": 1, "group_members.json": 1000}, "2026-12-06T08:00:00Z")))
    assert pages(load_idp(root, "okta-api")[1]) == []
    # the empty next page saved after it: the answer says where it ends
    root = okta_export(tmp_path / "next", users, [users[:1000], []], single_file=True)
    assert pages(load_idp(root, "okta-api")[1]) == []


GRAPH_USERS_CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#users"


def graph_user(n: int) -> dict:
    return {"id": f"u{n}", "userPrincipalName": f"user{n}@example.com", "accountEnabled": True,
            "displayName": f"User {n}"}


def graph_export(root: Path, users: int, members: dict) -> Path:
    write(root / "users.json", json.dumps({"@odata.context": GRAPH_USERS_CONTEXT,
                                           "value": [graph_user(n) for n in range(users)]}))
    write(root / "groups.json", json.dumps({"value": [{"id": "g1", "displayName": "Sigma-Build"}]}))
    write(root / "group_members.json", json.dumps({"g1": members}))
    return root


def graph_members(n: int, **page) -> dict:
    return {"value": [dict(graph_user(i), **{"@odata.type": "#microsoft.graph.user"}) for i in range(n)], **page}


@pytest.mark.parametrize("size, why", [(100, "its default page"), (999, "$top 999, its maximum")])
def test_a_graph_members_answer_of_a_full_page_without_next_link_is_cut(tmp_path, size, why):
    root = graph_export(tmp_path / "graph", 1001, graph_members(size))
    _, findings = load_idp(root, "entra-graph")
    assert pages(findings) == [("group_members.json", '$["g1"]', (
        f"Graph members of g1: exactly {size} records, one full page of GET /v1.0/groups/{{id}}/members ({why}) "
        f"and no @odata.nextLink: the next pages are probably missing; {GRAPH_WAYS_OUT}"))]


@pytest.mark.parametrize("members", [graph_members(99), graph_members(100, **{"@odata.count": 100}),
                                     graph_members(101)])
def test_a_graph_members_answer_shorter_than_a_page_or_counted_is_whole(tmp_path, members):
    _, findings = load_idp(graph_export(tmp_path / "graph", 1001, members), "entra-graph")
    assert pages(findings) == []


def test_a_graph_users_file_of_one_default_page_is_cut_unless_a_manifest_vouches(tmp_path):
    root = graph_export(tmp_path / "graph", 100, graph_members(3))
    assert pages(load_idp(root, "entra-graph")[1]) == [("users.json", "$", (
        "Graph users file: exactly 100 records, one full page of GET /v1.0/users (its default page) and no "
        f"@odata.nextLink: the next pages are probably missing; {GRAPH_WAYS_OUT}"))]
    write(root / "fetch-idp-manifest.json", json.dumps(manifest_document(
        "entra", {"users.json": 100, "groups.json": 1, "group_members.json": 3}, "2026-12-06T08:00:00Z")))
    assert pages(load_idp(root, "entra-graph")[1]) == []


def google_export(root: Path, users: int, members: int, **group) -> Path:
    write(root / "users.json", json.dumps({"kind": "admin#directory#users", "users": [
        {"id": f"{n}", "primaryEmail": f"user{n}@example.com", "name": {"givenName": "G", "familyName": f"F{n}"},
         "suspended": False} for n in range(users)]}))
    write(root / "groups.json", json.dumps({"kind": "admin#directory#groups", "groups": [
        {"id": "g1", "email": "build@example.com", "name": "Sigma-Build", **group}]}))
    write(root / "group_members.json", json.dumps({"g1": {"kind": "admin#directory#members", "members": [
        {"id": f"{n}", "email": f"user{n}@example.com", "type": "USER", "role": "MEMBER", "status": "ACTIVE"}
        for n in range(members)]}}))
    return root


def test_a_google_members_answer_of_200_is_cut_unless_the_group_counts_it(tmp_path):
    root = google_export(tmp_path / "cut", 300, 200)
    assert pages(load_idp(root, "google-api")[1]) == [("group_members.json", '$["g1"]', (
        "Google members of g1: exactly 200 records, one full page of GET admin/directory/v1/groups/{groupKey}/members "
        f"(maxResults 200, its maximum) and no nextPageToken: the next pages are probably missing; {GOOGLE_WAYS_OUT}"))]
    assert pages(load_idp(google_export(tmp_path / "counted", 300, 200, directMembersCount="200"), "google-api")[1]) == []
    assert pages(load_idp(google_export(tmp_path / "short", 300, 199), "google-api")[1]) == []


@pytest.mark.parametrize("users, why", [(100, "maxResults 100, its default"), (500, "maxResults 500, its maximum")])
def test_a_google_users_file_of_a_full_page_is_cut(tmp_path, users, why):
    root = google_export(tmp_path / "cut", users, 3)
    assert pages(load_idp(root, "google-api")[1]) == [("users.json", "$", (
        f"Google users file: exactly {users} records, one full page of GET admin/directory/v1/users ({why}) and no "
        f"nextPageToken: the next pages are probably missing; {GOOGLE_WAYS_OUT}"))]


# ------------------------------------------------------------------ the plan: tester18's repro 29, as real files


def acme_with_build_cut(root: Path) -> tuple[Path, list[str]]:
    """samples/acme/okta with 995 new Sigma-Build users listed first, Sigma-Build's answer cut at its first 1,000
    (GET /api/v1/groups/{id}/users without limit); returns the folder and the user ids cut off."""
    users = json.loads((ACME / "okta" / "users.json").read_text(encoding="utf-8"))
    members = json.loads((ACME / "okta" / "group_members.json").read_text(encoding="utf-8"))
    new = [okta_user(n) for n in range(995)]
    whole = new + members[SIGMA_BUILD]
    members[SIGMA_BUILD] = whole[:1000]
    write(root / "users.json", json.dumps(users + new))  # 1,126 users: not a multiple of 200
    write(root / "groups.json", (ACME / "okta" / "groups.json").read_text(encoding="utf-8"))
    write(root / "group_members.json", json.dumps(members))
    return root, [u["id"] for u in whole[1000:]]


def test_a_plan_on_a_group_answer_cut_at_1000_holds_every_change_it_could_make(capsys, tmp_path):
    root, cut_off = acme_with_build_cut(tmp_path / "okta")
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(root), "--policy",
                           str(ACME / "policy-okta-reviewed.yaml"), "--out", str(out), "--detailed-exitcode")
    assert code == 3  # changes, blocked by review items
    plan = read_plan(out)
    affected = {a.id for a in plan.actions if a.kind.value in (
        "members.deactivate", "members.disable_guest", "scim.deactivate_user", "teams.remove_member",
        "scim.set_account_type", "scim.set_group_members")}
    truncated = {i.id for i in plan.review_items if i.code == "inputs.truncated" and i.blocking}
    assert truncated == {f"inputs.truncated:{a}" for a in affected}
    # the 13 real Build members cut off would be downgraded: each downgrade is held
    downgrades = sorted(a.id for a in plan.actions if a.kind.value == "scim.set_account_type"
                        and a.target.idp_id in cut_off)
    assert len(cut_off) == 13 and len(downgrades) == 10  # three of them keep their type by another group or override
    assert all(f"inputs.truncated:{a}" in truncated for a in downgrades)
    item = next(i for i in plan.review_items if i.id == f"inputs.truncated:{downgrades[0]}")
    assert item.message.endswith(
        f"{root / 'group_members.json'}:$[\"{SIGMA_BUILD}\"]: {OKTA_1000.replace('00g1', SIGMA_BUILD)}")
    assert item.resolution == (
        "# no policy setting settles this: export again, whole (every page, every user, every group's and team's "
        f"members), {root / 'group_members.json'}; {OKTA_WAYS_OUT}; then plan again\n")
