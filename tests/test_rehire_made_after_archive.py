"""A member archived long ago is not reactivated for an IdP account the IdP made after the archive, whatever the
names and ``linking.archived_members`` say: one blocking ``linking.rehire`` item with both dates, settled per person
by ``linking.overrides`` (tester20 finding 4: maria.gomez@, archived 2023-07, reactivated under
``archived_members: reactivate`` for a NEW Okta user made 2026-10 at her freed login, same name: 0 blocking, "a
rename in the IdP is common" letting the name-alike link stay, though an archived account is not renamed).

The repro (/work/notes/t20-repro/12) rebuilt from the bundled Okta sample: maria.gomez@'s DEPROVISIONED user
deleted, a new ACTIVE user 00uNEWMARIAGOMEZ0001 at her login, created 2026-10-01, in Everyone and Sigma-Viewers;
planned with the reviewed Okta policy (``archived_members: reactivate``). Ruth Adler (archived 2022-12, her Okta
user made 2025-03: a rehire under a new account) is reactivated by her ``linking.overrides`` entry, as before."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from planner.model import IdpUser, SigmaMember
from planner.planfile import read_plan
from planner.rules.address_takeover import made_after_archive

from .conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "acme"
MARIA = "SF5SrFvWJbsyqxad1rggf7K4IdrL5"  # maria.gomez@acme.example, archived (updatedAt 2023-07-23)
OLD_MARIA = "00ugAolMW6cU9LYrkSuO"
NEW = "00uNEWMARIAGOMEZ0001"
RUTH = "3X1tfNuPuim0SwRr6E0QmcNxHghoI"
GROUPS = ("00gFX2DIhkqtNC5jhfKN", "00gyEQzNI5PD5nqCZxpe")  # Everyone, Sigma-Viewers


def okta_export(folder: Path, first: str, last: str) -> Path:
    """The Okta sample with maria.gomez@'s old user replaced by a new one named ``first last`` made 2026-10-01."""
    shutil.copytree(SAMPLES / "okta", folder)
    users = json.loads((folder / "users.json").read_text(encoding="utf-8"))
    [old] = [u for u in users if u["id"] == OLD_MARIA]
    new = copy.deepcopy(old)
    new.update(id=NEW, status="ACTIVE", created="2026-10-01T09:00:00.000Z", activated="2026-10-01T09:00:00.000Z",
               statusChanged="2026-10-01T09:00:00.000Z", lastUpdated="2026-10-01T09:00:00.000Z")
    new["profile"].update(firstName=first, lastName=last, displayName=f"{first} {last}", employeeNumber="E99001")
    users = [u for u in users if u["id"] != OLD_MARIA] + [new]
    (folder / "users.json").write_text(json.dumps(users), encoding="utf-8")
    members = json.loads((folder / "group_members.json").read_text(encoding="utf-8"))
    for gid in GROUPS:
        members[gid].append(new)
    (folder / "group_members.json").write_text(json.dumps(members), encoding="utf-8")
    return folder


def plan(tmp_path: Path, capsys, first: str, last: str):
    idp = okta_export(tmp_path / "okta", first, last)
    code, out, err = run_cli(capsys, "plan", "--sigma", str(SAMPLES / "sigma"), "--idp", str(idp), "--policy",
                             str(SAMPLES / "policy-okta-reviewed.yaml"), "--out", str(tmp_path / "p.json"),
                             "--detailed-exitcode")
    assert code == 3, out + err
    return read_plan(tmp_path / "p.json")


def message(names: str) -> str:
    return (f"active IdP user {NEW} (maria.gomez@acme.example) matches archived member {MARIA} "
            f"(maria.gomez@acme.example), but the IdP made {NEW} 2026-10-01T09:00:00Z, 1165 days after Sigma "
            f"archived the member by 2023-07-23T13:48:39.352Z (its updatedAt) ({names}): the leaver back under a new "
            "IdP account, or a new person given the leaver's address? Reactivating gives maria.gomez@acme.example "
            "the member's account, history, home folder, teams and the documents it still owns, and an archived "
            "account is not renamed, so neither the names nor linking.archived_members decide it; neither is "
            "linked, created nor deactivated until the policy decides for this person")


@pytest.mark.parametrize("first, last, items", [
    ("Maria", "Gomez", [(f"linking.rehire:{MARIA}", True)]),
    # one person, one item per doubt: the rehire asks whether it is the same person, with the recycled address's
    # settlements, so no linking.recycled_address beside it (t20b: 'Wei Zhang' gave both, blocking, same
    # settlements; 'Mariana Gomez' an informational one)
    ("Mariana", "Gomez", [(f"linking.rehire:{MARIA}", True)]),
    ("Wei", "Zhang", [(f"linking.rehire:{MARIA}", True)]),
])
def test_the_new_idp_user_at_an_archived_members_address_is_a_blocking_rehire(tmp_path, capsys, first, last, items):
    p = plan(tmp_path, capsys, first, last)
    assert [(i.id, i.blocking) for i in p.review_items if MARIA in i.id] == items
    assert [i.id for i in p.review_items if i.blocking] == [i for i, blocking in items if blocking]
    [item] = [i for i in p.review_items if i.id == f"linking.rehire:{MARIA}"]
    assert item.message == message(f"member 'Maria Gomez', IdP user '{first} {last}'")
    assert [a.id for a in p.actions if MARIA in a.id or NEW in a.id] == []  # neither reactivated, linked nor created
    [row] = [r for r in p.people if r.member_id == MARIA]
    assert (row.sigma_status, row.actions) == ("archived", ())
    # Ruth Adler, her IdP user made after her archive too, is reactivated and linked by her override
    assert [a.id for a in p.actions if RUTH in a.id] == [f"members.reactivate:{RUTH}", f"scim.link_user:{RUTH}"]


