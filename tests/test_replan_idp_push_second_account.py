"""The IdP's own push between two waves provisioned a person under another userName (Okta's Sigma app username
``gavin.janssen+sigma@``): Sigma made a second member for them (externalId = their IdP id) while their pre-SCIM
member, the address the IdP export gives them, stays active with its documents and team. The re-plan asks: one
blocking ``scim.second_account`` naming both members (settled by ``linking.second_accounts``, ``deactivate`` giving
the documents to the SCIM-made member), never a deactivation "no IdP user matches this member" with the documents
going to the document owner and a team removal (tester22 finding 1: that, 0 blocking once the mismatch's snippet was
taken); so is an Entra B2B guest pushed by its ``#EXT#`` userPrincipalName beside her guest member (was: the guest
member disabled, documents to the document owner). The SCIM-made member's ``user_name_guard.mismatch`` no longer offers to let the IdP push the pre-SCIM
member's address (Sigma refuses it, 409 uniqueness, while that member holds it).

Against the bundled sample's sandbox over HTTP, as the tester's repro (/work/notes/t22-repro/3): plan, approve,
``apply --only group:Finance``, the IdP's ``POST /scim/v2/Users``, fetch again, plan with ``--applied v1.json``."""

from __future__ import annotations

import httpx2
import pytest
import yaml

from planner.model import ItemEvidence, ItemRef
from planner.planfile import read_plan

from .conftest import run_cli, run_cli_with_environ, write
from .execute_support import sandbox_env
from .sandbox_fixture import sample_sandbox
from .test_replan_reactivated_by_hand import OKTA, REPO, REVIEWED, SIGMA, sample_wave

GAVIN_IDP = "00uoacvnTMXiyzljN5FJ"  # gavin.janssen@acme.example in the IdP export (login and email)
GAVIN = "lzHzCkN1RaxDg0J3YZjJwLZJg0WOe"  # his pre-SCIM member, View, in team Customer Support
CUSTOMER_SUPPORT = "b4860932-4d83-4883-84fb-e4e628a4326a"


def scim_post(server, body: dict) -> str:
    """The IdP's ``POST /Users`` through Sigma's SCIM API: the new SCIM id (the memberId)."""
    answer = httpx2.post(f"{server.scim_base_url}/Users", headers={"Authorization": f"Bearer {server.scim_token}"},
                         json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], **body})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


@pytest.fixture(scope="module")
def pushed(tmp_path_factory):
    """The folder (v1.json applied for group:Finance; e2 fetched after the IdP's push) and the SCIM-made memberId."""
    with sample_wave(tmp_path_factory.mktemp("pushed")) as wave:
        wave.apply("--only", "group:Finance")
        made = scim_post(wave.server, {"userName": "gavin.janssen+sigma@acme.example", "externalId": GAVIN_IDP,
                                       "name": {"givenName": "Gavin", "familyName": "Janssen"},
                                       "emails": [{"value": "gavin.janssen@acme.example", "primary": True}],
                                       "active": True})
        wave.fetch("e2")
        yield wave.folder, made


def plan_again(folder, capsys, name: str, extra: dict | None = None):
    policy = yaml.safe_load(REVIEWED)
    for section, entries in (extra or {}).items():
        for key, value in entries.items():
            target = policy.setdefault(section, {}).setdefault(key, {})
            target.update(value)
    write(folder / f"{name}.yaml", yaml.safe_dump(policy, sort_keys=False))
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(OKTA), "--policy",
                             str(folder / f"{name}.yaml"), "--out", str(folder / f"{name}.json"), "--applied",
                             str(folder / "v1.json"))
    assert code == 0, out + err
    return read_plan(folder / f"{name}.json")


