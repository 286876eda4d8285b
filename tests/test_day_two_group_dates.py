"""Tester10 finding 2: the IdP changes a team's group through SCIM after the IdP export was taken; the re-plan's
push must not undo it in silence. Against the sandbox over HTTP (plan, apply, a SCIM PATCH of the group, fetch,
re-plan): the group's dates decide, as a user's do (planner.rules.scim_state.dated_group_members): SCIM's
``meta.lastModified`` of the group against the export group's ``lastMembershipUpdated``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml
from msgspec import structs

from .execute_support import counting_sandbox
from .plan_factory import by_id, group, kinds, member, plan, review_codes, snapshot, team, user
from .test_day_two_dated_conflicts import moved
from .test_day_two_group_read_time import seconds
from .test_day_two_idp_changes import apply_and_fetch, fetch, scim_patch

ANN, BOB = member("mA", "ann@example.com", "Ann", "Lee"), member("mB", "bob@example.com", "Bob", "Ray")
CAT = member("mC", "cat@example.com", "Cat", "Ng")
SNAP = snapshot([ANN, BOB, CAT], [user("uA", "ann@example.com", first="Ann", last="Lee"),
                                  user("uB", "bob@example.com", first="Bob", last="Ray"),
                                  user("uC", "cat@example.com", first="Cat", last="Ng")],
                groups=[group("gF", "Finance", ["uA", "uB"]), group("gO", "Ops", ["uC"]),
                        group("gV", "Sigma-Viewers", ["uA", "uB", "uC"])],
                teams=[team("tF", "Finance"), team("tO", "Ops")], memberships={"tF": ["mA", "mB"], "tO": ["mC"]},
                account_types=["Admin", "View"])
FIRST = ("teams: {rules: [{match: exact}]}\n"
         "account_types: {group_map: {Sigma-Viewers: View}, precedence: [Admin, View]}\n"
         "unmatched: {action: deactivate}")
POLICY = FIRST + "\npreflight: {previous_scim: same_setup}"
PUSH = "scim.set_group_members:gF"


def finance_dated(sigma, when: str, members=("uA", "uB")):
    """The re-plan's snapshot: the IdP export as first taken (Finance: Ann and Bob), its Finance group's
    ``lastMembershipUpdated`` ``when``."""
    finance = structs.replace(group("gF", "Finance", members), attributes={"lastMembershipUpdated": when})
    return replace(SNAP, sigma=sigma, idp=replace(SNAP.idp, groups=tuple(
        finance if g.id == "gF" else g for g in SNAP.idp.groups)))


def test_a_member_scim_removed_after_the_export_is_not_pushed_back_and_an_export_newer_than_scim_is(tmp_path: Path):
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        # the IdP removes Bob from Finance and adds Cat, through SCIM, after the export was taken
        scim_patch(server, "/Groups/tF", [{"op": "remove", "path": 'members[value eq "mB"]'},
                                          {"op": "add", "path": "members", "value": [{"value": "mC"}]}])
        sigma = fetch(tmp_path, server, "after-scim")
        [finance] = [g for g in sigma.scim_groups if g.id == "tF"]
        changed = finance.last_modified
        assert changed is not None

        stale = plan(finance_dated(sigma, moved(changed, -1)), POLICY)
        assert review_codes(stale) == [("scim.state_conflict", True)]
        [item] = stale.review_items
        assert (item.id, item.blocking, item.subject.team_id, item.evidence.scim_last_modified,
                item.evidence.export_last_updated) == (f"scim.state_conflict:{PUSH}", True, "tF", changed,
                                                        moved(changed, -1))
        assert item.message == (
            "team 'Finance': Sigma's SCIM group and the IdP export's group 'Finance' disagree on 2 member(s) SCIM "
            "provisioned: bob@example.com (not in SCIM's group, in the export's); cat@example.com (in SCIM's group, "
            f"not in the export's); SCIM last changed the group {changed}, after the export's group last changed its "
            f"members {moved(changed, -1)}: the export is older, so it is stale for them; the plan keeps SCIM's "
            "membership and does not push the export's over it; export the IdP again and plan again")
        assert yaml.safe_load(item.resolution) == {"linking": {"scim_state_conflicts": {"uB": "scim_state",
                                                                                        "uC": "scim_state"}}}
        assert kinds(stale) == []  # SCIM's membership kept: nothing to push, and Cat's removal by it dropped

        settled = plan(finance_dated(sigma, moved(changed, -1)),
                       POLICY + "\nlinking: {scim_state_conflicts: {uB: scim_state, uC: scim_state}}")
        assert (kinds(settled), review_codes(settled)) == ([], [])  # no push, and Cat stays in the team

        newer = plan(finance_dated(sigma, moved(changed, 1)), POLICY)  # the IdP changed the group after SCIM
        assert review_codes(newer) == []
        assert by_id(newer)[PUSH].after.members == ["ann@example.com", "bob@example.com"]

        # no group date, no read time: the plan cannot tell, so it asks and keeps SCIM's membership (was: the
        # export's word, Bob put back and Cat removed in silence)
        undated = plan(replace(SNAP, sigma=sigma), POLICY)
        assert (kinds(undated), review_codes(undated)) == ([], [("scim.state_conflict", True)])
        assert undated.review_items[0].message.endswith(
            f"SCIM last changed the group {changed}, the IdP export says neither when its group's members changed nor "
            "when it was read: the plan cannot tell which side is newer; the plan keeps SCIM's membership and does not "
            "push the export's over it; export the IdP again (sigma-migrate fetch-idp records when it read the IdP) "
            "and plan again, or settle each")
        # the later of the group's own date and the export's read time dates the export's word (tester11 finding
        # 6b): read after SCIM's change, the export holds the IdP's membership after it (was: the group's own,
        # older date decided, 'the export is older', for an export read after SCIM's change)
        both = replace(finance_dated(sigma, moved(changed, -1)), idp=replace(
            finance_dated(sigma, moved(changed, -1)).idp, fetched_at=seconds(changed, 1)))
        read_after = plan(both, POLICY)
        assert (review_codes(read_after), by_id(read_after)[PUSH].after.members) == (
            [], ["ann@example.com", "bob@example.com"])
    finally:
        server.close()
