"""A member a wave linked (Sigma's SCIM state: externalId = the old IdP user's id) whose IdP user was deactivated
since, while the same person's new, active IdP account (a new login, the member's address as its email) is linked to
no member: one blocking ``linking.new_idp_account`` item holding both (doubts20, what rehire19 left: the member was
deactivated through SCIM, documents to the provisioning admin, beside a create of the same person, exit 2, 0
blocking). The rule of a33ab60 (:func:`planner.matching.new_accounts`), extended to links of key ``scim``; apply
cannot re-point a SCIM user's externalId, so the same person is settled by hand (a SCIM PatchOp, or the IdP's import)
and a new fetch, and ``linking.overrides`` ``never`` settles the other answer.

Against the bundled sample's sandbox over HTTP: plan (okta, reviewed), approve, ``apply --only group:Finance`` (Alice
Smith linked to 00uB1wErBtRcqqUaMeUY), fetch; the IdP export then has her old user DEPROVISIONED after the wave and the
tester's new user (tests/fixtures/t19_rehire/okta-rehired-user.json) in her groups; plan with ``--applied``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx2
import pytest

from planner.planfile import read_plan

from .conftest import run_cli, write
from .test_rehire_new_account import ALICE, ALICE_IDP, FINANCE_TEAM, REHIRED, okta_export, rehired_user
from .test_replan_reactivated_by_hand import sample_wave


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    """``(folder, the sandbox's SCIM base URL and headers)``: v1.json (run 1: the Finance wave), e2 (Sigma after it),
    okta (the IdP after Alice's old user was deactivated, the new one beside it)."""
    with sample_wave(tmp_path_factory.mktemp("rehire")) as wave:
        wave.apply("--only", "group:Finance")
        wave.fetch("e2")
        okta = okta_export(wave.folder, rehired_user())
        later = (datetime.now(timezone.utc) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        users = json.loads((okta / "users.json").read_text("utf-8"))
        for u in users:
            if u["id"] == ALICE_IDP:  # deactivated in the IdP after the wave linked her
                u.update(statusChanged=later, lastUpdated=later)
        (okta / "users.json").write_text(json.dumps(users, indent=1), "utf-8")
        yield wave


def plan_again(wave, capsys, name: str, policy: str | None = None, sigma: str = "e2") -> tuple[int, object]:
    folder = wave.folder
    if policy is not None:
        write(folder / f"{name}.yaml", policy)
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / sigma), "--idp", str(folder / "okta"),
                             "--policy", str(folder / (f"{name}.yaml" if policy is not None else "pol.yaml")),
                             "--out", str(folder / f"{name}.json"), "--applied", str(wave.v1),
                             "--detailed-exitcode")
    assert code in (2, 3), out + err
    return code, read_plan(folder / f"{name}.json")


def mine(plan) -> list[str]:
    """The action ids of Alice's member and of the new IdP user."""
    return sorted(a.id for a in plan.actions if ALICE in a.id or REHIRED in a.id)


def test_the_scim_linked_member_and_the_new_account_are_one_blocking_question(linked, capsys):
    code, v2 = plan_again(linked, capsys, "v2")
    assert code == 3
    assert mine(v2) == []  # neither deactivated (nor removed from Finance) nor created
    assert [i.id for i in v2.review_items if i.blocking] == [f"linking.new_idp_account:{ALICE}"]
    [item] = [i for i in v2.review_items if i.blocking]
    assert item.message == (
        f"active member 'Alice.Smith@Acme.example' ({ALICE}) is provisioned by SCIM for IdP user {ALICE_IDP} "
        "(alice.smith@acme.example), its externalId, which is DEPROVISIONED (deactivated), while active IdP user "
        f"{REHIRED} (alice.smith2@acme.example) matches it too, by emails (its emails[0] 'alice.smith@acme.example'): "
        "the same person under a new IdP account (a rehire, a contractor made an employee)? Neither is the member "
        "deactivated nor the IdP user created until it is decided; a link override cannot settle it (Sigma's SCIM "
        "state links the member to the old user, and apply sends no externalId change)")
    assert item.resolution == (
        f"# the same person: by hand, point SCIM user {ALICE} (member {ALICE}) at the active IdP user {REHIRED} "
        f"(PATCH /scim/v2/Users/{ALICE} with a PatchOp replacing externalId by {REHIRED}, or the IdP's import "
        "matching the new account to that app user), then fetch and plan again: Sigma's SCIM state then links them "
        "(its documents and teams stay; the userName guard judges the new login)\n"
        f"# not the same person (the `never` below): the member follows the IdP user SCIM provisioned it for "
        f"({ALICE_IDP}: deactivated through SCIM), the IdP user is created\n"
        f"linking:\n  overrides:\n    - {{idp: {REHIRED}, member: never}}\n")
    assert (item.subject.member_id, item.subject.idp_ids) == (ALICE, [REHIRED])
    assert [(c.idp_id, c.status) for c in item.candidates] == [
        (ALICE_IDP, "provisioned by SCIM (externalId), not active"), (REHIRED, "active, would be created")]


def test_never_deactivates_the_member_through_scim_and_creates_the_new_user(linked, capsys):
    policy = (linked.folder / "pol.yaml").read_text("utf-8").replace(
        "  overrides:\n", f"  overrides:\n    - {{idp: {REHIRED}, member: never}}\n", 1)
    assert "member: never}\n" in policy
    code, never = plan_again(linked, capsys, "never", policy)
    assert code == 2
    assert [i.id for i in never.review_items if i.blocking] == []
    assert mine(never) == sorted([f"scim.create_user:{REHIRED}", f"scim.deactivate_user:{ALICE}",
                                  f"teams.remove_member:{FINANCE_TEAM}:{ALICE}"])


def test_pointing_the_scim_user_at_the_new_account_by_hand_links_them(linked, capsys):
    """The resolution's same-person answer, done as it says: a SCIM PatchOp replacing externalId, a new fetch."""
    server = linked.server
    answer = httpx2.patch(f"{server.scim_base_url}/Users/{ALICE}", headers=server.scim_headers(), json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "externalId", "value": REHIRED}]})
    answer.raise_for_status()
    linked.fetch("e3")
    code, v3 = plan_again(linked, capsys, "v3", sigma="e3")
    # linked by Sigma's SCIM state to the new user: nothing to deactivate or create; the new login is the guard's
    assert [i.id for i in v3.review_items if ALICE in i.id and i.blocking] == [f"user_name_guard.mismatch:{ALICE}"]
    assert mine(v3) == []
    [row] = [p for p in v3.people if p.member_id == ALICE]
    assert (row.idp_id, row.link_key) == (REHIRED, "scim")