def test_the_pre_scim_member_is_a_second_account_not_unmatched(pushed, capsys):
    folder, made = pushed
    v2 = plan_again(folder, capsys, "v2")

    [item] = [i for i in v2.review_items if i.subject.member_id == GAVIN]
    assert (item.id, item.blocking, item.rule) == (f"scim.second_account:{GAVIN}", True, "linking.second_accounts")
    assert item.message == (
        f"gavin.janssen@acme.example [member {GAVIN}]: IdP user {GAVIN_IDP} of the IdP export has this address "
        "(userName 'gavin.janssen@acme.example', match key user_name), but the IdP provisioned that user through "
        f"SCIM under another userName, gavin.janssen+sigma@acme.example: Sigma made a second account for it, member "
        f"{made} (gavin.janssen+sigma@acme.example), which SCIM now manages, and left gavin.janssen@acme.example "
        "active with its documents and teams (not a member no IdP user matches); the IdP cannot send "
        "gavin.janssen@acme.example to the SCIM account while this member holds the address; deactivate it (its "
        "documents go to gavin.janssen+sigma@acme.example) or keep it")
    assert item.subject == ItemRef(member_id=GAVIN, email="gavin.janssen@acme.example", idp_id=GAVIN_IDP,
                                   user_name="gavin.janssen+sigma@acme.example")
    assert item.evidence == ItemEvidence(external_id=GAVIN_IDP, sigma_email="gavin.janssen@acme.example",
                                         user_name="gavin.janssen+sigma@acme.example", new_member_id=made,
                                         linked_by="user_name")
    assert item.resolution == (
        "# deactivate: its documents go to gavin.janssen+sigma@acme.example; keep: nothing is planned for it\n"
        "linking:\n  second_accounts:\n    gavin.janssen@acme.example: deactivate\n"
        "# or:\n# linking:\n#   second_accounts:\n#     gavin.janssen@acme.example: keep\n")
    # held: no deactivation, no removal from Customer Support
    assert [a.id for a in v2.actions if GAVIN in a.id] == []
    [row] = [p for p in v2.people if p.member_id == GAVIN]
    assert row.review_items == (item.id, f"teams.leftovers:{CUSTOMER_SUPPORT}")  # its team membership held
    # the SCIM-made member's mismatch no longer offers to push the pre-SCIM member's address
    [mismatch] = [i for i in v2.review_items if i.id == f"user_name_guard.mismatch:{made}"]
    assert mismatch.message.endswith(
        "(set the Sigma app username of IdP user 00uoacvnTMXiyzljN5FJ to 'gavin.janssen+sigma@acme.example'; "
        "user_name_guard.overrides: use_sigma_email); the IdP cannot push 'gavin.janssen@acme.example': member "
        f"{GAVIN} (gavin.janssen@acme.example, active) holds that address, and Sigma refuses a userName another "
        "member holds (409 uniqueness); a member SCIM left behind is the scim.second_account item's question "
        "(linking.second_accounts)")
    assert sorted(i.id for i in v2.review_items if i.blocking) == sorted([item.id, mismatch.id])


def test_the_mismatch_snippet_taken_leaves_the_question(pushed, capsys):
    folder, _ = pushed
    v3 = plan_again(folder, capsys, "v3", {"user_name_guard": {"overrides": {GAVIN_IDP: "use_sigma_email"}}})
    assert [i.id for i in v3.review_items if i.blocking] == [f"scim.second_account:{GAVIN}"]
    assert [a.id for a in v3.actions if GAVIN in a.id] == []


def test_deactivate_gives_the_documents_to_the_scim_made_member(pushed, capsys):
    folder, made = pushed
    v4 = plan_again(folder, capsys, "v4", {
        "user_name_guard": {"overrides": {GAVIN_IDP: "use_sigma_email"}},
        "linking": {"second_accounts": {"gavin.janssen@acme.example": "deactivate"}}})
    assert [i.id for i in v4.review_items if i.blocking] == []
    actions = {a.id: a for a in v4.actions if GAVIN in a.id}
    assert sorted(actions) == [f"members.deactivate:{GAVIN}", f"teams.remove_member:{CUSTOMER_SUPPORT}:{GAVIN}"]
    deactivate = actions[f"members.deactivate:{GAVIN}"]
    assert (deactivate.rule, deactivate.after.new_owner_id) == ("linking.second_accounts", made)
    assert deactivate.reason == (
        f"deactivate: IdP user {GAVIN_IDP} of the IdP export has this address (userName "
        "'gavin.janssen@acme.example', match key user_name), but the IdP provisioned that user through SCIM under "
        f"userName gavin.janssen+sigma@acme.example as member {made} (gavin.janssen+sigma@acme.example), which SCIM "
        "now manages; documents go to gavin.janssen+sigma@acme.example")
    assert actions[f"teams.remove_member:{CUSTOMER_SUPPORT}:{GAVIN}"].reason == (
        "remove from team 'Customer Support': not in IdP group 'Customer Support', and SCIM does not remove "
        "pre-SCIM members")


