"""A teams.map key naming a team the Sigma export no longer has (tester8 finding 4): a team known to be gone
(Sigma's SCIM state lists it, or no team's name is close) is one blocking ``teams.map_team_missing`` item naming
the team, the group, what the re-plan knew and the choices; a near-miss spelling keeps the did-you-mean
``policy.unknown_reference``. Either way the group is neither linked nor created."""

from __future__ import annotations

from dataclasses import replace

import yaml
from msgspec import to_builtins as wire

from planner.applied import applied_runs
from planner.execute.journal import Journal, read_journal
from planner.model import ActionKind as K, ScimGroup
from planner.planfile import read_plan, write_plan

from .conftest import run_cli
from .execute_support import act
from .test_incomplete_inputs import PEOPLE, POLICY, okta_export
from .test_incomplete_sigma import scim_state, seed
from .test_scim_state_items import GROUP
from .plan_factory import bare_plan, group, kinds, member, plan, review_codes, snapshot, team, user
from .test_rules_scim_state import provisioned, with_scim

ALICE = member("m1", "alice@example.com", "Alice", "A")
UALICE = user("u1", "alice@example.com", first="Alice", last="A")
MAP = "teams:\n  map: {Finance: Finance Team}\n"
WHERE = "policy.yaml:16:5"
"""Where the map key is in the policy the factory writes."""
LINKS = [("scim.link_user", "scim.link_user:m1"), ("scim.link_user", "scim.link_user:root")]
HEAD = (f"{WHERE}: teams.map gives IdP group 'Finance Team' to team 'Finance', which the Sigma export does not have "
        "(no active or archived team of that name): ")
TAIL = "; the group is neither linked nor created"


def org(*teams, scim_groups=None):
    """Alice in IdP group 'Finance Team' (g1); the Sigma export's ``teams`` (no members: none is a renamed group's
    old team); Sigma's SCIM state with ``scim_groups`` when given."""
    snap = snapshot([ALICE], [UALICE], [group("g1", "Finance Team", ["u1"])], teams=list(teams))
    if scim_groups is not None:
        snap = with_scim(snap, [provisioned("m1", "alice@example.com", "u1")], scim_groups)
    return snap


def team_items(p):
    return [(r.id, r.blocking, r.message) for r in p.review_items
            if r.code in ("teams.map_team_missing", "policy.unknown_reference")]


def test_a_near_miss_spelling_is_still_a_typo():
    p = plan(org(team("t2", "Finances")), MAP)
    assert team_items(p) == [("policy.unknown_reference:teams.map.Finance:team", True, (
        f"{WHERE}: teams.map.Finance names team 'Finance', which is not in the Sigma export (active teams) (did you "
        "mean 'Finances'?); the entry is ignored"))]
    assert kinds(p) == LINKS


def test_a_team_no_name_is_close_to_is_a_deleted_team_not_a_typo():
    p = plan(org(team("t2", "Sales")), MAP)
    assert kinds(p) == LINKS  # the group is neither linked nor created
    assert team_items(p) == [("teams.map_team_missing:Finance", True, HEAD + (
        "Sigma's SCIM state, which would list a team the teams file lacks, is not in the export, and no team's name "
        "is close to it: the team was deleted in Sigma (or never made)") + TAIL)]
    (item,) = [r for r in p.review_items if r.code == "teams.map_team_missing"]
    assert (item.rule, item.subject.fields(), wire(item.evidence)) == ("teams.map", {
        "groupId": "g1", "name": "Finance", "groupDisplayName": "Finance Team", "policyKey": "teams.map.Finance"},
        {"source": "no team of a close name"})
    assert yaml.safe_load(item.resolution) == {"teams": {"mode": "create", "rules": [
        {"match": "regex", "pattern": "^Finance Team$", "replace": "Finance"}]}}
    assert item.resolution.startswith(
        f"# make team 'Finance' again from group 'Finance Team': remove the teams.map entry at {WHERE} and add this "
        "rule to teams.rules")
    assert "# or:\n# teams:\n#   map:\n#     \"<another active team>\": \"Finance Team\"\n" in item.resolution
    # the first choice, taken: the rule makes the team again
    again = plan(org(team("t2", "Sales")), item.resolution.split("# or:")[0])  # the map entry removed
    assert kinds(again) == [("scim.create_group", "scim.create_group:g1"), *LINKS,
                            ("scim.set_group_members", "scim.set_group_members:g1")]
    assert "teams.map_team_missing" not in [c for c, _ in review_codes(again)]


def test_the_item_says_what_sigmas_scim_state_knew():
    # Sigma's SCIM state lists no such team either
    p = plan(org(team("t2", "Sales"), scim_groups=[]), MAP)
    assert team_items(p) == [("teams.map_team_missing:Finance", True, HEAD + (
        "Sigma's SCIM state does not list it either, and no team's name is close to it: the team was deleted in "
        "Sigma (or never made)") + TAIL)]
    # a re-plan after an apply says so: the team was deleted since
    again = plan(org(team("t2", "Sales"), scim_groups=[]), MAP + "preflight: {previous_scim: same_setup}\n")
    assert team_items(again) == [("teams.map_team_missing:Finance", True, HEAD + (
        "Sigma's SCIM state does not list it either, and no team's name is close to it: the team was deleted in "
        "Sigma since the earlier apply (preflight.previous_scim is same_setup; give its plan with --applied to know more)")
        + TAIL)]
    # Sigma's SCIM state lists it: the team existed, even with a close name beside it (never a typo then)
    listed = plan(org(team("t2", "Finances"), scim_groups=[ScimGroup("t1", "Finance", "g1", ("m1",))]), MAP)
    assert team_items(listed) == [("teams.map_team_missing:Finance", True, HEAD + (
        "Sigma's SCIM state lists it (SCIM id t1, linked to IdP group g1), so the teams file lacks a team Sigma has "
        "(cut short, or the team was deleted between the two reads) (the closest team name is 'Finances')") + TAIL)]
    (item,) = [r for r in listed.review_items if r.code == "teams.map_team_missing"]
    assert wire(item.evidence) == {"source": "Sigma's SCIM state", "externalId": "g1", "displayName": "Finance"}
    assert item.resolution.startswith(
        "# export the Sigma teams again (every page) and plan again; if team 'Finance' is gone from Sigma:\n")
    assert not [k for k in kinds(listed) if k[0] != "scim.link_user"]
    unlinked = plan(org(team("t2", "Sales"), scim_groups=[ScimGroup("t1", "Finance")]), MAP)
    assert "(SCIM id t1, linked to no IdP group)" in team_items(unlinked)[0][2]


