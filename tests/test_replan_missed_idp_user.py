"""A member a wave deactivated because the IdP export held no user of theirs, whom a later IdP export shows active
(created before the first export was read), is reactivated by the re-plan with a reason naming the run that archived
them and that their documents stay with the owner that run gave them to ("move them back by hand"), and one
informational ``applied.idp_export_incomplete`` item says the earlier export was incomplete, naming the other members
that run archived on the same silence (tester19 finding 3: "reactivate: IdP user ... is active again", nothing about
run 1 having moved wendy.park@'s documents to tomasz.nowak@, nor that the first export missed her).

Against the bundled sample's sandbox over HTTP: plan (okta, reviewed), approve, ``apply --only
kind:members.deactivate`` (wendy.park@ among the 10: no IdP user matches her), fetch again; the Okta export saved
again now holds her (00uWENDYPARK00000001, ACTIVE, created 2020-02-03, in Sigma-Analyze: the first save had missed
her), plan with ``--applied v1.json``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.applied import applied_runs
from planner.planfile import read_plan

from .conftest import run_cli, write
from .test_replan_reactivated_by_hand import OKTA, REVIEWED, WENDY, sample_wave

WENDY_IDP = "00uWENDYPARK00000001"
ANALYZE = "00g3ZRm1DYkqS8x5unid"  # Okta group Sigma-Analyze of the sample


def okta_with_wendy(folder: Path) -> Path:
    """The Okta sample saved again, now with wendy.park@'s user (ACTIVE since 2020) in Sigma-Analyze."""
    out = folder / "okta-wendy"
    shutil.copytree(OKTA, out)
    users = json.loads((out / "users.json").read_text(encoding="utf-8"))
    wendy = {**users[0], "id": WENDY_IDP, "status": "ACTIVE", "created": "2020-02-03T10:00:00.000Z",
             "activated": "2020-02-03T10:00:00.000Z", "statusChanged": "2020-02-03T10:00:00.000Z",
             "lastUpdated": "2025-04-01T10:00:00.000Z",
             "profile": {**users[0]["profile"], "firstName": "Wendy", "lastName": "Park", "displayName": "Wendy Park",
                         "login": "wendy.park@acme.example", "email": "wendy.park@acme.example", "secondEmail": None,
                         "employeeNumber": "E55555"}}
    (out / "users.json").write_text(json.dumps([*users, wendy], indent=1), encoding="utf-8")
    members = json.loads((out / "group_members.json").read_text(encoding="utf-8"))
    members[ANALYZE].append(wendy)
    (out / "group_members.json").write_text(json.dumps(members, indent=1), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def missed(tmp_path_factory):
    """v1.json (run 1 archived the 10 unmatched members and leavers), e2 fetched after, okta-wendy."""
    with sample_wave(tmp_path_factory.mktemp("missed")) as wave:
        wave.apply("--only", "kind:members.deactivate")
        wave.fetch("e2")
        okta_with_wendy(wave.folder)
        yield wave.folder


def plan_again(folder: Path, capsys, name: str, policy: str, expected_code: int):
    write(folder / f"{name}.yaml", policy)
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(folder / "okta-wendy"),
                             "--policy", str(folder / f"{name}.yaml"), "--out", str(folder / f"{name}.json"),
                             "--applied", str(folder / "v1.json"), "--detailed-exitcode")
    assert code == expected_code, out + err
    return read_plan(folder / f"{name}.json")


def run_one_archives(folder: Path):
    return {a.member_id: a for a in applied_runs([folder / "v1.json"]).archives}


def test_the_reactivation_names_the_run_and_the_documents_owner(missed, capsys):
    archive = run_one_archives(missed)[WENDY]
    assert (archive.kind, archive.run, archive.new_owner) == ("members.deactivate", 1, "tomasz.nowak@acme.example")
    v2 = plan_again(missed, capsys, "v2", REVIEWED, 2)
    [reactivate] = [a for a in v2.actions if a.id == f"members.reactivate:{WENDY}"]
    assert (reactivate.rule, reactivate.reason) == (
        "linking.archived_members",
        f"reactivate: the member is archived in Sigma and IdP user {WENDY_IDP} (wendy.park@acme.example) is active "
        f"and in scope; {archive.words()} archived them (members.deactivate) and gave their documents to "
        "tomasz.nowak@acme.example: they stay with tomasz.nowak@acme.example (a reactivation does not move them "
        "back; move them back by hand)")


def test_an_item_says_the_earlier_export_missed_her_and_names_the_run_s_other_deactivations(missed, capsys):
    archives = run_one_archives(missed)
    seen = {s.member_id: s for s in applied_runs([missed / "v1.json"]).seen}
    v1 = read_plan(missed / "v1.json")
    assert (seen[WENDY].idp_id, seen[WENDY].idp_read_at) == (None, v1.created_at)
    others = sorted(mid for mid, a in archives.items() if mid != WENDY and seen[mid].idp_id is None)
    # of the 10 run 1 archived, tom.becker@, paula.jensen@ and victor.hale@ were linked to an inactive IdP user
    assert [archives[mid].email for mid in others] == [
        "Bob.Ray@acme.example", "jordan.lee@acme.example", "george.hill@acme.example", "irene.costa@acme.example",
        "alan.brooks@acme.example", "dana.whitfield+bi@acme.example"]
    v2 = plan_again(missed, capsys, "v2item", REVIEWED, 2)
    assert [i.id for i in v2.review_items if i.blocking] == []
    [item] = [i for i in v2.review_items if i.code == "applied.idp_export_incomplete"]
    named = ", ".join(archives[mid].email for mid in others)
    assert item.message == (
        f"wendy.park@acme.example: IdP user {WENDY_IDP} (wendy.park@acme.example) was created "
        f"2020-02-03T10:00:00Z, before the IdP export of {missed / 'v1.json'} was read ({v1.created_at}), yet "
        f"that export held no IdP user of theirs, and {archives[WENDY].words()} archived them on its silence "
        "(members.deactivate): that export was incomplete (a filtered or partial save?). The other members that run "
        f"archived with no IdP user of that export matching them may be wrong too: {named}; check them against the "
        "IdP")
    assert (item.id, item.blocking, item.rule, item.subject.member_id, item.subject.idp_id) == (
        f"applied.idp_export_incomplete:{WENDY}", False, "applied.idp_export_incomplete", WENDY, WENDY_IDP)
    assert [c.member_id for c in item.candidates] == others
    assert [c.email for c in item.candidates] == [archives[mid].email for mid in others]


def test_under_archived_members_review_the_rehire_names_the_run_and_the_owner(missed, capsys):
    policy = REVIEWED.replace("archived_members: reactivate", "archived_members: review")
    assert policy != REVIEWED
    v2 = plan_again(missed, capsys, "v2review", policy, 3)
    [item] = [i for i in v2.review_items if i.id == f"linking.rehire:{WENDY}"]
    assert item.message == (
        f"active IdP user {WENDY_IDP} matches archived member 'wendy.park@acme.example', whom "
        f"{run_one_archives(missed)[WENDY].words()} archived (members.deactivate) giving their documents to "
        "tomasz.nowak@acme.example: reactivate the member (their documents stay with tomasz.nowak@acme.example; move "
        "them back by hand) or decide otherwise")
