"""A re-plan knows the team memberships this tool's own runs wrote (issue 10, tester13 #2), on the bundled sample's
sandbox over HTTP.

``scim.link_group`` makes Sigma's SCIM group list the team's legacy members at link time, and an apply's
``scim.set_group_members`` the export's: neither is the IdP's word, so a re-plan given the plan with ``--applied``
pushes the export's membership with no question, naming the run (was: 'the export is older, so it is stale for them;
... export the IdP again', offering ``scim_state``, which kept the legacy membership over the IdP's). A push Sigma
refused for good is ``applied.refused_again`` (was: 12 blocking state conflicts and no such item)."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import httpx2
import pytest

from planner.execute.journal import read_journal
from planner.model import AppliedPush
from planner.planfile import read_plan

from .conftest import run_cli_with_environ
from .execute_support import sandbox_env
from .sandbox_fixture import sample_sandbox

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA = REPO / "samples/acme/sigma", REPO / "samples/acme/okta"
POLICY = REPO / "samples/acme/policy-okta-reviewed.yaml"


class RefuseGroupPatches:
    """WSGI middleware: every ``PATCH``/``PUT`` of ``/scim/v2/Groups/<id>`` is answered ``400 invalidValue: member
    limit`` (the tester's proxy: Sigma refusing the team pushes for good)."""

    ANSWER = (b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue",'
              b'"detail":"member limit"}')

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if (environ["REQUEST_METHOD"] in ("PATCH", "PUT")
                and environ.get("PATH_INFO", "").startswith("/scim/v2/Groups/")):
            start_response("400 Bad Request", [("Content-Type", "application/scim+json"),
                                               ("Content-Length", str(len(self.ANSWER)))])
            return [self.ANSWER]
        return self.app(environ, start_response)


@contextlib.contextmanager
def sample(tmp_path, capsys, monkeypatch, refuse_pushes: bool = False):
    """The bundled sample's sandbox with ``v1.json`` planned and approved in ``tmp_path``: ``(server, cli)``;
    ``cli(*argv, targets=...)`` as in tests/test_rollback_waves.py."""
    monkeypatch.chdir(tmp_path)
    server = sample_sandbox(SIGMA)
    if refuse_pushes:
        server.app = RefuseGroupPatches(server.app)
    server.start()
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)

    def cli(*argv: str, targets: bool = False) -> tuple[int, str, str]:
        return run_cli_with_environ(capsys, monkeypatch, sandbox_env(server), *argv, *(urls if targets else ()))

    try:
        for argv in (("fetch", "--base-url", server.base_url, "--out", "e1", "--policy", str(POLICY), "--no-progress"),
                     ("plan", "--sigma", "e1", "--idp", str(OKTA), "--policy", str(POLICY), "--out", "v1.json"),
                     ("approve", "v1.json", "--by", "T13")):
            code, out, err = cli(*argv)
            assert code == 0, (argv, out, err)
        yield server, cli
    finally:
        server.close()


def replan(cli, server, name: str, *applied: str) -> tuple[int, str, str]:
    """Fetch Sigma's export again (``e-<name>``) and plan ``<name>.json`` with ``--applied`` each of ``applied``."""
    code, out, err = cli("fetch", "--base-url", server.base_url, "--out", f"e-{name}", "--policy", str(POLICY),
                         "--no-progress")
    assert code == 0, out + err
    return cli("plan", "--sigma", f"e-{name}", "--idp", str(OKTA), "--policy", str(POLICY), "--out", f"{name}.json",
               *(w for p in applied for w in ("--applied", p)))


@pytest.fixture
def linked_wave(tmp_path, capsys, monkeypatch):
    """The tester's first repro: ``apply v1.json --only team:Finance``, then ``--only kind:scim.link_group``."""
    with sample(tmp_path, capsys, monkeypatch) as (server, cli):
        for only in ("team:Finance", "kind:scim.link_group"):
            code, out, err = cli("apply", "v1.json", "--only", only, targets=True)
            assert code == 0, (only, out, err)
        yield server, cli


OPERATIONS = "scim.set_group_members:00gya4CC17nN0YxTJLA3"
FINANCE_PUSH = "scim.set_group_members:00gSUDsbhMqeLxqzTHLU"
"""Finance's push: it holds helen.ortiz@, whom the plan downgrades from Admin (her link is a SCIM token risk)."""
OSCAR = "oscar.reyes@acme.example"


def link_words() -> str:
    """How the re-plan names run 2 of v1.json's ``scim.link_group`` of Operations."""
    link = next(a.id for a in read_plan(Path("v1.json")).actions
                if a.kind.value == "scim.link_group" and a.target.name == "Operations")
    at = read_journal(Path("v1.json"))[2][link].finished_at
    return f"scim.link_group of run 2 of plan v1.json, {at}"


