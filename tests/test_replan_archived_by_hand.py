"""A member a Sigma admin archived by hand between two waves is not reactivated by the re-plan: a blocking
``linking.archived_by_hand`` item naming the change, settled per member by ``unmatched.decisions: keep``, whatever
``linking.archived_members`` says (tester19 finding 1: the re-plan with ``--applied`` reactivated kevin.brown@ "is
active again", 0 blocking, though v1.json saw him active, no run archived him, and the IdP user was active in both
exports). The mirror of tests/test_replan_reactivated_by_hand.py (tester17 finding 6).

Against the bundled sample's sandbox over HTTP, as the tester's repro (/work/notes/t19-repro/2/run.sh): the reviewed
okta policy (``linking.archived_members: reactivate``, written for ruth.adler@, archived long before the migration),
plan, approve, ``apply --only group:Finance``, ``PATCH /v2/members/{kevin} {"isArchived": true, "newOwnerId": ...}`` by
hand, fetch again, plan with ``--applied v1.json``."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx2
import pytest

from planner.applied import applied_runs
from planner.planfile import read_plan

from .conftest import run_cli, write
from .test_replan_reactivated_by_hand import OKTA, REVIEWED, sample_wave

KEVIN = "4zQjdiCWgV4iVYkm0DjAkt5ssGb7p"  # kevin.brown@acme.example, linked by email, View -> Analyze
KEVIN_IDP = "00uyee4zpiQPgaRGn8y5"  # Kevin.Brown@acme.example, ACTIVE in the okta sample
RUTH = "3X1tfNuPuim0SwRr6E0QmcNxHghoI"  # ruth.adler@acme.example, archived since 2022 in the Sigma sample
TOMASZ = "a2k0X05ZReoLOuaKbMMocRqhaR08A"  # tomasz.nowak@acme.example, an Admin


def kevin_archived_after(folder: Path, selection: str) -> Iterator[Path]:
    """``folder`` holding v1.json (its journal: run 1 applied ``--only selection``) and e2, the export fetched after
    an admin archived kevin.brown@ by hand (his documents to tomasz.nowak@)."""
    with sample_wave(folder) as wave:
        wave.apply("--only", selection)
        httpx2.patch(f"{wave.server.base_url}/v2/members/{KEVIN}", headers=wave.server.rest_headers(),
                     json={"isArchived": True, "newOwnerId": TOMASZ}).raise_for_status()
        wave.fetch("e2")
        yield wave.folder


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """The repro: run 1 applied group:Finance (kevin.brown@'s link not among it), then kevin.brown@ archived by hand."""
    yield from kevin_archived_after(tmp_path_factory.mktemp("archived"), "group:Finance")


def plan_again(folder: Path, capsys, name: str, policy: str, expected_code: int):
    write(folder / f"{name}.yaml", policy)
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(OKTA), "--policy",
                             str(folder / f"{name}.yaml"), "--out", str(folder / f"{name}.json"),
                             "--applied", str(folder / "v1.json"), "--detailed-exitcode")
    assert code == expected_code, out + err
    return read_plan(folder / f"{name}.json")


def kevin_row(plan):
    [row] = [p for p in plan.people if p.member_id == KEVIN]
    return row


def test_the_member_archived_by_hand_is_held_not_reactivated(archived, capsys):
    [seen] = [s for s in applied_runs([archived / "v1.json"]).seen if s.member_id == KEVIN]
    assert (seen.email, seen.archived, seen.inactive, seen.plan) == (
        "kevin.brown@acme.example", False, False, str(archived / "v1.json"))
    assert [a for a in applied_runs([archived / "v1.json"]).archives if a.member_id == KEVIN] == []

    v2 = plan_again(archived, capsys, "v2", REVIEWED, 3)

    assert [a.id for a in v2.actions if KEVIN in a.id] == []  # neither reactivated nor linked
    assert (kevin_row(v2).sigma_status, kevin_row(v2).actions, kevin_row(v2).review_items) == (
        "archived", (), (f"linking.archived_by_hand:{KEVIN}",))
    assert [i.id for i in v2.review_items if i.blocking] == [f"linking.archived_by_hand:{KEVIN}"]
    [item] = [i for i in v2.review_items if i.blocking]
    assert item.message == (
        f"kevin.brown@acme.example: archived by hand since {archived / 'v1.json'} was made, not by this tool: on "
        f"purpose? {archived / 'v1.json'} (Sigma read {seen.at}) saw the member active and no run of the plans "
        f"given to --applied archived them; IdP user {KEVIN_IDP} (Kevin.Brown@acme.example) is active and in scope, "
        "and this plan would reactivate and link them (linking.archived_members is reactivate), undoing that "
        "change. Keep the member as it is in Sigma (then take the IdP user out of the Sigma app's assignment), or, "
        "if it was a mistake, reactivate the member in Sigma and fetch again")
    assert (item.rule, item.subject.member_id, item.subject.idp_id) == ("linking.archived_by_hand", KEVIN, KEVIN_IDP)
    assert item.resolution == ("# keep the member archived, as it is in Sigma (nothing is planned for them):\n"
                               "unmatched:\n  decisions:\n    kevin.brown@acme.example: keep\n")


