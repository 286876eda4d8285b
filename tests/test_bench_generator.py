"""The benchmark's synthetic organization: deterministic, in the real export formats, dirty.

Small scale only (1,000 members, well under a second each); no timing here, the
benchmarks print their figures (bench/plan_bench.py, docs/performance.md).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from planner.model import email_key

REPO = Path(__file__).resolve().parent.parent


def _load_generator():
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("org")
    generate.generate(out, members=1000, seed=11)
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _members(org: Path) -> list[dict]:
    return json.loads((org / "sigma" / "members.json").read_text())["entries"]


def _scim(org: Path, name: str) -> list[dict]:
    return json.loads((org / "idp" / name).read_text())["Resources"]


def _manifest(org: Path) -> dict:
    return json.loads((org / "manifest.json").read_text())


# ---------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes(org, tmp_path):
    generate.generate(tmp_path, members=1000, seed=11)
    assert _files(tmp_path) == _files(org)


def test_another_seed_gives_another_organization(org, tmp_path):
    generate.generate(tmp_path, members=1000, seed=12)
    assert (tmp_path / "sigma" / "members.json").read_bytes() != (org / "sigma" / "members.json").read_bytes()


def test_default_sizes_follow_the_issue_proportions():
    assert generate.default_sizes(100_000) == {"idp_users": 110_000, "groups": 5_000, "memberships": 500_000}


# ---------------------------------------------------------------------- Sigma export format


def test_the_sigma_export_is_what_fetch_writes_manifest_included(org):
    """tester8 finding 12: the generated export was pages chained by nextPage without fetch-manifest.json, which
    every fetch writes since 7f5ce1f; now fetch's own writer (planner.fetch.export_files, export_text) writes it,
    as ``fetch --no-scim-state`` would, and the Sigma loader reads it as such."""
    from planner.fetch import export_text
    from planner.sources import load_sigma_export

    sigma = org / "sigma"
    assert sorted(p.name for p in sigma.iterdir()) == [
        "account_types.json", "fetch-manifest.json", "members.json", "team_members.json", "teams.json"]
    manifest = json.loads((sigma / "fetch-manifest.json").read_text())
    assert (sigma / "fetch-manifest.json").read_text() == export_text(manifest)
    # fetchedAt fixed: one seed, the same bytes (tester8 finding 21); files: each file's records, as the loader counts
    # them (tester21 finding 2), so the export loads without a manifest-mismatch (below)
    assert manifest == {"manifest": "sigma-migrate fetch", "version": 1, "scimState": "left_out",
                        "fetchedAt": generate.GENERATED_AT, "files": {
                            "account_types.json": 5, "members.json": 1000, "teams.json": 41, "team_members.json": 2494}}
    members = json.loads((sigma / "members.json").read_text())
    assert (sorted(members), len(members["entries"]), members["nextPage"]) == (["entries", "nextPage"], 1000, None)
    assert (sigma / "members.json").read_text() == export_text(members)
    teams = json.loads((sigma / "teams.json").read_text())
    assert sorted(teams) == ["entries", "nextPage"] and teams["nextPage"] is None
    export, findings = load_sigma_export(sigma)
    assert [f for f in findings if f.severity.value == "error"] == []
    assert (export.fetch_manifest.scim_state, export.scim_users, len(export.members)) == ("left_out", None, 1000)


def test_members_carry_every_field_of_the_member_object(org):
    members = _members(org)
    assert len(members) == 1000
    assert {tuple(sorted(m)) for m in members} == {tuple(sorted([
        "organizationId", "memberId", "memberType", "firstName", "lastName", "email",
        "profileImgUrl", "createdBy", "updatedBy", "createdAt", "updatedAt", "homeFolderId",
        "userKind", "isArchived", "isInactive",
    ]))}
    robot = [m for m in members if m["memberId"] == "SigmaSchedulerRobot"]
    assert [r["email"] for r in robot] == ["scheduler-robot@sigmacomputing.com"]
    assert len({m["memberId"] for m in members}) == 1000


def test_team_members_are_keyed_by_team_and_name_existing_members(org):
    teams = json.loads((org / "sigma" / "teams.json").read_text())["entries"]
    team_members = json.loads((org / "sigma" / "team_members.json").read_text())
    member_ids = {m["memberId"] for m in _members(org)}
    assert sorted(team_members) == sorted(t["teamId"] for t in teams)
    for doc in team_members.values():
        assert doc["nextPage"] is None and doc["total"] == len(doc["entries"])
        for entry in doc["entries"]:
            assert set(entry) == {"userId", "isTeamAdmin", "addedBy"}
            assert entry["userId"] in member_ids
    assert sum(len(d["entries"]) for d in team_members.values()) == _manifest(org)["counts"]["sigma_team_memberships"]


def test_account_types_page_names_every_member_type_up_to_case(org):
    names = [e["accountTypeName"] for e in json.loads((org / "sigma" / "account_types.json").read_text())["entries"]]
    assert names == ["Admin", "Build", "Analyze", "Act", "View"]
    assert {m["memberType"].capitalize() for m in _members(org)} <= set(names)


# ---------------------------------------------------------------------- SCIM IdP format


def test_scim_users_and_groups_are_list_responses_with_resolvable_members(org):
    users, groups = _scim(org, "Users.json"), _scim(org, "Groups.json")
    counts = _manifest(org)["counts"]
    assert len(users) == counts["idp_users"] == 1100
    assert len(groups) == counts["idp_groups"] == 50
    user_ids, group_ids = {u["id"] for u in users}, {g["id"] for g in groups}
    kinds = Counter()
    for g in groups:
        for m in g["members"]:
            kinds[m["type"]] += 1
            assert m["value"] in (user_ids if m["type"] == "User" else group_ids)
    assert kinds["User"] == counts["idp_group_memberships"]
    assert kinds["Group"] == counts["idp_nested_group_edges"] >= 1


def test_nested_groups_are_acyclic(org):
    children = {g["id"]: [m["value"] for m in g["members"] if m["type"] == "Group"] for g in _scim(org, "Groups.json")}
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        assert state.get(node) != 1, "cycle through " + node
        if node in state:
            return
        state[node] = 1
        for child in children[node]:
            visit(child)
        state[node] = 2

    for node in children:
        visit(node)


def test_every_active_idp_user_is_in_an_account_type_group(org):
    users = {u["id"]: u for u in _scim(org, "Users.json")}
    type_groups = set(_manifest(org)["account_type_groups"].values())
    in_type_group = {m["value"] for g in _scim(org, "Groups.json") if g["displayName"] in type_groups for m in g["members"]}
    assert in_type_group == {uid for uid, u in users.items() if u["active"]}


# ---------------------------------------------------------------------- planted dirt


def test_planted_dirt_is_in_the_files(org):
    members = _members(org)
    users = _scim(org, "Users.json")
    dirt = _manifest(org)["dirt"]
    sigma_keys = Counter(email_key(m["email"]) for m in members)
    idp_user_name_keys = {email_key(u["userName"]) for u in users}
    idp_by_key = {email_key(u["userName"]): u for u in users}

    # letter case: Sigma spells it differently, the keys agree
    cased = [m for m in members if m["email"] != m["email"].lower() and email_key(m["email"]) in idp_user_name_keys]
    assert len(cased) >= dirt["case_difference"]["count"] > 0

    # alias domain: the Sigma address is at oldcorp.example, the IdP userName at example.com
    aliased = [m for m in members if m["email"].endswith("@oldcorp.example")]
    assert len(aliased) == dirt["alias_domain"]["count"] > 0
    assert all(email_key(m["email"]).replace("@oldcorp.example", "@example.com") in idp_user_name_keys for m in aliased)
    second = [u for u in users if any(e["value"].endswith("@oldcorp.example") for e in u["emails"])]
    assert len(second) == dirt["alias_second_email"]["count"] > 0

    # duplicates: two memberIds, one key; plus-addressed second account
    assert [k for k, n in sigma_keys.items() if n > 1] and max(sigma_keys.values()) == 2
    assert len([k for k, n in sigma_keys.items() if n > 1]) == dirt["duplicate"]["count"]
    assert len([m for m in members if "+bi@" in m["email"]]) == dirt["plus_address"]["count"] > 0

    # guests: userKind guest in Sigma, #EXT# userName in the IdP carrying the real address
    guests = [m for m in members if m["userKind"] == "guest"]
    assert len(guests) == dirt["guest"]["count"] > 0
    ext = [u for u in users if "#EXT#" in u["userName"]]
    assert len(ext) == dirt["guest_in_idp"]["count"] > 0
    assert {email_key(u["emails"][0]["value"]) for u in ext} <= {email_key(m["email"]) for m in guests}

    # archived and inactive members
    assert sum(m["isArchived"] for m in members) == dirt["archived"]["count"] > 0
    assert sum(m["isInactive"] for m in members) == dirt["inactive"]["count"] > 0

    # leavers: active internal Sigma members the IdP no longer has, or has inactive
    def idp_of(m):
        key = email_key(m["email"]).replace("@oldcorp.example", "@example.com")
        return idp_by_key.get(key)

    people = [m for m in members if m["memberId"] != "SigmaSchedulerRobot" and m["userKind"] == "internal" and "+bi@" not in m["email"]]
    absent = [m for m in people if idp_of(m) is None]
    inactive_in_idp = [m for m in people if idp_of(m) is not None and not idp_of(m)["active"]]
    assert len(absent) == dirt["leaver_absent"]["count"] > 0
    assert len(inactive_in_idp) == dirt["leaver_inactive_in_idp"]["count"] > 0

    # new hires: IdP users with no Sigma member under any spelling
    sigma_any = {email_key(m["email"]).replace("@oldcorp.example", "@example.com") for m in members}
    new_hires = [u for u in users if "#EXT#" not in u["userName"] and email_key(u["userName"]) not in sigma_any]
    assert len(new_hires) == dirt["new_hire"]["count"] > 0

    # the memberType spelling Sigma sometimes returns
    assert len([m for m in members if m["memberType"].islower()]) == dirt["member_type_lowercase"]["count"] > 0

    # teams no group maps to
    team_names = {t["name"] for t in json.loads((org / "sigma" / "teams.json").read_text())["entries"]}
    group_keys = {g["displayName"].casefold() for g in _scim(org, "Groups.json")}
    unmanaged = [n for n in team_names if n.casefold() not in group_keys]
    assert len(unmanaged) == dirt["unmanaged_team"]["count"] > 0
    assert any(n not in {g["displayName"] for g in _scim(org, "Groups.json")} and n.casefold() in group_keys for n in team_names)


def test_policy_names_a_clean_admin_as_provisioning_owner(org):
    admin = _manifest(org)["admin_email"]
    member = [m for m in _members(org) if m["email"] == admin]
    assert [(m["memberType"], m["userKind"], m["isArchived"]) for m in member] == [("Admin", "internal", False)]
    assert admin in {u["userName"] for u in _scim(org, "Users.json")}
    assert f"scim_setup_admin: {admin}" in (org / "policy.yaml").read_text()


def test_both_policies_fit_the_project_schema(org):
    policy = pytest.importorskip("planner.policy_reader")
    strict = policy.load_policy(org / "policy.yaml")
    settled = policy.load_policy(org / "policy-settled.yaml")
    assert strict.linking.domain_aliases == settled.linking.domain_aliases == {"oldcorp.example": "example.com"}
    assert strict.account_types.precedence == ["Admin", "Build", "Analyze", "Act", "View"]
    assert (strict.unmatched.action, settled.unmatched.action) == ("review", "deactivate")
    duplicates = _manifest(org)["dirt"]["duplicate"]["examples"]
    assert [o.member for o in settled.linking.overrides] == [d["memberId"] for d in duplicates]
    assert settled.linking.duplicates == {d["duplicateMemberId"]: "deactivate" for d in duplicates}


def test_the_settled_policy_gives_a_plan_apply_accepts(org):
    """bench/apply_bench.py applies the settled policy's plan: nothing may block it, no review
    item and no pre-flight check (apply refused it while the settled policy confirmed none)."""
    planning = pytest.importorskip("planner.planning")
    plan, _ = planning.plan_from_paths(str(org / "sigma"), [str(org / "idp")], str(org / "policy-settled.yaml"))
    assert [r.id for r in plan.review_items if r.blocking] == []
    assert [c.name for c in plan.unmet_preflight] == []
    assert plan.actions


# ---------------------------------------------------------------------- other IdP formats


def test_entra_format_writes_download_csvs(tmp_path):
    generate.generate(tmp_path, members=300, seed=3, idp_format="entra")
    idp = tmp_path / "idp"
    with open(idp / "users.csv", newline="", encoding="utf-8") as fh:
        users = list(csv.DictReader(fh))
    assert len(users) == 330
    assert {u["userType"] for u in users} == {"Member", "Guest"}
    assert all("#EXT#" in u["userPrincipalName"] for u in users if u["userType"] == "Guest")
    with open(idp / "groups.csv", newline="", encoding="utf-8") as fh:
        groups = list(csv.DictReader(fh))
    assert len(groups) == 15
    files = sorted(p.stem for p in (idp / "group_members").glob("*.csv"))
    assert files == sorted(g["Display name"] for g in groups)
    rows = []
    for p in (idp / "group_members").glob("*.csv"):
        with open(p, newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    assert set(rows[0]) == {"Object ID", "User principal name", "Display name", "Member type"}
    assert Counter(r["Member type"] for r in rows)["Group"] >= 1


def test_okta_format_writes_what_fetch_idp_okta_writes(tmp_path):
    # leftovers16 item 5: the layout of planner.idp.okta.pull + write_pull (docs/formats.md §2a-§2c), read as such
    # (was: no manifest, no usersCount, and Entra's '#EXT#' guest names as Okta logins, which the Okta loader read
    # as guests only through Entra's rule)
    from planner.sources import load_idp

    generate.generate(tmp_path, members=300, idp_users=400, seed=3, idp_format="okta")
    idp = tmp_path / "idp"
    assert sorted(p.name for p in idp.iterdir()) == [
        "fetch-idp-manifest.json", "group_members.json", "groups.json", "users.json"]
    users = json.loads((idp / "users.json").read_text())
    groups = json.loads((idp / "groups.json").read_text())
    members = json.loads((idp / "group_members.json").read_text())
    assert len(users) == 400 and all(u["id"].startswith("00u") and len(u["id"]) == 20 for u in users)
    assert {u["status"] for u in users} == {"ACTIVE", "DEPROVISIONED"}
    assert not [u for u in users if "#EXT#" in u["profile"]["login"] or "userType" in u["profile"]]
    assert all(u["lastLogin"] for u in users if u["status"] == "ACTIVE")
    assert {u[k][-5:] for u in users for k in ("created", "lastUpdated")} == {".000Z"}
    assert sorted(members) == sorted(g["id"] for g in groups)
    assert [g["_embedded"]["stats"]["usersCount"] for g in groups] == [len(members[g["id"]]) for g in groups]
    assert json.loads((idp / "fetch-idp-manifest.json").read_text()) == {
        "manifest": "sigma-migrate fetch-idp", "version": 1, "idp": "okta", "fetchedAt": generate.GENERATED_AT,
        "files": {"users.json": 400, "groups.json": len(groups),
                  "group_members.json": sum(len(m) for m in members.values())}}
    directory, findings = load_idp(idp)
    # 400 users, two full pages of GET /api/v1/users: the manifest vouches for them (no incomplete-pages), and
    # every group's usersCount agrees with its members
    assert (directory.format, directory.fetched_at, [f for f in findings]) == ("okta-api", generate.GENERATED_AT, [])


# ---------------------------------------------------------------------- the project's loaders


@pytest.mark.parametrize("idp_format", ["scim", "entra", "okta"])
def test_the_project_loaders_read_the_generated_organization(tmp_path, idp_format):
    from planner.sources import load_snapshot

    manifest = generate.generate(tmp_path, members=1000, seed=11, idp_format=idp_format)
    snapshot = load_snapshot(tmp_path / "sigma", [tmp_path / "idp"])
    counts = manifest["counts"]
    assert snapshot.idp.format == {"scim": "scim", "entra": "entra-csv", "okta": "okta-api"}[idp_format]
    assert len(snapshot.sigma.members) == counts["sigma_members"]
    assert len(snapshot.sigma.people) == counts["sigma_members"] - 1
    assert len(snapshot.sigma.teams) == counts["sigma_teams"]
    assert len(snapshot.sigma.team_memberships) == counts["sigma_team_memberships"]
    assert len(snapshot.idp.users) == counts["idp_users"]
    assert len(snapshot.idp.groups) == counts["idp_groups"]
    user_edges = sum(len(g.member_user_ids) for g in snapshot.idp.groups)
    group_edges = sum(len(g.member_group_ids) for g in snapshot.idp.groups)
    if idp_format == "okta":  # Okta has no nested groups: the generator flattens them
        assert (user_edges > counts["idp_group_memberships"], group_edges) == (True, 0)
    else:
        assert (user_edges, group_edges) == (counts["idp_group_memberships"], counts["idp_nested_group_edges"])
    assert not snapshot.has_errors
    duplicates = [f for f in snapshot.findings if f.code == "duplicate-email"]
    assert len(duplicates) == manifest["dirt"]["duplicate"]["count"]
    # Okta has no guest users (a guest logs in by their own address): only Entra's #EXT# names say guest
    assert sum(u.is_guest for u in snapshot.idp.users) == (
        0 if idp_format == "okta" else manifest["dirt"]["guest_in_idp"]["count"])
    assert sum(m.is_guest for m in snapshot.sigma.people) == manifest["dirt"]["guest"]["count"]
