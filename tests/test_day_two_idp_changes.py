"""Tester6 findings 9 and 25: the IdP acts between waves, against the sandbox over HTTP (plan, apply,
a change in the IdP pushed to Sigma's SCIM service, fetch, re-plan: the exact actions and items).

- 9: the IdP renames a linked user's login: Sigma makes a new member for the new userName that takes over
  the SCIM id, and leaves the old one behind, active (docs/sigma-api.md §5.3; docs/sandbox.md). The re-plan
  planned the new member's deactivation ("no IdP user matches") and asked the IdP to change the old one.
- 25: after a team wave the IdP removes a person from the team's group: the re-plan's own
  ``scim.set_group_members`` makes the change; it used to block on ``scim.managed_member`` ("no policy
  setting settles this") and show the team's members as "2 -> 2 (+0 -0)".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx2

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.fetch import fetch_export
from planner.planfile import write_plan
from planner.sources import load_sigma_export

from .conftest import run_cli
from .execute_support import counting_sandbox, options_for
from .plan_factory import by_id, group, kinds, member, plan, review_codes, snapshot, team, user

ANN, BOB = member("mA", "ann@example.com", "Ann", "Lee"), member("mB", "bob@example.com", "Bob", "Ray")
SNAP = snapshot([ANN, BOB], [user("uA", "ann@example.com", first="Ann", last="Lee"),
                             user("uB", "bob@example.com", first="Bob", last="Ray")],
                groups=[group("gF", "Finance", ["uA", "uB"])], teams=[team("tF", "Finance")],
                memberships={"tF": ["mA", "mB"]})
FIRST = "teams: {rules: [{match: exact}]}"
POLICY = FIRST + "\npreflight: {previous_scim: same_setup}"  # a re-plan after apply


def apply_and_fetch(p, tmp: Path, server, only=()):
    tmp.mkdir()
    write_plan(p, tmp / "plan.json")
    approve(tmp / "plan.json", "Ada Admin")
    result = apply_plan(tmp / "plan.json", options_for(server, only=only))
    assert (result.status, result.counts["failed"]) == ("converged", 0)
    return fetch(tmp, server)


def fetch(tmp: Path, server, name="export"):
    (tmp / name).mkdir()
    fetch_export(tmp / name, base_url=server.base_url, client_id=server.client_id,
                 client_secret=server.client_secret, scim_token=server.scim_token, progress=False)
    sigma, _ = load_sigma_export(tmp / name)
    return sigma


def scim_patch(server, path: str, operations: list[dict]) -> None:
    answer = httpx2.patch(f"{server.scim_base_url}{path}", headers={"Authorization": f"Bearer {server.scim_token}"},
                          json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
    assert answer.status_code in (200, 204), answer.text


def read_after(sigma) -> str:
    """The ``fetchedAt`` of an IdP export read after Sigma's SCIM state last changed a group: one second after
    the newest ``meta.lastModified`` of ``sigma``'s SCIM groups (the export holds the IdP's word after it, so a
    membership SCIM's group and the export disagree on is the export's: planner.rules.scim_state.group_dates)."""
    newest = max(g.last_modified for g in sigma.scim_groups if g.last_modified)
    at = datetime.strptime(newest, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) + timedelta(seconds=1)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def renamed_in_the_idp(sigma):
    """The snapshot of the re-plan: Sigma's export as fetched, the IdP export with Ann's login renamed, read
    after the rename (:func:`read_after`)."""
    users = tuple(user("uA", "ann.lee@example.com", first="Ann", last="Lee") if u.id == "uA" else u
                  for u in SNAP.idp.users)
    return replace(SNAP, sigma=sigma, idp=replace(SNAP.idp, users=users, fetched_at=read_after(sigma)))


def test_a_login_renamed_in_the_idp_is_one_blocking_item_naming_both_members_and_never_deactivates_the_new_one(
        tmp_path):
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        # what the IdP pushes after a name change: Sigma makes a new member for the new userName, which
        # takes over the SCIM id; the old member mA stays, active, in its team
        scim_patch(server, "/Users/mA", [{"op": "replace", "path": "userName", "value": "ann.lee@example.com"}])
        sigma = fetch(tmp_path / "wave", server, "after")
        new_id = next(m.member_id for m in sigma.members if m.email == "ann.lee@example.com")
        assert [(u.id, u.user_name, u.external_id) for u in sigma.scim_users if u.id == "mA"] == [
            ("mA", "ann.lee@example.com", "uA")]
        renamed = renamed_in_the_idp(sigma)
        # unmatched.action deactivate: the new member was planned as "no IdP user matches this member"
        replanned = plan(renamed, POLICY + "\nunmatched: {action: deactivate}")
        # the question holds mA (planning.hold_questioned): no removal from Finance while it is open (was
        # teams.remove_member:tF:mA beside it); the team's leftovers item names mA as held
        assert (kinds(replanned), review_codes(replanned)) == (
            [("scim.set_group_members", "scim.set_group_members:gF")],
            [("scim.second_account", True), ("teams.leftovers", False)])
        assert [(r.member_id, r.actions, r.review_items) for r in replanned.people if r.member_id == "mA"] == [
            ("mA", (), ("scim.second_account:mA", "teams.leftovers:tF"))]
        assert (replanned.summary.people, replanned.summary.teams.member_removals) == (
            {"held": 1, "link": 3, "unmatched_kept": 0}, 0)
        assert replanned.review_items[1].message == (
            "1 member(s) of team 'Finance' are not in group 'Finance' and stay in the team after SCIM (members a "
            "blocking review item holds are not removed until it is settled)")
        item = replanned.review_items[0]
        assert (item.id, item.subject.member_id, item.subject.idp_id, item.subject.user_name) == (
            "scim.second_account:mA", "mA", "uA", "ann.lee@example.com")
        assert item.message == (
            f"ann@example.com [member mA] was provisioned by SCIM as IdP user uA, whose userName the IdP changed to "
            f"ann.lee@example.com: Sigma made a second account for it, member {new_id} (ann.lee@example.com), which "
            "SCIM now manages, and left ann@example.com active with its documents and teams; deactivate it (its "
            "documents go to ann.lee@example.com) or keep it")
        assert item.resolution == (
            "# deactivate: its documents go to ann.lee@example.com; keep: nothing is planned for it\n"
            "linking:\n  second_accounts:\n    ann@example.com: deactivate\n"
            "# or:\n# linking:\n#   second_accounts:\n#     ann@example.com: keep\n")
        assert by_id(replanned)["scim.set_group_members:gF"].after.members == ["ann.lee@example.com", "bob@example.com"]

        kept = plan(renamed, POLICY + "\nunmatched: {action: deactivate}\nlinking: {second_accounts: {mA: keep}}")
        # keep: nothing is planned for mA, its Finance membership included (tester11 finding 5; was:
        # teams.remove_member:tF:mA, 'and SCIM does not remove pre-SCIM members', though SCIM provisioned it)
        assert (kinds(kept), review_codes(kept)) == (kinds(replanned), [("teams.leftovers", False)])

        settled = plan(renamed, POLICY + "\nlinking: {second_accounts: {ann@example.com: deactivate}}")
        assert (kinds(settled), review_codes(settled)) == (
            [("members.deactivate", "members.deactivate:mA"), ("scim.set_group_members", "scim.set_group_members:gF"),
             ("teams.remove_member", "teams.remove_member:tF:mA")], [])
        deactivation = by_id(settled)["members.deactivate:mA"]
        assert (deactivation.after.new_owner_id, deactivation.rule, deactivation.reason) == (
            new_id, "linking.second_accounts",
            f"deactivate: the IdP changed the userName of IdP user uA from ann@example.com to ann.lee@example.com, "
            f"and Sigma made member {new_id} (ann.lee@example.com) for it, which SCIM now manages; documents go to "
            "ann.lee@example.com")
        done = apply_and_fetch(settled, tmp_path / "settled", server)
        assert [(m.member_id, m.is_archived) for m in done.members if m.member_id in ("mA", new_id)] == [
            ("mA", True), (new_id, False)]
        again = plan(renamed_in_the_idp(done), POLICY)
        assert (kinds(again), review_codes(again)) == ([], [])
    finally:
        server.close()


def test_an_idp_group_change_after_a_team_wave_is_the_next_push_not_a_blocking_item(tmp_path, capsys):
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        sigma = apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server, only=("team:Finance",))
        # the IdP removes Bob from group Finance; its export is read after the wave (fetch-idp's fetchedAt)
        left = replace(SNAP, sigma=sigma, idp=replace(SNAP.idp, groups=(
            *(g for g in SNAP.idp.groups if g.id != "gF"), group("gF", "Finance", ["uA"])), fetched_at=read_after(sigma)))
        replanned = plan(left, POLICY)
        assert (kinds(replanned), review_codes(replanned)) == (
            [("scim.link_user", "scim.link_user:root"), ("scim.set_group_members", "scim.set_group_members:gF"),
             ("teams.remove_member", "teams.remove_member:tF:mB")], [])
        removal = by_id(replanned)["teams.remove_member:tF:mB"]
        assert removal.evidence.removed_by == "scim.set_group_members:gF"  # no REST request of its own
        assert by_id(replanned)["scim.set_group_members:gF"].after.members == ["ann@example.com"]
        write_plan(replanned, tmp_path / "replan.json")
        code, out, _ = run_cli(capsys, "show", str(tmp_path / "replan.json"))
        assert "  ~ Finance <- group 'Finance'  [team tF]  members 2 -> 1 (+0 -1)\n" in out
        done = apply_and_fetch(replanned, tmp_path / "push", server)
        assert sorted(m.member_id for m in done.team_memberships) == ["mA"]
        again = plan(replace(left, sigma=done), POLICY)
        assert (kinds(again), review_codes(again)) == ([], [])
    finally:
        server.close()


def test_a_scim_user_is_the_member_with_its_user_name_when_the_member_of_its_id_has_another_email():
    """The join of Sigma's SCIM state to members (planner.directory.scim_user_members), without a server."""
    from planner.directory import scim_state
    from planner.model import ScimUser, email_key

    def scim_user(scim_id, name):
        return ScimUser(id=scim_id, user_name=name, user_name_key=email_key(name), external_id="x-" + scim_id)

    members = (ANN, BOB, member("mN", "ann.lee@example.com"))
    export = replace(SNAP.sigma, members=members, scim_users=(
        scim_user("mA", "ann.lee@example.com"),   # renamed: the new member mN took over the SCIM id
        scim_user("mB", "bob.ray@example.com"),   # no member has the new userName: still mB's
    ), scim_groups=())
    state = scim_state(export)
    assert ({mid: u.id for mid, u in state.users.items()}, dict(state.second_accounts)) == (
        {"mN": "mA", "mB": "mB"}, {"mA": "mN"})