EXPECTED_NEVER = [f"members.set_email:{MARIA}", f"scim.create_user:{NEW}"]
"""never: the archived member moved to an alias (Sigma keeps one member per address), the new IdP user created."""

SETTLEMENTS = (
    f"# another person: never link IdP user {NEW} (maria.gomez@acme.example); member {MARIA}'s address is freed "
    "first (linking.duplicates: rename, an alias; Sigma keeps one member per address), the member stays archived and "
    "maria.gomez@acme.example is created; or the same person: link them (the member's account, documents and teams "
    "become maria.gomez@acme.example's):\n"
    f"linking:\n  overrides:\n    - {{idp: {NEW}, member: never}}\n  duplicates:\n    {MARIA}: rename\n"
    f"# or:\n# linking:\n#   overrides:\n#     - {{idp: {NEW}, member: {MARIA}}}\n")


def test_the_other_names_one_item_offers_both_settlements_and_never_settles_it(tmp_path, capsys):
    """The other-name repro: the one ``linking.rehire`` item's settlements are the recycled address's; ``never``
    with the member's address freed leaves nothing blocking about her: the member stays archived (renamed to an
    alias) and the new IdP user is created."""
    p = plan(tmp_path, capsys, "Wei", "Zhang")
    [item] = [i for i in p.review_items if MARIA in i.id]
    assert (item.id, item.rule, item.resolution) == (f"linking.rehire:{MARIA}", "linking.archived_members", SETTLEMENTS)
    idp = tmp_path / "okta"
    policy = (SAMPLES / "policy-okta-reviewed.yaml").read_text(encoding="utf-8").replace(
        "    - {idp: jordan.lee2@acme.example, member: never}\n",
        "    - {idp: jordan.lee2@acme.example, member: never}\n"
        f"    - {{idp: {NEW}, member: never}}\n", 1).replace(
        "duplicates: {ECiBauGWbdRoN5KEop6mfQHl3n0UV: rename}",
        f"duplicates: {{ECiBauGWbdRoN5KEop6mfQHl3n0UV: rename, {MARIA}: rename}}", 1)
    (tmp_path / "never.yaml").write_text(policy, encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", "--sigma", str(SAMPLES / "sigma"), "--idp", str(idp), "--policy",
                             str(tmp_path / "never.yaml"), "--out", str(tmp_path / "never.json"),
                             "--detailed-exitcode")
    assert code == 2, out + err
    settled = read_plan(tmp_path / "never.json")
    assert [i.id for i in settled.review_items if MARIA in i.id or NEW in i.id] == []
    assert [a.id for a in settled.actions if MARIA in a.id or NEW in a.id] == EXPECTED_NEVER


def test_the_settlement_is_per_person(tmp_path, capsys):
    idp = okta_export(tmp_path / "okta", "Maria", "Gomez")
    policy = (SAMPLES / "policy-okta-reviewed.yaml").read_text(encoding="utf-8").replace(
        "    - {idp: jordan.lee2@acme.example, member: never}\n",
        "    - {idp: jordan.lee2@acme.example, member: never}\n"
        f"    - {{idp: {NEW}, member: {MARIA}}}\n", 1)
    (tmp_path / "policy.yaml").write_text(policy, encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", "--sigma", str(SAMPLES / "sigma"), "--idp", str(idp), "--policy",
                             str(tmp_path / "policy.yaml"), "--out", str(tmp_path / "p.json"), "--detailed-exitcode")
    assert code == 2, out + err  # changes, nothing blocking
    p = read_plan(tmp_path / "p.json")
    assert [i.id for i in p.review_items if i.blocking] == []
    assert [a.id for a in p.actions if MARIA in a.id] == [f"members.reactivate:{MARIA}", f"scim.link_user:{MARIA}",
                                                         f"scim.set_account_type:{MARIA}"]  # Analyze -> View


def _member(**raw) -> SigmaMember:
    return SigmaMember(member_id="m1", email="a@x.example", email_key="a@x.example", first_name="A", last_name="B",
                       member_type="View", is_archived=True, created_at="2020-01-01T00:00:00Z",
                       updated_at="2022-01-01T00:00:00Z", raw=raw)


def _user(created: str | None) -> IdpUser:
    return IdpUser(id="u1", user_name="a@x.example", user_name_key="a@x.example", emails=("a@x.example",),
                   active=True, created=created)


def test_made_after_archive_reads_archived_at_first_and_is_silent_without_dates():
    assert made_after_archive(_member(), _user("2021-06-01T00:00:00Z")) is None  # older than the archive
    after = made_after_archive(_member(), _user("2023-01-01T00:00:00Z"))
    assert after.phrase == ("the IdP made u1 2023-01-01T00:00:00Z, 365 days after Sigma archived the member by "
                            "2022-01-01T00:00:00Z (its updatedAt)")
    # archivedAt, when the export has it, is the archive time (an edit after the archive moves updatedAt only)
    assert made_after_archive(_member(archivedAt="2023-06-01T00:00:00Z"), _user("2023-01-01T00:00:00Z")) is None
    assert made_after_archive(_member(archivedAt="2022-06-01T00:00:00Z"), _user("2023-01-01T00:00:00Z")).phrase == (
        "the IdP made u1 2023-01-01T00:00:00Z, 214 days after Sigma archived the member 2022-06-01T00:00:00Z "
        "(archivedAt)")
    assert made_after_archive(_member(), _user(None)) is None  # a format that dates no user: archived_members decides
