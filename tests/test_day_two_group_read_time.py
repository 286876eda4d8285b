"""Tester10 finding 2 for an IdP that dates no group (Entra ID, Google, generic CSV): the IdP removes a member
from a team's group through SCIM after its export was read; the re-plan must not put them back in silence.

Real parts: ``fetch-idp entra`` against the Graph emulator writes the export and its manifest (``fetchedAt``),
the Sigma sandbox over HTTP takes the first wave's apply and the IdP's SCIM PATCH, ``fetch`` reads Sigma back.
The export's read time stands for the group date Entra does not give (planner.rules.scim_state.group_dates):
SCIM changed the group after the read, so the export is stale for bob (a blocking ``scim.state_conflict``, SCIM's
membership kept); a manifest without ``fetchedAt`` cannot tell (blocking too, never a silent push); a new hire
the export adds to the group is the ordinary next push either way."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from planner.idp import pull_idp, write_pull
from planner.model import Snapshot
from planner.sandbox.idp.entra import EntraEmulator, EntraSeed
from planner.sources import load_idp

from .execute_support import counting_sandbox
from .plan_factory import by_id, kinds, member, plan, review_codes, snapshot, team
from .test_day_two_idp_changes import apply_and_fetch, fetch, scim_patch

ROOT_ID, ANN_ID, BOB_ID, DAN_ID = (f"9f1c2d3e-0000-0000-0000-00000000000{n}" for n in range(4))
FINANCE_ID, ADMINS_ID = "5a6b7c8d-0000-0000-0000-000000000001", "5a6b7c8d-0000-0000-0000-000000000002"
SIGMA = snapshot([member("mA", "ann@example.com", "Ann", "Lee"), member("mB", "bob@example.com", "Bob", "Ray")],
                 teams=[team("tF", "Finance")], memberships={"tF": ["mA", "mB"]}).sigma
POLICY = "teams: {rules: [{match: exact}]}\npreflight: {previous_scim: same_setup}"
PUSH = f"scim.set_group_members:{FINANCE_ID}"


def entra_user(uid: str, address: str, first: str, last: str) -> dict:
    return {"id": uid, "userPrincipalName": address, "displayName": f"{first} {last}", "givenName": first,
            "surname": last, "mail": address, "otherMails": [], "proxyAddresses": [], "userType": "Member",
            "accountEnabled": True, "jobTitle": None, "businessPhones": []}


def entra_seed(finance: list[str]) -> EntraSeed:
    """The Graph emulator's tenant: root, Ann and Bob, and Dan (a new hire) when he is in ``finance``."""
    users = [entra_user(ROOT_ID, "root@example.com", "Root", "Admin"), entra_user(ANN_ID, "ann@example.com", "Ann", "Lee"),
             entra_user(BOB_ID, "bob@example.com", "Bob", "Ray")]
    if DAN_ID in finance:
        users.append(entra_user(DAN_ID, "dan@example.com", "Dan", "Fox"))
    groups = [{"id": gid, "displayName": name, "mail": None, "securityEnabled": True, "groupTypes": []}
              for gid, name in ((FINANCE_ID, "Finance"), (ADMINS_ID, "Sigma-Admins"))]
    return EntraSeed(users=users, groups=groups, members={FINANCE_ID: finance, ADMINS_ID: [ROOT_ID]})


def entra_export(to: Path, finance: list[str], fetched_at: str | None) -> Path:
    """``fetch-idp entra`` of the emulator holding Finance = ``finance`` into ``to``, its manifest's ``fetchedAt``
    then set to ``fetched_at`` (removed when ``None``: an export that does not say when it was read)."""
    to.mkdir()
    with EntraEmulator(entra_seed(finance)) as graph:
        write_pull(pull_idp("entra", graph.environ(), base_url=graph.base_url, login_url=graph.base_url), to)
    set_fetched_at(to, fetched_at)
    return to


def set_fetched_at(export: Path, fetched_at: str | None) -> None:
    """Rewrite the ``fetchedAt`` of ``export``'s fetch-idp manifest (a read at another time), removed when
    ``None`` (an export saved by hand, which does not say when it was read)."""
    path = export / "fetch-idp-manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if fetched_at is None:
        del manifest["fetchedAt"]
    else:
        manifest["fetchedAt"] = fetched_at
    path.write_text(json.dumps(manifest), encoding="utf-8")


def second_wave(sigma, idp_dir: Path):
    idp, findings = load_idp(idp_dir)
    assert not [f for f in findings if f.severity.value == "error"]
    return plan(Snapshot(sigma=sigma, idp=idp), POLICY)


def seconds(ts: str, n: int) -> str:
    """``ts`` (ISO 8601 UTC to the second) ``n`` seconds later (earlier when negative)."""
    at = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) + timedelta(seconds=n)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def removed(tmp_path_factory):
    """The first wave applied from an Entra export (Finance: Ann, Bob), then the IdP's SCIM PATCH removing Bob
    from Finance, then Sigma fetched: ``(tmp, sigma, when SCIM last changed Finance)``."""
    tmp = tmp_path_factory.mktemp("read-time")
    server, _ = counting_sandbox(SIGMA)
    try:
        idp, _ = load_idp(entra_export(tmp / "entra1", [ANN_ID, BOB_ID], None))
        apply_and_fetch(plan(Snapshot(sigma=SIGMA, idp=idp), POLICY.split("\n")[0]), tmp / "wave", server)
        scim_patch(server, "/Groups/tF", [{"op": "remove", "path": 'members[value eq "mB"]'}])
        sigma = fetch(tmp, server, "after-scim")
    finally:
        server.close()
    [finance] = [g for g in sigma.scim_groups if g.id == "tF"]
    assert finance.last_modified is not None
    return tmp, sigma, finance.last_modified


