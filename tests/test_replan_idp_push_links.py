"""What the IdP's own push changed in Sigma between two waves is weighed by the rules that asked before it (tester22
finding 4): a SCIM link the push made to another IdP user than the one the applied plan linked the member to (a
leaver's inactive member linked and reactivated for a brand-new IdP user of the same address) is a blocking
``scim.linked_since`` item, settled by ``linking.reused_addresses: same_person`` (was: ``link_key: scim``, no item,
while the same inputs before the push were a blocking ``linking.ambiguous``); an admin account type the push gave a
member since the applied plan saw them with another is the blocking ``account_types.admin_upgrade`` it was before
the push (was: only the informational ``account_types.several_type_groups``). Both read the one comparison of the
re-plan's export with the applied plan's view (:func:`planner.rules.since_applied.changes_since`).

Against the bundled sample's sandbox over HTTP, as the tester's repro (/work/notes/t22-repro/3): plan, approve,
``apply --only group:Finance``, the IdP's ``POST /scim/v2/Users`` of Quentin's new IdP user and ``PATCH`` of Greta's
userType, fetch again, plan with ``--applied v1.json`` and the IdP export that holds both changes."""

from __future__ import annotations

import json
import shutil

import httpx2
import pytest

from planner.model import ItemEvidence, ItemRef
from planner.planfile import read_plan

from .conftest import run_cli, write
from .test_replan_reactivated_by_hand import OKTA, REVIEWED, sample_wave

QUENTIN = "r78AaQVBQqzdEPfm79dUeiODySnoN"  # quentin.moss@acme.example, inactive since 2024
QUENTIN_OLD = "00u6rqbi3K6sisZPUrtB"  # his Okta user, DEPROVISIONED
QUENTIN_NEW = "00uNEWQUENTIN0000001"  # a new Okta user of the same address, made 2026-12-01
GRETA = "jR368hGsY28MChDckenlesDKgZpsj"  # greta.dunmore@acme.example, View, linked by wave 1
GRETA_IDP = "00ufaBfQcK29VwKggTJK"
SALES_AMERICAS = "5d12865d-0a0c-4153-8fc3-53404498a35d"
EVERYONE, SIGMA_ADMINS, SIGMA_VIEWERS = "00gFX2DIhkqtNC5jhfKN", "00gF7jYOB2uaP9Gm51OW", "00gyEQzNI5PD5nqCZxpe"


def okta_after(root):
    """samples/acme/okta with Quentin's new IdP user (Everyone, Sigma-Viewers) and Greta in Sigma-Admins."""
    okta = root / "okta2"
    shutil.copytree(OKTA, okta)
    users = json.loads((okta / "users.json").read_text("utf-8"))
    [old] = [u for u in users if u["id"] == QUENTIN_OLD]
    new = {**old, "id": QUENTIN_NEW, "status": "ACTIVE", "created": "2026-12-01T09:00:00.000Z",
           "activated": "2026-12-01T09:00:00.000Z", "statusChanged": "2026-12-01T09:00:00.000Z",
           "lastUpdated": "2026-12-01T09:00:00.000Z"}
    (okta / "users.json").write_text(json.dumps(users + [new], indent=2), "utf-8")
    members = json.loads((okta / "group_members.json").read_text("utf-8"))
    [greta] = [u for u in users if u["id"] == GRETA_IDP]
    members[EVERYONE].append(new)
    members[SIGMA_VIEWERS].append(new)
    members[SIGMA_ADMINS].append(greta)
    (okta / "group_members.json").write_text(json.dumps(members, indent=2), "utf-8")
    return okta


def scim(server, method: str, path: str, body: dict) -> dict:
    """The IdP's request through Sigma's SCIM API: the resource answered (``{}`` for 204 No Content)."""
    answer = httpx2.request(method, f"{server.scim_base_url}{path}", json=body,
                            headers={"Authorization": f"Bearer {server.scim_token}"})
    assert answer.status_code in (200, 201, 204), answer.text
    return answer.json() if answer.status_code != 204 else {}


@pytest.fixture(scope="module")
def pushed(tmp_path_factory):
    """The folder: v1.json applied for group:Finance (Greta linked), e2 fetched after the IdP's two pushes, okta2."""
    with sample_wave(tmp_path_factory.mktemp("pushed")) as wave:
        wave.apply("--only", "group:Finance")
        user = scim(wave.server, "POST", "/Users", {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "quentin.moss@acme.example",
            "externalId": QUENTIN_NEW, "name": {"givenName": "Quentin", "familyName": "Moss"}, "active": True})
        assert user["id"] == QUENTIN  # Sigma linked (and reactivated) the leaver's member
        scim(wave.server, "PATCH", f"/Users/{GRETA}", {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "userType", "value": "Admin"}]})
        wave.fetch("e2")
        okta_after(wave.folder)
        yield wave.folder


def plan_again(folder, capsys, name: str, applied: bool = True, policy: str = REVIEWED):
    write(folder / f"{name}.yaml", policy)
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(folder / "okta2"),
                             "--policy", str(folder / f"{name}.yaml"), "--out", str(folder / f"{name}.json"),
                             *(("--applied", str(folder / "v1.json")) if applied else ()))
    assert code == 0, out + err
    return read_plan(folder / f"{name}.json")