# --------------------------------------------------------------------------- Entra ID: a B2B guest pushed by its UPN

CAROL_IDP = "26360456-7b15-4cd5-bf1d-78569f8aa423"  # carol.nguyen@northpartners.example, a B2B guest in Entra ID
CAROL = "1OLfsTOWkRcJMtkNaSgdDd91YEXAg"  # her guest member in Sigma, with her documents
ENTRA = REPO / "samples/acme/entra"
ENTRA_REVIEWED = (REPO / "samples/acme/policy-entra-reviewed.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def guest_pushed(tmp_path_factory):
    """The Entra flavour: v1.json applied for group:Finance, then Entra's push of Carol by her #EXT# UPN, e2."""
    folder = tmp_path_factory.mktemp("guest")
    server = sample_sandbox(SIGMA)
    server.start()
    mp = pytest.MonkeyPatch()
    env = sandbox_env(server)

    def cli(*argv: str) -> None:
        code, out, err = run_cli_with_environ(None, mp, env, *argv)
        assert code == 0, (argv, out, err)

    def fetch(name: str) -> None:
        cli("fetch", "--base-url", server.base_url, "--policy", str(folder / "pol.yaml"), "--no-progress", "--out",
            str(folder / name))

    try:
        write(folder / "pol.yaml", ENTRA_REVIEWED)
        fetch("e1")
        cli("plan", "--sigma", str(folder / "e1"), "--idp", str(ENTRA), "--policy", str(folder / "pol.yaml"),
            "--out", str(folder / "v1.json"))
        cli("approve", str(folder / "v1.json"), "--by", "T22")
        cli("apply", str(folder / "v1.json"), "--only", "group:Finance", "--rest-base-url", server.base_url,
            "--scim-base-url", server.scim_base_url)
        made = scim_post(server, {"userName": "carol.nguyen_northpartners.example#EXT#@acme.example",
                                  "externalId": CAROL_IDP, "name": {"givenName": "Carol", "familyName": "Nguyen"},
                                  "active": True})
        fetch("e2")
        yield folder, made
    finally:
        mp.undo()
        server.close()


def test_an_entra_guest_pushed_by_its_upn_leaves_her_guest_member_asked_about(guest_pushed, capsys):
    folder, made = guest_pushed
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(ENTRA), "--policy",
                             str(folder / "pol.yaml"), "--out", str(folder / "v2.json"), "--applied",
                             str(folder / "v1.json"))
    assert code == 0, out + err
    v2 = read_plan(folder / "v2.json")
    [item] = [i for i in v2.review_items if i.subject.member_id == CAROL]
    assert (item.id, item.blocking) == (f"scim.second_account:{CAROL}", True)
    assert item.message == (
        f"carol.nguyen@northpartners.example [member {CAROL}]: IdP user {CAROL_IDP} of the IdP export has this "
        "address (emails[0] 'carol.nguyen@northpartners.example', match key emails), but the IdP provisioned that "
        "user through SCIM under another userName, carol.nguyen_northpartners.example#EXT#@acme.example: Sigma made "
        f"a second account for it, member {made} (carol.nguyen_northpartners.example#EXT#@acme.example), which SCIM "
        "now manages, and left carol.nguyen@northpartners.example active with its documents and teams (not a member "
        "no IdP user matches); the IdP cannot send carol.nguyen@northpartners.example to the SCIM account while this "
        "member holds the address; deactivate it (its documents go to "
        "carol.nguyen_northpartners.example#EXT#@acme.example) or keep it")
    # was: members.disable_guest, documents to the document owner
    assert [a.id for a in v2.actions if CAROL in a.id] == []
    assert sorted(i.id for i in v2.review_items if i.blocking) == sorted(
        [item.id, f"user_name_guard.invalid_user_name:{made}"])
