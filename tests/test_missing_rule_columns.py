"""A column a rule decides on that the file's format carries but the file lacks is "cannot tell", never "not said"
(tester21 finding 7; planner/sources/rule_columns.py, docs/formats.md §0.7).

The repros, rebuilt from the bundled acme samples: a Sigma members.csv without ``createdAt``/``updatedAt`` (Ruth Adler,
archived 2022, whose IdP user was made 2025, was reactivated and linked, 0 blocking); an Entra "Download users" without
``createdDateTime`` (the portal's default view) and a Graph users answer whose ``$select`` left it out (the same); an
Entra download without ``externalUserState`` (Carol Nguyen, a B2B guest, converted and linked whether or not she
accepted the invitation). Each holds what its rule would decide, on a blocking item naming the file and the column,
and ``check`` warns ``missing-rule-column`` once per file; the same files with the column are the controls.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from planner.planfile import read_plan
from planner.sources import load_idp

from .conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "samples" / "acme"
RUTH = "3X1tfNuPuim0SwRr6E0QmcNxHghoI"  # ruth.adler@acme.example, archived (updatedAt 2022-12-16)
CAROL = "1OLfsTOWkRcJMtkNaSgdDd91YEXAg"  # carol.nguyen@northpartners.example, a guest member
CAROL_IDP = "26360456-7b15-4cd5-bf1d-78569f8aa423"
NEW_MEMBERS = ["3x2uLcFsNLXYeQ5NIhA5RMBQgVTjG", "9RkgtbbmFLiGPXEGdQpeIXQ96ewRg", "ECiBauGWbdRoN5KEop6mfQHl3n0UV",
               "dCL260TsvzkuoWIZjOjOpA30be1nk", "irl2fx60egIqGAydaHBmgzCwkPnaf", "j0X28AI1SAPvWaNyAVHqkX7hE2w64",
               "k7ZGySkbV1JImdi7dIYiTLow1TFak", "sWDskbUA8tDQxCNHcxnQ79Bb8CL8F", "svymW31OpqxLVBElRr4u8kLw2sjr0"]
"""The members no IdP user matches (and the two guests the policy disables): deactivated or disabled on the export's
word when their dates are known, held on unmatched.new_member when a date column is missing."""
MEMBER_COLUMNS = ["organizationId", "memberId", "memberType", "firstName", "lastName", "email", "userKind",
                  "isArchived", "isInactive", "createdAt", "updatedAt"]
REHIRE_TAIL = (" (member 'Ruth Adler', IdP user 'Ruth Adler'): the leaver back under a new IdP account, or a new "
               "person given the leaver's address? Reactivating gives ruth.adler@acme.example the member's account, "
               "history, home folder, teams and the documents it still owns, and an archived account is not renamed, "
               "so neither the names nor linking.archived_members decide it; neither is linked, created nor "
               "deactivated until the policy decides for this person")
CHECK_TAIL = ("so each holds what it would decide on a blocking item; export the file again with the column "
              "(missing-rule-column)")


def sigma_csv(root: Path, drop: tuple[str, ...] = ()) -> Path:
    """The Sigma sample with its members as a members.csv of §1f's columns and the dates, less ``drop``."""
    shutil.copytree(ACME / "sigma", root)
    pages = json.loads((root / "members.json").read_text(encoding="utf-8"))
    (root / "members.json").unlink()
    columns = [c for c in MEMBER_COLUMNS if c not in drop]
    with (root / "members.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for page in pages:
            for m in page["entries"]:
                writer.writerow([str(m[c]).lower() if isinstance(m[c], bool) else m[c] for c in columns])
    return root


def entra_without(root: Path, *drop: str) -> Path:
    """The Entra sample whose users.csv lacks the columns ``drop``."""
    shutil.copytree(ACME / "entra", root)
    users = root / "users.csv"
    with users.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    keep = [i for i, name in enumerate(rows[0]) if name not in drop]
    with users.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[row[i] for i in keep] for row in rows])
    return root


