"""Tester8 findings 1, 2 and 6: Sigma's SCIM state and the IdP export disagree about a SCIM-linked person
weeks after a wave, against the sandbox over HTTP (plan, apply, fetch, a changed export, re-plan: the
exact actions and items).

- 2: the dates decide: a leaver or an account-type change the IdP made after SCIM last changed the person
  is planned through SCIM with both dates as evidence, never a "which is newer?" question; an export older
  than SCIM's state is the blocking question (export again).
- 1: a ``linking.scim_state_conflicts`` entry settles only what it was written for: a stale export that
  would reactivate a leaver is blocking again, naming the entry, whether the dates contradict a short-form
  entry or a long-form one records another value.
- 6: ``scim.held_member`` says what the dates show for a person absent from an export newer than SCIM's
  record of them (deleted in the IdP) and names the entry that deactivates them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from msgspec import structs

from planner.model import IdpUser, Snapshot

from .execute_support import counting_sandbox
from .plan_factory import by_id, group, kinds, member, plan, review_codes, snapshot, team, user
from .test_day_two_idp_changes import apply_and_fetch

ANN, BOB = member("mA", "ann@example.com", "Ann", "Lee"), member("mB", "bob@example.com", "Bob", "Ray")
SNAP = snapshot([ANN, BOB], [user("uA", "ann@example.com", first="Ann", last="Lee"),
                             user("uB", "bob@example.com", first="Bob", last="Ray")],
                groups=[group("gF", "Finance", ["uA", "uB"]), group("gV", "Sigma-Viewers", ["uA", "uB"]),
                        group("gB", "Sigma-Build", [])],
                teams=[team("tF", "Finance")], memberships={"tF": ["mA", "mB"]},
                account_types=["Admin", "Build", "View"])
FIRST = ("teams: {rules: [{match: exact}]}\n"
         "account_types: {group_map: {Sigma-Viewers: View, Sigma-Build: Build}, precedence: [Admin, Build, View]}\n"
         "unmatched: {action: deactivate}")
POLICY = FIRST + "\npreflight: {previous_scim: same_setup}"  # a re-plan after apply


def moved(ts: str, days: int) -> str:
    """``ts`` (ISO 8601 UTC to the second) ``days`` later (earlier when negative)."""
    at = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) + timedelta(days=days)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def scim_date(sigma, member_id: str) -> str:
    [user_] = [u for u in sigma.scim_users if u.id == member_id]
    return user_.last_modified


def export(sigma, users: dict[str, IdpUser], groups: dict[str, list[str]] | None = None, *,
           drop: tuple[str, ...] = (), rest_updated: str | None = None) -> Snapshot:
    """The re-plan's snapshot: Sigma's export as fetched; the IdP export with ``users`` replaced (by id),
    ``drop`` left out, groups' members as ``groups`` says (by group id), and every other user dated
    ``rest_updated``."""
    idp_users = tuple(users.get(u.id, structs.replace(u, last_updated=rest_updated))
                      for u in SNAP.idp.users if u.id not in drop)
    idp_groups = tuple(group(g.id, g.display_name, [m for m in (groups or {}).get(g.id, g.member_user_ids)
                                                     if m not in drop])
                       for g in SNAP.idp.groups)
    return replace(SNAP, sigma=sigma, idp=replace(SNAP.idp, users=idp_users, groups=idp_groups))


def snippet(item) -> dict:
    return yaml.safe_load(item.resolution)


def test_a_leaver_and_a_group_move_newer_than_scim_are_planned_through_scim_and_a_stale_export_is_blocked(
        tmp_path: Path):
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        sigma = apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        t_ann, t_bob = scim_date(sigma, "mA"), scim_date(sigma, "mB")
        # week 2: Bob leaves (DEPROVISIONED), Ann moves Sigma-Viewers -> Sigma-Build, both a day after SCIM
        week2 = export(sigma, {
            "uB": structs.replace(SNAP.idp.users[2], active=False, status="DEPROVISIONED",
                                  last_updated=moved(t_bob, 1)),
            "uA": structs.replace(SNAP.idp.users[1], last_updated=moved(t_ann, 1)),
        }, {"gV": ["uB"], "gB": ["uA"]})
        assert [u.id for u in week2.idp.users[1:]] == ["uA", "uB"]
        p = plan(week2, POLICY)
        assert review_codes(p) == []
        assert kinds(p) == [
            ("scim.deactivate_user", "scim.deactivate_user:mB"),
            ("scim.set_account_type", "scim.set_account_type:mA"),
            ("scim.set_group_members", "scim.set_group_members:gF"),
            ("teams.remove_member", "teams.remove_member:tF:mB"),  # by the push, counted (tester10 finding 7)
        ]
        assert by_id(p)["scim.set_group_members:gF"].after.members == ["ann@example.com"]  # the leaver leaves
        leaver, upgrade = by_id(p)["scim.deactivate_user:mB"], by_id(p)["scim.set_account_type:mA"]
        assert structs.asdict(leaver.evidence.state_conflict) == {
            "newer": "idp_export", "settled_by": "dates", "scim_last_modified": t_bob,
            "export_last_updated": moved(t_bob, 1)}
        assert leaver.reason.endswith(
            f" (the IdP export is newer than Sigma's SCIM state: it last updated the user {moved(t_bob, 1)}, "
            f"SCIM last changed it {t_bob})")
        assert (upgrade.before.member_type, upgrade.after.user_type) == ("View", "Build")
        assert structs.asdict(upgrade.evidence.state_conflict) == {
            "newer": "idp_export", "settled_by": "dates", "scim_last_modified": t_ann,
            "export_last_updated": moved(t_ann, 1)}

        # Okta leaves a user's lastUpdated as it was when only their groups change: Ann's move with her own
        # older date is no stale export (export again would change nothing): the question, dates named
        moved_only = export(sigma, {"uA": structs.replace(SNAP.idp.users[1], last_updated=moved(t_ann, -30))},
                            {"gV": ["uB"], "gB": ["uA"]})
        [item] = plan(moved_only, POLICY).review_items
        assert (item.id, item.message) == (
            "scim.state_conflict:scim.set_account_type:mA",
            "ann@example.com is provisioned by SCIM (externalId uA), and Sigma's SCIM state and the IdP export "
            f"disagree (userType: SCIM View, export Build; SCIM last changed the user {t_ann}, the export last "
            f"updated them {moved(t_ann, -30)}, which a group change does not move): which is newer? The plan "
            "does not send scim.set_account_type on the export's word alone")

        # the same changes with no dates in the export: the question, as before, with a long-form snippet
        undated = export(sigma, {
            "uB": structs.replace(SNAP.idp.users[2], active=False, status="DEPROVISIONED"),
        }, {"gV": ["uA", "uB"]})
        q = plan(undated, POLICY)
        # the question holds Bob in Finance too (scim_state.held_in_teams; was teams.remove_member:tF:mB beside
        # it; issue 10, holds3)
        assert (kinds(q), review_codes(q)) == ([], [("scim.held_member", False), ("scim.state_conflict", True)])
        item, held = q.review_items
        assert held.id == "scim.held_member:teams.remove_member:tF:mB"
        assert (item.id, item.message) == (
            "scim.state_conflict:members.deactivate:mB",
            "bob@example.com is provisioned by SCIM (externalId uB), and Sigma's SCIM state and the IdP export "
            f"disagree (active: SCIM true, export DEPROVISIONED (uB); SCIM last changed the user {t_bob}, the "
            "export does not say when): which is newer? The plan does not send members.deactivate on the "
            "export's word alone")
        assert snippet(item) == {"linking": {"scim_state_conflicts": {"uB": {"newer": "scim_state", "active": True}}}}
        assert "#     uB:\n#       newer: idp_export\n#       active: false\n" in item.resolution

        done = apply_and_fetch(p, tmp_path / "week2", server)
        t_left = scim_date(done, "mB")
        assert [(u.id, u.active, u.user_type) for u in done.scim_users if u.id in ("mA", "mB")] == [
            ("mA", True, "Build"), ("mB", False, "View")]

        # week 3: a stale export (taken before the leaver was processed): Bob ACTIVE, last updated before SCIM
        # deactivated him, back in Sigma-Viewers and Finance
        stale = export(done, {
            "uB": structs.replace(SNAP.idp.users[2], last_updated=moved(t_left, -1)),
            "uA": structs.replace(SNAP.idp.users[1], last_updated=moved(t_ann, 1)),
        }, {"gV": ["uB"], "gB": ["uA"]})
        question = ("bob@example.com is provisioned by SCIM (externalId uB), and Sigma's SCIM state and the IdP "
                    f"export disagree (active: SCIM false, export true; SCIM last changed the user {t_left}, after "
                    f"the export last updated them {moved(t_left, -1)}): the export is older than Sigma's SCIM "
                    "state, so the plan does not send scim.link_user on its word; export the IdP again and plan "
                    "again")
        r = plan(stale, POLICY)
        assert ([a.id for a in r.actions if "mB" in a.id], review_codes(r)) == ([], [("scim.state_conflict", True)])
        [item] = r.review_items
        assert (item.id, item.message) == ("scim.state_conflict:scim.link_user:mB", question)
        assert snippet(item) == {"linking": {"scim_state_conflicts": {"uB": {"newer": "scim_state", "active": False}}}}
        # finding 1: the short-form entry an admin wrote weeks ago for Bob's deactivation does not reactivate him
        r = plan(stale, POLICY + "\nlinking: {scim_state_conflicts: {uB: idp_export}}")
        assert ([a.id for a in r.actions if "mB" in a.id], review_codes(r)) == ([], [("scim.state_conflict", True)])
        [item] = r.review_items
        assert (item.id, item.message, item.evidence.stale_entry) == (
            "scim.state_conflict:scim.link_user:mB",
            "the linking.scim_state_conflicts entry uB: idp_export no longer applies: " + question
            + "; remove the entry (or write it for this disagreement)", "uB: idp_export")
        # nor does the long form written for it (active: false), undated: it records another value
        undated_stale = export(done, {}, {"gV": ["uB"], "gB": ["uA"]})
        long_form = POLICY + "\nlinking: {scim_state_conflicts: {uB: {newer: idp_export, active: false}}}"
        r = plan(undated_stale, long_form)
        assert ([a.id for a in r.actions if "mB" in a.id], review_codes(r)) == ([], [("scim.state_conflict", True)])
        [item] = r.review_items
        assert (item.id, item.message) == (
            "scim.state_conflict:scim.link_user:mB",
            "the linking.scim_state_conflicts entry uB: {newer: idp_export, active: false} no longer applies: "
            "bob@example.com is provisioned by SCIM (externalId uB), and Sigma's SCIM state and the IdP export "
            f"disagree (active: SCIM false, export true; SCIM last changed the user {t_left}, the export does not "
            "say when): which is newer? The plan does not send scim.link_user on the export's word alone; remove "
            "the entry (or write it for this disagreement)")
        # the long form settles the disagreement it records: the undated leaver of week 2
        settled = plan(export(sigma, {"uB": structs.replace(SNAP.idp.users[2], active=False, status="DEPROVISIONED")},
                              {"gV": ["uA", "uB"]}), long_form)
        assert (review_codes(settled), by_id(settled)["scim.deactivate_user:mB"].evidence.state_conflict.settled_by) == (
            [], "linking.scim_state_conflicts")
        # an export newer than SCIM that reactivates him (a rehire the IdP made) is the dates' word
        rehired = export(done, {"uB": structs.replace(SNAP.idp.users[2], last_updated=moved(t_left, 1))},
                         {"gV": ["uB"], "gB": ["uA"]})
        r = plan(rehired, POLICY)
        assert review_codes(r) == []
        link = by_id(r)["scim.link_user:mB"]
        assert ((link.before.active, link.after.active), link.evidence.state_conflict.settled_by) == (
            (False, True), "dates")
        # equal dates (the same second) decide nothing: the question stays
        same = export(done, {"uB": structs.replace(SNAP.idp.users[2], last_updated=t_left)},
                      {"gV": ["uB"], "gB": ["uA"]})
        [item] = [i for i in plan(same, POLICY).review_items if i.code == "scim.state_conflict"]
        assert (f"(active: SCIM false, export true; SCIM last changed the user {t_left}, the export last updated "
                "them in the same second): which is newer?") in item.message
    finally:
        server.close()


def test_a_person_deleted_from_an_export_newer_than_scim_stays_in_the_team_with_what_the_dates_show(tmp_path: Path):
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        sigma = apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        t_ann, t_bob = scim_date(sigma, "mA"), scim_date(sigma, "mB")
        newest = moved(max(t_ann, t_bob), 7)
        week3 = export(sigma, {"uB": structs.replace(SNAP.idp.users[2], last_updated=newest)}, drop=("uA",))
        p = plan(week3, POLICY)
        assert kinds(p) == []
        assert review_codes(p) == [("scim.held_member", False), ("scim.state_conflict", True)]
        items = {i.code: i for i in p.review_items}
        held, conflict = items["scim.held_member"], items["scim.state_conflict"]
        assert (held.id, held.message) == (
            "scim.held_member:teams.remove_member:tF:mA",
            "ann@example.com stays in team 'Finance': provisioned by SCIM, absent from an IdP export newer than "
            f"SCIM's record of them (SCIM last changed them {t_ann}, the export has records of {newest}): deleted "
            "in the IdP, or left out of the export (an Okta listing without a filter lacks DEPROVISIONED users), so "
            "the plan does not remove them on the export's word alone; if they left, linking.scim_state_conflicts: "
            "{uA: {newer: idp_export, active: false}} deactivates them and removes them from the team; if the "
            "export left them out, export the IdP again and plan again")
        assert (conflict.id, conflict.message) == (
            "scim.state_conflict:members.deactivate:mA",
            "ann@example.com is provisioned by SCIM (externalId uA), and Sigma's SCIM state and the IdP export "
            f"disagree (active: SCIM true, export absent (no IdP user has its externalId); SCIM last changed the "
            f"user {t_ann}, the export does not list them (its newest record is of {newest})): absent from an "
            "export newer than SCIM's record of them, so deleted in the IdP, or left out of the export (an Okta "
            "listing without a filter lacks DEPROVISIONED users); the plan does not send members.deactivate on an "
            "absence alone")
        assert snippet(conflict) == {"linking": {"scim_state_conflicts": {"uA": {"newer": "idp_export", "active": False}}}}
        # the fix both items name
        settled = plan(week3, POLICY + "\nlinking: {scim_state_conflicts: {uA: {newer: idp_export, active: false}}}")
        assert (kinds(settled), review_codes(settled)) == (
            [("scim.deactivate_user", "scim.deactivate_user:mA"), ("scim.set_group_members", "scim.set_group_members:gF"),
             ("teams.remove_member", "teams.remove_member:tF:mA")], [])
        done = apply_and_fetch(settled, tmp_path / "settled", server)
        assert [(u.id, u.active) for u in done.scim_users if u.id == "mA"] == [("mA", False)]
    finally:
        server.close()


# --------------------------------------------------------------------------- the dates the inputs give


def test_the_okta_and_scim_loaders_read_each_users_last_update_to_the_second_and_entra_has_none(tmp_path: Path):
    import json

    from planner.sources import load_idp

    repo = Path(__file__).resolve().parent.parent
    okta, _ = load_idp(repo / "samples" / "acme" / "okta")
    assert (okta.users[0].attributes["lastUpdated"], okta.users[0].last_updated) == (
        "2019-06-21T12:17:26.922Z", "2019-06-21T12:17:26Z")
    entra, _ = load_idp(repo / "samples" / "acme" / "entra")
    assert {u.last_updated for u in entra.users} == {None}
    users = [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": f"s{i}", "userName": f"u{i}@example.com",
              "active": True, "meta": meta} for i, meta in enumerate([
                  {"resourceType": "User", "lastModified": "2026-12-06T06:19:49.065000Z"},
                  {"resourceType": "User", "lastModified": "not a date"}, {"resourceType": "User"}])]
    (tmp_path / "scim").mkdir()
    (tmp_path / "scim" / "users.json").write_text(json.dumps(
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 3, "Resources": users}))
    scim, _ = load_idp(tmp_path / "scim")
    assert [(u.id, u.last_updated) for u in scim.users] == [
        ("s0", "2026-12-06T06:19:49Z"), ("s1", None), ("s2", None)]


def test_both_entry_forms_load_a_short_one_gets_a_lint_note_and_a_misspelt_long_one_one_line(tmp_path: Path, capsys):
    from .conftest import run_cli

    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nlinking:\n  scim_state_conflicts:\n    u1: idp_export\n"
                    "    u2: {newer: scim_state, userType: Build}\n")
    code, out, _ = run_cli(capsys, "policy", "lint", str(path))
    assert (code, out) == (0, (
        f"{path}:4:9: linking.scim_state_conflicts.u1: note: the short form 'idp_export' records no value, so it "
        "settles any later disagreement of this person the dates do not contradict; the long form {newer: "
        "idp_export, active: false} (or userType: <type>) settles only the one it was written for\n"
        f"{path}: ok\n"))
    path.write_text("version: 1\nlinking:\n  scim_state_conflicts:\n    u2: {newer: idp_export, actve: false}\n")
    code, out, _ = run_cli(capsys, "policy", "lint", str(path))
    assert (code, out) == (1, f"{path}:4:29: linking.scim_state_conflicts.u2: unknown key 'actve' (did you mean "
                              "'active'?); allowed here: newer, active, userType\n")
