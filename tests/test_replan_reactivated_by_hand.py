"""A member a wave archived and someone reactivated by hand since is not archived again by the re-plan on the
export's silence: a blocking ``unmatched.reactivated`` item naming the run, settled by ``unmatched.decisions``
(tester17 finding 6: the re-plan with ``--applied`` deactivated her a second time, documents moved again, with no
item, though the journal said run 1 archived her and the export said she is active).

Against the bundled sample's sandbox over HTTP: plan (okta, reviewed), approve, ``apply --only
kind:members.deactivate``, ``PATCH /v2/members/{wendy} {"isArchived": false}`` by hand, fetch again, plan with
``--applied``."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from planner.applied import applied_runs
from planner.planfile import read_plan

from .conftest import run_cli, run_cli_with_environ, write
from .execute_support import sandbox_env
from .sandbox_fixture import sample_sandbox

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA = REPO / "samples/acme/sigma", REPO / "samples/acme/okta"
REVIEWED = (REPO / "samples/acme/policy-okta-reviewed.yaml").read_text(encoding="utf-8")
WENDY = "3x2uLcFsNLXYeQ5NIhA5RMBQgVTjG"  # wendy.park@acme.example, made by hand in 2023, not in the IdP export


@pytest.fixture(scope="module")
def reactivated(tmp_path_factory):
    """The folder holding v1.json (its journal: run 1 archived the 10 unmatched members) and e2, the export fetched
    after wendy.park@ was reactivated by hand."""
    folder = tmp_path_factory.mktemp("reactivated")
    server = sample_sandbox(SIGMA)
    server.start()
    env = sandbox_env(server)
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)
    policy = write(folder / "pol.yaml", REVIEWED)
    v1 = folder / "v1.json"
    fetch = ("fetch", "--base-url", server.base_url, "--policy", str(policy), "--no-progress", "--out")
    mp = pytest.MonkeyPatch()
    try:
        for argv in ((*fetch, str(folder / "e1")),
                     ("plan", "--sigma", str(folder / "e1"), "--idp", str(OKTA), "--policy", str(policy),
                      "--out", str(v1)),
                     ("approve", str(v1), "--by", "T17"),
                     ("apply", str(v1), "--only", "kind:members.deactivate", *urls)):
            code, out, err = run_cli_with_environ(None, mp, env, *argv)
            assert code == 0, (argv, out, err)
        httpx2.patch(f"{server.base_url}/v2/members/{WENDY}", headers=server.rest_headers(),
                     json={"isArchived": False}).raise_for_status()  # an admin brings her back by hand
        code, out, err = run_cli_with_environ(None, mp, env, *fetch, str(folder / "e2"))
        assert code == 0, out + err
        yield folder
    finally:
        mp.undo()
        server.close()


def plan_again(folder: Path, capsys, name: str, policy: str):
    write(folder / f"{name}.yaml", policy)
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(OKTA), "--policy",
                             str(folder / f"{name}.yaml"), "--out", str(folder / f"{name}.json"),
                             "--applied", str(folder / "v1.json"))
    assert code == 0, out + err
    return read_plan(folder / f"{name}.json")


def test_a_member_a_wave_archived_and_an_admin_reactivated_is_held_not_archived_again(reactivated, capsys):
    [archive] = [a for a in applied_runs([reactivated / "v1.json"]).archives if a.member_id == WENDY]
    assert (archive.email, archive.kind, archive.archived, archive.run) == (
        "wendy.park@acme.example", "members.deactivate", True, 1)

    v2 = plan_again(reactivated, capsys, "v2", REVIEWED)

    assert [a.id for a in v2.actions if a.kind.value == "members.deactivate"] == []  # the other 9 are archived
    assert [i.id for i in v2.review_items if i.blocking] == [f"unmatched.reactivated:{WENDY}"]
    [item] = [i for i in v2.review_items if i.id == f"unmatched.reactivated:{WENDY}"]
    assert item.message == (
        f"wendy.park@acme.example: no IdP user matches this member; archived by {archive.words()} "
        "(members.deactivate), active again in Sigma since: reactivated on purpose? Deactivating them again locks "
        "them out and moves their documents a second time; decide whether to keep or deactivate this member")
    assert item.rule == "unmatched.reactivated"


@pytest.mark.parametrize("decision", ["deactivate", "keep"])
def test_unmatched_decisions_settle_the_member_reactivated_by_hand(reactivated, capsys, decision):
    policy = REVIEWED.replace("decisions: {tom.becker@acme.example: deactivate}",
                              f"decisions: {{tom.becker@acme.example: deactivate, wendy.park@acme.example: {decision}}}")
    assert policy != REVIEWED
    v2 = plan_again(reactivated, capsys, f"v2{decision}", policy)
    assert [i.id for i in v2.review_items if i.blocking] == []
    assert [(a.id, a.rule, a.reason) for a in v2.actions if a.kind.value == "members.deactivate"] == (
        [(f"members.deactivate:{WENDY}", "unmatched.decisions", "deactivate: no IdP user matches this member; "
          "documents go to tomasz.nowak@acme.example")]
        if decision == "deactivate" else [])