def graph_export(root: Path, select: tuple[str, ...]) -> Path:
    """The Entra sample as Graph answers: /users with ``$select`` ``select``, /groups, /groups/{id}/members."""
    with (ACME / "entra" / "users.csv").open(encoding="utf-8-sig", newline="") as f:
        users = list(csv.DictReader(f))

    def value(row: dict, name: str):
        cell = row[name]
        return (cell == "True") if name == "accountEnabled" else (cell or None)

    answer = [{name: value(row, name) for name in select} for row in users]
    root.mkdir()
    (root / "users.json").write_text(json.dumps({
        "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#users({','.join(select)})",
        "@odata.count": len(answer), "value": answer}), encoding="utf-8")
    loaded, _ = load_idp(ACME / "entra")  # the groups and their direct members, as the sample's CSVs say them
    groups = [{"id": g.id, "displayName": g.display_name} for g in loaded.groups]
    (root / "groups.json").write_text(json.dumps({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups", "@odata.count": len(groups),
        "value": groups}), encoding="utf-8")
    (root / "group_members").mkdir()
    for g in loaded.groups:
        ids = [{"@odata.type": "#microsoft.graph.user", "id": u} for u in g.member_user_ids]
        (root / "group_members" / f"{g.id}.json").write_text(
            json.dumps({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
                        "@odata.count": len(ids), "value": ids}), encoding="utf-8")
    return root


def policy_without_ruth(root: Path, flavour: str) -> Path:
    """The reviewed policy of ``flavour`` without its linking.overrides entry for Ruth Adler (the tester's policy)."""
    text = (ACME / f"policy-{flavour}-reviewed.yaml").read_text(encoding="utf-8")
    line = f"    - {{idp: ruth.adler@acme.example, member: {RUTH}}}\n"
    assert line in text
    path = root / "policy.yaml"
    path.write_text(text.replace(line, ""), encoding="utf-8")
    return path


def plan(capsys, tmp_path: Path, sigma: Path, idp: Path, policy: Path):
    out_file = tmp_path / "plan.json"
    code, out, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp), "--policy", str(policy),
                             "--out", str(out_file), "--detailed-exitcode")
    return code, read_plan(out_file)


def blocking(p) -> list[str]:
    return [r.id for r in p.review_items if r.blocking]


def review(p, item_id: str):
    (found,) = [r for r in p.review_items if r.id == item_id]
    return found


def check_lines(capsys, sigma: Path, idp: Path) -> list[str]:
    code, out, _ = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(idp))
    assert code == 0
    return [line for line in out.splitlines() if line.endswith("(missing-rule-column)")]


def ruth_actions(p) -> list[str]:
    return sorted(a.id for a in p.actions if RUTH in a.id or "ruth.adler" in a.id)


def test_a_members_csv_without_the_date_columns_holds_ruth_and_every_new_member(capsys, tmp_path):
    sigma = sigma_csv(tmp_path / "sigma", drop=("createdAt", "updatedAt"))
    code, p = plan(capsys, tmp_path, sigma, ACME / "okta", policy_without_ruth(tmp_path, "okta"))
    assert code == 3
    assert blocking(p) == [f"linking.rehire:{RUTH}"] + [f"unmatched.new_member:{m}" for m in NEW_MEMBERS]
    assert ruth_actions(p) == []
    members = sigma / "members.csv"
    assert review(p, f"linking.rehire:{RUTH}").message == (
        f"active IdP user 00uSdaXsT70zT6UFufLT (ruth.adler@acme.example) matches archived member {RUTH} "
        "(ruth.adler@acme.example), but the IdP made 00uSdaXsT70zT6UFufLT 2025-03-01T19:14:21Z; the Sigma export does "
        f"not say when it archived the member ({members} has no updatedAt column (or no value in it)), so whether "
        "the IdP made 00uSdaXsT70zT6UFufLT after the archive cannot be told" + REHIRE_TAIL)
    assert review(p, "unmatched.new_member:sWDskbUA8tDQxCNHcxnQ79Bb8CL8F").message == (
        f"alan.brooks@acme.example: no IdP user matches this member, when Sigma made it is not said ({members} has "
        "no createdAt column (or no value in it)), so whether it was made after the IdP export's newest record "
        "(2025-05-29T06:23:25Z) cannot be told: made by hand on purpose (a service account, a contractor, a "
        "break-glass admin) or after the export was taken, so it is not deactivated on the export's silence; decide "
        "whether to keep or deactivate this member (if the IdP provisioned them, export the IdP again and plan again)")
    assert check_lines(capsys, sigma, ACME / "okta") == [
        f"warning: {members} [createdAt, updatedAt]: no createdAt, updatedAt column (or no value in it), which the "
        "format carries: the rules that decide on it cannot tell (createdAt: unmatched.new_member, "
        f"linking.recycled_address; updatedAt: linking.rehire), {CHECK_TAIL}"]