def test_an_archived_team_is_held_as_before():
    p = plan(org(team("t2", "Sales"), team("t1", "Finance", archived=True)), MAP)
    assert [(c, b) for c, b in review_codes(p) if c.startswith(("teams.archived", "teams.map", "policy."))] == [
        ("teams.archived_team", True)]


def test_from_real_exports_the_item_names_what_sigmas_scim_state_listed(capsys, tmp_path):
    """The sandbox seed's Sigma export whose scim/Groups.json lists a team Budget (SCIM id t-budget, linked to Okta
    group 00g9) that teams.json lacks, and a policy mapping Budget to the Okta group Finance Analysts."""
    sigma = seed(tmp_path)
    scim_state(sigma, [], [{"schemas": [GROUP], "id": "t-budget", "displayName": "Budget", "externalId": "00g9",
                            "members": []}])
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY + "teams:\n  map: {Budget: Finance Analysts}\n", encoding="utf-8")
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(okta_export(tmp_path / "okta", PEOPLE)),
                           "--policy", str(policy), "--out", str(out), "--detailed-exitcode")
    assert (code, err.count("Traceback")) == (3, 0)
    items = {i.id: i for i in read_plan(out).review_items if i.code in ("teams.map_team_missing",
                                                                          "policy.unknown_reference")}
    assert sorted(items) == ["teams.map_team_missing:Budget"]
    assert items["teams.map_team_missing:Budget"].message == (
        f"{policy}:14:9: teams.map gives IdP group 'Finance Analysts' to team 'Budget', which the Sigma export does not "
        "have (no active or archived team of that name): Sigma's SCIM state lists it (SCIM id t-budget, linked to IdP "
        "group 00g9), so the teams file lacks a team Sigma has (cut short, or the team was deleted between the two "
        "reads); the group is neither linked nor created")


def applied_link(tmp_path, team_id: str | None = "t1"):
    """A plan whose apply run linked team Finance (``team_id``; ``None``: created it) to IdP group Finance Team
    (g1), written to ``tmp_path`` with its journal; ``plan --applied`` reads them (:func:`planner.applied.applied_runs`)."""
    kind = K.SCIM_LINK_GROUP if team_id else K.SCIM_CREATE_GROUP
    action = act(f"{kind.value}:{team_id or 'g1'}", kind,
                 {"teamId": team_id, "name": "Finance", "groupId": "g1", "groupDisplayName": "Finance Team"},
                 {"displayName": "Finance"}, before={"name": "Finance"} if team_id else None, rule="teams.map",
                 evidence={"rule": "teams.map", "groupMembers": 1, "groupMembersProvisioned": 1})
    path = tmp_path / "plan-wave1.json"
    digest = write_plan(bare_plan(actions=(action,)), path)
    journal = Journal.open(path, digest, [(action.id, action.kind.value)])
    journal.start_run("apply")
    journal.mark_running(action.id)
    journal.mark_done(action.id, "written")
    journal.finish_run("converged", {"done": 1})
    journal.close()
    return path, read_journal(path)[2][action.id].finished_at


def test_a_team_an_applied_plan_linked_is_known_to_have_existed(tmp_path):
    """The previous wave's plan, given with --applied, linked team Finance; the team is gone from the teams file
    and Sigma's SCIM state now: the item names that run, even beside a close name (no typo then)."""
    path, at = applied_link(tmp_path)
    applied = applied_runs([str(path)])
    assert [(t.name, t.team_id, t.group_id, t.run) for t in applied.teams] == [("Finance", "t1", "g1", 1)]
    p = plan(replace(org(team("t2", "Finances"), scim_groups=[]), applied=applied), MAP)
    assert team_items(p) == [("teams.map_team_missing:Finance", True, HEAD + (
        f"run 1 of plan {path}, {at} linked it (t1) to IdP group 'Finance Team' (g1), and Sigma's SCIM state does "
        "not list it either: the team was deleted in Sigma since (the closest team name is 'Finances')") + TAIL)]
    (item,) = [r for r in p.review_items if r.code == "teams.map_team_missing"]
    assert wire(item.evidence) == {"source": "plan --applied"}
    (tmp_path / "created").mkdir()
    created_path, created_at = applied_link(tmp_path / "created", None)
    created = plan(replace(org(team("t2", "Sales")), applied=applied_runs([str(created_path)])), MAP)
    assert team_items(created)[0][2] == HEAD + (
        f"run 1 of plan {created_path}, {created_at} created it from IdP group 'Finance Team' (g1), and Sigma's "
        "SCIM state, which would list a team the teams file lacks, is not in the export: the team was deleted in Sigma "
        "since") + TAIL
