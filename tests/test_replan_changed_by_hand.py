"""An account type or team membership a Sigma admin changed by hand between two waves, which the re-plan sets back
to the IdP's word, is named: one informational ``applied.changed_by_hand`` item per member, naming the value the
applied plan saw, the value now and what this plan does (tester19 finding 1, its milder half: nadine.achterberg@ given
Build by hand was downgraded back to View, joanna.tanaka-ross@ moved from Marketing to Sales Americas was removed from
Sales Americas by the push, 0 items). The IdP winning is by design; the items block nothing.

Against the bundled sample's sandbox over HTTP, as the tester's repro (/work/notes/t19-repro/14/run.sh): plan,
approve, ``apply --only group:Finance``, the two changes by hand through the REST API, fetch again, plan with
``--applied v1.json``."""

from __future__ import annotations

import httpx2
import pytest

from planner.planfile import read_plan

from .conftest import run_cli
from .test_replan_reactivated_by_hand import OKTA, sample_wave

NADINE = "0SMDX3YPJ6EvV36qP4Tfhm7blN3jd"  # nadine.achterberg@acme.example, View, linked by v1.json
JOANNA = "4ZhptZMdO7uayJJWJbQcUCHZWM3Mg"  # joanna.tanaka-ross@acme.example, in Marketing
MARKETING = "8748b552-1c68-4a2a-912e-e78e008a83c9"
SALES_AMERICAS = "5d12865d-0a0c-4153-8fc3-53404498a35d"


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    with sample_wave(tmp_path_factory.mktemp("changed")) as wave:
        wave.apply("--only", "group:Finance")
        base, headers = wave.server.base_url, wave.server.rest_headers()
        httpx2.patch(f"{base}/v2/members/{NADINE}", headers=headers, json={"memberType": "Build"}).raise_for_status()
        httpx2.patch(f"{base}/v2/teams/{MARKETING}/members", headers=headers,
                     json={"remove": [JOANNA]}).raise_for_status()
        httpx2.patch(f"{base}/v2/teams/{SALES_AMERICAS}/members", headers=headers,
                     json={"add": [JOANNA]}).raise_for_status()
        wave.fetch("e2")
        yield wave.folder


def plan_again(folder, capsys, applied: bool = True):
    name = "v2" if applied else "v2plain"
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(OKTA), "--policy",
                             str(folder / "pol.yaml"), "--out", str(folder / f"{name}.json"),
                             *(("--applied", str(folder / "v1.json")) if applied else ()), "--detailed-exitcode")
    assert code == 2, out + err
    return read_plan(folder / f"{name}.json")


def test_each_change_set_back_is_named_on_one_item_per_member(changed, capsys):
    v1 = read_plan(changed / "v1.json")
    v2 = plan_again(changed, capsys)
    assert [i.id for i in v2.review_items if i.blocking] == []
    items = {i.subject.member_id: i for i in v2.review_items if i.code == "applied.changed_by_hand"}
    assert sorted(items) == sorted([NADINE, JOANNA])
    read = f"{changed / 'v1.json'} (Sigma read {v1.organization.sigma_fetched_at})"
    [downgrade] = [a.id for a in v2.actions if a.kind.value == "scim.set_account_type" and NADINE in a.id]
    assert items[NADINE].message == (
        f"nadine.achterberg@acme.example: changed in Sigma since {read} saw them, not by this tool, and this plan "
        f"sets it back to the IdP's word: account type View then, Build now: this plan sets View ({downgrade})")
    [removal] = [a.id for a in v2.actions if a.id.startswith(f"teams.remove_member:{SALES_AMERICAS}:{JOANNA}")]
    [push] = [a.id for a in v2.actions if a.kind.value == "scim.set_group_members" and a.target.team_id == MARKETING]
    assert items[JOANNA].message == (
        f"joanna.tanaka-ross@acme.example: changed in Sigma since {read} saw them, not by this tool, and this plan "
        f"sets it back to the IdP's word: left team 'Marketing' since: this plan's push adds them back ({push}); "
        f"joined team 'Sales Americas' since: this plan removes them ({removal})")
    assert [(i.blocking, i.rule) for i in items.values()] == [(False, "applied.changed_by_hand")] * 2


def test_without_applied_no_item(changed, capsys):
    v2 = plan_again(changed, capsys, applied=False)
    assert [i.id for i in v2.review_items if i.code == "applied.changed_by_hand"] == []
