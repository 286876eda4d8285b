"""Tester11 findings 5 and 6 (6b): Okta dates a group's members by ``lastMembershipUpdated``, which a reactivation
or a rename does not move, while every push the tool applies moves SCIM's ``meta.lastModified`` of the group. An
export ``fetch-idp`` read after SCIM's change holds the IdP's membership as of the read: the export's date for the
group's members is the later of the group's own date and the read time (planner.rules.scim_state.group_dates).

Real parts: the Okta emulator (``sigma-migrate sandbox okta``) read by ``fetch-idp okta`` over HTTP (its manifest's
``fetchedAt``), the Sigma sandbox over HTTP taking the first wave's apply and a SCIM PATCH of the team's group,
``fetch`` reading Sigma back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from planner.idp import pull_idp, write_pull
from planner.model import Snapshot
from planner.sandbox.idp.okta import OktaEmulator, OktaSeed
from planner.sources import load_idp

from .execute_support import counting_sandbox
from .plan_factory import by_id, kinds, member, plan, review_codes, snapshot, team
from .test_day_two_group_read_time import seconds, set_fetched_at
from .test_day_two_idp_changes import apply_and_fetch, fetch, scim_patch

OLD = "2025-05-19T09:20:28Z"  # Finance's lastMembershipUpdated: before the first wave, never moved since
SIGMA = snapshot([member("mA", "ann@example.com", "Ann", "Lee"), member("mB", "bob@example.com", "Bob", "Ray")],
                 teams=[team("tF", "Finance")], memberships={"tF": ["mA", "mB"]}, account_types=["Admin", "Build", "View"]).sigma
FIRST = ("teams: {rules: [{match: exact}]}\n"
         "account_types: {group_map: {Sigma-Admins: Admin, Sigma-Build: Build}, precedence: [Admin, Build]}")
POLICY = FIRST + "\npreflight: {previous_scim: same_setup}"
PUSH = "scim.set_group_members:00gF"


def okta_user(uid: str, login: str, first: str, last: str, updated: str = "2024-01-02T03:04:05.000Z") -> dict:
    return {"id": uid, "status": "ACTIVE", "created": "2023-01-02T03:04:05.000Z", "lastUpdated": updated,
            "profile": {"login": login, "email": login, "firstName": first, "lastName": last}}


def okta_seed(bob_updated: str = "2024-01-02T03:04:05.000Z") -> OktaSeed:
    """Root (Sigma-Admins), Ann and Bob (Finance, whose ``lastMembershipUpdated`` is :data:`OLD`; Sigma-Build),
    Bob's ``lastUpdated`` ``bob_updated``."""
    users = [okta_user("00uR", "root@example.com", "Root", "Admin"), okta_user("00uA", "ann@example.com", "Ann", "Lee"),
             okta_user("00uB", "bob@example.com", "Bob", "Ray", bob_updated)]
    groups = [{"id": gid, "type": "OKTA_GROUP", "lastMembershipUpdated": OLD.replace("Z", ".000Z"),
               "profile": {"name": name}}
              for gid, name in (("00gF", "Finance"), ("00gA", "Sigma-Admins"), ("00gV", "Sigma-Build"))]
    return OktaSeed(users, groups, {"00gF": ["00uA", "00uB"], "00gA": ["00uR"], "00gV": ["00uA", "00uB"]})


KEEP = "keep"


def fetch_idp(to: Path, fetched_at: str | None = KEEP, seed: OktaSeed | None = None) -> Path:
    """``fetch-idp okta`` of the emulator (``seed``, else :func:`okta_seed`) into ``to``; its manifest's
    ``fetchedAt`` set to ``fetched_at`` (a read at another time), removed for ``None`` (an export saved by hand)."""
    to.mkdir()
    with OktaEmulator(seed or okta_seed(), token="okta-token") as okta:
        write_pull(pull_idp("okta", {"OKTA_API_TOKEN": okta.token, "OKTA_ORG_URL": okta.base_url}), to)
    if fetched_at != KEEP:
        set_fetched_at(to, fetched_at)
    return to


