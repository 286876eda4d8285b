"""fetch-idp's manifest: a pulled listing was read whole, so a 200-user Okta pull is not "one full page".

Real HTTP: the Okta emulator (planner/sandbox/idp/) serves exactly 200 users (one full API page); the Sigma
side is tests/fixtures/sandbox_seed (as in tests/test_incomplete_inputs.py).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from planner.planfile import read_plan
from planner.sources.manifest import parse_fetched_at
from planner.sandbox.idp.okta import OktaEmulator, OktaSeed
from planner.sources import load_idp
from tests.test_incomplete_inputs import PEOPLE, POLICY, SIGMA, okta_user

from .conftest import run_cli

GROUPS = [{"id": "00g1", "type": "OKTA_GROUP", "objectClass": ["okta:user_group"],
           "profile": {"name": "Finance Analysts"}}]
NAMES = [("Ada", "Admin"), ("Ben", "Builder"), ("Cleo", "Viewer")]  # the seed members': one person each
USERS = [u | {"profile": u["profile"] | {"firstName": first, "lastName": last}}
         for u, (first, last) in zip(PEOPLE, NAMES)] + [
    okta_user(n, f"person{n}@example.com") for n in range(4, 201)]  # exactly 200: one full page
AFFECTED = ["members.deactivate:Dn7OBrienDn7OBrienDn7OBrienDn",
            "members.deactivate:Sm3StewardSm3StewardSm3Stewar",
            "members.disable_guest:Gw8GuestGw8GuestGw8GuestGw8Gu",
            "scim.set_group_members:00g1",
            "teams.remove_member:88858466-5299-4425-95c0-000000000001:Dn7OBrienDn7OBrienDn7OBrienDn",
            "teams.remove_member:88858466-5299-4425-95c0-000000000001:Gw8GuestGw8GuestGw8GuestGw8Gu"]


@pytest.fixture(scope="module")
def pulled(tmp_path_factory) -> Path:
    """``fetch-idp okta --out <dir>`` (the CLI) against the emulator holding exactly 200 users."""
    out = tmp_path_factory.mktemp("pull") / "okta"
    seed = OktaSeed([dict(u) for u in USERS], [dict(g) for g in GROUPS], {"00g1": ["00u1", "00u2"]})
    with OktaEmulator(seed, token="okta-test-token") as emulator, pytest.MonkeyPatch.context() as mp:
        mp.setenv("OKTA_API_TOKEN", emulator.token)
        mp.setenv("OKTA_ORG_URL", emulator.base_url)
        assert run_cli(None, "fetch-idp", "okta", "--out", str(out))[0] == 0
    return out


CREATES_ACCEPTED = POLICY.replace("thresholds: {deactivations: null, team_member_removals: null}",
                                  "thresholds: {deactivations: null, team_member_removals: null, creates: null}")
"""The tests' policy accepting the 197 creates of the pull (guards.thresholds.creates: a Sigma of seven active people
more than doubles), which these tests are not about."""


def plan(capsys, tmp_path: Path, idp: Path, policy: str = CREATES_ACCEPTED):
    (tmp_path / "policy.yaml").write_text(policy, encoding="utf-8")
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(SIGMA), "--idp", str(idp), "--policy",
                       str(tmp_path / "policy.yaml"), "--out", str(out), "--detailed-exitcode")
    return code, err, (read_plan(out) if out.exists() else None)


def copy(pulled: Path, to: Path, *, manifest: bool) -> Path:
    to.mkdir()
    for p in pulled.iterdir():
        if manifest or p.name != "fetch-idp-manifest.json":
            shutil.copy(p, to / p.name)
    return to


def test_the_pull_writes_a_manifest_with_each_listing_count(pulled):
    assert sorted(p.name for p in pulled.iterdir()) == ["fetch-idp-manifest.json", "group_members.json",
                                                       "groups.json", "users.json"]
    document = json.loads((pulled / "fetch-idp-manifest.json").read_text())
    fetched_at = document.pop("fetchedAt")  # when the pull read the IdP (tester8 finding 21)
    assert parse_fetched_at(fetched_at) is not None
    assert document == {
        "manifest": "sigma-migrate fetch-idp", "version": 1, "idp": "okta",
        "files": {"users.json": 200, "groups.json": 1, "group_members.json": 2}}
    directory, findings = load_idp(pulled)
    assert len(directory.users) == 200
    assert [(f.severity.value, f.code) for f in findings if f.severity.value != "info"] == []
    assert [(Path(i.path).name, i.kind, i.records) for i in directory.inputs][-1] == (
        "fetch-idp-manifest.json", "fetch-idp.manifest", 3)


def test_a_200_user_pull_plans_without_truncation_items(capsys, tmp_path, pulled):
    code, err, result = plan(capsys, tmp_path, pulled)
    assert (code, err) == (2, "")   # changes, none blocked
    assert Counter(a.kind.value for a in result.actions) == {
        "scim.create_user": 197, "scim.link_user": 3, "teams.remove_member": 2, "members.deactivate": 2,
        "scim.link_group": 1, "scim.set_group_members": 1, "members.disable_guest": 1}
    assert [(i.code, i.blocking) for i in result.review_items] == [("teams.unmanaged", False)]
    # the creates guard's default asks about 197 accounts for a Sigma of seven active people (the robot left out),
    # and nothing else does
    code, _, result = plan(capsys, tmp_path, pulled, POLICY)
    assert code == 3 and [i.id for i in result.review_items if i.blocking] == ["guards.threshold.creates:plan"]
    (item,) = [i for i in result.review_items if i.blocking]
    assert item.message == (
        "creates: 197 for 7 active Sigma people (2814.3%): more than 50 and more than 100% (guards.thresholds.creates): "
        "scope.groups names no group, so every active IdP user is in scope: should scope.groups name the groups of the "
        "people who use Sigma?")


def test_the_same_users_file_without_the_manifest_is_truncated_as_today(capsys, tmp_path, pulled):
    idp = copy(pulled, tmp_path / "saved", manifest=False)
    code, _, result = plan(capsys, tmp_path, idp)
    assert code == 3   # blocked by review items
    items = [i for i in result.review_items if i.code == "inputs.truncated"]
    assert sorted(i.id for i in items) == [f"inputs.truncated:{a}" for a in AFFECTED]
    assert all(i.blocking for i in items)


@pytest.mark.parametrize("cut, message", [
    ("users.json", "{file}: 199 record(s), but the fetch-idp manifest fetch-idp-manifest.json says 200: the file "
                   "was edited or cut after the pull; pull again"),
    ("group_members.json", "{file}: 1 record(s), but the fetch-idp manifest fetch-idp-manifest.json says 2: the "
                           "file was edited or cut after the pull; pull again"),
])
def test_a_file_cut_after_the_pull_is_one_line_error_naming_it(capsys, tmp_path, pulled, cut, message):
    idp = copy(pulled, tmp_path / "cut", manifest=True)
    data = json.loads((idp / cut).read_text())
    if cut == "users.json":
        data = data[:-1]
    else:
        data["00g1"] = data["00g1"][:1]
    (idp / cut).write_text(json.dumps(data))
    code, err, result = plan(capsys, tmp_path, idp)
    assert (code, result) == (1, None)
    assert err.startswith("sigma-migrate: error: the inputs have 1 error(s), first: error: "
                          f"{message.format(file=idp / cut)} (manifest-mismatch); run `sigma-migrate check`")
    assert err.count("\n") == 1


def test_a_file_added_after_the_pull_or_a_named_file_removed_is_an_error(tmp_path, pulled):
    idp = copy(pulled, tmp_path / "added", manifest=True)
    (idp / "groups.json").rename(idp / "okta_groups.json")
    _, findings = load_idp(idp)
    assert [(f.code, Path(f.file).name, f.message) for f in findings if f.severity.value == "error"] == [
        ("manifest-mismatch", "groups.json", "missing: the fetch-idp manifest fetch-idp-manifest.json lists it "
                                             "with 1 record(s); pull again"),
        ("manifest-mismatch", "okta_groups.json", "not written by the pull that fetch-idp-manifest.json "
                                                  "describes: remove it, or pull again into an empty folder"),
    ]


def test_a_manifest_beside_an_export_fetch_idp_does_not_write_is_an_error(tmp_path, pulled):
    scim = tmp_path / "scim"
    scim.mkdir()
    (scim / "Users.json").write_text(json.dumps({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1, "Resources": [{
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "ada@example.com",
            "active": True}]}))
    shutil.copy(pulled / "fetch-idp-manifest.json", scim)
    _, findings = load_idp(scim)
    assert [(f.code, Path(f.file).name, f.message) for f in findings if f.severity.value == "error"] == [
        ("manifest-mismatch", "fetch-idp-manifest.json", "a fetch-idp manifest beside a scim export, which "
                                                         "fetch-idp does not write: remove it, or pass the "
                                                         "pulled folder alone")]
