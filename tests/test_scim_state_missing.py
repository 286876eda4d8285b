"""Tester6 finding 14 (and tester7's re-test, "14 CHANGED-BUT"): an export without Sigma's SCIM state
never passes for a pre-SCIM organization.

After a full apply the organization is SCIM-provisioned, but nothing in a REST export says so
(docs/sigma-api.md §2.2). Two exports without the state used to be written silently: ``fetch`` without
``--policy`` (the README's first fetch) and ``fetch --policy ... --no-scim-state``; the re-plan then
re-linked 138 members and planned to deactivate jordan.lee2@acme.example, whom SCIM had created, blocked
only by an accidental ``linking.create_collides``. Now the plain fetch stops (the acme members SCIM made
inactive say SCIM is or was set up), the deliberate one is recorded in ``fetch-manifest.json``, and the
re-plan is held by one blocking ``inputs.scim_state_missing`` item naming the export and the fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.planfile import read_plan
from planner.sources import load_sigma_export
from planner.sources.manifest import parse_fetched_at

from .conftest import run_cli
from .execute_support import options_for

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA = REPO / "samples/acme/sigma", REPO / "samples/acme/okta"
NEEDED = ("so the export needs Sigma's SCIM state: set SIGMA_SCIM_TOKEN (the SCIM bearer token), or pass "
          "--no-scim-state to fetch without it (a re-plan then cannot see what SCIM already did)")


def aimed_policy(text: str, sandbox) -> str:
    """``policies/examples/okta.yaml`` with the sandbox as its targets, as the tester ran it."""
    aimed = text.replace("rest_base_url: https://api.sigmacomputing.com", f"rest_base_url: {sandbox.base_url}") \
                .replace("scim_base_url: null", f"scim_base_url: {sandbox.scim_base_url}")
    assert aimed.count(sandbox.base_url) == 2
    return aimed


def test_after_a_full_apply_a_fetch_without_scim_state_refuses_or_is_recorded_and_the_re_plan_is_held(
        tmp_path, capsys, monkeypatch):
    """The tester's sequence: the okta example policy aimed at the sandbox (previous_scim: removed_by_support,
    targets.scim_base_url set), fetch with the token, plan, approve, apply (converged, creating jordan.lee2 for
    IdP user 00urXgdCptzOM4sQRjPX); then day two without SIGMA_SCIM_TOKEN. Exact exit codes, lines and items;
    no deactivation (nothing at all) approvable; with the token the re-plan is 'No changes'."""
    from .sandbox_fixture import sample_sandbox

    monkeypatch.chdir(tmp_path)  # relative paths, as an admin types them: the lines below are exact
    with sample_sandbox(SIGMA) as sandbox:
        Path("policy.yaml").write_text(aimed_policy((REPO / "policies/examples/okta.yaml").read_text(), sandbox))
        monkeypatch.setenv("SIGMA_CLIENT_ID", sandbox.client_id)
        monkeypatch.setenv("SIGMA_CLIENT_SECRET", sandbox.client_secret)
        monkeypatch.setenv("SIGMA_SCIM_TOKEN", sandbox.scim_token)
        monkeypatch.delenv("SIGMA_SCIM_BASE_URL", raising=False)
        fetch = ["fetch", "--base-url", sandbox.base_url, "--no-progress"]

        def plan(export: str, out: str, policy: str = "policy.yaml") -> tuple[int, str, str]:
            return run_cli(capsys, "plan", "--sigma", export, "--idp", str(OKTA), "--policy", policy,
                           "--out", out, "--detailed-exitcode")

        # day one: the export with Sigma's SCIM state (the token exists once SCIM is set up), plan, apply
        assert run_cli(capsys, *fetch, "--out", "e1", "--policy", "policy.yaml")[0] == 0
        assert json.loads(Path("e1/fetch-manifest.json").read_text())["scimState"] == "read"
        assert plan("e1", "plan.json")[0] == 2  # changes, nothing blocking
        approve(tmp_path / "plan.json", "Ada Admin")
        assert apply_plan(tmp_path / "plan.json", options_for(sandbox)).status == "converged"

        # day two, in a shell without the SCIM token: the README's first fetch stops
        monkeypatch.delenv("SIGMA_SCIM_TOKEN")
        assert run_cli(capsys, *fetch, "--out", "e2") == (1, "", (
            "sigma-migrate: error: GET /v2.1/members: 2 member(s) are inactive (isInactive), a state only SCIM gives "
            "(docs/sigma-api.md §2.2): SCIM is or was set up in this organization (if Sigma support removed that "
            f"setup, say so: --policy with preflight.previous_scim: removed_by_support), {NEEDED}\n"))
        assert run_cli(capsys, *fetch, "--out", "e2", "--policy", "policy.yaml") == (1, "", (
            "sigma-migrate: error: policy.yaml: targets.scim_base_url is set (SCIM is on: apply provisions through "
            f"it), {NEEDED}\n"))
        assert not Path("e2").exists()

        # left out on purpose: recorded, and the re-plan is held by one item naming the file and the fix
        code, out, err = run_cli(capsys, *fetch, "--out", "e3", "--policy", "policy.yaml", "--no-scim-state")
        assert (code, err) == (0, "")
        assert out.endswith(" into e3 (without Sigma's SCIM state: --no-scim-state)\n")
        manifest = json.loads(Path("e3/fetch-manifest.json").read_text())
        assert parse_fetched_at(manifest.pop("fetchedAt")) is not None  # when fetch read Sigma (tester8 finding 21)
        assert manifest == {"manifest": "sigma-migrate fetch", "version": 1, "scimState": "left_out", "files": {
            "account_types.json": 7, "members.json": 162, "teams.json": 17, "team_members.json": 178}}
        code, out, err = plan("e3", "plan2.json")
        assert code == 3
        assert out.splitlines()[1:4] == [
            "Cannot sign in after the switch: 3 (3 with no IdP identity (1 in review))", "Admins losing Admin: 0",
            "3 blocking review item(s): the plan can be reviewed but not applied "
            "(`sigma-migrate show` lists them with the policy snippet that settles each)"]
        held = read_plan(tmp_path / "plan2.json")
        # the member the apply created for jordan.lee2 (a `never` override) is no longer deactivated as unmatched:
        # made after the IdP export's newest record, it is held (tester8 finding 5)
        entries = json.loads(Path("e3/members.json").read_text())
        entries = entries["entries"] if isinstance(entries, dict) else [e for page in entries for e in page["entries"]]
        new_id = next(m["memberId"] for m in entries if m["email"] == "jordan.lee2@acme.example")
        assert [r.id for r in held.blocking_items] == [
            "inputs.scim_state_missing:sigma", "linking.create_collides:00urXgdCptzOM4sQRjPX",
            f"unmatched.new_member:{new_id}"]
        item = held.blocking_items[0]
        assert item.message == (
            "e3/fetch-manifest.json: the Sigma export was fetched without Sigma's SCIM state (--no-scim-state), but "
            "policy.yaml: targets.scim_base_url is set (SCIM is on: apply provisions through it): fetch again with "
            "SIGMA_SCIM_TOKEN set and plan again. Without that state the plan cannot see what SCIM already "
            "provisioned: its 164 action(s) (13 scim.link_group, "
            "138 scim.link_user, 13 scim.set_group_members) may link again, create again or "
            "deactivate what SCIM did")  # no teams.remove_member of the new member unmatched.new_member holds
        assert (item.evidence.files, item.evidence.source) == (["e3", "e3/fetch-manifest.json"], "left_out")
        code, out, err = run_cli(capsys, "approve", "plan2.json", "--by", "Ada Admin")
        assert (code, out) == (1, "")
        assert err.startswith("sigma-migrate: error: plan2.json: plan has 3 blocking review item(s), first "
                              "inputs.scim_state_missing:sigma [inputs.scim_state_missing]: e3/fetch-manifest.json: ")
        assert err.endswith("(and 2 more); no policy setting settles inputs.scim_state_missing:sigma: fetch the Sigma "
                            "export again with SIGMA_SCIM_TOKEN set (`sigma-migrate fetch` then writes "
                            "scim/Users.json and scim/Groups.json), then plan again; decide the other 2 in the "
                            "policy\n")
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("plan2.json")) == ["plan2.json"]

        # a re-plan that says so (same_setup) is held the same way, whatever else the policy says
        Path("replan.yaml").write_text(Path("policy.yaml").read_text().replace(
            "previous_scim: removed_by_support", "previous_scim: same_setup"))
        assert plan("e3", "plan3.json", "replan.yaml")[0] == 3
        (again,) = [r for r in read_plan(tmp_path / "plan3.json").blocking_items
                    if r.code == "inputs.scim_state_missing"]
        assert again.message.startswith(
            "e3/fetch-manifest.json: the Sigma export was fetched without Sigma's SCIM state (--no-scim-state), but "
            "replan.yaml: preflight.previous_scim is same_setup (a re-plan after apply): fetch again with ")

        # with the token: the state is read and the re-plan knows what SCIM did
        monkeypatch.setenv("SIGMA_SCIM_TOKEN", sandbox.scim_token)
        assert run_cli(capsys, *fetch, "--out", "e4", "--policy", "policy.yaml")[0] == 0
        code, out, err = plan("e4", "plan4.json")
        assert code == 0, out + err
        assert "No changes: Sigma already matches this plan's inputs and policy." in out


@pytest.mark.parametrize("state, said", [
    ("not_read", "e/fetch-manifest.json: the Sigma export was fetched without Sigma's SCIM state "
                 "(no SIGMA_SCIM_TOKEN)"),
    (None, "e: the Sigma export has no scim/ folder (Sigma's SCIM state) and no fetch-manifest.json (saved by hand, "
           "or fetched by an older version)")])
def test_a_policy_aimed_at_scim_holds_a_plan_of_an_export_without_the_state_whatever_made_it(
        tmp_path, monkeypatch, state, said):
    """The README's first fetch on an organization no member of which SCIM made inactive writes
    scimState not_read; a hand-saved (or older) export has no manifest. Either, planned under a policy
    whose targets.scim_base_url is set, is held by the item; with scim/ (even empty) it is not."""
    from planner.planning import plan_from_paths

    monkeypatch.chdir(tmp_path)
    export = Path("e")
    export.mkdir()
    for name in ("members.json", "teams.json", "team_members.json"):
        (export / name).write_bytes((SIGMA / name).read_bytes())
    if state is not None:
        (export / "fetch-manifest.json").write_text(json.dumps(
            {"manifest": "sigma-migrate fetch", "version": 1, "scimState": state}))
    Path("policy.yaml").write_text((REPO / "policies/examples/okta.yaml").read_text().replace(
        "scim_base_url: null", "scim_base_url: https://scim.example.com/scim/v2"))
    plan, _ = plan_from_paths("e", [str(OKTA)], "policy.yaml")
    (item,) = [r for r in plan.review_items if r.code == "inputs.scim_state_missing"]
    assert item.blocking and item.message.startswith(
        f"{said}, but policy.yaml: targets.scim_base_url is set (SCIM is on: apply provisions through it): fetch "
        "again with SIGMA_SCIM_TOKEN set and plan again. Without that state the plan cannot see what SCIM already "
        "provisioned: its ")
    assert item.resolution == ("# no policy setting settles this: fetch the Sigma export again with SIGMA_SCIM_TOKEN "
                               "set (`sigma-migrate fetch` then writes scim/Users.json and scim/Groups.json), then "
                               "plan again\n")

    empty = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0,
             "startIndex": 1, "itemsPerPage": 0, "Resources": []}
    (export / "scim").mkdir()
    for name in ("Users.json", "Groups.json"):
        (export / "scim" / name).write_text(json.dumps(empty))
    if state is not None:
        (export / "fetch-manifest.json").write_text(json.dumps(
            {"manifest": "sigma-migrate fetch", "version": 1, "scimState": "read"}))
    plan, _ = plan_from_paths("e", [str(OKTA)], "policy.yaml")
    assert [r.id for r in plan.review_items if r.code == "inputs.scim_state_missing"] == []


@pytest.mark.parametrize("document, scim, message", [
    ({"manifest": "sigma-migrate fetch", "version": 1, "scimState": "read"}, False,
     "the fetch read Sigma's SCIM state, but the export has no scim/ folder: it was removed after the fetch; fetch "
     "again"),
    ({"manifest": "sigma-migrate fetch", "version": 1, "scimState": "left_out"}, True,
     "the fetch did not read Sigma's SCIM state (left_out), but the export has a scim/ folder: it was added after "
     "the fetch; remove it, or fetch again with SIGMA_SCIM_TOKEN"),
    ({"manifest": "sigma-migrate fetch", "version": 1, "scimState": "maybe"}, False,
     'not a fetch manifest of version 1 ({"manifest": "sigma-migrate fetch", "version": 1, "scimState": "read" | '
     '"left_out" | "not_read"}); fetch again'),
])
def test_a_fetch_manifest_that_disagrees_with_the_export_is_an_error_naming_it(tmp_path, document, scim, message):
    """The manifest vouches for what the fetch did; an export changed afterwards (scim/ removed or added) or a
    manifest of another shape is a manifest-mismatch error naming the file and field, and plan stops."""
    export = tmp_path / "e"
    export.mkdir()
    for name in ("members.json", "teams.json", "team_members.json"):
        (export / name).write_bytes((SIGMA / name).read_bytes())
    (export / "fetch-manifest.json").write_text(json.dumps(document))
    if scim:
        (export / "scim").mkdir()
        for name in ("Users.json", "Groups.json"):
            (export / "scim" / name).write_text(json.dumps({"totalResults": 0, "Resources": []}))
    loaded, findings = load_sigma_export(export)
    errors = [(f.code, f.file, f.field, f.message) for f in findings if f.severity.value == "error"]
    assert errors == [("manifest-mismatch", str(export / "fetch-manifest.json"), "scimState", message)]
    assert loaded.fetch_manifest is None