def replan(sigma, idp_dir: Path, extra: str = ""):
    idp, findings = load_idp(idp_dir)
    assert not [f for f in findings if f.severity.value == "error"]
    return plan(Snapshot(sigma=sigma, idp=idp), POLICY + extra)


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    """The first wave applied from a live Okta read (Finance: Ann, Bob), then SCIM's group changed without Okta's
    group date moving (Bob removed through SCIM), then Sigma fetched: ``(tmp, sigma, SCIM's change)``."""
    tmp = tmp_path_factory.mktemp("okta-read")
    server, _ = counting_sandbox(SIGMA)
    try:
        idp, _ = load_idp(fetch_idp(tmp / "okta1"))
        apply_and_fetch(plan(Snapshot(sigma=SIGMA, idp=idp), FIRST), tmp / "wave", server)
        scim_patch(server, "/Groups/tF", [{"op": "remove", "path": 'members[value eq "mB"]'}])
        sigma = fetch(tmp, server, "after-scim")
        # the same, and SCIM made Bob View: his own disagreement (userType) beside his membership's
        scim_patch(server, "/Users/mB", [{"op": "replace", "path": "userType", "value": "View"}])
        typed = fetch(tmp, server, "typed")
    finally:
        server.close()
    [finance] = [g for g in sigma.scim_groups if g.id == "tF"]
    assert finance.last_modified is not None and finance.last_modified > OLD
    return tmp, sigma, finance.last_modified, typed


def test_a_live_okta_read_after_scims_change_is_the_idps_word_though_the_group_date_is_older(changed):
    tmp, sigma, when, _ = changed
    time.sleep(1.05)  # the read's second is after SCIM's change
    read = fetch_idp(tmp / "live")
    fetched_at = json.loads((read / "fetch-idp-manifest.json").read_text(encoding="utf-8"))["fetchedAt"]
    assert fetched_at > when
    newer = replan(sigma, read)
    # was: 'SCIM last changed the group <when>, after the export's group last changed its members 2025-05-19...:
    # the export is older' (blocking, with only a scim_state snippet) for an export read after SCIM's change
    assert (review_codes(newer), kinds(newer)) == ([], [("scim.set_group_members", PUSH)])
    assert by_id(newer)[PUSH].after.members == ["ann@example.com", "bob@example.com"]


def test_an_okta_read_before_scims_change_is_stale_and_names_both_export_dates(changed):
    tmp, sigma, when, _ = changed
    before = seconds(when, -1)
    stale = replan(sigma, fetch_idp(tmp / "before", before))
    assert (review_codes(stale), kinds(stale)) == ([("scim.state_conflict", True)], [])
    [item] = stale.review_items
    assert (item.id, item.evidence.scim_last_modified, item.evidence.export_last_updated) == (
        f"scim.state_conflict:{PUSH}", when, OLD)
    assert item.message == (
        "team 'Finance': Sigma's SCIM group and the IdP export's group 'Finance' disagree on 1 member(s) SCIM "
        f"provisioned: bob@example.com (not in SCIM's group, in the export's); SCIM last changed the group {when}, "
        f"after the IdP export was read {before} (fetch-idp's fetchedAt; the export's group last changed its members "
        f"{OLD}): the export is older, so it is stale for them; the plan keeps SCIM's membership and does not push "
        "the export's over it; export the IdP again and plan again")
    assert yaml.safe_load(item.resolution) == {"linking": {"scim_state_conflicts": {"00uB": "scim_state"}}}


def test_one_entry_settles_the_users_own_disagreement_and_their_team_membership_the_same_way(changed):
    """Tester11 finding 6c: the entry is keyed by user, so it answers the user's item and the user's membership
    disagreements alike (planner.rules.scim_state.membership_verdict)."""
    tmp, _, when, typed = changed
    [bob] = [u for u in typed.scim_users if u.id == "mB"]
    hand_saved = fetch_idp(tmp / "hand-saved", None)  # Finance dated OLD, Bob's record older than SCIM's: asks both
    asked = replan(typed, hand_saved)
    assert (kinds(asked), sorted(i.id for i in asked.review_items if i.blocking)) == (
        [], ["scim.state_conflict:scim.set_account_type:mB", f"scim.state_conflict:{PUSH}"])

    # idp_export: Bob's Build is sent and he is pushed back into Finance (was: the group's item 'the
    # linking.scim_state_conflicts entry 00uB: idp_export no longer applies', blocking)
    export = replan(typed, hand_saved, "\nlinking: {scim_state_conflicts: {00uB: idp_export}}")
    assert (review_codes(export), kinds(export)) == ([], [("scim.set_account_type", "scim.set_account_type:mB"),
                                                           ("scim.set_group_members", PUSH)])
    assert by_id(export)[PUSH].after.members == ["ann@example.com", "bob@example.com"]
    assert by_id(export)["scim.set_account_type:mB"].after.user_type == "Build"
    # the long form the user's item offers settles the membership the same way
    long = replan(typed, hand_saved, "\nlinking: {scim_state_conflicts: {00uB: {newer: idp_export, userType: Build}}}")
    assert (review_codes(long), kinds(long)) == ([], kinds(export))

    # scim_state: SCIM's View and SCIM's membership (Bob out of Finance) are kept, nothing sent
    kept = replan(typed, hand_saved, "\nlinking: {scim_state_conflicts: {00uB: scim_state}}")
    assert (review_codes(kept), kinds(kept)) == ([], [])
    assert bob.user_type == "View"


