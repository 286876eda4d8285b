"""A re-plan after a pilot wave, under ``previous_scim: same_setup`` with the wave's plan given to
``plan --applied`` (tester11 finding 13, a regression of 2349948): the earliest applied plan's own
``preflight.previous_scim`` answer holds for members made before its first link, so the remaining pre-SCIM
leavers (hand-made members from 2021-2023 whom Sigma's SCIM lists without an ``externalId``) are deactivated through
the REST API, their documents to ``organization.document_owner``, as the first plan said, without a question.

Against the bundled sample's sandbox over HTTP: plan (okta, reviewed: ``removed_by_support``), approve,
``apply --only group:Finance``, fetch again, plan under ``same_setup``."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.applied import applied_runs
from planner.execute.journal import read_journal
from planner.model import AppliedSetUp
from planner.planfile import read_plan

from .conftest import run_cli, run_cli_with_environ, write
from .execute_support import sandbox_env
from .sandbox_fixture import sample_sandbox

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA = REPO / "samples/acme/sigma", REPO / "samples/acme/okta"
REVIEWED = (REPO / "samples/acme/policy-okta-reviewed.yaml").read_text(encoding="utf-8")
REMOVED = "  previous_scim: removed_by_support  # the earlier SCIM trial (case 24): Sigma support removed it\n"
SAME_SETUP = REVIEWED.replace(REMOVED, "  previous_scim: same_setup\n")
TOM_DECIDED = "  decisions: {tom.becker@acme.example: deactivate}\n"


@pytest.fixture(scope="module")
def wave(tmp_path_factory):
    """The sandbox after ``apply v1.json --only group:Finance``, and the folder holding v1.json (and its
    journal): ``(server, folder)``."""
    assert REMOVED in REVIEWED and SAME_SETUP != REVIEWED and TOM_DECIDED in SAME_SETUP
    folder = tmp_path_factory.mktemp("wave")
    server = sample_sandbox(SIGMA)
    server.start()
    env = sandbox_env(server)
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)
    mp = pytest.MonkeyPatch()
    try:
        write(folder / "pol.yaml", REVIEWED)
        v1 = folder / "v1.json"
        for argv in (("fetch", "--base-url", server.base_url, "--out", str(folder / "e1"), "--policy",
                      str(folder / "pol.yaml"), "--no-progress"),
                     ("plan", "--sigma", str(folder / "e1"), "--idp", str(OKTA), "--policy", str(folder / "pol.yaml"),
                      "--out", str(v1)),
                     ("approve", str(v1), "--by", "T11"),
                     ("apply", str(v1), "--only", "group:Finance", *urls),
                     ("fetch", "--base-url", server.base_url, "--out", str(folder / "e2"), "--policy",
                      str(write(folder / "pol2.yaml", SAME_SETUP)), "--no-progress")):
            code, out, err = run_cli_with_environ(None, mp, env, *argv)
            assert code == 0, (argv, out, err)
        yield server, folder
    finally:
        mp.undo()
        server.close()


def plan_again(folder: Path, capsys, name: str, policy: str, *more: str):
    """The plan of the export fetched after the wave (``e2``) under ``policy`` (written as ``<name>.yaml``)."""
    write(folder / f"{name}.yaml", policy)
    out_path = folder / f"{name}.json"
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(OKTA), "--policy",
                             str(folder / f"{name}.yaml"), "--out", str(out_path), *more)
    assert code == 0, out + err
    return read_plan(out_path)


WENDY = "3x2uLcFsNLXYeQ5NIhA5RMBQgVTjG"  # wendy.park@acme.example, made by hand in 2023, not in the IdP export


def deactivations(plan) -> dict[str, tuple[str, str, str | None]]:
    """``action id -> (kind, reason, evidence.newOwnerEmail)`` of every deactivation of ``plan``."""
    return {a.id: (a.kind.value, a.reason, a.evidence.new_owner_email) for a in plan.actions
            if a.kind.value in ("members.deactivate", "scim.deactivate_user")}


def test_the_replan_after_a_pilot_wave_under_same_setup_with_applied_deactivates_pre_scim_leavers_over_rest(
        wave, capsys):
    server, folder = wave
    v1 = read_plan(folder / "v1.json")
    first = deactivations(v1)
    assert len(first) == 10 and {kind for kind, _, _ in first.values()} == {"members.deactivate"}
    assert {owner for _, _, owner in first.values()} == {"tomasz.nowak@acme.example"}
    rows = read_journal(folder / "v1.json")[2]
    assert [i for i in first if i in rows and rows[i].state == "done"] == []  # not in the Finance wave
    first_link = min(r.finished_at for r in rows.values() if r.state == "done" and r.action_id.startswith("scim."))
    assert applied_runs([folder / "v1.json"]).set_up == AppliedSetUp(str(folder / "v1.json"), "removed_by_support",
                                                                     first_link[:19] + "Z")

    v2 = plan_again(folder, capsys, "v2", SAME_SETUP, "--applied", str(folder / "v1.json"))

    assert [i.id for i in v2.review_items if i.blocking] == []
    assert deactivations(v2) == first  # REST, documents to organization.document_owner, as v1 said
    assert first[f"members.deactivate:{WENDY}"] == (
        "members.deactivate", "deactivate: no IdP user matches this member; documents go to tomasz.nowak@acme.example",
        "tomasz.nowak@acme.example")
    # the same plan as under the first plan's own answer (tester11 13b)
    assert plan_again(folder, capsys, "v2r", REVIEWED, "--applied", str(folder / "v1.json")).actions == v2.actions


def test_without_applied_the_item_says_applied_answers_it_and_offers_made_by_hand_first(wave, capsys):
    server, folder = wave
    # Tom Becker (Okta SUSPENDED) settled for all suspended members: an unmatched.decisions entry, the reviewed
    # policy's, is the admin's word that he was made by hand (the REST deactivation, planner.rules.scim_state)
    v2 = plan_again(folder, capsys, "blind", SAME_SETUP.replace(TOM_DECIDED, "  idp_suspended: deactivate\n"))
    assert len([i for i in v2.review_items if i.blocking]) == 7
    [item] = [i for i in v2.review_items if i.id == f"scim.state_conflict:members.deactivate:{WENDY}"]
    made, set_up_by = item.evidence.scim_created, item.evidence.scim_set_up_by
    assert made.startswith("2023-") and set_up_by > made
    assert item.message.startswith(
        f"wendy.park@acme.example is listed by SCIM without an externalId and was made {made}, before the first user "
        f"SCIM lists as provisioned ({set_up_by}), while preflight.previous_scim is same_setup (SCIM may have been in "
        "use before this migration's first link; in a re-plan after an apply, give the first wave's plan with plan "
        "--applied: its own preflight.previous_scim answers this for members made before its first link): an IdP "
        "that sends no externalId may have provisioned them, or it is a member made by hand before SCIM")
    # made years before the first provisioned user: made by hand comes first
    assert item.resolution == (
        "# unmatched.decisions: made by hand, not by the IdP: deactivate them through the REST API (documents to "
        "tomasz.nowak@acme.example); idp_export deactivates them through SCIM (documents to the provisioning admin, "
        "priya.raman@acme.example)\n"
        "# idp_export: they left the IdP, deactivate them through SCIM; scim_state: keep them (the entry settles this "
        "disagreement only)\n"
        "unmatched:\n  decisions:\n    wendy.park@acme.example: deactivate\n"
        "# or:\n# linking:\n#   scim_state_conflicts:\n#     wendy.park@acme.example:\n#       newer: idp_export\n"
        "#       active: false\n"
        "# or:\n# linking:\n#   scim_state_conflicts:\n#     wendy.park@acme.example:\n#       newer: scim_state\n"
        "#       active: true\n")

    # a leaver the IdP export lists SUSPENDED, dated after SCIM's record: through SCIM by the dates, not called
    # SCIM-managed (tester11 finding 13; with --applied they are a pre-SCIM member: the REST deactivation)
    assert deactivations(v2)["scim.deactivate_user:H8WUhhEkx6ovMdH47QgTdStLR9pIP"] == (
        "scim.deactivate_user", "deactivate: IdP user 00uN1aH0j2nXfO7qFcce (tom.becker@acme.example) is SUSPENDED "
        "(listed by SCIM without an externalId, taken as provisioned by the IdP: deactivated through SCIM; Sigma gives "
        "the documents to the provisioning admin, priya.raman@acme.example, not to tomasz.nowak@acme.example: a SCIM "
        "deactivation names no new owner, so organization.document_owner does not apply) (the IdP export is newer "
        "than Sigma's SCIM state: it last updated the user 2025-05-12T18:45:14Z, SCIM last changed it "
        "2025-01-26T05:00:14Z)", "priya.raman@acme.example")

    # the reviewer says the IdP provisioned her: deactivated through SCIM, not called SCIM-managed
    settled = plan_again(folder, capsys, "idp", SAME_SETUP.replace(
        "linking:\n", "linking:\n  scim_state_conflicts:\n    wendy.park@acme.example: {newer: idp_export, active: "
        "false}\n", 1))
    kind, reason, owner = deactivations(settled)[f"scim.deactivate_user:{WENDY}"]
    assert (kind, owner) == ("scim.deactivate_user", "priya.raman@acme.example")
    assert reason == (
        "deactivate: no IdP user matches this member (listed by SCIM without an externalId, taken as provisioned by the IdP: deactivated"
        " through SCIM; Sigma gives the documents to the provisioning admin, priya.raman@acme.example, not "
        "to tomasz.nowak@acme.example: a SCIM deactivation names no new owner, so organization.document_owner does "
        "not apply) (linking.scim_state_conflicts says the IdP export is newer than Sigma's SCIM state)")