def seen_words(folder) -> str:
    return f"{folder / 'v1.json'} (Sigma read {read_plan(folder / 'v1.json').organization.sigma_fetched_at})"


def test_the_leaver_link_the_push_made_is_a_blocking_item(pushed, capsys):
    v2 = plan_again(pushed, capsys, "v2")
    [item] = [i for i in v2.review_items if i.subject.member_id == QUENTIN]
    assert (item.id, item.blocking, item.rule) == (f"scim.linked_since:{QUENTIN}", True, "linking.reused_addresses")
    assert item.message == (
        f"quentin.moss@acme.example [member {QUENTIN}]: Sigma's SCIM state links it to IdP user {QUENTIN_NEW} "
        f"(quentin.moss@acme.example, made 2026-12-01T09:00:00Z) since {seen_words(pushed)} saw it inactive, linked "
        f"to IdP user {QUENTIN_OLD}, and no run of this tool made that link: the IdP's own push linked it and "
        f"reactivated it: its account, documents, teams and history are {QUENTIN_NEW}'s now; the plan keeps Sigma's "
        f"SCIM link as it is. If {QUENTIN_NEW} is not the person this member was (a new hire given a leaver's "
        f"address), unassign IdP user {QUENTIN_NEW} from the Sigma app in the IdP (or give them another userName) "
        "and move the documents in Sigma; if it is the same person returning, accept it")
    assert item.subject == ItemRef(member_id=QUENTIN, email="quentin.moss@acme.example", idp_id=QUENTIN_NEW)
    assert item.evidence == ItemEvidence(is_archived=False, is_inactive=True, external_id=QUENTIN_NEW,
                                         idp_id=QUENTIN_OLD, idp_created="2026-12-01T09:00:00Z")
    assert item.resolution == (
        f"# the same person: accept the link SCIM made (or, if not, unassign {QUENTIN_NEW} from the Sigma app in the "
        f"IdP, export again and plan again):\nlinking:\n  reused_addresses:\n    {QUENTIN_NEW}: same_person\n")
    [row] = [p for p in v2.people if p.member_id == QUENTIN]
    # held while it is asked: not removed from his team (Sales Americas) by the new IdP user's groups
    assert (row.idp_id, row.link_key, row.actions, row.review_items) == (
        QUENTIN_NEW, "scim", (), (item.id, f"teams.leftovers:{SALES_AMERICAS}"))
    assert [a.id for a in v2.actions if QUENTIN in a.id] == []


def test_the_admin_type_the_push_gave_is_the_blocking_upgrade_it_was(pushed, capsys):
    v2 = plan_again(pushed, capsys, "v2")
    [item] = [i for i in v2.review_items if i.subject.member_id == GRETA]
    assert (item.id, item.blocking) == (f"account_types.admin_upgrade:{GRETA}", True)
    assert item.message == (
        f"greta.dunmore@acme.example went from View to admin account type Admin since {seen_words(pushed)} saw them, "
        "not by a run of this tool (the IdP's push through SCIM, or a Sigma admin), and this plan keeps it "
        "(guards.admin_account_types): group 'Sigma-Admins' (account_types.group_map key 'Sigma-Admins') gives it, "
        "the highest by account_types.precedence of their groups Sigma-Admins, Sigma-Viewers; an admin account type "
        "administers the organization (every member and document, the API), so gaining one is acknowledged person "
        "by person, as losing one is")
    assert "#   overrides:\n#     greta.dunmore@acme.example: View\n" in item.resolution
    assert [a.id for a in v2.actions if GRETA in a.id] == []  # SCIM holds Admin already
    assert sorted(i.id for i in v2.review_items if i.blocking) == sorted(
        [item.id, f"scim.linked_since:{QUENTIN}"])


def test_the_entries_settle_both(pushed, capsys):
    text = REVIEWED.replace("  archived_members: reactivate\n",
                            f"  archived_members: reactivate\n  reused_addresses: {{{QUENTIN_NEW}: same_person}}\n")
    text = text.replace("  acknowledged_downgrades: [helen.ortiz@acme.example]\n",
                        "  acknowledged_downgrades: [helen.ortiz@acme.example]\n"
                        "  acknowledged_admin_upgrades: [{person: greta.dunmore@acme.example, to: Admin}]\n")
    v4 = plan_again(pushed, capsys, "v4", policy=text)
    assert [i.id for i in v4.review_items if i.blocking] == []
    [item] = [i for i in v4.review_items if i.subject.member_id == QUENTIN]
    assert (item.id, item.blocking, item.resolution) == (f"scim.linked_since:{QUENTIN}", False, "")
    assert item.message.endswith(
        f"the IdP's own push linked it and reactivated it: its account, documents, teams and history are "
        f"{QUENTIN_NEW}'s now; linking.reused_addresses says same_person for {QUENTIN_NEW}: the link stands")
    unused = [i.id for i in v4.review_items if i.code == "policy.unused_entry"]
    assert [u for u in unused if "reused_addresses" in u or "admin_upgrades" in u] == []
    assert [a.id for a in v4.actions if QUENTIN in a.id] == [f"teams.remove_member:{SALES_AMERICAS}:{QUENTIN}"]


def test_without_applied_the_plan_cannot_tell(pushed, capsys):
    v5 = plan_again(pushed, capsys, "v5", applied=False)
    assert [i.id for i in v5.review_items if i.subject.member_id in (QUENTIN, GRETA) and i.blocking] == []