def test_an_entry_for_a_user_with_no_disagreement_of_their_own_never_keeps_scims_membership_over_a_newer_export(
        changed):
    """An entry written for an earlier wave (Bob: scim_state, keeping SCIM's removal of him from Finance) does not
    decide his membership silently once an export read after SCIM's change lists him again: the dates contradict
    it, so it no longer applies and the plan asks, as the user rule asks of a user's entry (was, at 610642c: the
    entry kept Bob out of Finance, 0 review items, whatever the export said)."""
    tmp, sigma, when, _ = changed
    time.sleep(1.05)
    read = fetch_idp(tmp / "live-entry")
    stale = replan(sigma, read, "\nlinking: {scim_state_conflicts: {00uB: scim_state}}")
    assert (review_codes(stale), kinds(stale)) == ([("scim.state_conflict", True)], [])
    [item] = stale.review_items
    assert item.message.startswith("the linking.scim_state_conflicts entry 00uB: scim_state no longer applies: "
                                   "team 'Finance': ")
    # the entry the dates agree with settles it; one read before SCIM's change keeps SCIM's membership by the entry
    pushed = replan(sigma, read, "\nlinking: {scim_state_conflicts: {00uB: idp_export}}")
    assert (review_codes(pushed), by_id(pushed)[PUSH].after.members) == ([], ["ann@example.com", "bob@example.com"])
    before = replan(sigma, fetch_idp(tmp / "before-entry", seconds(when, -1)),
                    "\nlinking: {scim_state_conflicts: {00uB: scim_state}}")
    assert (review_codes(before), kinds(before)) == ([], [])