def test_an_entra_export_read_before_scim_removed_a_member_is_stale_for_them_and_the_new_hire_is_pushed(removed):
    tmp, sigma, changed = removed
    read = seconds(changed, -1)
    stale = second_wave(sigma, entra_export(tmp / "before", [ANN_ID, BOB_ID, DAN_ID], read))
    assert review_codes(stale) == [("scim.state_conflict", True)]
    [item] = stale.review_items
    assert (item.id, item.subject.team_id, item.evidence.scim_last_modified, item.evidence.export_last_updated) == (
        f"scim.state_conflict:{PUSH}", "tF", changed, None)
    assert item.message == (
        "team 'Finance': Sigma's SCIM group and the IdP export's group 'Finance' disagree on 1 member(s) SCIM "
        f"provisioned: bob@example.com (not in SCIM's group, in the export's); SCIM last changed the group {changed}, "
        f"after the IdP export was read {read} (fetch-idp's fetchedAt; the export dates no change of the group's "
        "members): the export is older, so it is stale for them; the plan keeps SCIM's membership and does not push "
        "the export's over it; export the IdP again and plan again")
    assert yaml.safe_load(item.resolution) == {"linking": {"scim_state_conflicts": {BOB_ID: "scim_state"}}}
    # Dan, a new hire SCIM never had, is the ordinary push; Bob is not put back
    assert by_id(stale)[PUSH].after.members == ["ann@example.com", "dan@example.com"]
    assert by_id(stale)[PUSH].reason.endswith(
        "(leaves out bob@example.com: Sigma's SCIM group is not older than the export's, see scim.state_conflict)")


def test_an_entra_export_that_does_not_say_when_it_was_read_cannot_tell_and_never_re_adds_in_silence(removed):
    tmp, sigma, changed = removed
    undated = second_wave(sigma, entra_export(tmp / "undated", [ANN_ID, BOB_ID], None))
    assert (kinds(undated), review_codes(undated)) == ([], [("scim.state_conflict", True)])
    [item] = undated.review_items
    assert item.message == (
        "team 'Finance': Sigma's SCIM group and the IdP export's group 'Finance' disagree on 1 member(s) SCIM "
        f"provisioned: bob@example.com (not in SCIM's group, in the export's); SCIM last changed the group {changed}, "
        "the IdP export says neither when its group's members changed nor when it was read: the plan cannot tell "
        "which side is newer; the plan keeps SCIM's membership and does not push the export's over it; export the "
        "IdP again (sigma-migrate fetch-idp records when it read the IdP) and plan again, or settle each")
    assert yaml.safe_load(item.resolution) == {"linking": {"scim_state_conflicts": {BOB_ID: "scim_state"}}}
    assert "idp_export" in item.resolution  # the other choice, commented: the export is newer

    settled = plan(Snapshot(sigma=sigma, idp=load_idp(tmp / "undated")[0]),
                   POLICY + f"\nlinking: {{scim_state_conflicts: {{{BOB_ID}: idp_export}}}}")
    assert (review_codes(settled), by_id(settled)[PUSH].after.members) == (
        [], ["ann@example.com", "bob@example.com"])


def test_an_entra_export_read_after_scim_changed_the_group_is_the_idps_word(removed):
    tmp, sigma, changed = removed
    # read after the SCIM change and still listing Bob: the IdP holds him in Finance, its word is pushed
    newer = second_wave(sigma, entra_export(tmp / "after", [ANN_ID, BOB_ID], seconds(changed, 1)))
    assert (review_codes(newer), by_id(newer)[PUSH].after.members) == ([], ["ann@example.com", "bob@example.com"])
    # read after it without Bob: nothing to push, nothing to ask
    agreed = second_wave(sigma, entra_export(tmp / "agreed", [ANN_ID], seconds(changed, 1)))
    assert (kinds(agreed), review_codes(agreed)) == ([], [])


def test_the_same_export_in_the_same_second_as_scim_asks(removed):
    tmp, sigma, changed = removed
    same = second_wave(sigma, entra_export(tmp / "same", [ANN_ID, BOB_ID], changed))
    [item] = same.review_items
    assert (item.blocking, PUSH in by_id(same)) == (True, False)
    assert (f"SCIM last changed the group {changed}, the IdP export was read {changed} (fetch-idp's fetchedAt; the "
            "export dates no change of the group's members): which is newer?") in item.message


def test_a_replaced_idp_directory_keeps_its_read_time():
    """The read time travels with the export (IdpDirectory.fetched_at -> Directory.idp_fetched_at)."""
    from planner.directory import build_directory
    from .plan_factory import policy

    snap = snapshot()
    dated = replace(snap, idp=replace(snap.idp, fetched_at="2026-12-06T20:40:00Z"))
    assert (build_directory(snap, policy()).idp_fetched_at, build_directory(dated, policy()).idp_fetched_at) == (
        None, "2026-12-06T20:40:00Z")
