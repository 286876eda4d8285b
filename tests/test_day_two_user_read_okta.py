"""Tester12 finding 8 (8b): a user's own attributes (``active``, ``userType``) are dated as a team's members are
(f647ed7): the export's date for any record it holds is the later of the record's own date (Okta ``lastUpdated``,
which a SCIM write from elsewhere never moves) and when ``fetch-idp`` read the IdP (its manifest's ``fetchedAt``):
planner.rules.scim_state.export_date, read by PlannedState.dates and group_dates alike.

Real parts: the Okta emulator (``sigma-migrate sandbox okta``) read by ``fetch-idp okta`` over HTTP, the Sigma
sandbox over HTTP taking the first wave's apply and SCIM PATCHes from elsewhere (Bob deactivated, Ann removed from
Finance's group), ``fetch`` reading Sigma back."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from planner.model import Snapshot
from planner.sandbox.idp.okta import OktaSeed
from planner.sources import load_idp

from .execute_support import counting_sandbox
from .plan_factory import by_id, kinds, plan, review_codes
from .test_day_two_group_read_okta import FIRST, PUSH, SIGMA, fetch_idp, now_okta, okta_seed, replan
from .test_day_two_group_read_time import seconds
from .test_day_two_idp_changes import apply_and_fetch, fetch, scim_patch

BOB_UPDATED = "2024-01-02T03:04:05Z"  # Bob's Okta lastUpdated: before the first wave, never moved since
LINK = "scim.link_user:mB"


@pytest.fixture(scope="module")
def deactivated(tmp_path_factory):
    """The first wave applied from a live Okta read (Finance: Ann, Bob), then, a second later, SCIM writes from
    elsewhere: Bob deactivated, Ann removed from Finance's group (Okta's dates of neither move); Sigma fetched:
    ``(tmp, sigma, SCIM's last change of Bob, of Finance)``."""
    tmp = tmp_path_factory.mktemp("okta-user-read")
    server, _ = counting_sandbox(SIGMA)
    try:
        idp, _ = load_idp(fetch_idp(tmp / "okta1"))
        apply_and_fetch(plan(Snapshot(sigma=SIGMA, idp=idp), FIRST), tmp / "wave", server)
        time.sleep(1.05)
        scim_patch(server, "/Users/mB", [{"op": "replace", "path": "active", "value": False}])
        scim_patch(server, "/Groups/tF", [{"op": "remove", "path": 'members[value eq "mA"]'}])
        sigma = fetch(tmp, server, "after-scim")
    finally:
        server.close()
    [bob] = [u for u in sigma.scim_users if u.id == "mB"]
    [finance] = [g for g in sigma.scim_groups if g.id == "tF"]
    assert bob.active is False and bob.last_modified > BOB_UPDATED
    return tmp, sigma, bob.last_modified, finance.last_modified


def live_read(tmp, name: str, seed: OktaSeed | None = None):
    """A ``fetch-idp okta`` read (of ``seed``, else the first wave's) in a later second than SCIM's writes:
    ``(its folder, its fetchedAt)``."""
    time.sleep(1.05)
    read = fetch_idp(tmp / name, seed=seed)
    return read, json.loads((read / "fetch-idp-manifest.json").read_text(encoding="utf-8"))["fetchedAt"]


def test_a_live_read_after_scims_deactivation_that_says_active_reactivates_the_user_as_it_pushes_the_team(
        deactivated):
    """One export, read at one time, is newer for the user's ``active`` as for the team's members (8b) (was: Bob's
    link the blocking 'SCIM last changed the user <t>, after the export last updated them 2024-01-02T03:04:05Z: the
    export is older ...; export the IdP again', only snippet scim_state, while Ann was pushed back into Finance)."""
    tmp, sigma, when, _ = deactivated
    read, fetched_at = live_read(tmp, "live")
    assert fetched_at > when
    newer = replan(sigma, read)
    assert (review_codes(newer), kinds(newer)) == ([], [("scim.link_user", LINK), ("scim.set_group_members", PUSH)])
    link = by_id(newer)[LINK]
    assert (link.before.active, link.after.active) == (False, True)
    assert link.reason == (
        "link to IdP user 00uB (bob@example.com): Sigma's SCIM state already links them (SCIM externalId '00uB') "
        f"(the IdP export is newer than Sigma's SCIM state: SCIM last changed the user {when}, before the IdP export "
        f"was read {fetched_at} (fetch-idp's fetchedAt; the export last updated them {BOB_UPDATED}))")
    state = link.evidence.state_conflict
    assert (state.newer, state.settled_by, state.scim_last_modified, state.export_last_updated) == (
        "idp_export", "dates", when, BOB_UPDATED)
    assert by_id(newer)[PUSH].after.members == ["ann@example.com", "bob@example.com"]

    # the long-form entry the admin writes to follow the IdP is taken (was: 'the linking.scim_state_conflicts entry
    # 00uB: {newer: idp_export, active: true} no longer applies: ... the export is older ...; remove the entry')
    entry = replan(sigma, read, "\nlinking: {scim_state_conflicts: {00uB: {newer: idp_export, active: true}}}")
    assert (review_codes(entry), kinds(entry)) == ([], kinds(newer))
    assert by_id(entry)[LINK].evidence.state_conflict.settled_by == "dates"


def test_an_entry_keeping_scims_deactivation_over_a_later_read_no_longer_applies_and_never_says_export_again(
        deactivated):
    tmp, sigma, when, _ = deactivated
    read, fetched_at = live_read(tmp, "live-entry")
    stale = replan(sigma, read, "\nlinking: {scim_state_conflicts: {00uB: scim_state}}")
    assert (review_codes(stale), kinds(stale)) == ([("scim.state_conflict", True)],
                                                   [("scim.set_group_members", PUSH)])
    [item] = stale.review_items
    assert item.id == f"scim.state_conflict:{LINK}"
    assert item.message == (
        "the linking.scim_state_conflicts entry 00uB: scim_state no longer applies: bob@example.com is provisioned "
        "by SCIM (externalId 00uB), and Sigma's SCIM state and the IdP export disagree (active: SCIM false, export "
        f"true; SCIM last changed the user {when}, before the IdP export was read {fetched_at} (fetch-idp's "
        f"fetchedAt; the export last updated them {BOB_UPDATED})): the export is newer than Sigma's SCIM state, so "
        "the plan would send scim.link_user, but the policy says otherwise; remove the entry (or write it for this "
        "disagreement)")
    assert (item.evidence.scim_last_modified, item.evidence.export_last_updated, item.evidence.stale_entry) == (
        when, BOB_UPDATED, "00uB: scim_state")
    assert yaml.safe_load(item.resolution) == {
        "linking": {"scim_state_conflicts": {"00uB": {"newer": "idp_export", "active": True}}}}
    # Bob stays in Finance's push while his own question is open (his membership follows his answer)
    assert by_id(stale)[PUSH].after.members == ["ann@example.com", "bob@example.com"]


def test_a_read_before_scims_change_is_older_for_the_user_and_the_team_naming_both_export_dates(deactivated):
    tmp, sigma, when, group_when = deactivated
    before = seconds(min(when, group_when), -1)
    stale = replan(sigma, fetch_idp(tmp / "before", before))
    assert (review_codes(stale), kinds(stale)) == ([("scim.state_conflict", True), ("scim.state_conflict", True)], [])
    user_item = next(i for i in stale.review_items if i.id == f"scim.state_conflict:{LINK}")
    assert user_item.message == (
        "bob@example.com is provisioned by SCIM (externalId 00uB), and Sigma's SCIM state and the IdP export "
        f"disagree (active: SCIM false, export true; SCIM last changed the user {when}, after the IdP export was "
        f"read {before} (fetch-idp's fetchedAt; the export last updated them {BOB_UPDATED})): the export is older "
        "than Sigma's SCIM state, so the plan does not send scim.link_user on its word; export the IdP again and "
        "plan again")
    assert yaml.safe_load(user_item.resolution) == {
        "linking": {"scim_state_conflicts": {"00uB": {"newer": "scim_state", "active": False}}}}
    group_item = next(i for i in stale.review_items if i.id == f"scim.state_conflict:{PUSH}")
    assert f"after the IdP export was read {before} (fetch-idp's fetchedAt;" in group_item.message


def test_an_export_without_fetched_at_dates_the_user_by_its_own_record_as_before(deactivated):
    tmp, sigma, when, group_when = deactivated
    hand = replan(sigma, fetch_idp(tmp / "hand", None))
    assert (review_codes(hand), kinds(hand)) == ([("scim.state_conflict", True), ("scim.state_conflict", True)], [])
    user_item = next(i for i in hand.review_items if i.id == f"scim.state_conflict:{LINK}")
    assert user_item.message == (
        "bob@example.com is provisioned by SCIM (externalId 00uB), and Sigma's SCIM state and the IdP export "
        f"disagree (active: SCIM false, export true; SCIM last changed the user {when}, after the export last "
        f"updated them {BOB_UPDATED}): the export is older than Sigma's SCIM state, so the plan does not send "
        "scim.link_user on its word; export the IdP again and plan again")



def test_a_leavers_scim_state_entry_is_judged_by_the_read_in_step_7b_too_never_keeping_them_in_silence(tmp_path):
    """Okta deprovisioned Bob, then a SCIM write from elsewhere touched him (SCIM's date after Okta's), then a live
    read: the export is newer for him, so the entry keeping him as SCIM has him (scim_state) no longer applies.
    Step 7b (kept_by_scim_state) dates him by the same read as the settling does (was, had it not: scim_kept in
    silence, no deactivation and no item, while the settling would call the entry stale)."""
    server, _ = counting_sandbox(SIGMA)
    try:
        idp, _ = load_idp(fetch_idp(tmp_path / "okta1"))
        apply_and_fetch(plan(Snapshot(sigma=SIGMA, idp=idp), FIRST), tmp_path / "wave", server)
        gone = now_okta()
        seed = okta_seed(bob_updated=gone)
        for u in seed.users:
            if u["id"] == "00uB":
                u["status"] = "DEPROVISIONED"
        time.sleep(1.05)
        scim_patch(server, "/Users/mB", [{"op": "replace", "path": "name.givenName", "value": "Robert"}])
        sigma = fetch(tmp_path, server, "after-scim")
    finally:
        server.close()
    [bob] = [u for u in sigma.scim_users if u.id == "mB"]
    read, fetched_at = live_read(tmp_path, "live", seed)
    newer = replan(sigma, read)
    assert (review_codes(newer), kinds(newer)) == ([], [
        ("scim.deactivate_user", "scim.deactivate_user:mB"), ("scim.set_group_members", PUSH),
        ("teams.remove_member", "teams.remove_member:tF:mB")])
    stale = replan(sigma, read, "\nlinking: {scim_state_conflicts: {00uB: scim_state}}")
    assert (review_codes(stale), kinds(stale)) == ([("scim.held_member", False), ("scim.state_conflict", True)], [])
    item, held = stale.review_items
    assert held.id == "scim.held_member:teams.remove_member:tF:mB"  # Finance keeps him while he is asked about
    assert (item.id, item.message) == ("scim.state_conflict:members.deactivate:mB", (
        "the linking.scim_state_conflicts entry 00uB: scim_state no longer applies: bob@example.com is provisioned "
        "by SCIM (externalId 00uB), and Sigma's SCIM state and the IdP export disagree (active: SCIM true, export "
        f"DEPROVISIONED (00uB); SCIM last changed the user {bob.last_modified}, before the IdP export was read "
        f"{fetched_at} (fetch-idp's fetchedAt; the export last updated them {gone.replace('.000Z', 'Z')})): the "
        "export is newer than Sigma's SCIM state, so the plan would send members.deactivate, but the policy says "
        "otherwise; remove the entry (or write it for this disagreement)"))
    [row] = [r for r in stale.people if r.member_id == "mB"]
    assert (row.actions, row.review_items) == ((), (held.id, item.id))