def now_okta() -> str:
    """The current second as Okta writes a date (``2026-12-06T23:26:50.000Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def test_a_membership_the_users_own_newer_record_explains_is_decided_by_the_user_rule(changed):
    """Tester11 finding 6: the export's record of Bob is newer than SCIM's change of the group (the IdP updated
    him after it: a reactivation, a rename), so the export was taken after that change: his own dates decide."""
    tmp, sigma, when, _ = changed
    time.sleep(1.05)
    seed = okta_seed(bob_updated=now_okta())
    updated = replan(sigma, fetch_idp(tmp / "bob-updated", None, seed))  # hand-saved: no read time
    # was: blocking 'SCIM last changed the group <when>, after the export's group last changed its members
    # 2025-05-19T09:20:28Z: the export is older ...; export the IdP again' (Okta's group date never moves for it)
    assert (review_codes(updated), kinds(updated)) == ([], [("scim.set_group_members", PUSH)])
    assert by_id(updated)[PUSH].after.members == ["ann@example.com", "bob@example.com"]
    # his record older than SCIM's change of the group: the group's dates decide, as before (asked)
    older = replan(sigma, fetch_idp(tmp / "bob-older", None))
    assert (review_codes(older), kinds(older)) == ([("scim.state_conflict", True)], [])


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """Tester11 finding 5: the first wave applied from a live Okta read (Finance: Ann, Bob), then the IdP renames
    Ann through SCIM (Sigma makes a new member for ann.lee@, which SCIM now manages, and leaves mA behind, out of
    SCIM's group); Sigma fetched; the IdP export saved by hand after the rename (Ann's ``lastUpdated`` after it, no
    ``fetchedAt``; Finance's ``lastMembershipUpdated`` unmoved): ``(sigma, idp_dir, the new member's id)``."""
    tmp = tmp_path_factory.mktemp("okta-rename")
    server, _ = counting_sandbox(SIGMA)
    try:
        idp, _ = load_idp(fetch_idp(tmp / "okta1"))
        apply_and_fetch(plan(Snapshot(sigma=SIGMA, idp=idp), FIRST), tmp / "wave", server)
        time.sleep(1.05)  # the rename in a later second than the wave's push
        scim_patch(server, "/Users/mA", [{"op": "replace", "path": "userName", "value": "ann.lee@example.com"}])
        sigma = fetch(tmp, server, "after-rename")
    finally:
        server.close()
    time.sleep(1.05)  # the IdP's record of the rename in a later second than SCIM's
    seed = okta_seed()
    for u in seed.users:
        if u["id"] == "00uA":
            u["profile"].update(login="ann.lee@example.com", email="ann.lee@example.com")
            u["lastUpdated"] = now_okta()
    [finance] = [g for g in sigma.scim_groups if g.id == "tF"]
    assert finance.member_ids == ("mB",)  # the rename left mA out of SCIM's group
    new_id = next(m.member_id for m in sigma.members if m.email == "ann.lee@example.com")
    return sigma, fetch_idp(tmp / "okta-renamed", None, seed), new_id


def test_a_renamed_persons_team_is_pushed_to_their_new_account_not_called_a_stale_export(renamed):
    sigma, idp_dir, new_id = renamed
    open_question = replan(sigma, idp_dir)
    # was: a second blocking item, "team 'Finance': ... ann.lee@example.com (not in SCIM's group, in the export's);
    # SCIM last changed the group ..., after the export's group last changed its members 2025-05-19T09:20:28Z: the
    # export is older ...", whose only snippet (scim_state) left the renamed person in no team
    assert [i.id for i in open_question.review_items if i.blocking] == ["scim.second_account:mA"]
    assert by_id(open_question)[PUSH].after.members == ["ann.lee@example.com", "bob@example.com"]


def test_the_account_a_rename_left_behind_is_held_while_asked_kept_by_keep_and_removed_as_scim_provisioned(renamed):
    """Tester11 finding 5: the old account's team membership follows scim.second_account's answer (was: removed
    in every case, 'and SCIM does not remove pre-SCIM members', though SCIM provisioned it in the first wave)."""
    sigma, idp_dir, new_id = renamed
    open_question = replan(sigma, idp_dir)
    assert kinds(open_question) == [("scim.set_group_members", PUSH)]  # no teams.remove_member:tF:mA while asked
    kept = replan(sigma, idp_dir, "\nlinking: {second_accounts: {ann@example.com: keep}}")
    assert (review_codes(kept), kinds(kept)) == ([("teams.leftovers", False)], [("scim.set_group_members", PUSH)])
    assert kept.review_items[0].message == (
        "1 member(s) of team 'Finance' are not in group 'Finance' and stay in the team after SCIM (members a userName "
        "change left behind that linking.second_accounts keeps are not removed: nothing is planned for them)")
    gone = replan(sigma, idp_dir, "\nlinking: {second_accounts: {ann@example.com: deactivate}}")
    assert (review_codes(gone), kinds(gone)) == ([], [
        ("members.deactivate", "members.deactivate:mA"), ("scim.set_group_members", PUSH),
        ("teams.remove_member", "teams.remove_member:tF:mA")])
    assert by_id(gone)["teams.remove_member:tF:mA"].reason == (
        "remove from team 'Finance': not in IdP group 'Finance'; the member a userName change in the IdP left behind, "
        "which linking.second_accounts deactivates: SCIM provisioned it, but its SCIM user is the new member's now, "
        "so the push does not remove it")
    assert by_id(gone)[PUSH].after.members == ["ann.lee@example.com", "bob@example.com"]


def test_the_new_account_a_rename_made_is_no_membership_disagreement_whatever_the_dates(renamed, tmp_path):
    """Tester11 finding 5: the member a userName change made is in no team yet; SCIM removed nobody from the
    group, so its push is the IdP's next push, even where the export's record of the person is older."""
    sigma, _, _ = renamed
    seed = okta_seed()
    for u in seed.users:
        if u["id"] == "00uA":
            u["profile"].update(login="ann.lee@example.com", email="ann.lee@example.com")
    undated = replan(sigma, fetch_idp(tmp_path / "okta", None, seed))  # Ann's record of 2024, no read time
    assert [i.id for i in undated.review_items if i.blocking] == ["scim.second_account:mA"]
    assert by_id(undated)[PUSH].after.members == ["ann.lee@example.com", "bob@example.com"]
