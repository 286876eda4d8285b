"""A team a Sigma admin renamed by hand between two waves does not silently lose the link the applied plan gave it:
the re-plan holds its IdP group on one blocking ``teams.renamed_by_hand`` item naming the old and new name and the
group, settled by ``teams.map`` (the team follows the group under its new name) or ``teams.confirm_new_teams`` (the
group goes as the rules say, the item informational) (waves20 part 1: v1.json links group 'Finance' to team 'Finance';
renamed 'Finance EMEA' by hand, the re-plan with ``--applied v1.json`` left the team unmanaged and the group without a
team, 0 blocking).

Against the bundled sample's sandbox over HTTP: plan (okta, reviewed), approve, ``apply --only group:Finance`` (the
people of the group; the team's link is not among them), ``PATCH /v2/teams/{finance} {"name": "Finance EMEA"}`` by
hand, fetch again, plan with ``--applied v1.json``."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from planner.applied import applied_runs
from planner.planfile import read_plan

from .conftest import run_cli, write
from .test_replan_reactivated_by_hand import OKTA, REVIEWED, sample_wave

FINANCE = "e5cd73fd-a310-46b1-8740-b7e718874ef3"  # team 'Finance' of the Sigma sample
FINANCE_GROUP = "00gSUDsbhMqeLxqzTHLU"  # Okta group 'Finance', linked to it by the exact rule in v1.json


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """v1.json (run 1: ``--only group:Finance``) and e2, fetched after team 'Finance' was renamed 'Finance EMEA'."""
    with sample_wave(tmp_path_factory.mktemp("renamed")) as wave:
        wave.apply("--only", "group:Finance")
        httpx2.patch(f"{wave.server.base_url}/v2/teams/{FINANCE}", headers=wave.server.rest_headers(),
                     json={"name": "Finance EMEA"}).raise_for_status()
        wave.fetch("e2")
        yield wave.folder


def plan_again(folder: Path, capsys, name: str, policy: str, expected_code: int, applied: bool = True):
    write(folder / f"{name}.yaml", policy)
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(OKTA), "--policy",
                             str(folder / f"{name}.yaml"), "--out", str(folder / f"{name}.json"),
                             *(("--applied", str(folder / "v1.json")) if applied else ()), "--detailed-exitcode")
    assert code == expected_code, out + err
    return read_plan(folder / f"{name}.json")


def group_actions(plan) -> list[str]:
    return sorted(a.id for a in plan.actions if FINANCE in a.id or FINANCE_GROUP in a.id)


def test_the_applied_plan_records_how_it_saw_the_team(renamed):
    [seen] = [t for t in applied_runs([renamed / "v1.json"]).teams_seen if t.team_id == FINANCE]
    assert (seen.name, seen.group_id, seen.group_name, seen.plan, seen.undo) == (
        "Finance", FINANCE_GROUP, "Finance", str(renamed / "v1.json"), False)
    assert seen.at == read_plan(renamed / "v1.json").organization.sigma_fetched_at


def test_the_renamed_team_holds_its_group_on_a_blocking_item(renamed, capsys):
    v1 = read_plan(renamed / "v1.json")
    v2 = plan_again(renamed, capsys, "v2", REVIEWED, 3)
    assert [i.id for i in v2.review_items if i.blocking] == [f"teams.renamed_by_hand:{FINANCE_GROUP}"]
    [item] = [i for i in v2.review_items if i.code == "teams.renamed_by_hand"]
    assert item.message == (
        f"team 'Finance' ({FINANCE}) is named 'Finance EMEA' in Sigma now: renamed since {renamed / 'v1.json'} "
        f"(Sigma read {v1.organization.sigma_fetched_at}) saw it, not by this tool or the group's push; that plan "
        f"links it to IdP group 'Finance' ({FINANCE_GROUP}) and no run of the plans given linked it yet; under its "
        "new name no rule gives the group a team now, so the group would be pushed as no team, and team 'Finance "
        "EMEA' becomes unmanaged: the link would be dropped in silence, so the group is held (neither linked nor "
        "created): keep the link under the new name (teams.map), or confirm the group goes its own way "
        "(teams.confirm_new_teams)")
    assert (item.rule, item.subject.team_id, item.subject.name, item.subject.group_id,
            item.subject.group_display_name, item.evidence.display_name) == (
        "teams.map", FINANCE, "Finance EMEA", FINANCE_GROUP, "Finance", "Finance")
    assert item.resolution == (
        "# keep the link: team 'Finance EMEA' follows group 'Finance'\n"
        "# or end it: group 'Finance' goes as the rules say, team 'Finance EMEA' stays unmanaged\n"
        "teams:\n  map:\n    \"Finance EMEA\": Finance\n"
        "# or:\n# teams:\n#   confirm_new_teams:\n#     - Finance\n")
    assert group_actions(v2) == []
    [row] = [t for t in v2.teams if t.team_id == FINANCE]
    assert (row.name, row.mode, row.group_id) == ("Finance EMEA", "unmanaged", None)


def test_without_applied_nothing_says_so(renamed, capsys):
    v2 = plan_again(renamed, capsys, "v2plain", REVIEWED, 2, applied=False)
    assert [i.id for i in v2.review_items if i.code == "teams.renamed_by_hand"] == []


def test_a_map_entry_keeps_the_link_under_the_new_name(renamed, capsys):
    policy = REVIEWED.replace("map: {Executive Dashboards: Leadership}",
                              "map: {Executive Dashboards: Leadership, Finance EMEA: Finance}")
    assert policy != REVIEWED
    v2 = plan_again(renamed, capsys, "v2map", policy, 2)
    assert [i.id for i in v2.review_items if i.blocking or i.code == "teams.renamed_by_hand"] == []
    assert [i.id for i in v2.review_items if i.code == "policy.unused_entry" and "teams" in i.id] == []
    [link] = [a for a in v2.actions if a.id == f"scim.link_group:{FINANCE}"]
    assert (link.rule, link.target.name, link.target.group_id) == ("teams.map", "Finance EMEA", FINANCE_GROUP)
    assert f"scim.set_group_members:{FINANCE_GROUP}" in group_actions(v2)


def test_confirm_new_teams_ends_the_link_and_the_item_informs(renamed, capsys):
    policy = REVIEWED.replace("  mode: create\n", "  mode: create\n  confirm_new_teams: [Finance]\n")
    assert policy != REVIEWED
    v1 = read_plan(renamed / "v1.json")
    v2 = plan_again(renamed, capsys, "v2confirm", policy, 2)
    assert [i.id for i in v2.review_items if i.blocking] == []
    assert [i.id for i in v2.review_items if i.code == "policy.unused_entry" and "teams" in i.id] == []
    [item] = [i for i in v2.review_items if i.code == "teams.renamed_by_hand"]
    assert (item.blocking, item.rule, item.resolution) == (False, "teams.confirm_new_teams", "")
    assert item.message == (
        f"team 'Finance' ({FINANCE}) is named 'Finance EMEA' in Sigma now: renamed since {renamed / 'v1.json'} "
        f"(Sigma read {v1.organization.sigma_fetched_at}) saw it, not by this tool or the group's push; that plan "
        f"links it to IdP group 'Finance' ({FINANCE_GROUP}) and no run of the plans given linked it yet; under its "
        "new name no rule gives the group a team now, so the group would be pushed as no team, and team 'Finance "
        "EMEA' becomes unmanaged: teams.confirm_new_teams names the group, so it goes as the rules say")
    assert group_actions(v2) == []