def test_the_scim_setup_admin_renamed_in_the_idp_keeps_the_token_member_whatever_the_policy_names(tmp_path):
    import pytest

    from planner.execute.apply import ApplyRefused, check_credential_owner
    from planner.execute.rest_client import WhoamiRecord

    """Tester10 finding 18: the IdP renames root (the SCIM-setup admin and API credential owner); Sigma makes a new
    member for the new userName and leaves root behind. Naming root, or the new member, in organization, and even
    ``linking.second_accounts: {root: deactivate}``, never plans root's deactivation: each protected role fails on
    one blocking guard item naming both members, whose only snippet keeps root (was: naming the new member made
    root an ordinary second account whose snippet proposed deactivate, then planned members.deactivate:root)."""
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        scim_patch(server, "/Users/root", [{"op": "replace", "path": "userName", "value": "root.new@example.com"}])
        sigma = fetch(tmp_path / "wave", server, "after")
        new_id = next(m.member_id for m in sigma.members if m.email == "root.new@example.com")
        users = tuple(user("u-root", "root.new@example.com", first="Root", last="Admin") if u.id == "u-root" else u
                      for u in SNAP.idp.users)
        renamed = replace(SNAP, sigma=sigma, idp=replace(SNAP.idp, users=users))
        new_name = ("organization: {scim_setup_admin: root.new@example.com, api_credential_owner: root.new@example.com,"
                    " document_owner: root.new@example.com}\n")
        deactivate = "\nlinking: {second_accounts: {root@example.com: deactivate}}"
        change = (f"the IdP changed the userName of IdP user u-root from root@example.com to root.new@example.com, and "
                  f"Sigma made member {new_id} (root.new@example.com) for it")
        retire = {
            "scim_setup_admin": ("the SCIM token stays", "first set SCIM up again as root.new@example.com (a new "
                                 "token; Sigma support removes the old one: docs/sigma-api.md §5.1)"),
            "api_credential_owner": ("apply's API credentials stay", "first make apply's API credentials again as "
                                     "root.new@example.com (docs/sigma-api.md §1.2)")}

        def expected(key, named_new, problem):
            secret, how = retire[key]
            head = (f"{key} root.new@example.com [member {new_id}]: {change} through SCIM, so {secret} "
                    "with root@example.com [member root], the member that change left behind" if named_new else
                    f"{key} root@example.com [member root]: {change}; {secret} with root@example.com")
            return (f"{head}: root@example.com {problem}; the plan never deactivates or downgrades it and holds until "
                    f"linking.second_accounts keeps it; to retire it, {how}, then deactivate root@example.com in Sigma "
                    "(the exports cannot show that it moved)",
                    f"# {secret} with root@example.com: keep it active and admin, never deactivate it (to "
                    f"retire it, {how})\nlinking:\n  second_accounts:\n    root@example.com: keep\n")

        undecided, refused = "is not kept by linking.second_accounts", (
            "is to be deactivated by linking.second_accounts, which the plan never does")
        for extra, named_new, problem in (("", False, undecided), (new_name, True, undecided),
                                          (new_name + deactivate, True, refused), (deactivate, False, refused)):
            p = plan(renamed, POLICY + "\nunmatched: {action: deactivate}\n" + extra)
            assert (kinds(p), review_codes(p)) == (
                [], [("guards.api_credential_owner", True), ("guards.scim_setup_admin", True)]), extra
            for item in p.review_items:
                key = item.rule.partition(".")[2]
                assert (item.id, item.subject.member_id) == (f"guards.{key}:root", "root"), extra
                message, resolution = expected(key, named_new, problem)
                assert item.message == message
                assert item.resolution == resolution
            assert [(c.id, c.status.value) for c in p.preflight if c.id in retire] == [
                ("scim_setup_admin", "failed"), ("api_credential_owner", "failed")]

        for extra in (new_name, ""):
            kept = plan(renamed, POLICY + "\nunmatched: {action: deactivate}\n" + extra
                        + "\nlinking: {second_accounts: {root@example.com: keep}}")
            assert (kinds(kept), review_codes(kept)) == ([], [])
            assert [(g.name, g.ok, g.detail) for g in kept.summary.guards if g.name in retire] == [
                ("scim_setup_admin", True, "root@example.com stays active with account type Admin (the SCIM token "
                 "stays with it; root.new@example.com signs in through the IdP)"),
                ("api_credential_owner", True, "root@example.com stays active with account type Admin (apply's API "
                 "credentials stay with it; root.new@example.com signs in through the IdP)")]
            # apply's credentials: the plan's owner row is root's; credentials made again as the member the policy
            # names are that member's too, any other member's are refused before the first write
            write_plan(kept, tmp_path / f"kept{len(extra)}.json")
            for owner, refused in (("root", False), (new_id, not extra), ("mB", True)):
                whoami = WhoamiRecord(user_id=owner, organization_id="org-1")
                if refused:
                    with pytest.raises(ApplyRefused, match=f"belong to member {owner} "):
                        check_credential_owner(kept, tmp_path / f"kept{len(extra)}.json", whoami, None)
                else:
                    check_credential_owner(kept, tmp_path / f"kept{len(extra)}.json", whoami, None)
    finally:
        server.close()