@pytest.mark.slow
def test_a_replan_pushes_the_export_over_a_group_membership_this_tools_link_wrote(linked_wave):
    """The first repro: Operations' SCIM group lists its legacy members as run 2's ``scim.link_group`` left them
    (oscar.reyes, a member of Operations in the IdP, was not in the team); the re-plan given v1.json pushes the
    export's membership, naming the link (was: blocking 'the export is older, so it is stale for them; ... export the
    IdP again', snippet ``scim_state``, keeping oscar out). Without --applied the plan cannot know, and asks."""
    server, cli = linked_wave
    code, out, err = replan(cli, server, "v2", "v1.json")
    assert code == 0, out + err
    v2 = read_plan(Path("v2.json"))
    assert ([r.id for r in v2.blocking_items], [r.id for r in v2.review_items if r.code == "scim.state_conflict"]) == (
        [], [])
    push = next(a for a in v2.actions if a.id == OPERATIONS)
    assert OSCAR in push.after.members
    assert push.reason == (
        "team 'Operations' members = the 14 provisioned member(s) of group 'Operations' (pushes the export's "
        f"membership of {OSCAR} over Sigma's SCIM group: it lists the team's SCIM-managed members as {link_words()} "
        "left them, not as the IdP set them)")

    code, out, err = replan(cli, server, "v3")
    assert code == 0, out + err
    assert [r.id for r in read_plan(Path("v3.json")).blocking_items] == [f"scim.state_conflict:{OPERATIONS}"]


