"""Two files of one IdP export that disagree about one user (issue 10, tester3 finding 5).

A group members answer that embeds a user whose status or login differs from the users file's record
of the same id shows the files were saved at different times: a ``users-disagree`` warning naming both
files, the id and both values, an incomplete-input code, so every action the gap could change is a
blocking ``inputs.truncated`` item (planner.rules.inputs). Okta (``status``, ``profile.login``), Entra
Graph (``userPrincipalName``, ``accountEnabled``) and Entra CSV (``User principal name``) alike.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import run_cli, write
from planner.model import Severity
from planner.sources import load_idp

REPO = Path(__file__).resolve().parent.parent
MATEO = "mateo.marsh@acme.example"
MATEO_MEMBER = "E6Cwzz30oBCQzpkV71M6PlfQx9oKM"
MATEO_OKTA = "00uKDgm93GljJdyl0cM0"
TAIL = ("the two files were saved at different times, so either may be stale, and so may any membership; "
        "export the users and the group members again, together")


def okta_user(status: str, login: str = "ana@example.com") -> dict:
    return {"id": "00u1", "status": status, "profile": {"login": login, "email": "ana@example.com",
                                                        "firstName": "Ana", "lastName": "Ruiz"}}


def okta_export(tmp_path: Path, in_users: dict, in_group: dict) -> Path:
    write(tmp_path / "users.json", json.dumps([in_users]))
    write(tmp_path / "groups.json", json.dumps([{"id": "00g1", "profile": {"name": "Sigma-Users"}}]))
    write(tmp_path / "group_members.json", json.dumps({"00g1": [in_group]}))
    return tmp_path


def disagreements(findings) -> list[tuple]:
    return [(f.severity, Path(f.file).name, f.message) for f in findings if f.code == "users-disagree"]


@pytest.mark.parametrize(("in_users", "in_group", "said"), [
    (okta_user("DEPROVISIONED"), okta_user("ACTIVE"), "status 'DEPROVISIONED' in users.json ($[0]), 'ACTIVE'"),
    (okta_user("ACTIVE"), okta_user("DEPROVISIONED"), "status 'ACTIVE' in users.json ($[0]), 'DEPROVISIONED'"),
    (okta_user("ACTIVE"), okta_user("ACTIVE", "ana.other@example.com"),
     "login 'ana@example.com' in users.json ($[0]), 'ana.other@example.com'"),
])
def test_okta_group_answer_disagreeing_with_users_json(tmp_path, in_users, in_group, said):
    directory, findings = load_idp(okta_export(tmp_path, in_users, in_group), "okta-api")
    assert disagreements(findings) == [(
        Severity.WARNING, "group_members.json",
        f"1 user(s) listed in group_members.json differ from the users file in 1 record(s) (00u1: {said} in "
        f"group_members.json ($[\"00g1\"][0])): {TAIL}")]
    assert [u.status for u in directory.users] == [in_users["status"]]  # the users file's record is kept
    assert directory.groups[0].member_user_ids == ("00u1",)


@pytest.mark.parametrize("in_group", [
    okta_user("ACTIVE"), okta_user("active"), {"id": "00u1"}, {"id": "00u1", "profile": {"email": "x@example.com"}}])
def test_okta_group_answer_agreeing_or_silent_is_no_finding(tmp_path, in_group):
    _, findings = load_idp(okta_export(tmp_path, okta_user("ACTIVE"), in_group), "okta-api")
    assert disagreements(findings) == []


def graph_export(tmp_path: Path, member: dict) -> Path:
    write(tmp_path / "users.json", json.dumps({"value": [
        {"id": "u1", "userPrincipalName": "ana@example.com", "mail": "ana@example.com", "accountEnabled": True,
         "givenName": "Ana", "surname": "Ruiz"}]}))
    write(tmp_path / "groups.json", json.dumps({"value": [{"id": "g1", "displayName": "Sigma-Users"}]}))
    write(tmp_path / "group_members.json", json.dumps({"g1": {"value": [
        {"@odata.type": "#microsoft.graph.user", "id": "u1", **member}]}}))
    return tmp_path


@pytest.mark.parametrize(("member", "said"), [
    ({"userPrincipalName": "ana.old@example.com"},
     "userPrincipalName 'ana@example.com' in users.json ($.value[0]), 'ana.old@example.com'"),
    ({"userPrincipalName": "ana@example.com", "accountEnabled": False},
     "accountEnabled True in users.json ($.value[0]), False"),
])
def test_graph_member_disagreeing_with_users_json(tmp_path, member, said):
    _, findings = load_idp(graph_export(tmp_path, member), "entra-graph")
    assert disagreements(findings) == [(
        Severity.WARNING, "group_members.json",
        f"1 user(s) listed in group_members.json differ from the users file in 1 record(s) (u1: {said} in "
        f"group_members.json ($[\"g1\"].value[0])): {TAIL}")]


def test_graph_member_agreeing_is_no_finding(tmp_path):
    _, findings = load_idp(graph_export(tmp_path, {"userPrincipalName": "ana@example.com"}), "entra-graph")
    assert disagreements(findings) == []


def test_entra_csv_member_upn_disagreeing_with_users_csv(tmp_path):
    write(tmp_path / "users.csv", "id,userPrincipalName,mail,givenName,surname,accountEnabled\n"
                                  "u1,ana@example.com,ana@example.com,Ana,Ruiz,True\n")
    write(tmp_path / "groups.csv", "id,displayName\ng1,Sigma-Users\n")
    write(tmp_path / "group_members" / "Sigma-Users.csv",
          "Object ID,User principal name,Display name,Member type\nu1,ana.old@example.com,Ana Ruiz,User\n")
    _, findings = load_idp(tmp_path, "entra-csv")
    assert disagreements(findings) == [(
        Severity.WARNING, "Sigma-Users.csv",
        "1 user(s) listed in Sigma-Users.csv differ from the users file in 1 record(s) (u1: userPrincipalName "
        f"'ana@example.com' in users.csv (line 2), 'ana.old@example.com' in Sigma-Users.csv (line 2)): {TAIL}")]


def test_okta_deprovisioned_in_users_active_in_group_answers_blocks_the_deactivation(capsys, tmp_path):
    # tester3 dirty/okta_users_deprov_gm_active: the Acme sample, Mateo DEPROVISIONED in users.json only
    idp = tmp_path / "okta"
    shutil.copytree(REPO / "samples" / "acme" / "okta", idp)
    users = json.loads((idp / "users.json").read_text(encoding="utf-8"))
    next(u for u in users if u["id"] == MATEO_OKTA)["status"] = "DEPROVISIONED"
    (idp / "users.json").write_text(json.dumps(users), encoding="utf-8")
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(REPO / "samples" / "acme" / "sigma"), "--idp", str(idp),
                         "--policy", str(REPO / "policies" / "examples" / "okta.yaml"), "--out", str(out))
    assert code == 0
    plan = json.loads(out.read_text(encoding="utf-8"))
    items = {i["id"]: i for i in plan["review_items"]}
    item = items[f"inputs.truncated:members.deactivate:{MATEO_MEMBER}"]
    assert item["blocking"] is True
    assert item["message"].startswith(
        f"members.deactivate (deactivate: IdP user {MATEO_OKTA} ({MATEO}) is DEPROVISIONED (deactivated); documents "
        "go to tomasz.nowak@acme.example) rests on an export whose users file and group members disagree (saved at "
        f"different times), so what is missing or stale may change it: {idp / 'group_members.json'}: 1 user(s) listed in group_members.json differ from the users file in 3 "
        f"record(s) ({MATEO_OKTA}: status 'DEPROVISIONED' in users.json ($[15]), 'ACTIVE' in group_members.json ($[")
    code, out_text, _ = run_cli(capsys, "approve", str(out), "--by", "t")
    assert code == 1
    code, out_text, err = run_cli(capsys, "check", "--sigma", str(REPO / "samples" / "acme" / "sigma"), "--idp",
                                  str(idp), "--policy", str(REPO / "policies" / "examples" / "okta.yaml"))
    assert "(users-disagree)" in out_text + err


# --------------------------------------------------------------------------- Google (issue 10, fix-items item 3)


def google_user(uid: str, email: str, suspended: bool = False, archived: bool = False) -> dict:
    return {"id": uid, "primaryEmail": email, "name": {"givenName": "Ana", "familyName": "Ruiz"},
            "suspended": suspended, "archived": archived}


def google_export(tmp_path: Path, users: list[dict], members: list[dict]) -> Path:
    write(tmp_path / "users.json", json.dumps({"kind": "admin#directory#users", "users": users}))
    write(tmp_path / "groups.json", json.dumps({"groups": [{"id": "g1", "email": "sigma@example.com",
                                                             "name": "Sigma-Users"}]}))
    write(tmp_path / "group_members.json", json.dumps({"g1": {"kind": "admin#directory#members", "members": [
        {"kind": "admin#directory#member", "role": "MEMBER", "type": "USER", **m} for m in members]}}))
    return tmp_path


@pytest.mark.parametrize(("suspended", "member", "said"), [
    (True, {"id": "1", "email": "ana@example.com", "status": "ACTIVE"},
     "status 'Suspended' in users.json ($.users[0]), 'ACTIVE'"),
    (False, {"id": "1", "email": "ana@example.com", "status": "suspended"},
     "status 'Active' in users.json ($.users[0]), 'suspended'"),
    (False, {"id": "1", "email": "ana.old@example.com", "status": "ACTIVE"},
     "email 'ana@example.com' in users.json ($.users[0]), 'ana.old@example.com'"),
    (True, {"email": "ANA@example.com", "status": "ACTIVE"},  # no id: found by its email, its status still compared
     "status 'Suspended' in users.json ($.users[0]), 'ACTIVE'"),
])
def test_google_group_member_disagreeing_with_users_json(tmp_path, suspended, member, said):
    directory, findings = load_idp(google_export(tmp_path, [google_user("1", "ana@example.com", suspended)], [member]),
                                   "google-api")
    assert disagreements(findings) == [(
        Severity.WARNING, "group_members.json",
        f"1 user(s) listed in group_members.json differ from the users file in 1 record(s) (1: {said} in "
        f"group_members.json ($[\"g1\"].members[0])): {TAIL}")]
    assert [u.active for u in directory.users] == [not suspended]  # the users file's record is kept
    assert directory.groups[0].member_user_ids == ("1",)


@pytest.mark.parametrize(("user", "member"), [
    (google_user("1", "ana@example.com"), {"id": "1", "email": "Ana@Example.com", "status": "ACTIVE"}),
    (google_user("1", "ana@example.com", True), {"id": "1", "email": "ana@example.com", "status": "SUSPENDED"}),
    (google_user("1", "ana@example.com", archived=True), {"id": "1", "email": "ana@example.com", "status": "ACTIVE"}),
    (google_user("1", "ana@example.com"), {"id": "1"}),
    (google_user("1", "ana@example.com"), {"id": "1", "email": "ana@example.com", "status": "UNDEFINED"}),
])
def test_google_group_member_agreeing_or_silent_is_no_finding(tmp_path, user, member):
    _, findings = load_idp(google_export(tmp_path, [user], [member]), "google-api")
    assert disagreements(findings) == []


def test_google_member_suspended_in_users_active_in_group_blocks_the_deactivation(capsys, tmp_path):
    from planner.rules.inputs import truncated

    idp = google_export(tmp_path / "google", [google_user("1", "ana@example.com", suspended=True)],
                        [{"id": "1", "email": "ana@example.com", "status": "ACTIVE"}])
    _, findings = load_idp(idp, "google-api")
    assert [f.code for f in truncated(findings)] == ["users-disagree"]
