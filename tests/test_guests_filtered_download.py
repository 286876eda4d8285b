"""An IdP export that marks guests yet holds none while Sigma has active guests (an Entra "Download users" filtered
to members): under ``guests.action: convert`` each guest disable is held on a blocking ``guests.no_idp_guests`` item,
``check`` warns ``idp-users-without-guests``, and the pre-flight guests line names whom ``preflight.guests_informed``
covers (tester20 finding 9: Carol Nguyen, the B2B guest the policy would convert, disabled with her documents given to
the owner, 0 blocking, ``check`` silent, pre-flight "3 guest member(s) lose access; the policy confirms they were
told").

The repro (/work/notes/t20-repro/21) rebuilt from the bundled Entra sample: its Guest (``#EXT#``) rows left out of
users.csv and the group files; the reviewed Entra policy less its userName-guard entry naming Carol's ``#EXT#`` UPN
(with it a blocking ``policy.unknown_reference`` happens to catch this)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.planfile import read_plan

from .conftest import run_cli

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "acme"
GUESTS = {"1OLfsTOWkRcJMtkNaSgdDd91YEXAg": "carol.nguyen@northpartners.example",
          "9RkgtbbmFLiGPXEGdQpeIXQ96ewRg": "felix.brandt@consultco.example",
          "dCL260TsvzkuoWIZjOjOpA30be1nk": "mei.tanaka@consultco.example"}
CAROL_GUARD = ("    # case 16: Carol keeps her address; the app sends mail as userName for her\n"
               "    'carol.nguyen_northpartners.example#EXT#@acme.example': use_sigma_email\n")


def members_only(folder: Path) -> Path:
    """The Entra sample with every Guest row (userType Guest, a #EXT# UPN) left out of its CSV files."""
    shutil.copytree(SAMPLES / "entra", folder)
    for csv in [folder / "users.csv", *sorted((folder / "group_members").glob("*.csv"))]:
        lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
        csv.write_text("".join(line for line in lines if "#EXT#" not in line and ",Guest," not in line),
                       encoding="utf-8")
    return folder


def policy(tmp_path: Path, action: str = "convert") -> Path:
    text = (SAMPLES / "policy-entra-reviewed.yaml").read_text(encoding="utf-8")
    assert CAROL_GUARD in text and "  action: convert\n" in text
    text = text.replace(CAROL_GUARD, "").replace("  action: convert\n", f"  action: {action}\n")
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def plan(capsys, tmp_path: Path, idp: Path, policy_file: Path, code: int):
    out_file = tmp_path / "p.json"
    status, out, err = run_cli(capsys, "plan", "--sigma", str(SAMPLES / "sigma"), "--idp", str(idp), "--policy",
                               str(policy_file), "--out", str(out_file), "--detailed-exitcode")
    assert status == code, out + err
    return read_plan(out_file)


def message(email: str, users_csv: Path) -> str:
    return (f"guest {email!r} would be disabled (disable guest: SCIM does not support guests and disables them when "
            "it is switched on; documents go to tomasz.nowak@acme.example) though guests.action is convert, because "
            f"{users_csv} holds no guest user at all (no userType Guest, no #EXT# userName) while Sigma has active "
            "guests: a download filtered to members (Entra's \"Download users\" follows the list's filters)? The IdP "
            "user that would convert them may be left out")


DELETED_GUEST = (  # Entra's "Deleted users" download holding one deleted B2B guest (tester22 finding 7)
    "id,userPrincipalName,displayName,surname,mail,givenName,userType,accountEnabled,createdDateTime,deletedDateTime\n"
    "aaaaaaaa-dead-4000-8000-0000000000e1,aaaaaaaadead400080000000000000e1old.partner_other.example#EXT#@acme.example,"
    "Old Partner,Partner,old.partner@other.example,Old,Guest,False,2021-01-01T10:00:00Z,2026-06-01T10:00:00Z\n")


@pytest.mark.parametrize("deleted_guest", [False, True])
def test_each_guest_disable_is_held_when_the_export_holds_no_guest(capsys, tmp_path, deleted_guest):
    """A deleted guest (a Deleted users download saved beside the filtered one) is none of the listing's users, so
    it does not vouch for it (tester22 finding 7: it did, and the three guests were disabled, 0 blocking)."""
    idp = members_only(tmp_path / "entra")
    if deleted_guest:
        (idp / "exportDeletedUsers_2026-12-1.csv").write_text(DELETED_GUEST, encoding="utf-8")
    p = plan(capsys, tmp_path, idp, policy(tmp_path), 3)
    assert [i.id for i in p.review_items if i.blocking] == [
        f"guests.no_idp_guests:members.disable_guest:{m}" for m in sorted(GUESTS)]
    assert [(i.message, i.resolution) for i in p.review_items if i.code == "guests.no_idp_guests"] == [
        (message(GUESTS[m], idp / "users.csv"),
         f"# export the users again with no filter ({idp / 'users.csv'}) and plan again; or, if the IdP holds no "
         "guest user, say the guests are disabled:\nguests:\n  action: disable\n") for m in sorted(GUESTS)]
    [guests] = [c for c in p.preflight if c.id == "guests"]
    assert guests.detail == (
        "3 guest member(s) lose access (carol.nguyen@northpartners.example, felix.brandt@consultco.example, "
        "mei.tanaka@consultco.example); the policy confirms they were told")


def test_check_warns_at_the_users_file(capsys, tmp_path):
    idp = members_only(tmp_path / "entra")
    code, out, err = run_cli(capsys, "check", "--sigma", str(SAMPLES / "sigma"), "--idp", str(idp), "--policy",
                             str(policy(tmp_path)))
    assert code == 0, out + err
    assert [line for line in (out + err).splitlines() if "idp-users-without-guests" in line] == [
        f"warning: {idp / 'users.csv'} [userType]: users.csv holds no guest user (no userType Guest, no #EXT# "
        "userName) while Sigma has 3 active guest member(s) (carol.nguyen@northpartners.example, "
        "felix.brandt@consultco.example, mei.tanaka@consultco.example): a filtered download (Entra's \"Download "
        "users\" follows the list's filters, \"User type == Member\" among them)? Under guests.action: convert each "
        "would be disabled, their documents given to the document owner, instead of converted; export the users "
        "again with no filter (idp-users-without-guests)"]


@pytest.mark.parametrize("idp_name, action", [("entra", "convert"), ("okta", "convert"), ("filtered", "disable")])
def test_no_item_when_the_export_holds_a_guest_cannot_mark_one_or_the_policy_disables(capsys, tmp_path, idp_name,
                                                                                       action):
    idp = members_only(tmp_path / "entra") if idp_name == "filtered" else SAMPLES / idp_name
    text = (SAMPLES / f"policy-{'okta' if idp_name == 'okta' else 'entra'}-reviewed.yaml").read_text(encoding="utf-8")
    if idp_name == "filtered":
        text = text.replace(CAROL_GUARD, "").replace("  action: convert\n", f"  action: {action}\n")
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    status, out, err = run_cli(capsys, "plan", "--sigma", str(SAMPLES / "sigma"), "--idp", str(idp), "--policy",
                               str(tmp_path / "policy.yaml"), "--out", str(tmp_path / "p.json"))
    assert status == 0, out + err
    p = read_plan(tmp_path / "p.json")
    assert [i.id for i in p.review_items if i.code == "guests.no_idp_guests"] == []
    assert [i.id for i in p.review_items if i.blocking] == []
