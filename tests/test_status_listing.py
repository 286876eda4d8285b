"""Listings filtered by status (docs/formats.md §0.15, tester21 findings 2 and 3).

- 2: a Sigma members file listed with ``includeInactive=true`` but not ``includeArchived=true`` (inactive members,
  no archived one) is in doubt as one with neither: the plan creates Ruth Adler, archived in Sigma, a second account,
  so the ``members_include_archived_and_inactive`` pre-flight check blocks.
- 3: a Google "Download users" CSV of the list filtered to Active holds no suspended or archived user: Tom Becker,
  suspended in the IdP, reads as a member no IdP user matches and would be deactivated, so the
  ``idp_users_include_deactivated`` pre-flight check blocks; ``check`` warns ``idp-users-without-inactive``.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from planner.planfile import read_plan

from .conftest import REPO, run_cli, write

ACME = REPO / "samples" / "acme"
RUTH = "3X1tfNuPuim0SwRr6E0QmcNxHghoI"  # ruth.adler@acme.example, archived in Sigma in 2023
TOM = "H8WUhhEkx6ovMdH47QgTdStLR9pIP"  # tom.becker@acme.example, suspended in the IdP
GOOGLE_USERS = REPO / "tests" / "fixtures" / "status_listing" / "google-users.csv"
GOOGLE_POLICY = REPO / "tests" / "fixtures" / "status_listing" / "policy-google.yaml"


def sigma_without_archived(tmp_path: Path) -> Path:
    """samples/acme/sigma without its archived members (and their team rows), its inactive ones kept: what
    ``GET /v2/members?includeInactive=true`` lists, no fetch-manifest.json."""
    sigma = tmp_path / "sigma"
    shutil.copytree(ACME / "sigma", sigma)
    pages = json.loads((sigma / "members.json").read_text())
    archived = {m["memberId"] for p in pages for m in p["entries"] if m.get("isArchived")}
    assert len(archived) == 6 and any(m.get("isInactive") for p in pages for m in p["entries"])
    for page in pages:
        page["entries"] = [m for m in page["entries"] if m["memberId"] not in archived]
    (sigma / "members.json").write_text(json.dumps(pages, indent=2))
    teams = json.loads((sigma / "team_members.json").read_text())
    for team in teams.values():
        team["entries"] = [e for e in team["entries"] if e["userId"] not in archived]
        team["total"] = len(team["entries"])
    (sigma / "team_members.json").write_text(json.dumps(teams, indent=2))
    return sigma


def test_a_members_file_with_inactive_but_no_archived_members_is_in_doubt(capsys, tmp_path):
    sigma = sigma_without_archived(tmp_path)
    policy = (ACME / "policy-okta-reviewed.yaml").read_text()
    override = f"    - {{idp: ruth.adler@acme.example, member: {RUTH}}}\n"
    assert override in policy
    write(tmp_path / "pol.yaml", policy.replace(override, ""))
    out = tmp_path / "p.json"
    code, stdout, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(ACME / "okta"), "--policy",
                              str(tmp_path / "pol.yaml"), "--out", str(out), "--detailed-exitcode")
    assert code == 3
    plan = read_plan(out)
    assert "scim.create_user:00uSdaXsT70zT6UFufLT" in {a.id for a in plan.actions}  # Ruth, a second account
    [check] = [c for c in plan.preflight if c.id == "members_include_archived_and_inactive"]
    assert (check.status.value, check.blocking) == ("unconfirmed", True)
    assert check.detail == (
        f"{sigma / 'members.json'} holds no archived member and no fetch manifest says how it was listed: GET "
        "/v2/members without includeArchived=true leaves them out (and without includeInactive=true the inactive "
        "ones), and then each of the plan's 14 scim.create_user may be a second account for an archived member; "
        "export the members with both flags (or `sigma-migrate fetch`) and plan again, or confirm")
    code, stdout, _ = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(ACME / "okta"))
    assert (f"warning: {sigma / 'members.json'} [isArchived]: members.json holds no archived member and no "
            "fetch-manifest.json says sigma-migrate fetch wrote it: GET /v2/members without includeArchived=true "
            "leaves them out (and without includeInactive=true the inactive ones), and a returning archived member "
            "would then get a second account (scim.create_user) beside the archived one; export the members with "
            "both flags, or confirm preflight.members_include_archived_and_inactive (members-without-archived)"
            ) in stdout.splitlines()


def google_download(tmp_path: Path, name: str, statuses: tuple[str, ...]) -> Path:
    """The Google admin console "Download users" CSV of the acme users, only the rows whose ``Status [READ ONLY]``
    is one of ``statuses`` (the console downloads the currently filtered list)."""
    rows = list(csv.reader(GOOGLE_USERS.read_text(encoding="utf-8").splitlines()))
    at = rows[0].index("Status [READ ONLY]")
    folder = tmp_path / name
    folder.mkdir()
    with (folder / "users.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([rows[0], *(r for r in rows[1:] if r[at] in statuses)])
    return folder


def plan_google(capsys, tmp_path: Path, idp: Path, policy: str):
    write(tmp_path / "pol.yaml", policy)
    out = tmp_path / f"{idp.name}.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(idp), "--policy",
                           str(tmp_path / "pol.yaml"), "--out", str(out), "--detailed-exitcode")
    return code, read_plan(out)


def test_a_google_download_of_the_active_users_alone_is_in_doubt(capsys, tmp_path):
    policy = GOOGLE_POLICY.read_text()
    whole = google_download(tmp_path, "whole", ("Active", "Suspended", "Archived"))
    code, plan = plan_google(capsys, tmp_path, whole, policy)
    assert [i.id for i in plan.review_items if i.blocking] == [f"unmatched.suspended:{TOM}"]
    assert [c.id for c in plan.preflight if c.id == "idp_users_include_deactivated"] == []

    active = google_download(tmp_path, "active", ("Active",))
    code, plan = plan_google(capsys, tmp_path, active, policy)
    assert code == 3
    assert f"members.deactivate:{TOM}" in {a.id for a in plan.actions}  # no IdP user matches him now
    assert [i.id for i in plan.review_items if i.blocking] == []
    [check] = [c for c in plan.preflight if c.id == "idp_users_include_deactivated"]
    assert (check.title, check.status.value, check.blocking) == (
        "the IdP users export lists deactivated and suspended users", "unconfirmed", True)
    assert check.detail == (
        f"{active / 'users.csv'} holds no deactivated or suspended user and no fetch-idp manifest says how it was "
        "listed: a download of a filtered list (a Status filter, \"Account enabled == Yes\", a report of active "
        "users) leaves them out, and then each of the plan's 11 deactivation(s) of a member no IdP user matches may "
        "be a leaver or a suspended person unmatched.idp_inactive or unmatched.idp_suspended decides; export every "
        "user, whatever their status (or `sigma-migrate fetch-idp`) and plan again, or confirm")
    code, stdout, _ = run_cli(capsys, "check", "--sigma", str(ACME / "sigma"), "--idp", str(active))
    assert (f"warning: {active / 'users.csv'} [status]: users.csv holds no deactivated or suspended user and no "
            "fetch-idp manifest says how it was listed: a download of a filtered list (Google's \"Download users\" "
            "with a Status filter, Entra's with \"Account enabled == Yes\", a report of active users) leaves them out, "
            "and a leaver or a suspended person would then read as a member with no IdP user (unmatched.action, not "
            "unmatched.idp_inactive or unmatched.idp_suspended); export every user, whatever their status, or confirm "
            "preflight.idp_users_include_deactivated (idp-users-without-inactive)") in stdout.splitlines()
    code, stdout, _ = run_cli(capsys, "check", "--sigma", str(ACME / "sigma"), "--idp", str(whole))
    assert "idp-users-without-inactive" not in stdout

    # confirmed: informational; a policy deactivating every leaver and suspended person: not blocking either
    code, plan = plan_google(capsys, tmp_path, active,
                             policy.replace("preflight:\n", "preflight:\n  idp_users_include_deactivated: true\n", 1))
    [check] = [c for c in plan.preflight if c.id == "idp_users_include_deactivated"]
    assert (check.status.value, check.blocking) == ("confirmed", False)
    assert code == 2
    code, plan = plan_google(capsys, tmp_path, active, policy.replace(
        "  idp_suspended: review\n", "  idp_suspended: deactivate\n", 1))
    [check] = [c for c in plan.preflight if c.id == "idp_users_include_deactivated"]
    assert (check.status.value, check.blocking) == ("unconfirmed", False)


DELETED_USERS_HEADER = ("id,userPrincipalName,displayName,surname,mail,givenName,userType,accountEnabled,"
                        "createdDateTime,deletedDateTime")


def entra_enabled_only(tmp_path: Path, *, deleted_file: bool) -> Path:
    """samples/acme/entra downloaded with the list filtered to enabled users ("Account enabled == Yes"): its disabled
    users out of users.csv and of every group file; with ``deleted_file``, Entra's "Deleted users" download saved
    beside it (one leaver deleted in June)."""
    entra = tmp_path / ("with-deleted" if deleted_file else "enabled")
    shutil.copytree(ACME / "entra", entra)
    with open(entra / "users.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    disabled = {r["id"] for r in rows if r["accountEnabled"] == "False"}
    assert len(disabled) == 9
    with open(entra / "users.csv", "w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(r for r in rows if r["id"] not in disabled)
    for members in (entra / "group_members").iterdir():
        lines = members.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        members.write_text("".join(n for n in lines if n.split(",", 1)[0] not in disabled), encoding="utf-8")
    if deleted_file:
        write(entra / "exportDeletedUsers_2026-12-1.csv", DELETED_USERS_HEADER + "\n"
              "aaaaaaaa-dead-4000-8000-0000000000d1,aaaaaaaadead400080000000000000d1old.leaver@acme.example,"
              "Old Leaver,Leaver,old.leaver@acme.example,Old,Member,False,2018-01-01T10:00:00Z,2026-06-01T10:00:00Z\n")
    return entra


def test_a_deleted_users_download_beside_an_enabled_only_list_does_not_vouch_for_it(capsys, tmp_path):
    """tester22 finding 7: a deleted user is no user of the users listing, so a Deleted users download (or an
    appended deletedItems answer) says nothing about whether that listing was filtered (was: it did, and Victor
    Hale, Tom Becker, Paula Jensen, disabled, were deactivated as "no IdP user matches", 0 blocking)."""
    policy = (ACME / "policy-entra-reviewed.yaml").read_text()
    write(tmp_path / "pol.yaml", policy.replace("\nunmatched:\n", "\nunmatched:\n  idp_inactive: review\n", 1))
    for deleted_file in (False, True):
        entra = entra_enabled_only(tmp_path, deleted_file=deleted_file)
        out = tmp_path / f"p-{deleted_file}.json"
        code, _, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(entra), "--policy",
                             str(tmp_path / "pol.yaml"), "--out", str(out), "--detailed-exitcode")
        assert code == 3, deleted_file
        [check] = [c for c in read_plan(out).preflight if c.id == "idp_users_include_deactivated"]
        assert (check.status.value, check.stops_approval) == ("unconfirmed", True), deleted_file
        assert check.detail.startswith(f"{entra / 'users.csv'} holds no deactivated or suspended user"), check.detail
