"""A member a Sigma admin invites by hand between waves, whom Sigma's SCIM lists without an externalId, absent from an
IdP export ``fetch-idp`` read after they were made: the blocking ``scim.state_conflict`` and the ``scim.held_member``
say the export, read at its fetchedAt, does not hold them (made by hand?) and offer ``unmatched.decisions`` first
(tester19 finding 6: was "SCIM created them ..., after the IdP export's newest record ...: the export is older than
them ...; export the IdP again and plan again", which a new export never settles).

Against the bundled sample's sandbox over HTTP and the Okta emulator seeded from the sample (a real ``fetch-idp okta``
read, its manifest's fetchedAt): plan (okta, reviewed), approve, ``apply --only group:Finance``, ``POST /v2/members``
and ``PATCH /v2/teams/{Operations}/members`` by hand, ``fetch-idp okta``, ``fetch``, plan with ``--applied``."""

from __future__ import annotations

import json
import time

import httpx2
import pytest

from planner.planfile import read_plan
from planner.sandbox.idp.okta import OktaSeed

from .conftest import run_cli
from .test_day_two_group_read_okta import fetch_idp
from .test_replan_reactivated_by_hand import OKTA, sample_wave

HAND = {"email": "hand.hire@acme.example", "firstName": "Hand", "lastName": "Hire", "memberType": "Build"}
OPERATIONS = "c3da9414-36d5-4628-a0a2-aa787aff38b1"  # team Operations of the sample


@pytest.fixture(scope="module")
def hand_hire(tmp_path_factory):
    """``(folder, hand.hire@'s member record as REST answered, the okta2 read's fetchedAt)``: v1.json (run 1: the
    Finance wave), okta2 (fetch-idp okta of the sample, read a second after hand.hire@ was made) and e2 (Sigma)."""
    with sample_wave(tmp_path_factory.mktemp("hand")) as wave:
        wave.apply("--only", "group:Finance")
        rest = wave.server.base_url
        answer = httpx2.post(f"{rest}/v2/members", headers=wave.server.rest_headers(), json=HAND)
        answer.raise_for_status()
        hand = answer.json()
        httpx2.patch(f"{rest}/v2/teams/{OPERATIONS}/members", headers=wave.server.rest_headers(),
                     json={"add": [hand["memberId"]]}).raise_for_status()
        time.sleep(1.05)  # the IdP read falls in a later second
        okta2 = fetch_idp(wave.folder / "okta2", seed=OktaSeed.from_export(OKTA))
        fetched_at = json.loads((okta2 / "fetch-idp-manifest.json").read_text(encoding="utf-8"))["fetchedAt"]
        wave.fetch("e2")
        yield wave.folder, hand, fetched_at


def test_a_member_made_before_the_idp_read_is_asked_as_made_by_hand(hand_hire, capsys):
    folder, hand, fetched_at = hand_hire
    mid, made = hand["memberId"], hand["createdAt"][:19] + "Z"
    assert fetched_at > made
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(folder / "okta2"),
                             "--policy", str(folder / "pol.yaml"), "--out", str(folder / "v2.json"),
                             "--applied", str(folder / "v1.json"), "--detailed-exitcode")
    assert code == 3, out + err
    v2 = read_plan(folder / "v2.json")
    assert [a.id for a in v2.actions if mid in a.id] == []  # neither deactivated nor removed from Operations
    [conflict] = [i for i in v2.review_items if i.id == f"scim.state_conflict:members.deactivate:{mid}"]
    said = (f"the IdP export, read {fetched_at} (fetch-idp's fetchedAt), does not hold them, though Sigma's SCIM lists "
            f"them (made {made}, no externalId): made by hand?")
    assert conflict.blocking
    assert conflict.message.endswith(
        f"): {said} The plan does not send members.deactivate on its silence; unmatched.decisions settles them "
        "(hand.hire@acme.example: keep, or deactivate through the REST API); if the IdP made them (it sends no "
        "externalId) and they left it, the idp_export entry deactivates them through SCIM")
    assert "SCIM created them" not in conflict.message and "export the IdP again" not in conflict.message
    # unmatched.decisions is offered first
    first = [line for line in conflict.resolution.splitlines() if not line.startswith("#")]
    assert first == ["unmatched:", "  decisions:", "    hand.hire@acme.example: deactivate"]
    [held] = [i for i in v2.review_items if i.id == f"scim.held_member:teams.remove_member:{OPERATIONS}:{mid}"]
    assert (held.blocking, held.message) == (False, (
        f"hand.hire@acme.example stays in team 'Operations': listed by SCIM without an externalId, absent from the IdP "
        f"export: {said}, so the plan does not remove them on the export's word alone; unmatched.decisions settles "
        "them (hand.hire@acme.example: keep, or deactivate through the REST API); if the IdP made them and they left, "
        "linking.scim_state_conflicts: {hand.hire@acme.example: {newer: idp_export, active: false}} deactivates them"))
    assert held.evidence.scim_created == made


def test_unmatched_decisions_settles_the_member_made_by_hand(hand_hire, capsys):
    folder, hand, _ = hand_hire
    mid = hand["memberId"]
    policy = (folder / "pol.yaml").read_text(encoding="utf-8").replace(
        "decisions: {tom.becker@acme.example: deactivate}",
        "decisions: {tom.becker@acme.example: deactivate, hand.hire@acme.example: keep}")
    (folder / "keep.yaml").write_text(policy, encoding="utf-8")
    run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(folder / "okta2"), "--policy",
            str(folder / "keep.yaml"), "--out", str(folder / "keep.json"), "--applied", str(folder / "v1.json"))
    v2 = read_plan(folder / "keep.json")
    assert [i.id for i in v2.review_items if mid in i.id and i.blocking] == []
    assert [a.id for a in v2.actions if a.id == f"members.deactivate:{mid}"] == []