@pytest.mark.slow
def test_a_group_scim_changed_after_the_link_is_not_attributed_to_it(linked_wave):
    """The other side: a SCIM change of Operations' group after the link (a later meta.lastModified) is a real
    conflict: the dates decide, as without --applied."""
    server, cli = linked_wave
    scim, headers = server.scim_base_url, server.scim_headers()
    group = httpx2.get(f"{scim}/Groups", headers=headers, params={"filter": 'displayName eq "Operations"'}).json()
    amelia = httpx2.get(f"{scim}/Users", headers=headers,
                        params={"filter": 'userName eq "amelia.clarke@acme.example"'}).json()["Resources"][0]
    time.sleep(1.1)  # a later second than the link's
    httpx2.patch(f"{scim}/Groups/{group['Resources'][0]['id']}", headers=headers, json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": amelia["id"]}]}]}).raise_for_status()
    code, out, err = replan(cli, server, "v2", "v1.json")
    assert code == 0, out + err
    v2 = read_plan(Path("v2.json"))
    assert [r.id for r in v2.blocking_items] == [f"scim.state_conflict:{OPERATIONS}"]
    message = v2.blocking_items[0].message
    assert "scim.link_group" not in message and message.endswith(
        "the export is older, so it is stale for them; the plan keeps SCIM's membership and does not push the "
        "export's over it; export the IdP again and plan again")
    assert "amelia.clarke@acme.example (in SCIM's group, not in the export's)" in message


@pytest.mark.slow
def test_pushes_sigma_refused_for_good_are_refused_again_items_not_state_conflicts(tmp_path, capsys, monkeypatch):
    """The third path: Sigma answers every team push 400; the re-plan given v1.json has one applied.refused_again
    item per refused push, naming Sigma's answer, and no scim.state_conflict over what the same run's links and
    creates wrote (was: 12 blocking state conflicts, 'export the IdP again', and no applied.refused_again)."""
    with sample(tmp_path, capsys, monkeypatch, refuse_pushes=True) as (server, cli):
        code, out, err = cli("apply", "v1.json", targets=True)
        assert code == 3, out + err
        rows = read_journal(Path("v1.json"))[2]
        refused = sorted(k for k, r in rows.items() if r.state == "failed")
        # the 12th push, Finance's, waits on helen.ortiz@'s link, which downgrades an admin and so is sent after
        # every other action (planner/execute/scim_token.py); by then the refused pushes opened the breaker
        assert len(refused) == 11 and all(k.startswith("scim.set_group_members:") for k in refused)
        assert (rows[FINANCE_PUSH].state, rows[FINANCE_PUSH].error) == (
            "skipped", "not started: circuit breaker open: 11 of the last 20 actions failed (threshold 50%)")
        code, out, err = replan(cli, server, "v2", "v1.json")
        assert code == 0, out + err
        v2 = read_plan(Path("v2.json"))
        assert [r.id for r in v2.blocking_items] == [f"applied.refused_again:{k}" for k in refused]
        assert [r.id for r in v2.review_items if r.code == "scim.state_conflict"] == []
        at = read_journal(Path("v1.json"))[2][OPERATIONS].finished_at
        assert next(r for r in v2.blocking_items if r.id.endswith(OPERATIONS)).message == (
            f"{OPERATIONS} was sent by run 1 of plan v1.json, {at} and Sigma refused it for good (400 invalidValue: "
            "member limit): this plan would send it again and Sigma would refuse it the same way, so it is not "
            "planned")


def test_a_write_left_as_it_is_by_its_members_or_for_a_link_by_scim_s_date():
    """:meth:`AppliedPush.left_as`: a push by the members it sent (letter case aside), a link or create (whose
    members the plan does not record) by no SCIM change in a later second."""
    push = AppliedPush(team_id="t1", name="Ops", group_id="00g1", members=("Ann@x.example", "bo@x.example"),
                       kind="scim.set_group_members", plan="v1.json", undo=False, run=1, at="2026-12-07T01:37:25.120Z")
    link = AppliedPush(team_id="t1", name="Ops", group_id="00g1", members=None, kind="scim.link_group",
                       plan="v1.json", undo=False, run=2, at="2026-12-07T01:37:25.120Z")
    assert [push.left_as("2026-12-07T09:00:00Z", ["ann@x.example", "BO@x.example"]),
            push.left_as("2026-12-07T01:37:25Z", ["ann@x.example"]),
            link.left_as("2026-12-07T01:37:25Z", ["zed@x.example"]),
            link.left_as("2026-12-07T01:37:26Z", []),
            link.left_as(None, [])] == [True, False, True, False, False]
    assert link.left_words() == ("it lists the team's SCIM-managed members as scim.link_group of run 2 of plan "
                                 "v1.json, 2026-12-07T01:37:25.120Z left them, not as the IdP set them")
    assert push.left_words() == ("it lists the members scim.set_group_members of run 1 of plan v1.json, "
                                 "2026-12-07T01:37:25.120Z sent, not as the IdP set them")


@pytest.mark.slow
def test_a_scim_state_entry_over_a_membership_the_link_wrote_no_longer_applies(linked_wave):
    """The snippet the old item offered (``{<oscar>: scim_state}``, keeping the legacy membership over the IdP's),
    pasted: the re-plan says the entry no longer applies, naming the link, never 'export the IdP again'."""
    server, cli = linked_wave
    assert replan(cli, server, "v2", "v1.json")[0] == 0
    Path("pol.yaml").write_text(POLICY.read_text().replace(
        "linking:\n", "linking:\n  scim_state_conflicts: {00u0w4NoAU6Zi0cnppad: scim_state}\n", 1))
    code, out, err = cli("plan", "--sigma", "e-v2", "--idp", str(OKTA), "--policy", "pol.yaml", "--out", "v3.json",
                         "--applied", "v1.json")
    assert code == 0, out + err
    v3 = read_plan(Path("v3.json"))
    assert [r.id for r in v3.blocking_items] == [f"scim.state_conflict:{OPERATIONS}"]
    message = v3.blocking_items[0].message
    assert message.startswith("the linking.scim_state_conflicts entry 00u0w4NoAU6Zi0cnppad: scim_state no longer "
                              "applies: team 'Operations': ")
    assert message.endswith(
        f"SCIM's group members were set by {link_words()}, not by the IdP; the plan keeps SCIM's membership and does "
        "not push the export's over it; the export's membership holds: remove each entry that no longer applies, or "
        "settle each")


@pytest.mark.slow
def test_a_membership_this_tools_own_push_wrote_is_not_the_idps_word(tmp_path, capsys, monkeypatch):
    """An apply's own scim.set_group_members is attributed as a link is: v1.json applied whole pushed oscar.reyes
    into Operations; the IdP then drops him from the group (its export's lastMembershipUpdated does not move). The
    re-plan given v1.json pushes the export's membership, naming the push (without --applied: 'the export is older,
    so it is stale for them', oscar kept)."""
    with sample(tmp_path, capsys, monkeypatch) as (server, cli):
        code, out, err = cli("apply", "v1.json", targets=True)
        assert code == 0, out + err
        idp = tmp_path / "okta2"
        idp.mkdir()
        for name in ("users.json", "groups.json"):
            (idp / name).write_text((OKTA / name).read_text())
        members = json.loads((OKTA / "group_members.json").read_text())
        members["00gya4CC17nN0YxTJLA3"] = [u for u in members["00gya4CC17nN0YxTJLA3"] if u["profile"]["login"] != OSCAR]
        (idp / "group_members.json").write_text(json.dumps(members))
        assert cli("fetch", "--base-url", server.base_url, "--out", "e2", "--policy", str(POLICY), "--no-progress")[0] == 0
        plan = ("plan", "--sigma", "e2", "--idp", str(idp), "--policy", str(POLICY))
        code, out, err = cli(*plan, "--out", "v2.json", "--applied", "v1.json")
        assert code == 0, out + err
        v2 = read_plan(Path("v2.json"))
        assert [r.id for r in v2.blocking_items] == []
        push = next(a for a in v2.actions if a.id == OPERATIONS)
        at = read_journal(Path("v1.json"))[2][OPERATIONS].finished_at
        assert OSCAR not in push.after.members and push.reason == (
            "team 'Operations' members = the 13 provisioned member(s) of group 'Operations' (pushes the export's "
            f"membership of {OSCAR} over Sigma's SCIM group: it lists the members scim.set_group_members of run 1 of "
            f"plan v1.json, {at} sent, not as the IdP set them)")
        code, out, err = cli(*plan, "--out", "v3.json")
        assert code == 0, out + err
        assert [r.id for r in read_plan(Path("v3.json")).blocking_items] == [f"scim.state_conflict:{OPERATIONS}"]
