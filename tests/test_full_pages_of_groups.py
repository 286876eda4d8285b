"""A hand-saved groups listing cut at a full page is ``incomplete-pages``, as the users and group members
listings are (tester20 finding 8: an Okta ``groups.json`` of exactly 200, the README's own
``/api/v1/groups?limit=200`` step, and a Google ``groups.list`` answer of 200 were read as whole: groups past
the cut, reached through ``scope.groups`` or ``teams.rules`` patterns or nesting, dropped out without a word).
Okta 200 or 10,000, Graph 100 or 999, Google 200 (planner/sources/page_sizes.py); a fetch-idp manifest or a
continuation key on the page vouches for the listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.sources import load_idp
from planner.sources.manifest import manifest_document
from planner.planfile import read_plan
from planner.sources.page_sizes import GOOGLE_GROUPS_WAYS_OUT, GRAPH_WAYS_OUT, OKTA_WAYS_OUT

from .conftest import run_cli, write
from .test_full_pages_by_endpoint import ACME, okta_user, pages


def okta_groups_export(root: Path, groups: int, *, link_page: bool = False) -> Path:
    """Three users, ``groups`` Okta groups (each with an empty members answer); ``link_page``: the empty next
    page saved after them."""
    listing = [{"id": f"00gGen{n:07d}", "type": "OKTA_GROUP", "profile": {"name": f"sigma-team-{n}"}}
               for n in range(groups)]
    write(root / "users.json", json.dumps([okta_user(n) for n in range(3)]))
    write(root / "groups.json", json.dumps([listing, []] if link_page else listing))
    write(root / "group_members.json", json.dumps({g["id"]: [] for g in listing}))
    return root


def okta_cut(held: int, why: str, holding: str = "exactly {held} records, one full page") -> str:
    return (f"Okta groups file: {holding.format(held=held)} of GET /api/v1/groups ({why}) and no "
            f"Link: rel=\"next\": the next pages are probably missing; " + OKTA_WAYS_OUT)


@pytest.mark.parametrize("groups, cut", [
    (200, okta_cut(200, "limit 200, as README's steps ask")),
    (400, okta_cut(400, "limit 200, as README's steps ask", "exactly {held} records, 2 full pages")),
    (199, None), (201, None)])
def test_an_okta_groups_file_ending_on_a_full_page_is_cut(tmp_path, groups, cut):
    root = okta_groups_export(tmp_path / "okta", groups)
    _, findings = load_idp(root, "okta-api")
    assert pages(findings) == ([("groups.json", "$", cut)] if cut else [])


def test_an_okta_groups_file_of_200_vouched_for_is_whole(tmp_path):
    root = okta_groups_export(tmp_path / "next", 200, link_page=True)  # the empty next page saved
    assert pages(load_idp(root, "okta-api")[1]) == []
    root = okta_groups_export(tmp_path / "pulled", 200)
    write(root / "fetch-idp-manifest.json", json.dumps(manifest_document(
        "okta", {"users.json": 3, "groups.json": 200, "group_members.json": 0}, "2026-12-06T08:00:00Z")))
    assert pages(load_idp(root, "okta-api")[1]) == []


def test_the_tester_s_okta_groups_file_of_200_holds_the_plan(capsys, tmp_path):
    """samples/acme/okta with 175 more groups (200 in groups.json, as /work/notes/t20-repro/20/okta-groups200):
    ``check`` names the cut; ``plan`` holds what it could change (inputs.truncated)."""
    root = tmp_path / "okta"
    groups = json.loads((ACME / "okta" / "groups.json").read_text(encoding="utf-8"))
    members = json.loads((ACME / "okta" / "group_members.json").read_text(encoding="utf-8"))
    extra = [{"id": f"00gAd{n:015d}", "type": "APP_GROUP", "profile": {"name": f"AD-{n}"}}
             for n in range(200 - len(groups))]
    write(root / "users.json", (ACME / "okta" / "users.json").read_text(encoding="utf-8"))
    write(root / "groups.json", json.dumps(groups + extra))
    write(root / "group_members.json", json.dumps({**members, **{g["id"]: [] for g in extra}}))
    _, out, _ = run_cli(capsys, "check", "--sigma", str(ACME / "sigma"), "--idp", str(root))
    assert f"warning: {root / 'groups.json'}:$: " + okta_cut(200, "limit 200, as README's steps ask") + \
        " (incomplete-pages)" in out
    plan_out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(root), "--policy",
                         str(ACME / "policy-okta-reviewed.yaml"), "--out", str(plan_out), "--detailed-exitcode")
    result = read_plan(plan_out)
    assert code == 3  # changes, blocked by review items (was: the cut read as whole)
    # nothing but the cut blocks, and it holds every account-type change (e.g. Kevin's, from Sigma-Analyze)
    assert {i.code for i in result.review_items if i.blocking} == {"inputs.truncated"}
    assert "inputs.truncated:scim.set_account_type:4zQjdiCWgV4iVYkm0DjAkt5ssGb7p" in {
        i.id for i in result.review_items if i.blocking}


def graph_groups_export(root: Path, groups: int, *, count: bool = False) -> Path:
    users = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": [
        {"id": "u1", "userPrincipalName": "a@example.com", "accountEnabled": True}]}
    listing = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups",
               "value": [{"id": f"g{n}", "displayName": f"Group {n}"} for n in range(groups)]}
    if count:
        listing["@odata.count"] = groups
    write(root / "users.json", json.dumps(users))
    write(root / "groups.json", json.dumps(listing))
    return root


@pytest.mark.parametrize("groups, why", [(100, "its default page"), (999, "$top 999, its maximum"), (101, None)])
def test_a_graph_groups_answer_of_a_full_page_is_cut(tmp_path, groups, why):
    _, findings = load_idp(graph_groups_export(tmp_path / "graph", groups), "entra-graph")
    assert pages(findings) == ([("groups.json", "$", (
        f"Graph groups file: exactly {groups} records, one full page of GET /v1.0/groups ({why}) and no "
        "@odata.nextLink: the next pages are probably missing; " + GRAPH_WAYS_OUT))] if why else [])
    # its @odata.count vouches for it
    assert pages(load_idp(graph_groups_export(tmp_path / "counted", groups, count=True), "entra-graph")[1]) == []


def google_groups_export(root: Path, groups: int, *, token_key: bool = False) -> Path:
    users = {"kind": "admin#directory#users", "users": [
        {"id": "101", "primaryEmail": "a@example.com", "name": {"givenName": "A", "familyName": "B"},
         "suspended": False, "archived": False}]}
    listing: dict = {"kind": "admin#directory#groups",
                     "groups": [{"id": f"g{n}", "email": f"g{n}@example.com", "name": f"Group {n}"}
                                for n in range(groups)]}
    if token_key:
        listing["nextPageToken"] = None
    write(root / "users.json", json.dumps(users))
    write(root / "groups.json", json.dumps(listing))
    return root


@pytest.mark.parametrize("groups, cut", [(200, True), (199, False)])
def test_a_google_groups_answer_of_200_is_cut(tmp_path, groups, cut):
    _, findings = load_idp(google_groups_export(tmp_path / "google", groups), "google-api")
    assert pages(findings) == ([("groups.json", "$", (
        "Google groups file: exactly 200 records, one full page of GET admin/directory/v1/groups (maxResults 200, "
        "its default and maximum) and no nextPageToken: the next pages are probably missing; "
        + GOOGLE_GROUPS_WAYS_OUT))] if cut else [])
    # the nextPageToken key saved (null: the last page) says where it ends
    assert pages(load_idp(google_groups_export(tmp_path / "token", groups, token_key=True), "google-api")[1]) == []