def test_unmatched_decisions_keep_settles_the_member_archived_by_hand(archived, capsys):
    policy = REVIEWED.replace("decisions: {tom.becker@acme.example: deactivate}",
                              "decisions: {tom.becker@acme.example: deactivate, kevin.brown@acme.example: keep}")
    assert policy != REVIEWED
    v2 = plan_again(archived, capsys, "v2keep", policy, 2)
    assert [i.id for i in v2.review_items if i.blocking] == []
    assert [i.id for i in v2.review_items if i.code == "policy.unused_entry" and "kevin" in i.id] == []
    assert [a.id for a in v2.actions if KEVIN in a.id] == []
    assert (kevin_row(v2).sigma_status, kevin_row(v2).actions, kevin_row(v2).review_items) == (
        "archived", (), ("scope.assigned_not_provisioned:scope",))
    [listed] = [i for i in v2.review_items if i.code == "scope.assigned_not_provisioned"]
    assert [(c.member_id, c.idp_id, c.status) for c in listed.candidates if c.member_id == KEVIN] == [
        (KEVIN, KEVIN_IDP, "not provisioned (deactivated)")]


def test_a_deactivate_decision_does_not_settle_it(archived, capsys):
    policy = REVIEWED.replace("decisions: {tom.becker@acme.example: deactivate}",
                              "decisions: {tom.becker@acme.example: deactivate, kevin.brown@acme.example: deactivate}")
    v2 = plan_again(archived, capsys, "v2deact", policy, 3)
    assert [i.id for i in v2.review_items if i.blocking] == [f"linking.archived_by_hand:{KEVIN}"]
    [unused] = [i for i in v2.review_items if i.code == "policy.unused_entry" and "kevin" in i.id]
    assert (f"(member {KEVIN} was archived or deactivated by hand since {archived / 'v1.json'} was made: keep "
            "settles that (linking.archived_by_hand), deactivate does not)") in unused.message, unused.message


@pytest.fixture(scope="module")
def archived_early(tmp_path_factory):
    """Run 1 archived the 10 unmatched members (``--only kind:members.deactivate``; ruth.adler@'s reactivation not
    applied), then kevin.brown@ archived by hand."""
    yield from kevin_archived_after(tmp_path_factory.mktemp("early"), "kind:members.deactivate")


def test_a_member_archived_before_the_first_plan_is_reactivated_as_before(archived_early, capsys):
    """ruth.adler@ was archived in the export v1.json was made from: no change since, linking.archived_members
    decides her (reactivate) as without --applied, and the reason says what is true (was: "is active again"); the
    members the run archived ask nothing (their IdP users are not active); kevin.brown@ is held as in the repro."""
    v2 = plan_again(archived_early, capsys, "v2", REVIEWED, 3)
    [reactivate] = [a for a in v2.actions if a.id == f"members.reactivate:{RUTH}"]
    assert (reactivate.rule, reactivate.reason) == (
        "linking.archived_members", "reactivate: the member is archived in Sigma and IdP user 00uSdaXsT70zT6UFufLT "
        "(ruth.adler@acme.example) is active and in scope")
    assert [i.id for i in v2.review_items if RUTH in i.id] == []
    assert [i.id for i in v2.review_items if i.blocking] == [f"linking.archived_by_hand:{KEVIN}"]
    assert [a.id for a in v2.actions if a.kind.value == "members.reactivate"] == [f"members.reactivate:{RUTH}"]