def test_a_members_csv_with_the_date_columns_holds_only_ruth_on_her_dates(capsys, tmp_path):
    sigma = sigma_csv(tmp_path / "sigma")
    code, p = plan(capsys, tmp_path, sigma, ACME / "okta", policy_without_ruth(tmp_path, "okta"))
    assert code == 3
    assert blocking(p) == [f"linking.rehire:{RUTH}"]
    assert review(p, f"linking.rehire:{RUTH}").message == (
        f"active IdP user 00uSdaXsT70zT6UFufLT (ruth.adler@acme.example) matches archived member {RUTH} "
        "(ruth.adler@acme.example), but the IdP made 00uSdaXsT70zT6UFufLT 2025-03-01T19:14:21Z, 806 days after Sigma "
        "archived the member by 2022-12-16T06:40:27.977Z (its updatedAt)" + REHIRE_TAIL)
    assert check_lines(capsys, sigma, ACME / "okta") == []


def test_only_the_updated_at_column_missing_holds_ruth_alone(capsys, tmp_path):
    sigma = sigma_csv(tmp_path / "sigma", drop=("updatedAt",))
    code, p = plan(capsys, tmp_path, sigma, ACME / "okta", policy_without_ruth(tmp_path, "okta"))
    assert code == 3
    assert blocking(p) == [f"linking.rehire:{RUTH}"]
    assert "has no updatedAt column" in review(p, f"linking.rehire:{RUTH}").message
    assert check_lines(capsys, sigma, ACME / "okta") == [
        f"warning: {sigma / 'members.csv'} [updatedAt]: no updatedAt column (or no value in it), which the format "
        f"carries: the rules that decide on it cannot tell (updatedAt: linking.rehire), {CHECK_TAIL}"]


def entra_rehire(ruth_idp: str, users: Path) -> str:
    return (f"active IdP user {ruth_idp} (ruth.adler@acme.example) matches archived member {RUTH} "
            f"(ruth.adler@acme.example), but the export does not say when the IdP made {ruth_idp} ({users} has no "
            "createdDateTime column (or no value in it)); Sigma archived the member by 2022-12-16T06:40:27.977Z (its "
            f"updatedAt), so whether the IdP made {ruth_idp} after the archive cannot be told" + REHIRE_TAIL)


RUTH_ENTRA = "0403b887-435e-4dd8-ac1e-1f6fa11bf6ef"


def test_an_entra_download_without_created_date_time_holds_ruth_and_every_new_member(capsys, tmp_path):
    idp = entra_without(tmp_path / "entra", "createdDateTime")
    code, p = plan(capsys, tmp_path, ACME / "sigma", idp, policy_without_ruth(tmp_path, "entra"))
    assert code == 3
    assert blocking(p) == [f"linking.rehire:{RUTH}"] + [f"unmatched.new_member:{m}" for m in NEW_MEMBERS]
    assert ruth_actions(p) == []
    assert review(p, f"linking.rehire:{RUTH}").message == entra_rehire(RUTH_ENTRA, idp / "users.csv")
    assert review(p, "unmatched.new_member:sWDskbUA8tDQxCNHcxnQ79Bb8CL8F").message == (
        "alan.brooks@acme.example: no IdP user matches this member, made 2024-08-09T18:05:02Z, perhaps after the IdP "
        f"export was taken, which it cannot tell ({idp / 'users.csv'} has no createdDateTime column (or no value in "
        "it)): made by hand on purpose (a service account, a contractor, a break-glass admin) or after the export "
        "was taken, so it is not deactivated on the export's silence; decide whether to keep or deactivate this "
        "member (if the IdP provisioned them, export the IdP again and plan again)")
    assert check_lines(capsys, ACME / "sigma", idp) == [
        f"warning: {idp / 'users.csv'} [createdDateTime]: no createdDateTime column (or no value in it), which the "
        "format carries: the rules that decide on it cannot tell (createdDateTime: linking.rehire, "
        f"linking.recycled_address, unmatched.new_member), {CHECK_TAIL}"]


def test_the_entra_download_with_created_date_time_holds_only_ruth(capsys, tmp_path):
    code, p = plan(capsys, tmp_path, ACME / "sigma", ACME / "entra", policy_without_ruth(tmp_path, "entra"))
    assert code == 3
    assert blocking(p) == [f"linking.rehire:{RUTH}"]
    assert "has no createdDateTime column" not in review(p, f"linking.rehire:{RUTH}").message
    assert check_lines(capsys, ACME / "sigma", ACME / "entra") == []


