"""A member archived before the migration, left alone by the first plan and reactivated by hand between two waves, is
not deactivated again by the re-plan on the export's silence: the blocking ``unmatched.reactivated`` item, saying the
applied plan saw them archived and no run reactivated them, settled by ``unmatched.decisions`` (tester19 finding 7: the
re-plan with ``--applied`` deactivated laura.bianchi@, documents to the owner, 0 blocking, though v1.json saw her
archived and only a human brought her back). The mirror of tests/test_replan_archived_by_hand.py.

Against the bundled sample's sandbox over HTTP, as the tester's repro (/work/notes/t19-repro/32/run.sh): the reviewed
okta policy, plan, approve, ``apply --only group:Finance``, ``PATCH /v2/members/{laura} {"isArchived": false}`` by
hand, fetch again, plan with ``--applied v1.json``."""

from __future__ import annotations

import pytest

from planner.applied import applied_runs

from .test_replan_reactivated_by_hand import REVIEWED, plan_again, sample_wave

LAURA = "dYSw1vPtjKj5N8cWOv5bnCSiEnW57"  # laura.bianchi@acme.example, archived since 2021, no IdP user


@pytest.fixture(scope="module")
def reactivated_early(tmp_path_factory):
    """v1.json (run 1 applied group:Finance, laura.bianchi@ not among it: archived, nothing planned) and e2, the
    export fetched after an admin reactivated her by hand."""
    with sample_wave(tmp_path_factory.mktemp("seen")) as wave:
        wave.apply("--only", "group:Finance")
        wave.set_archived(LAURA, False)
        wave.fetch("e2")
        yield wave.folder


def test_a_member_the_plan_saw_archived_and_an_admin_reactivated_is_held(reactivated_early, capsys):
    [seen] = [s for s in applied_runs([reactivated_early / "v1.json"]).seen if s.member_id == LAURA]
    assert (seen.email, seen.archived, seen.active) == ("laura.bianchi@acme.example", True, False)
    assert seen.at  # the export's sigmaFetchedAt

    v2 = plan_again(reactivated_early, capsys, "v2", REVIEWED)

    assert [a.id for a in v2.actions if LAURA in a.id] == []
    assert [i.id for i in v2.review_items if i.blocking] == [f"unmatched.reactivated:{LAURA}"]
    [item] = [i for i in v2.review_items if i.id == f"unmatched.reactivated:{LAURA}"]
    assert item.message == (
        f"laura.bianchi@acme.example: no IdP user matches this member; archived when plan {seen.plan} read Sigma "
        f"({seen.at}), active in Sigma since, no run of this tool reactivated them: reactivated on purpose? "
        "Deactivating them again locks them out and moves their documents a second time; decide whether to keep or "
        "deactivate this member")
    [row] = [p for p in v2.people if p.member_id == LAURA]
    assert (row.actions, row.review_items) == ((), (f"unmatched.reactivated:{LAURA}",))


@pytest.mark.parametrize("decision", ["deactivate", "keep"])
def test_unmatched_decisions_settle_the_member_reactivated_by_hand(reactivated_early, capsys, decision):
    policy = REVIEWED.replace("decisions: {tom.becker@acme.example: deactivate}",
                              f"decisions: {{tom.becker@acme.example: deactivate, laura.bianchi@acme.example: {decision}}}")
    assert policy != REVIEWED
    v2 = plan_again(reactivated_early, capsys, f"v2{decision}", policy)
    assert [i.id for i in v2.review_items if i.blocking] == []
    assert [(a.id, a.rule) for a in v2.actions if LAURA in a.id] == (
        [(f"members.deactivate:{LAURA}", "unmatched.decisions")] if decision == "deactivate" else [])