GRAPH_SELECT = ("id", "userPrincipalName", "displayName", "givenName", "surname", "mail", "userType",
                "accountEnabled", "externalUserState")


def test_a_graph_answer_whose_select_omits_created_date_time_holds_ruth(capsys, tmp_path):
    idp = graph_export(tmp_path / "graph", GRAPH_SELECT)
    code, p = plan(capsys, tmp_path, ACME / "sigma", idp, policy_without_ruth(tmp_path, "entra"))
    assert code == 3
    assert blocking(p) == [f"linking.rehire:{RUTH}"] + [f"unmatched.new_member:{m}" for m in NEW_MEMBERS]
    assert review(p, f"linking.rehire:{RUTH}").message == entra_rehire(RUTH_ENTRA, idp / "users.json")
    assert check_lines(capsys, ACME / "sigma", idp) == [
        f"warning: {idp / 'users.json'} [createdDateTime]: no createdDateTime column (or no value in it), which the "
        "format carries: the rules that decide on it cannot tell (createdDateTime: linking.rehire, "
        f"linking.recycled_address, unmatched.new_member), {CHECK_TAIL}"]


def test_the_graph_answer_with_created_date_time_holds_only_ruth(capsys, tmp_path):
    idp = graph_export(tmp_path / "graph", GRAPH_SELECT + ("createdDateTime",))
    code, p = plan(capsys, tmp_path, ACME / "sigma", idp, policy_without_ruth(tmp_path, "entra"))
    assert code == 3
    assert blocking(p) == [f"linking.rehire:{RUTH}"]
    assert check_lines(capsys, ACME / "sigma", idp) == []


def carol_message(users: Path, tail: str) -> str:
    return (f"IdP user {CAROL_IDP} (carol.nguyen_northpartners.example#EXT#@acme.example) is an Entra B2B guest, and "
            f"whether it accepted its invitation cannot be told ({users} has no externalUserState column (or no "
            "value in it)): the plan converts and links guest 'carol.nguyen@northpartners.example', but after the "
            "switch Sigma signs in through the IdP only, which cannot sign them in until they redeem it (if they "
            f"have not){tail}")


def test_an_entra_download_without_external_user_state_holds_the_guest_conversion(capsys, tmp_path):
    idp = entra_without(tmp_path / "entra", "externalUserState")
    code, p = plan(capsys, tmp_path, ACME / "sigma", idp, ACME / "policy-entra-reviewed.yaml")
    assert code == 3
    assert blocking(p) == [f"guests.invitation_pending:{CAROL_IDP}"]
    item = review(p, f"guests.invitation_pending:{CAROL_IDP}")
    assert item.message == carol_message(
        idp / "users.csv", "; they sign in to Sigma today and would lose it: have them redeem it, or confirm the link")
    assert "confirm_pending_invitations" in item.resolution
    assert check_lines(capsys, ACME / "sigma", idp) == [
        f"warning: {idp / 'users.csv'} [externalUserState]: no externalUserState column (or no value in it), which "
        "the format carries: the rules that decide on it cannot tell (externalUserState: guests.invitation_pending), "
        f"{CHECK_TAIL}"]
    # confirmed by the policy: linked, the item informational
    policy = tmp_path / "confirmed.yaml"
    text = (ACME / "policy-entra-reviewed.yaml").read_text(encoding="utf-8")
    assert "guests:\n  action: convert\n" in text
    policy.write_text(text.replace("guests:\n  action: convert\n", "guests:\n  action: convert\n"
                                   f"  confirm_pending_invitations: [{CAROL_IDP}]\n"), encoding="utf-8")
    code, p = plan(capsys, tmp_path, ACME / "sigma", idp, policy)
    assert code == 2
    assert blocking(p) == []
    assert review(p, f"guests.invitation_pending:{CAROL_IDP}").message == carol_message(
        idp / "users.csv", " (guests.confirm_pending_invitations names them)")
    assert f"scim.link_user:{CAROL}" in {a.id for a in p.actions}


def test_the_entra_download_with_external_user_state_converts_carol_without_an_item(capsys, tmp_path):
    code, p = plan(capsys, tmp_path, ACME / "sigma", ACME / "entra", ACME / "policy-entra-reviewed.yaml")
    assert code == 2
    assert [r.id for r in p.review_items if r.code == "guests.invitation_pending"] == []
    assert f"scim.link_user:{CAROL}" in {a.id for a in p.actions}
